#pragma once

// The files Footprint reads besides models (calibrations, runtime profiles) are JSON objects
// that name their "format"; one reader checks both, with the same messages.

#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>
#include <string>

namespace fp {

// Parses `json` as an object whose "format" is `format`; `what` names it in the errors
// ("calibration"). Throws std::runtime_error with the reason.
inline QJsonObject parseFootprintJson(const std::string& json, const char* format, const std::string& what)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    if (doc.isNull())
        throw std::runtime_error("the " + what + " is not valid JSON: " + error.errorString().toStdString());
    QJsonObject o = doc.object();
    if (o.value("format").toString() != QLatin1String(format))
        throw std::runtime_error("not a Footprint " + what + " (its \"format\" must be \"" + format + "\")");
    return o;
}

} // namespace fp

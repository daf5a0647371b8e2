#include "analysis_options.h"

#include <QRegularExpression>

namespace fp {

namespace {

// Dims beyond this are refused: byte counts would be meaningless, and a typo is likelier.
constexpr qint64 kMaxDim = qint64(1) << 40;

bool parseDim(const QString& text, qint64& value)
{
    bool ok = false;
    value = text.toLongLong(&ok);
    return ok && value > 0 && value <= kMaxDim;
}

} // namespace

void addAnalysisOptions(QCommandLineParser& parser)
{
    parser.addOptions({
        { "batch", "Batch size: dim 0 of every graph input.", "N" },
        { "dim", "Value of a named symbolic dimension, e.g. sequence=512 (repeatable).", "NAME=V" },
        { "resolution", "Height x width of 4-D image inputs, e.g. 512x512.", "HxW" },
        { "precision", "Precision of weights and activations: model (default), fp32, fp16, bf16 or int8.", "P" },
    });
}

QString readAnalysisOptions(const QCommandLineParser& parser, AnalysisConfig& config)
{
    if (parser.isSet("batch")) {
        qint64 batch = 0;
        if (!parseDim(parser.value("batch"), batch))
            return QStringLiteral("--batch needs a positive whole number, not '%1'").arg(parser.value("batch"));
        config.shapes.batch = batch;
    }
    for (const QString& d : parser.values("dim")) {
        const qsizetype eq = d.indexOf(u'=');
        qint64 value = 0;
        if (eq <= 0 || !parseDim(d.mid(eq + 1), value))
            return QStringLiteral("--dim needs NAME=VALUE with a positive value, not '%1'").arg(d);
        config.shapes.dims[d.left(eq).toStdString()] = value;
    }
    if (parser.isSet("resolution")) {
        static const QRegularExpression re(QStringLiteral("^(\\d+)[xX](\\d+)$"));
        const auto m = re.match(parser.value("resolution"));
        qint64 h = 0, w = 0;
        if (!m.hasMatch() || !parseDim(m.captured(1), h) || !parseDim(m.captured(2), w))
            return QStringLiteral("--resolution needs HEIGHTxWIDTH, e.g. 224x224, not '%1'")
                .arg(parser.value("resolution"));
        config.shapes.height = h;
        config.shapes.width = w;
    }
    if (parser.isSet("precision")) {
        const auto p = parsePrecision(parser.value("precision").toLower().toStdString());
        if (!p)
            return QStringLiteral("--precision must be model, fp32, fp16, bf16 or int8, not '%1'")
                .arg(parser.value("precision"));
        config.precision = *p;
    }
    return {};
}

} // namespace fp

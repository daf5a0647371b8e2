#include "devices.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include "saturating.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fp {

extern const char* const kBuiltinDevicesJson;

std::vector<Device> parseDevices(const std::string& json)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    if (doc.isNull())
        throw std::runtime_error("device presets are not valid JSON: " + error.errorString().toStdString());
    std::vector<Device> devices;
    for (const QJsonValue& v : doc.object().value("devices").toArray()) {
        const QJsonObject o = v.toObject();
        Device d;
        d.name = o.value("name").toString().toStdString();
        d.kind = o.value("kind").toString().toStdString();
        d.gpu = o.value("gpu").toBool(true);
        const double gib = o.value("memory_gib").toDouble();
        if (d.name.empty() || !(gib > 0) || gib > 1e6)
            throw std::runtime_error("a device preset needs a name and a positive memory_gib");
        d.memoryBytes = int64_t(std::llround(gib * 1024.0 * 1024.0 * 1024.0));
        d.bandwidthBytesPerSecond = o.value("bandwidth_gbps").toDouble() * 1e9;
        const QJsonObject peak = o.value("peak_tflops").toObject();
        const char* keys[] = { "fp32", "fp16", "bf16", "int8" };
        for (int i = 0; i < 4; ++i)
            d.peakFlops[i] = peak.value(QLatin1String(keys[i])).toDouble() * 1e12;
        devices.push_back(std::move(d));
    }
    if (devices.empty())
        throw std::runtime_error("the device presets list no devices");
    return devices;
}

const std::vector<Device>& builtinDevices()
{
    static const std::vector<Device> devices = parseDevices(kBuiltinDevicesJson);
    return devices;
}

const Device* findDevice(const std::vector<Device>& devices, const std::string& name)
{
    const std::string wanted = asciiLower(name);
    for (const Device& d : devices) {
        if (asciiLower(d.name) == wanted)
            return &d;
    }
    return nullptr;
}

std::optional<int64_t> parseByteSize(const std::string& text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMGTP]?)(i?)B?\\s*$"),
                                       QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(QString::fromStdString(text));
    if (!m.hasMatch())
        return std::nullopt;
    const double number = m.captured(1).toDouble();
    const QString unit = m.captured(2).toUpper();
    const double base = m.captured(3).isEmpty() && !unit.isEmpty() ? 1000.0 : 1024.0;
    const int power = QStringLiteral(" KMGTP").indexOf(unit.isEmpty() ? QStringLiteral(" ") : unit);
    const double bytes = number * std::pow(base, power);
    if (!(bytes >= 1) || bytes > 9e18)
        return std::nullopt;
    return int64_t(bytes);
}

BatchFit largestBatchThatFits(const Model& model, AnalysisConfig config, int64_t budgetBytes, int64_t limit)
{
    BatchFit fit;
    // With gradient accumulation the search is over the micro-batch, at the same number of
    // micro-batches per step.
    std::optional<int64_t>& micro = config.training.recipe.microBatch;
    const bool accumulating = config.training.mode == Mode::Training && micro && *micro > 0;
    const int64_t steps = accumulating ? std::max<int64_t>((config.shapes.batch.value_or(*micro) + *micro - 1) / *micro, 1) : 1;
    bool unknownAt = false; // whether the last analysis left tensors of unknown shape out
    bool unknownAtLo = false;
    const auto peakAt = [&](int64_t batch) {
        config.shapes.batch = accumulating ? satMul(batch, steps) : batch;
        if (accumulating)
            micro = batch;
        ++fit.analyses;
        const AnalysisResult r = analyze(model, config);
        unknownAt = !r.unknownShapes.empty();
        return r.totals.peakBytes;
    };
    int64_t lo = 1, plo = peakAt(1);
    unknownAtLo = unknownAt;
    if (plo > budgetBytes) {
        fit.peakIsLowerBound = unknownAtLo;
        return fit;
    }
    int64_t hi = -1, phi = 0; // hi: smallest batch known not to fit
    double slope = 0; // bytes per sample, from the last two points
    int64_t previous = 0, pprevious = 0;
    while (hi < 0 || hi - lo > 1) {
        int64_t candidate;
        if (slope <= 0) {
            candidate = hi < 0 ? lo * 2 : lo + (hi - lo) / 2;
        } else {
            // At most `limit` past lo: a tiny slope must not push the double past int64's range.
            candidate = lo + int64_t(std::min(std::floor(double(budgetBytes - plo) / slope), double(limit)));
            if (hi >= 0 && (candidate <= lo || candidate >= hi))
                candidate = candidate <= lo ? lo + 1 : hi - 1; // the answer is right at an end
            candidate = std::max(candidate, lo + 1);
        }
        if (hi >= 0 && fit.analyses > 8 && (hi - lo) > 2)
            candidate = lo + (hi - lo) / 2; // secant steps not converging: bisect
        candidate = std::min(candidate, hi < 0 ? limit : hi - 1);
        if (candidate <= lo) {
            fit.hitLimit = hi < 0;
            break;
        }
        const int64_t p = peakAt(candidate);
        if (p <= budgetBytes) {
            previous = lo;
            pprevious = plo;
            lo = candidate;
            plo = p;
            unknownAtLo = unknownAt;
        } else {
            hi = candidate;
            phi = p;
        }
        if (hi >= 0)
            slope = double(phi - plo) / double(hi - lo);
        else if (lo > previous && previous > 0)
            slope = double(plo - pprevious) / double(lo - previous);
    }
    fit.maxBatch = lo;
    fit.peakAtMax = plo;
    fit.peakIsLowerBound = unknownAtLo;
    return fit;
}

} // namespace fp

#include "traces.h"

#include "format.h"
#include "graph.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <cstdio>

namespace fp {

const char* traceFormatName(MemoryTrace::Format format)
{
    switch (format) {
    case MemoryTrace::Format::NvidiaSmi: return "nvidia-smi";
    case MemoryTrace::Format::OnnxRuntime: return "onnxruntime";
    case MemoryTrace::Format::Footprint: return "footprint";
    }
    return "footprint";
}

PeakComparison comparePeaks(int64_t estimatedPeakBytes, const MemoryTrace& trace)
{
    PeakComparison c;
    c.estimatedBytes = estimatedPeakBytes;
    c.measuredBytes = trace.peakBytes;
    c.differenceBytes = estimatedPeakBytes - trace.peakBytes;
    c.differencePercent = trace.peakBytes > 0 ? 100.0 * double(c.differenceBytes) / double(trace.peakBytes) : 0.0;
    return c;
}

std::string formatDifference(const PeakComparison& c)
{
    const int64_t magnitude = c.differenceBytes < 0 ? -c.differenceBytes : c.differenceBytes;
    char line[160];
    std::snprintf(line, sizeof line, "%s%s (%+.1f%%)", c.differenceBytes < 0 ? "-" : "+", formatBytes(magnitude).c_str(),
                  c.differencePercent);
    return line;
}

namespace {

constexpr qsizetype kMaxTraceBytes = qsizetype(512) << 20;

void finish(MemoryTrace& t)
{
    if (!t.bytes.empty()) {
        t.peakBytes = *std::max_element(t.bytes.begin(), t.bytes.end());
        t.baselineBytes = t.bytes.front();
    }
}

int64_t unitBytes(const QString& unit)
{
    const QString u = unit.trimmed().toLower();
    if (u == QLatin1String("mib") || u == QLatin1String("mb"))
        return int64_t(1) << 20;
    if (u == QLatin1String("gib") || u == QLatin1String("gb"))
        return int64_t(1) << 30;
    if (u == QLatin1String("kib") || u == QLatin1String("kb"))
        return int64_t(1) << 10;
    return 1;
}

// memory.used [MiB] / "1234 MiB" lines, with an optional timestamp column first.
MemoryTrace parseNvidiaSmi(const QString& text, double interval)
{
    MemoryTrace t;
    t.format = MemoryTrace::Format::NvidiaSmi;
    t.source = "nvidia-smi --query-gpu=memory.used";
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    const QStringList header = lines.front().split(u',');
    int column = -1, timeColumn = -1;
    for (int i = 0; i < header.size(); ++i) {
        if (header[i].contains(QLatin1String("memory.used")))
            column = i;
        else if (header[i].contains(QLatin1String("timestamp")))
            timeColumn = i;
    }
    static const QRegularExpression headerUnit(QStringLiteral("\\[(\\w+)\\]"));
    const auto unitMatch = headerUnit.match(header.value(column));
    const int64_t defaultUnit = unitMatch.hasMatch() ? unitBytes(unitMatch.captured(1)) : (int64_t(1) << 20);
    static const QRegularExpression value(QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)\\s*$"));
    double firstTime = -1;
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList fields = lines[i].split(u',');
        const auto m = value.match(fields.value(column));
        if (!m.hasMatch())
            throw TraceError("nvidia-smi log, line " + std::to_string(i + 1) + ": '" + lines[i].toStdString()
                             + "' has no memory.used value");
        const int64_t unit = m.captured(2).isEmpty() ? defaultUnit : unitBytes(m.captured(2));
        t.bytes.push_back(satFromDouble(m.captured(1).toDouble() * double(unit))); // "1e30 GiB" saturates
        double seconds = double(i - 1) * interval;
        if (timeColumn >= 0) {
            // "2024/05/01 12:00:00.123": seconds since the first sample
            static const QRegularExpression clock(QStringLiteral("(\\d+):(\\d+):(\\d+(?:\\.\\d+)?)\\s*$"));
            const auto c = clock.match(fields.value(timeColumn));
            if (c.hasMatch()) {
                const double s = c.captured(1).toDouble() * 3600 + c.captured(2).toDouble() * 60 + c.captured(3).toDouble();
                if (firstTime < 0)
                    firstTime = s;
                seconds = s - firstTime;
            }
        }
        t.seconds.push_back(seconds);
    }
    if (t.bytes.empty())
        throw TraceError("the nvidia-smi log has a header but no samples");
    return t;
}

// onnxruntime's profile: a Chrome trace whose "Node" events carry each node's sizes in args.
MemoryTrace parseOnnxRuntime(const QJsonArray& events)
{
    MemoryTrace t;
    t.format = MemoryTrace::Format::OnnxRuntime;
    t.source = "onnxruntime profiling";
    for (const QJsonValue& v : events) {
        const QJsonObject e = v.toObject();
        const QString name = e.value(QLatin1String("name")).toString();
        if (e.value(QLatin1String("cat")).toString() != QLatin1String("Node") || !name.endsWith(QLatin1String("_kernel_time")))
            continue;
        const QJsonObject args = e.value(QLatin1String("args")).toObject();
        MemoryTrace::NodeSize n;
        n.node = name.chopped(int(sizeof("_kernel_time") - 1)).toStdString();
        n.op = args.value(QLatin1String("op_name")).toString().toStdString();
        const QJsonValue size = args.value(QLatin1String("output_size"));
        n.outputBytes = size.isString() ? size.toString().toLongLong() : size.toInteger();
        t.nodes.push_back(std::move(n));
    }
    if (t.nodes.empty())
        throw TraceError("the onnxruntime profile has no node events (was it run with profiling enabled?)");
    return t;
}

MemoryTrace parseFootprint(const QJsonObject& root)
{
    MemoryTrace t;
    t.format = MemoryTrace::Format::Footprint;
    t.source = root.value(QLatin1String("source")).toString().toStdString();
    for (const QJsonValue& v : root.value(QLatin1String("samples")).toArray()) {
        const QJsonArray sample = v.toArray();
        if (sample.size() != 2)
            throw TraceError("a Footprint trace sample must be [seconds, bytes]");
        t.seconds.push_back(sample[0].toDouble());
        t.bytes.push_back(sample[1].toInteger());
    }
    if (t.bytes.empty())
        throw TraceError("the Footprint trace has no samples");
    return t;
}

} // namespace

MemoryTrace parseMemoryTrace(const std::string& text, double sampleInterval)
{
    const QString s = QString::fromStdString(text).trimmed();
    MemoryTrace t;
    if (s.startsWith(u'[') || s.startsWith(u'{')) {
        QJsonParseError error {};
        const QJsonDocument doc = QJsonDocument::fromJson(s.toUtf8(), &error);
        if (doc.isNull())
            throw TraceError("the trace is not valid JSON: " + error.errorString().toStdString());
        if (doc.isArray())
            t = parseOnnxRuntime(doc.array());
        else if (doc.object().value(QLatin1String("format")).toString() == QLatin1String("footprint-memory-trace"))
            t = parseFootprint(doc.object());
        else if (doc.object().contains(QLatin1String("traceEvents")))
            t = parseOnnxRuntime(doc.object().value(QLatin1String("traceEvents")).toArray());
        else
            throw TraceError("a JSON trace must be an onnxruntime profile or a footprint-memory-trace");
    } else if (s.section(u'\n', 0, 0).contains(QLatin1String("memory.used"))) {
        t = parseNvidiaSmi(s, sampleInterval);
    } else {
        throw TraceError("unknown trace format: expected an nvidia-smi CSV log (memory.used), an onnxruntime "
                         "profile or a footprint-memory-trace JSON");
    }
    finish(t);
    return t;
}

MemoryTrace readMemoryTrace(const std::string& path, double sampleInterval)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw TraceError("cannot open '" + path + "': " + f.errorString().toStdString());
    if (f.size() > kMaxTraceBytes)
        throw TraceError("'" + path + "' is larger than 512 MiB; refusing to read it as a trace");
    return parseMemoryTrace(f.readAll().toStdString(), sampleInterval);
}

} // namespace fp

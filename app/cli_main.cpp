// footprint-cli: the analysis without a window, for scripts and CI.

#include "analysis_options.h"
#include "onnx_reader.h"
#include "report.h"
#include "traces.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QSaveFile>
#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

namespace {

int fail(const QString& message, int code = 1)
{
    std::fprintf(stderr, "footprint-cli: %s\n", qPrintable(message));
    return code;
}

int analyzeCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Analyse an ONNX model's parameters, MACs and memory."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("The .onnx file."));
    fp::addAnalysisOptions(parser);
    parser.addOption({ "format", "Output: table (default), json or csv.", "F", "table" });
    parser.addOption({ "timeline", "Also print the memory at every step (table), or add timeline[] (json)." });
    if (!parser.parse(arguments))
        return fail(parser.errorText(), 2);
    if (parser.isSet("help")) {
        std::cout << qPrintable(parser.helpText());
        return 0;
    }
    if (parser.positionalArguments().size() != 1)
        return fail(QStringLiteral("analyze takes exactly one MODEL (see footprint-cli analyze --help)"), 2);
    const QString format = parser.value("format");
    if (format != "table" && format != "json" && format != "csv")
        return fail(QStringLiteral("--format must be table, json or csv, not '%1'").arg(format), 2);
    fp::AnalysisConfig config;
    if (QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    fp::Budget budget;
    if (QString error = fp::readBudgetOptions(parser, budget); !error.isEmpty())
        return fail(error, 2);

    try {
        const fp::Model model = fp::readOnnxFile(parser.positionalArguments().front().toStdString());
        const fp::AnalysisResult result = fp::analyze(model, config);
        const bool timeline = parser.isSet("timeline");
        std::optional<fp::PerformanceEstimate> performance;
        if (budget.device) {
            fp::PerformanceConfig pc;
            pc.device = *budget.device;
            pc.efficiency = budget.efficiency;
            pc.energy.scale = budget.energyScale;
            performance = fp::estimatePerformance(result, config, pc);
        }
        const fp::PerformanceEstimate* perf = performance ? &*performance : nullptr;
        std::optional<fp::BatchFit> fit;
        if (budget.bytes)
            fit = fp::largestBatchThatFits(model, config, *budget.bytes);
        if (format == "json") {
            QJsonObject root = fp::toJson(model, config, result, timeline, perf);
            if (budget.bytes) {
                root.insert("budget_bytes", qint64(*budget.bytes));
                root.insert("fits", result.totals.peakBytes <= *budget.bytes);
                root.insert("max_batch", qint64(fit->maxBatch));
                if (budget.device)
                    root.insert("device", QString::fromStdString(budget.device->name));
            }
            std::cout << QJsonDocument(root).toJson().constData();
        } else if (format == "csv") {
            std::cout << (timeline ? fp::formatTimeline(model, result) : fp::formatCsv(model, result, perf));
        } else {
            std::cout << fp::formatTable(model, result, perf, &config.calibration);
            if (budget.bytes) {
                const int64_t peak = result.totals.peakBytes;
                std::cout << "Budget:                   " << fp::formatBytes(*budget.bytes)
                          << (budget.device ? " (" + budget.device->name + ")" : std::string()) << ": "
                          << (peak <= *budget.bytes ? "fits, " + fp::formatBytes(*budget.bytes - peak) + " to spare"
                                                    : "exceeds by " + fp::formatBytes(peak - *budget.bytes))
                          << '\n'
                          << "Largest batch that fits:  " << fit->maxBatch
                          << (fit->hitLimit ? " (the search limit)" : "") << " (peak "
                          << fp::formatBytes(fit->peakAtMax) << ")\n";
            }
            if (timeline)
                std::cout << '\n' << fp::formatTimeline(model, result);
        }
    } catch (const fp::ModelError& e) {
        return fail(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        return fail(QStringLiteral("internal error: %1").arg(QString::fromStdString(e.what())));
    }
    return 0;
}

// Writes `text` to `path` (or stdout for "-"), refusing to replace a file unless forced.
int writeOutput(const QString& path, const std::string& text, bool force)
{
    if (path.isEmpty() || path == QLatin1String("-")) {
        std::cout << text;
        return 0;
    }
    if (QFileInfo::exists(path) && !force)
        return fail(QStringLiteral("'%1' exists; pass --force to replace it").arg(path));
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text.data(), qint64(text.size())) != qint64(text.size()) || !f.commit())
        return fail(QStringLiteral("cannot write '%1': %2").arg(path, f.errorString()));
    return 0;
}

QStringList splitList(const QString& text)
{
    QStringList items = text.split(u',', Qt::SkipEmptyParts);
    for (QString& item : items)
        item = item.trimmed();
    return items;
}

// One row per configuration: peak memory, parameters, MACs, and whether a budget is exceeded.
int sweepCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Analyse a model over lists of batch sizes and precisions; write "
                                                    "CSV."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("The .onnx file."));
    fp::addAnalysisOptions(parser);
    parser.addOption({ "batches", "Comma-separated batch sizes (default 1,2,4,...,1024).", "LIST",
                       "1,2,4,8,16,32,64,128,256,512,1024" });
    parser.addOption({ "precisions", "Comma-separated precisions (default: the --precision or the model's).", "LIST" });
    parser.addOption({ { "o", "output" }, "Write the CSV here instead of to standard output.", "FILE" });
    parser.addOption({ "force", "Replace an existing output file." });
    if (!parser.parse(arguments))
        return fail(parser.errorText(), 2);
    if (parser.isSet("help")) {
        std::cout << qPrintable(parser.helpText());
        return 0;
    }
    if (parser.positionalArguments().size() != 1)
        return fail(QStringLiteral("sweep takes exactly one MODEL (see footprint-cli sweep --help)"), 2);
    fp::AnalysisConfig config;
    if (QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    fp::Budget budget;
    if (QString error = fp::readBudgetOptions(parser, budget); !error.isEmpty())
        return fail(error, 2);
    std::vector<int64_t> batches;
    for (const QString& b : splitList(parser.value("batches"))) {
        bool ok = false;
        const qint64 v = b.toLongLong(&ok);
        if (!ok || v <= 0 || v > (qint64(1) << 40))
            return fail(QStringLiteral("--batches needs positive whole numbers, not '%1'").arg(b), 2);
        batches.push_back(v);
    }
    std::vector<fp::Precision> precisions { config.precision };
    if (parser.isSet("precisions")) {
        precisions.clear();
        for (const QString& p : splitList(parser.value("precisions"))) {
            const auto precision = fp::parsePrecision(p.toLower().toStdString());
            if (!precision)
                return fail(QStringLiteral("--precisions takes model, fp32, fp16, bf16, int8; not '%1'").arg(p), 2);
            precisions.push_back(*precision);
        }
    }
    if (batches.empty() || precisions.empty())
        return fail(QStringLiteral("nothing to sweep"), 2);
    std::ostringstream csv;
    csv << "batch,precision,mode,params,param_bytes,macs,flops,peak_bytes,peak_step,budget_bytes,exceeds\n";
    try {
        const fp::Model model = fp::readOnnxFile(parser.positionalArguments().front().toStdString());
        for (fp::Precision precision : precisions) {
            for (int64_t batch : batches) {
                config.precision = precision;
                config.shapes.batch = batch;
                const fp::AnalysisResult r = fp::analyze(model, config);
                const fp::Totals& t = r.totals;
                csv << batch << ',' << fp::precisionName(precision) << ',' << fp::modeName(config.training.mode) << ','
                    << t.params << ',' << t.paramBytes << ',' << t.macs << ',' << t.flops << ',' << t.peakBytes << ','
                    << t.peakStep << ',' << (budget.bytes ? std::to_string(*budget.bytes) : std::string()) << ','
                    << (budget.bytes ? (t.peakBytes > *budget.bytes ? "yes" : "no") : "") << '\n';
            }
        }
    } catch (const fp::ModelError& e) {
        return fail(QString::fromStdString(e.what()));
    }
    return writeOutput(parser.value("output"), csv.str(), parser.isSet("force"));
}

// Sets an estimate beside a measured trace: the peaks (and, for onnxruntime, each node's output).
int compareCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Compare the estimate for a model with a measured memory trace: an "
                                                    "nvidia-smi CSV log, an onnxruntime profile, or a trace written by "
                                                    "resources/scripts/torch_memory_trace.py."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("The .onnx file."));
    parser.addPositionalArgument(QStringLiteral("TRACE"), QStringLiteral("The measured trace."));
    fp::addAnalysisOptions(parser);
    parser.addOption({ "format", "Output: table (default) or json.", "F", "table" });
    parser.addOption({ "sample-interval", "Seconds between nvidia-smi samples without timestamps (0.01).", "S", "0.01" });
    if (!parser.parse(arguments))
        return fail(parser.errorText(), 2);
    if (parser.isSet("help")) {
        std::cout << qPrintable(parser.helpText());
        return 0;
    }
    if (parser.positionalArguments().size() != 2)
        return fail(QStringLiteral("compare takes MODEL and TRACE (see footprint-cli compare --help)"), 2);
    fp::AnalysisConfig config;
    if (QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    bool ok = false;
    const double interval = parser.value("sample-interval").toDouble(&ok);
    if (!ok || !(interval > 0))
        return fail(QStringLiteral("--sample-interval needs a positive number of seconds"), 2);
    try {
        const fp::Model model = fp::readOnnxFile(parser.positionalArguments()[0].toStdString());
        const fp::MemoryTrace trace = fp::readMemoryTrace(parser.positionalArguments()[1].toStdString(), interval);
        const fp::AnalysisResult result = fp::analyze(model, config);
        QJsonObject root { { "trace",
                             QJsonObject { { "format", fp::traceFormatName(trace.format) },
                                           { "source", QString::fromStdString(trace.source) },
                                           { "samples", qint64(trace.bytes.size()) } } },
                           { "mode", fp::modeName(config.training.mode) },
                           { "estimated_peak_bytes", qint64(result.totals.peakBytes) } };
        std::ostringstream out;
        out << "Trace:            " << fp::traceFormatName(trace.format) << " (" << trace.source << ")\n";
        if (!trace.bytes.empty()) {
            const fp::PeakComparison peak = fp::comparePeaks(result.totals.peakBytes, trace);
            root.insert("measured_peak_bytes", qint64(trace.peakBytes));
            root.insert("measured_baseline_bytes", qint64(trace.baselineBytes));
            root.insert("difference_bytes", qint64(peak.differenceBytes));
            root.insert("difference_percent", peak.differencePercent);
            out << "Samples:          " << trace.bytes.size() << ", first " << fp::formatBytes(trace.baselineBytes)
                << '\n'
                << "Measured peak:    " << fp::formatBytes(trace.peakBytes) << '\n'
                << "Estimated peak:   " << fp::formatBytes(result.totals.peakBytes) << " ("
                << fp::modeName(config.training.mode) << ")\n"
                << "Difference:       " << fp::formatDifference(peak) << '\n';
            if (trace.format == fp::MemoryTrace::Format::NvidiaSmi)
                out << "(nvidia-smi counts the CUDA context and the caching allocator's reserve too; a calibration "
                       "file accounts for them)\n";
        }
        if (!trace.nodes.empty()) {
            QJsonArray nodes;
            int matched = 0;
            int64_t worst = 0;
            out << '\n';
            char line[256];
            std::snprintf(line, sizeof line, "%-40s %-16s %14s %14s %14s\n", "node", "op", "measured", "estimated",
                          "difference");
            out << line;
            for (const fp::MemoryTrace::NodeSize& n : trace.nodes) {
                QJsonObject o { { "node", QString::fromStdString(n.node) },
                                { "op", QString::fromStdString(n.op) },
                                { "measured_output_bytes", qint64(n.outputBytes) } };
                int64_t estimated = -1;
                for (const fp::LayerResult& l : result.layers) {
                    if (model.graph.nodes[size_t(l.node)].name == n.node) {
                        estimated = l.outputBytes;
                        break;
                    }
                }
                if (estimated >= 0) {
                    ++matched;
                    worst = std::max(worst, std::abs(estimated - n.outputBytes));
                    o.insert("estimated_output_bytes", qint64(estimated));
                }
                nodes.append(o);
                std::snprintf(line, sizeof line, "%-40.40s %-16.16s %14lld %14s %14s\n", n.node.c_str(), n.op.c_str(),
                              (long long)n.outputBytes,
                              estimated >= 0 ? std::to_string(estimated).c_str() : "(no such node)",
                              estimated >= 0 ? std::to_string(estimated - n.outputBytes).c_str() : "");
                out << line;
            }
            root.insert("nodes", nodes);
            root.insert("nodes_matched", matched);
            root.insert("largest_node_difference_bytes", qint64(worst));
            out << "Matched " << matched << " of " << trace.nodes.size() << " nodes; largest difference "
                << fp::formatBytes(worst) << '\n';
        }
        if (parser.value("format") == "json")
            std::cout << QJsonDocument(root).toJson().constData();
        else
            std::cout << out.str();
    } catch (const fp::ModelError& e) {
        return fail(QString::fromStdString(e.what()));
    } catch (const fp::TraceError& e) {
        return fail(QString::fromStdString(e.what()));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("footprint-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FOOTPRINT_VERSION));
    const QStringList args = QCoreApplication::arguments();
    const QString usage = QStringLiteral("usage: footprint-cli analyze MODEL [options] | compare MODEL TRACE [options] | "
                                         "sweep MODEL [options]   (footprint-cli COMMAND --help)");
    if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
        std::cout << qPrintable(usage) << '\n';
        return args.size() < 2 ? 2 : 0;
    }
    if (args[1] == "--version") {
        std::cout << "footprint-cli " << FOOTPRINT_VERSION << '\n';
        return 0;
    }
    QStringList rest = args;
    rest.removeAt(1);
    if (args[1] == "analyze")
        return analyzeCommand(rest);
    if (args[1] == "compare")
        return compareCommand(rest);
    if (args[1] == "sweep")
        return sweepCommand(rest);
    return fail(QStringLiteral("unknown command '%1'; %2").arg(args[1], usage), 2);
}

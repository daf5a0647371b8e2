// footprint-cli: the analysis without a window, for scripts and CI.

#include "analysis_options.h"
#include "diff.h"
#include "exporter.h"
#include "graphview.h"
#include "htmlreport.h"
#include "layerbarchart.h"
#include "model_reader.h"
#include "report.h"
#include "timelinechart.h"
#include "traces.h"

#include <QApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace {

int fail(const QString& message, int code = 1)
{
    std::fprintf(stderr, "footprint-cli: %s\n", qPrintable(message));
    return code;
}

// What every subcommand's parser starts with: its description, --help, MODEL and the analysis
// options (analysis_options.h), which the GUI takes too.
void addCommonOptions(QCommandLineParser& parser, const QString& description)
{
    parser.setApplicationDescription(description);
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"), QStringLiteral("The .onnx file."));
    fp::addAnalysisOptions(parser);
}

// Parses a subcommand's arguments. Returns the exit code when the command ends here (its help
// printed: 0; a bad option or the wrong number of arguments: 2), or nothing to go on with.
std::optional<int> parseCommand(QCommandLineParser& parser, const QStringList& arguments, const QString& name,
    int positionals, const QString& takes)
{
    if (!parser.parse(arguments))
        return fail(parser.errorText(), 2);
    if (parser.isSet("help")) {
        std::cout << qPrintable(parser.helpText());
        return 0;
    }
    if (parser.positionalArguments().size() != positionals)
        return fail(QStringLiteral("%1 takes %2 (see footprint-cli %1 --help)").arg(name, takes), 2);
    return std::nullopt;
}

int readSession(const QCommandLineParser& parser, fp::Session& session);

int analyzeCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    addCommonOptions(parser, QStringLiteral("Analyse an ONNX model's parameters, MACs and memory."));
    parser.addOption({ "format", "Output: table (default), json or csv.", "F", "table" });
    parser.addOption({ "timeline", "Also print the memory at every step (table), or add timeline[] (json)." });
    parser.addOption({ "layers",
        "Table: the N layers that use the most memory (default 15), or 'all' for every layer in execution order.", "N",
        "15" });
    if (const std::optional<int> done
        = parseCommand(parser, arguments, QStringLiteral("analyze"), 1, QStringLiteral("exactly one MODEL")))
        return *done;
    const QString format = parser.value("format");
    if (format != "table" && format != "json" && format != "csv")
        return fail(QStringLiteral("--format must be table, json or csv, not '%1'").arg(format), 2);
    int layerRows = -1;
    if (parser.value("layers") != "all") {
        bool ok = false;
        layerRows = parser.value("layers").toInt(&ok);
        if (!ok || layerRows < 0)
            return fail(QStringLiteral("--layers must be a count or 'all', not '%1'").arg(parser.value("layers")), 2);
    }
    fp::Session session;
    if (const int code = readSession(parser, session); code != 0)
        return code;
    const bool timeline = parser.isSet("timeline");
    if (format == "json") {
        std::cout << QJsonDocument(session.toJson(timeline)).toJson().constData();
    } else if (format == "csv") {
        std::cout << (timeline ? fp::formatTimeline(*session.model, *session.result) : session.toCsv().toStdString());
    } else {
        std::cout << session.toTable(layerRows);
        if (timeline)
            std::cout << '\n' << fp::formatTimeline(*session.model, *session.result);
    }
    return 0;
}

// Writes `bytes` to `path` (or stdout for "-"), refusing to replace a file unless forced. Every
// command's output goes through here, and through the exports' saveFile(), which the window uses too.
int writeOutput(const QString& path, const QByteArray& bytes, bool force)
{
    if (path.isEmpty() || path == QLatin1String("-")) {
        std::cout.write(bytes.constData(), bytes.size());
        return 0;
    }
    if (QFileInfo::exists(path) && !force)
        return fail(QStringLiteral("'%1' exists; pass --force to replace it").arg(path));
    if (const QString error = fp::saveFile(path, bytes, /*replace=*/true); !error.isEmpty())
        return fail(error);
    return 0;
}

int writeOutput(const QString& path, const std::string& text, bool force)
{
    return writeOutput(path, QByteArray::fromStdString(text), force);
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
    addCommonOptions(parser,
        QStringLiteral("Analyse a model over lists of batch sizes and precisions; write "
                       "CSV."));
    parser.addOption({ "batches", "Comma-separated batch sizes (default 1,2,4,...,1024).", "LIST",
        "1,2,4,8,16,32,64,128,256,512,1024" });
    parser.addOption({ "precisions", "Comma-separated precisions (default: the --precision or the model's).", "LIST" });
    parser.addOption({ { "o", "output" }, "Write the CSV here instead of to standard output.", "FILE" });
    parser.addOption({ "chart",
        "Also draw peak memory against batch size, a line per precision, the budget marked: FILE.png, "
        "FILE.svg or FILE.pdf.",
        "FILE" });
    parser.addOption({ "force", "Replace existing output files." });
    if (const std::optional<int> done
        = parseCommand(parser, arguments, QStringLiteral("sweep"), 1, QStringLiteral("exactly one MODEL")))
        return *done;
    const QString chart = parser.value("chart");
    if (!chart.isEmpty() && !fp::pictureFormatForPath(chart))
        return fail(QStringLiteral("--chart needs a file ending in .png, .svg or .pdf"), 2);
    if (!chart.isEmpty() && QFileInfo::exists(chart) && !parser.isSet("force"))
        return fail(QStringLiteral("'%1' exists; pass --force to replace it").arg(chart));
    fp::AnalysisConfig config;
    if (QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    fp::BudgetChoice budget;
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
    std::vector<fp::SweepPoint> points;
    try {
        const auto model =
            std::make_shared<const fp::Model>(fp::readModel(fp::encodeFileName(parser.positionalArguments().front())));
        for (fp::Precision precision : precisions) {
            for (int64_t batch : batches) {
                config.precision = precision;
                config.shapes.batch = batch;
                // A row is a peak against the budget: no largest-batch search per row.
                const fp::Session point = fp::makeSession(model, config, budget, {}, fp::FitSearch::Later);
                const fp::Totals& t = point.result->totals;
                points.push_back({ batch, precision, t.peakBytes });
                csv << batch << ',' << fp::precisionName(precision) << ',' << fp::modeName(config.training.mode) << ','
                    << t.params << ',' << t.paramBytes << ',' << t.macs << ',' << t.flops << ',' << t.peakBytes << ','
                    << t.peakStep << ',' << (budget.bytes ? std::to_string(*budget.bytes) : std::string()) << ','
                    << (budget.bytes ? (t.peakBytes > *budget.bytes ? "yes" : "no") : "") << '\n';
            }
        }
    } catch (const fp::ModelError& e) {
        return fail(QString::fromStdString(e.what()));
    }
    if (const int code = writeOutput(parser.value("output"), csv.str(), parser.isSet("force")); code != 0)
        return code;
    if (chart.isEmpty())
        return 0;
    QString subtitle = QString::fromLatin1(fp::modeName(config.training.mode));
    if (config.training.mode == fp::Mode::Training)
        subtitle += QStringLiteral(", ") + QString::fromLatin1(fp::optimizerName(config.training.optimizer));
    const QString budgetName = QString::fromStdString(budget.name);
    const fp::Picture picture
        = fp::sweepPicture(QFileInfo(parser.positionalArguments().front()).fileName(), subtitle, points,
            budget.bytes.value_or(0), budgetName);
    QString error;
    const QByteArray bytes = fp::encodePicture(picture, *fp::pictureFormatForPath(chart), 2.0, &error);
    if (bytes.isEmpty())
        return fail(QStringLiteral("cannot draw the sweep chart: %1").arg(error));
    return writeOutput(chart, bytes, parser.isSet("force"));
}

// Sets an estimate beside a measured trace: the peaks (and, for onnxruntime, each node's output).
int compareCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    addCommonOptions(parser,
        QStringLiteral("Compare the estimate for a model with a measured memory trace: an "
                       "nvidia-smi CSV log, an onnxruntime profile, or a trace written by "
                       "resources/scripts/torch_memory_trace.py."));
    parser.addPositionalArgument(QStringLiteral("TRACE"), QStringLiteral("The measured trace."));
    parser.addOption({ "format", "Output: table (default) or json.", "F", "table" });
    parser.addOption(
        { "sample-interval", "Seconds between nvidia-smi samples without timestamps (0.01).", "S", "0.01" });
    if (const std::optional<int> done
        = parseCommand(parser, arguments, QStringLiteral("compare"), 2, QStringLiteral("MODEL and TRACE")))
        return *done;
    bool ok = false;
    const double interval = parser.value("sample-interval").toDouble(&ok);
    if (!ok || !(interval > 0))
        return fail(QStringLiteral("--sample-interval needs a positive number of seconds"), 2);
    fp::Session session;
    if (const int code = readSession(parser, session); code != 0)
        return code;
    const fp::Model& model = *session.model;
    const fp::AnalysisResult& result = *session.result;
    const fp::AnalysisConfig& config = session.config;
    try {
        const fp::MemoryTrace trace =
            fp::readMemoryTrace(fp::encodeFileName(parser.positionalArguments()[1]), interval);
        QJsonObject root {
            { "trace",
                QJsonObject { { "format", fp::traceFormatName(trace.format) },
                    { "source", QString::fromStdString(trace.source) }, { "samples", qint64(trace.bytes.size()) } } },
            { "mode", fp::modeName(config.training.mode) }, { "estimated_peak_bytes", qint64(result.totals.peakBytes) }
        };
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
            std::snprintf(
                line, sizeof line, "%-40s %-16s %14s %14s %14s\n", "node", "op", "measured", "estimated", "difference");
            out << line;
            for (const fp::MemoryTrace::NodeSize& n : trace.nodes) {
                QJsonObject o { { "node", QString::fromStdString(n.node) }, { "op", QString::fromStdString(n.op) },
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
                    (long long)n.outputBytes, estimated >= 0 ? std::to_string(estimated).c_str() : "(no such node)",
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

// Reads MODEL and the analysis and budget options, and makes the session (makeSession: the
// analysis, the performance and the largest batch that fits). Returns an exit status (0 on
// success; the message is printed).
int readSessionOf(const QCommandLineParser& parser, const QString& path, fp::Session& session)
{
    fp::AnalysisConfig config;
    if (QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    fp::BudgetChoice budget;
    if (QString error = fp::readBudgetOptions(parser, budget); !error.isEmpty())
        return fail(error, 2);
    try {
        auto model = std::make_shared<const fp::Model>(fp::readModel(fp::encodeFileName(path)));
        session = fp::makeSession(std::move(model), config, budget, QFileInfo(path).fileName());
    } catch (const fp::ModelError& e) {
        return fail(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        return fail(QStringLiteral("internal error: %1").arg(QString::fromStdString(e.what())));
    }
    return 0;
}

int readSession(const QCommandLineParser& parser, fp::Session& session)
{
    return readSessionOf(parser, parser.positionalArguments().front(), session);
}

QJsonObject sideJson(const fp::LayerSide& s)
{
    if (!s.present)
        return {};
    return { { "op", QString::fromStdString(s.op) },   { "step", s.step },
             { "memory_bytes", qint64(s.memoryBytes) }, { "weight_bytes", qint64(s.weightBytes) },
             { "output_bytes", qint64(s.outputBytes) }, { "params", qint64(s.params) },
             { "macs", qint64(s.macs) } };
}

// footprint-cli diff A B: two models, or (B the same file with --b-NAME options) two
// configurations of one, side by side: totals and a per-layer diff by name.
int diffCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Compare two models, or two configurations of one model: the totals side by side and a per-layer diff "
        "matched by name (added, removed, changed), largest change in memory first. Analysis options apply to "
        "both; --b-NAME (e.g. --b-batch 8, --b-precision fp16, --b-dim sequence=1024, --b-mode training) "
        "replaces --NAME for B."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("A"), QStringLiteral("The first .onnx file."));
    parser.addPositionalArgument(QStringLiteral("B"), QStringLiteral("The second (the same file to compare configurations)."));
    const QList<QCommandLineOption> options = fp::analysisOptions();
    parser.addOptions(options);
    for (const QCommandLineOption& o : options)
        parser.addOption(QCommandLineOption(QStringLiteral("b-") + o.names().front(),
                                            QStringLiteral("For B only: ") + o.description(), o.valueName()));
    parser.addOption({ "format", "Output: table (default) or json.", "F", "table" });
    parser.addOption({ "layers", "Table: the N layers that change most (default 20), or 'all'.", "N", "20" });
    if (const std::optional<int> done = parseCommand(parser, arguments, QStringLiteral("diff"), 2,
                                                     QStringLiteral("two models, A and B")))
        return *done;
    const QString format = parser.value("format");
    if (format != "table" && format != "json")
        return fail(QStringLiteral("--format must be table or json, not '%1'").arg(format), 2);
    int rows = -1;
    if (parser.value("layers") != "all") {
        bool ok = false;
        rows = parser.value("layers").toInt(&ok);
        if (!ok || rows < 0)
            return fail(QStringLiteral("--layers must be a count or 'all', not '%1'").arg(parser.value("layers")), 2);
    }
    // Each side's own arguments: A's as given; B's the same, each --b-NAME replacing every --NAME.
    QStringList forA { QStringLiteral("diff") }, forB { QStringLiteral("diff") };
    for (const QCommandLineOption& o : options) {
        const QString name = o.names().front();
        const auto add = [&](QStringList& list, const QString& from) {
            if (!parser.isSet(from))
                return;
            if (o.valueName().isEmpty())
                list << QStringLiteral("--") + name;
            else
                for (const QString& value : parser.values(from))
                    list << QStringLiteral("--") + name << value;
        };
        add(forA, name);
        add(forB, parser.isSet(QStringLiteral("b-") + name) ? QStringLiteral("b-") + name : name);
    }
    fp::Session sides[2];
    const QStringList files = parser.positionalArguments();
    for (int i = 0; i < 2; ++i) {
        QCommandLineParser side;
        fp::addAnalysisOptions(side);
        if (!side.parse(i == 0 ? forA : forB))
            return fail(side.errorText(), 2);
        if (const int code = readSessionOf(side, files[i], sides[i]); code != 0)
            return code;
    }
    const fp::Session &a = sides[0], &b = sides[1];
    const std::vector<fp::LayerDiff> layers = fp::diffLayers(*a.model, *a.result, *b.model, *b.result);
    int counts[4] = { 0, 0, 0, 0 };
    for (const fp::LayerDiff& d : layers)
        ++counts[int(d.status)];
    if (format == "json") {
        QJsonObject root;
        for (int i = 0; i < 2; ++i) {
            QJsonObject side = sides[i].toJson();
            side.remove(QStringLiteral("layers")); // the diff's layers[] has both sides
            root.insert(i == 0 ? QStringLiteral("a") : QStringLiteral("b"), side);
        }
        QJsonArray list;
        for (const fp::LayerDiff& d : layers)
            list.append(QJsonObject { { "name", QString::fromStdString(d.name) },
                                      { "status", fp::layerDiffStatusName(d.status) },
                                      { "a", d.a.present ? QJsonValue(sideJson(d.a)) : QJsonValue() },
                                      { "b", d.b.present ? QJsonValue(sideJson(d.b)) : QJsonValue() },
                                      { "memory_change_bytes", qint64(d.memoryChange()) } });
        root.insert(QStringLiteral("layers"), list);
        root.insert(QStringLiteral("counts"), QJsonObject { { "same", counts[0] }, { "changed", counts[1] },
                                                            { "added", counts[2] }, { "removed", counts[3] } });
        std::cout << QJsonDocument(root).toJson().constData();
        return 0;
    }
    const fp::Totals &ta = a.result->totals, &tb = b.result->totals;
    std::ostringstream out;
    char line[512];
    const auto row = [&](const char* what, const std::string& x, const std::string& y, const std::string& change) {
        std::snprintf(line, sizeof line, "%-22s %-26s %-26s %s\n", what, x.c_str(), y.c_str(), change.c_str());
        out << line;
    };
    row("", "A: " + a.name.toStdString(), "B: " + b.name.toStdString(), "B - A");
    out << "A: " << a.configurationText().toStdString() << "\nB: " << b.configurationText().toStdString() << '\n';
    const auto peak = [](const fp::Session& s) {
        return (s.result->unknownShapes.empty() ? "" : ">= ") + fp::formatBytes(s.result->totals.peakBytes);
    };
    row("Parameters", fp::formatCount(ta.params), fp::formatCount(tb.params), fp::formatCountChange(tb.params - ta.params));
    row("MACs", fp::formatCount(ta.macs), fp::formatCount(tb.macs), fp::formatCountChange(tb.macs - ta.macs));
    row("Weights (stored)", fp::formatBytes(ta.paramBytes), fp::formatBytes(tb.paramBytes),
        fp::formatBytesChange(tb.paramBytes - ta.paramBytes));
    row("Peak memory", peak(a), peak(b), fp::formatBytesChange(tb.peakBytes - ta.peakBytes));
    row("Peak less weights", fp::formatBytes(ta.peakActivationBytes), fp::formatBytes(tb.peakActivationBytes),
        fp::formatBytesChange(tb.peakActivationBytes - ta.peakActivationBytes));
    out << "\nLayers: " << a.result->layers.size() << " in A, " << b.result->layers.size() << " in B: " << counts[1]
        << " changed, " << counts[2] << " added, " << counts[3] << " removed, " << counts[0] << " the same\n";
    std::snprintf(line, sizeof line, "  %-8s %13s %13s %13s  %s\n", "status", "A", "B", "change", "layer");
    out << line;
    int shown = 0;
    for (const fp::LayerDiff& d : layers) {
        if (d.status == fp::LayerDiff::Status::Same || (rows >= 0 && shown >= rows))
            continue;
        ++shown;
        std::snprintf(line, sizeof line, "  %-8s %13s %13s %13s  %s\n", fp::layerDiffStatusName(d.status),
                      d.a.present ? fp::formatBytes(d.a.memoryBytes).c_str() : "-",
                      d.b.present ? fp::formatBytes(d.b.memoryBytes).c_str() : "-", fp::formatBytesChange(d.memoryChange()).c_str(),
                      d.name.c_str());
        out << line;
    }
    if (shown < counts[1] + counts[2] + counts[3])
        out << "  ... " << counts[1] + counts[2] + counts[3] - shown << " more (--layers all)\n";
    std::cout << out.str();
    return 0;
}

// "1200x700" -> a size of at least 200 x 150 logical pixels.
std::optional<QSize> parseSize(const QString& text)
{
    const QStringList parts = text.toLower().split(u'x');
    bool okW = false;
    bool okH = false;
    const int w = parts.size() == 2 ? parts[0].toInt(&okW) : 0;
    const int h = parts.size() == 2 ? parts[1].toInt(&okH) : 0;
    if (!okW || !okH || w < 200 || h < 150 || w > 8000 || h > 8000)
        return std::nullopt;
    return QSize(w, h);
}

// The value `name` stands for in a table of option words; nothing for an unknown word.
template <typename T, size_t N>
std::optional<T> lookup(const std::pair<const char*, T> (&names)[N], const QString& name)
{
    for (const auto& [text, value] : names) {
        if (name == QLatin1String(text))
            return value;
    }
    return std::nullopt;
}

std::optional<fp::LayerMetric> parseBarMetric(const QString& name)
{
    static const std::pair<const char*, fp::LayerMetric> names[] = {
        { "memory", fp::LayerMetric::Memory },
        { "activations", fp::LayerMetric::ActivationBytes },
        { "weights", fp::LayerMetric::WeightBytes },
        { "saved", fp::LayerMetric::SavedBytes },
        { "macs", fp::LayerMetric::Macs },
        { "traffic", fp::LayerMetric::ReadWriteBytes },
    };
    return lookup(names, name);
}

std::optional<fp::GraphMetric> parseGraphMetric(const QString& name)
{
    static const std::pair<const char*, fp::GraphMetric> names[] = {
        { "activations", fp::GraphMetric::ActivationBytes },
        { "weights", fp::GraphMetric::WeightBytes },
        { "macs", fp::GraphMetric::Macs },
        { "traffic", fp::GraphMetric::ReadWriteBytes },
        { "peak-share", fp::GraphMetric::PeakShare },
        { "lifetime", fp::GraphMetric::Lifetime },
    };
    return lookup(names, name);
}

// One view as a picture file, drawn as the window draws it (offscreen when there is no display).
int chartCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    addCommonOptions(parser,
        QStringLiteral("Draw one of the window's views of a model to a PNG, SVG or PDF "
                       "file, without a display."));
    parser.addOption({ "kind",
        "The view: bars (the top layers), timeline (memory over the steps), roofline (needs "
        "--device) or graph.",
        "KIND" });
    parser.addOption({ { "o", "output" }, "The picture: FILE.png, FILE.svg or FILE.pdf.", "FILE" });
    parser.addOption({ "force", "Replace an existing output file." });
    parser.addOption(
        { "scale", "PNG pixels per logical pixel (default 2: crisp in print and on high-DPI screens).", "S", "2" });
    parser.addOption({ "size", "The chart's logical size (default 1200x700; the graph takes its layout's size).", "WxH",
        "1200x700" });
    parser.addOption({ "metric",
        "bars: memory (default), activations, weights, saved, macs, traffic; graph: activations "
        "(default), weights, macs, traffic, peak-share, lifetime.",
        "NAME" });
    parser.addOption({ "top", "bars: how many layers get a bar of their own (default 20).", "N", "20" });
    parser.addOption({ "overview", "graph: every group collapsed to its top levels (a large model opens so anyway)." });
    parser.addOption({ "trace",
        "timeline: overlay a measured memory trace (nvidia-smi CSV, onnxruntime profile, "
        "footprint-memory-trace JSON), as footprint-cli compare reads it.",
        "FILE" });
    if (const std::optional<int> done
        = parseCommand(parser, arguments, QStringLiteral("chart"), 1, QStringLiteral("exactly one MODEL")))
        return *done;
    const QString kind = parser.value("kind");
    if (kind != "bars" && kind != "timeline" && kind != "roofline" && kind != "graph")
        return fail(QStringLiteral("--kind must be bars, timeline, roofline or graph"), 2);
    if (parser.isSet("trace") && kind != "timeline")
        return fail(QStringLiteral("--trace applies to --kind timeline only"), 2);
    const QString output = parser.value("output");
    const std::optional<fp::PictureFormat> format = fp::pictureFormatForPath(output);
    if (!format)
        return fail(QStringLiteral("-o needs a file ending in .png, .svg or .pdf"), 2);
    bool ok = false;
    const double scale = parser.value("scale").toDouble(&ok);
    if (!ok || !(scale > 0) || scale > 16)
        return fail(QStringLiteral("--scale needs a number above 0, at most 16"), 2);
    const std::optional<QSize> size = parseSize(parser.value("size"));
    if (!size)
        return fail(QStringLiteral("--size needs WxH, from 200x150 to 8000x8000"), 2);
    const int top = parser.value("top").toInt(&ok);
    if (!ok || top < 1 || top > 100)
        return fail(QStringLiteral("--top needs a whole number from 1 to 100"), 2);
    std::optional<fp::LayerMetric> barMetric = fp::LayerMetric::Memory;
    std::optional<fp::GraphMetric> graphMetric = fp::GraphMetric::ActivationBytes;
    if (parser.isSet("metric")) {
        barMetric = parseBarMetric(parser.value("metric"));
        graphMetric = parseGraphMetric(parser.value("metric"));
        if ((kind == "bars" && !barMetric) || (kind == "graph" && !graphMetric) || kind == "timeline"
            || kind == "roofline")
            return fail(QStringLiteral("--metric '%1' does not apply to --kind %2 (see footprint-cli chart --help)")
                            .arg(parser.value("metric"), kind),
                2);
    }
    // Refused before the analysis and the layout, which can take a while on a large model.
    if (QFileInfo::exists(output) && !parser.isSet("force"))
        return fail(QStringLiteral("'%1' exists; pass --force to replace it").arg(output));

    fp::Session source;
    if (const int code = readSession(parser, source); code != 0)
        return code;
    fp::Picture picture;
    fp::GraphView graph; // outlives the picture, which draws its scene
    if (kind == "bars") {
        fp::LayerBarChart like;
        like.setMetric(*barMetric);
        like.setBarCount(top);
        picture = fp::barChartPicture(source, *size, &like);
    } else if (kind == "timeline") {
        fp::TimelineChart like;
        if (parser.isSet("trace")) {
            try {
                const std::string path = fp::encodeFileName(parser.value("trace"));
                like.setAnalysis(source.model, source.result);
                like.setTrace(
                    std::make_shared<const fp::MemoryTrace>(fp::readMemoryTrace(path)), parser.value("trace"));
            } catch (const std::exception& e) {
                return fail(QString::fromStdString(e.what()));
            }
        }
        picture = fp::timelinePicture(source, *size, &like);
    } else if (kind == "roofline") {
        if (!source.budget.device)
            return fail(QStringLiteral("--kind roofline needs --device NAME: the roofs are the device's"), 2);
        picture = fp::rooflinePicture(source, *size);
    } else {
        graph.setMetric(*graphMetric);
        graph.setOptions(fp::AnalysisReport::graphOptions(parser.isSet("overview")));
        if (!fp::layOutGraph(graph, source))
            return fail(QStringLiteral("Graphviz could not lay out '%1'").arg(source.name));
        picture = fp::graphPicture(source, graph);
    }
    QString error;
    const QByteArray bytes = fp::encodePicture(picture, *format, scale, &error);
    if (bytes.isEmpty())
        return fail(QStringLiteral("cannot draw the %1 chart: %2").arg(kind, error));
    return writeOutput(output, bytes, parser.isSet("force"));
}

// The report of one analysis, as a self-contained HTML page or a PDF.
int reportCommand(const QStringList& arguments)
{
    QCommandLineParser parser;
    addCommonOptions(parser,
        QStringLiteral("Write a report of a model's analysis: model, configuration, "
                       "totals, the per-layer bars, the memory timeline, the graph and "
                       "the top layers. HTML (self-contained) or PDF, by the suffix."));
    parser.addOption({ { "o", "output" }, "The report: FILE.html or FILE.pdf.", "FILE" });
    parser.addOption({ "force", "Replace an existing output file." });
    parser.addOption({ "top", "How many layers the hotspot table lists (default 15).", "N", "15" });
    if (const std::optional<int> done
        = parseCommand(parser, arguments, QStringLiteral("report"), 1, QStringLiteral("exactly one MODEL")))
        return *done;
    const QString output = parser.value("output");
    const QString suffix = QFileInfo(output).suffix().toLower();
    if (suffix != "html" && suffix != "htm" && suffix != "pdf")
        return fail(QStringLiteral("-o needs a file ending in .html or .pdf"), 2);
    bool ok = false;
    const int top = parser.value("top").toInt(&ok);
    if (!ok || top < 1 || top > 1000)
        return fail(QStringLiteral("--top needs a whole number from 1 to 1000"), 2);
    if (QFileInfo::exists(output) && !parser.isSet("force"))
        return fail(QStringLiteral("'%1' exists; pass --force to replace it").arg(output));

    fp::Session source;
    if (const int code = readSession(parser, source); code != 0)
        return code;
    // The graph as a new window shows it; too tall for a page, its collapsed overview.
    fp::GraphView graph;
    graph.setOptions(fp::AnalysisReport::graphOptions(false));
    bool laidOut = fp::layOutGraph(graph, source);
    if (laidOut && !fp::AnalysisReport::fitsPage(fp::graphPicture(source, graph))) {
        graph.setOptions(fp::AnalysisReport::graphOptions(true));
        laidOut = fp::layOutGraph(graph, source);
    }
    if (!laidOut)
        std::fprintf(
            stderr, "footprint-cli: warning: Graphviz could not lay the graph out; the report goes without it\n");
    const fp::AnalysisReport report(source, laidOut ? &graph : nullptr, top);
    QString error;
    const QByteArray bytes = suffix == "pdf" ? report.toPdf(&error) : report.toHtml();
    if (bytes.isEmpty())
        return fail(QStringLiteral("cannot make the report: %1").arg(error));
    return writeOutput(output, bytes, parser.isSet("force"));
}

// Whether the command draws pictures, and so needs QApplication (fonts, widgets) rather than
// QCoreApplication. Decided before either exists: QApplication's constructor picks the platform.
bool drawsPictures(int argc, char** argv)
{
    if (argc < 2)
        return false;
    if (std::strcmp(argv[1], "chart") == 0 || std::strcmp(argv[1], "report") == 0)
        return true;
    if (std::strcmp(argv[1], "sweep") == 0) {
        for (int i = 2; i < argc; ++i) {
            if (std::strcmp(argv[i], "--chart") == 0 || std::strncmp(argv[i], "--chart=", 8) == 0)
                return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    // Charts and reports need a GUI application, but never a window: without a display they
    // are drawn on the offscreen platform (hotspot's createApplication() does the same).
    const bool pictures = drawsPictures(argc, argv);
    if (pictures && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")
        && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (pictures) {
        // The offscreen platform's notes on what it cannot do for windows never shown are noise
        // on a command line's stderr; everything else gets through.
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext& context, const QString& message) {
            if (type == QtWarningMsg
                && (message.contains(QLatin1String("propagateSizeHints"))
                    || message.contains(QLatin1String("XDG_RUNTIME_DIR"))))
                return;
            std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
        });
    }
    const std::unique_ptr<QCoreApplication> app
        = pictures ? std::make_unique<QApplication>(argc, argv) : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("footprint-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FOOTPRINT_VERSION));
    const QStringList args = QCoreApplication::arguments();
    const QString usage
        = QStringLiteral("usage: footprint-cli analyze MODEL [options] | compare MODEL TRACE [options] | "
                         "sweep MODEL [options] | chart MODEL --kind KIND -o FILE [options] | "
                         "report MODEL -o FILE [options] | diff A B [options]   (footprint-cli COMMAND --help)");
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
    if (args[1] == "diff")
        return diffCommand(rest);
    if (args[1] == "chart")
        return chartCommand(rest);
    if (args[1] == "report")
        return reportCommand(rest);
    return fail(QStringLiteral("unknown command '%1'; %2").arg(args[1], usage), 2);
}

// footprint-cli: the analysis without a window, for scripts and CI.

#include "analysis_options.h"
#include "onnx_reader.h"
#include "report.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <iostream>
#include <optional>

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
        std::optional<fp::BatchFit> fit;
        if (budget.bytes)
            fit = fp::largestBatchThatFits(model, config, *budget.bytes);
        if (format == "json") {
            QJsonObject root = fp::toJson(model, config, result, timeline);
            if (budget.bytes) {
                root.insert("budget_bytes", qint64(*budget.bytes));
                root.insert("fits", result.totals.peakBytes <= *budget.bytes);
                root.insert("max_batch", qint64(fit->maxBatch));
                if (budget.device)
                    root.insert("device", QString::fromStdString(budget.device->name));
            }
            std::cout << QJsonDocument(root).toJson().constData();
        } else if (format == "csv") {
            std::cout << (timeline ? fp::formatTimeline(model, result) : fp::formatCsv(model, result));
        } else {
            std::cout << fp::formatTable(model, result);
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

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("footprint-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FOOTPRINT_VERSION));
    const QStringList args = QCoreApplication::arguments();
    const QString usage = QStringLiteral("usage: footprint-cli analyze MODEL [options]   (footprint-cli analyze --help)");
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
    return fail(QStringLiteral("unknown command '%1'; %2").arg(args[1], usage), 2);
}

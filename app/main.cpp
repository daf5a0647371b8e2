// footprint: the window. With --screenshot it renders one model to a PNG and exits: that is how
// the README's pictures are made, and how CI checks that the window comes up at all.

#include "analysis_options.h"
#include "comparisonactions.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QPixmap>
#include <QRegularExpression>
#include <QTimer>

#include <cstdio>
#include <cstring>

namespace {

constexpr int kScreenshotWidth = 1400;
constexpr int kScreenshotHeight = 900;

int fail(const QString& message, int code = 1)
{
    std::fprintf(stderr, "footprint: %s\n", qPrintable(message));
    return code;
}

// Whether the run shows no window: a screenshot, or only help or version text. Decided
// before QApplication exists, because its constructor picks the platform plugin, and without
// a display the default one aborts before --help could be answered.
bool isHeadless(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (std::strcmp(arg, "--") == 0)
            break;
        for (const char* option : { "-h", "-?", "--help", "--help-all", "-v", "--version", "--screenshot" }) {
            if (std::strcmp(arg, option) == 0)
                return true;
        }
        if (std::strncmp(arg, "--screenshot=", 13) == 0)
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    // Scripts and CI get screenshots without a display or QT_QPA_PLATFORM (hotspot's
    // createApplication() does the same for its headless exports).
    if (isHeadless(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Footprint"));
    QCoreApplication::setApplicationName(QStringLiteral("Footprint"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FOOTPRINT_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("footprint")); // footprint.desktop: the launcher's icon
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/footprint.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Shows where an ONNX model's memory goes."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("MODEL"),
                                 QStringLiteral("The .onnx file to open (default: the bundled ResNet-18 sample)."),
                                 QStringLiteral("[MODEL]"));
    fp::addAnalysisOptions(parser);
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Open the model, save the window (%1x%2) to FILE.png and exit.")
            .arg(kScreenshotWidth)
            .arg(kScreenshotHeight),
        QStringLiteral("FILE.png"));
    parser.addOption(screenshotOption);
    const QCommandLineOption sizeOption(
        QStringLiteral("screenshot-size"),
        QStringLiteral("The window's size for --screenshot, e.g. 1024x700 (default %1x%2).")
            .arg(kScreenshotWidth)
            .arg(kScreenshotHeight),
        QStringLiteral("WxH"));
    parser.addOption(sizeOption);
    const QCommandLineOption viewOption(
        QStringLiteral("view"), QStringLiteral("The view to show first: layers (default), bars, graph or roofline."),
        QStringLiteral("NAME"));
    parser.addOption(viewOption);
    const QCommandLineOption selectOption(
        QStringLiteral("select"),
        QStringLiteral("Select the layer named NAME (or the first whose name contains it) once the model is open."),
        QStringLiteral("NAME"));
    parser.addOption(selectOption);
    const QCommandLineOption traceOption(
        QStringLiteral("trace"),
        QStringLiteral("Overlay a measured memory trace on the timeline (nvidia-smi CSV, onnxruntime profile, "
                       "footprint-memory-trace JSON), as File > Import Memory Trace does."),
        QStringLiteral("FILE"));
    parser.addOption(traceOption);
    const QCommandLineOption compareOption(
        QStringLiteral("compare"),
        QStringLiteral("Compare MODEL with FILE, analysed with the same options, as File > Compare With does."),
        QStringLiteral("FILE"));
    parser.addOption(compareOption);
    parser.process(app);

    // An interactive window starts where the last one left off, a screenshot from the defaults;
    // the options given override either.
    fp::AnalysisConfig config;
    fp::BudgetChoice budget;
    if (!parser.isSet(screenshotOption))
        fp::MainWindow::restoreAnalysisSettings(config, budget);
    if (const QString error = fp::readAnalysisOptions(parser, config); !error.isEmpty())
        return fail(error, 2);
    if (const QString error = fp::readBudgetOptions(parser, budget); !error.isEmpty())
        return fail(error, 2);
    if (parser.isSet(QStringLiteral("fit-memory")) && !parser.isSet(QStringLiteral("device"))) {
        budget.device.reset(); // a size of one's own, not the saved device's
        budget.name.clear();
    }
    if (budget.quantizeToFit && !parser.isSet(QStringLiteral("fit-memory")) && !parser.isSet(QStringLiteral("device"))) {
        budget.device.reset(); // --quantize-to-fit SIZE alone: SIZE is the budget the verdict names
        budget.name.clear();
        budget.bytes = budget.quantizeToFit;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return fail(QStringLiteral("give at most one MODEL (see footprint --help)"), 2);
    const QString screenshot = parser.value(screenshotOption);
    QSize screenshotSize(kScreenshotWidth, kScreenshotHeight);
    if (parser.isSet(sizeOption)) {
        static const QRegularExpression re(QStringLiteral("^(\\d{3,4})[xX](\\d{3,4})$"));
        const QRegularExpressionMatch m = re.match(parser.value(sizeOption));
        if (!m.hasMatch())
            return fail(QStringLiteral("--screenshot-size needs WIDTHxHEIGHT in pixels, e.g. 1024x700, not '%1'")
                            .arg(parser.value(sizeOption)),
                        2);
        screenshotSize = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    const QString path = positional.isEmpty() ? fp::MainWindow::sampleModelPath() : positional.front();

    fp::MainWindow window(/*persistent=*/screenshot.isEmpty());
    window.setAnalysisConfig(config);
    window.setBudget(budget);
    if (parser.isSet(viewOption) && !window.showView(parser.value(viewOption)))
        return fail(QStringLiteral("--view must be layers, bars, graph or roofline, not '%1'").arg(parser.value(viewOption)),
                    2);

    if (parser.isSet(selectOption)) {
        const QString name = parser.value(selectOption);
        QObject::connect(&window, &fp::MainWindow::modelLoaded, &window, [&window, name]() {
            if (!window.selectNodeNamed(name))
                fail(QStringLiteral("no layer is named '%1'").arg(name), 0);
        });
    }

    // B is read and analysed once A is open; a screenshot waits for the comparison (below).
    const QString compareWith = parser.value(compareOption);
    bool compared = compareWith.isEmpty();
    if (!compareWith.isEmpty()) {
        QObject::connect(&window, &fp::MainWindow::modelLoaded, &window, [&window, compareWith]() {
            window.comparison()->compareWithFile(compareWith);
        }, Qt::SingleShotConnection);
        QObject::connect(window.comparison(), &fp::ComparisonActions::comparisonUpdated, &window,
                         [&compared]() { compared = true; });
    }

    bool taken = false; // the screenshot; outside the block below, so it outlives app.exec()
    if (!screenshot.isEmpty())
        window.setErrorDialogsEnabled(false);
    // Read before the model loads; the timeline shows it once the model is there. A file that
    // cannot be read is an error for a screenshot (the picture would lack what was asked for)
    // and a dialog otherwise.
    if (parser.isSet(traceOption)) {
        QString traceError;
        const QMetaObject::Connection reported = QObject::connect(
            &window, &fp::MainWindow::traceFailed, &app, [&traceError](const QString& message) { traceError = message; });
        const bool read = window.importTrace(parser.value(traceOption));
        QObject::disconnect(reported);
        if (!read && !screenshot.isEmpty())
            return fail(traceError);
    }
    if (!screenshot.isEmpty()) {
        window.resize(screenshotSize);
        QObject::connect(&window, &fp::MainWindow::loadFailed, &app, [](const QString& message) {
            fail(message);
            QCoreApplication::exit(1);
        });
        // The picture is taken once the model is shown and the largest batch that fits (searched
        // on the thread pool) is in the summary.
        const auto grabWhenSettled = [&window, &taken, &compared, screenshot]() {
            if (taken || window.isLoading() || window.currentPath().isEmpty() || window.isFitPending()
                || window.isGraphLayoutRunning() || window.isQuantizing() || !compared || window.comparison()->isBusy())
                return;
            taken = true;
            // Queued behind the layout requests the new model posted, so the grab sees the
            // laid-out window rather than the one before the table filled. A comparison's tab
            // appears only now, and its chart lays its axes out a few passes of the event loop
            // after it is sized: a moment later.
            QTimer::singleShot(window.comparison()->view() ? 100 : 0, &window, [&window, screenshot]() {
                const QPixmap pixmap = window.grab();
                const char* format = QFileInfo(screenshot).suffix().isEmpty() ? "PNG" : nullptr;
                if (!pixmap.save(screenshot, format)) {
                    fail(QStringLiteral("cannot write the screenshot to '%1'").arg(screenshot));
                    QCoreApplication::exit(1);
                    return;
                }
                QCoreApplication::exit(0);
            });
        };
        QObject::connect(&window, &fp::MainWindow::modelLoaded, &app, grabWhenSettled);
        QObject::connect(&window, &fp::MainWindow::fitUpdated, &app, grabWhenSettled);
        QObject::connect(&window, &fp::MainWindow::graphLaidOut, &app, grabWhenSettled);
        QObject::connect(&window, &fp::MainWindow::quantizationUpdated, &app, grabWhenSettled); // --quantize-to-fit
        QObject::connect(window.comparison(), &fp::ComparisonActions::comparisonUpdated, &app, grabWhenSettled);
        QObject::connect(window.comparison(), &fp::ComparisonActions::comparisonFailed, &app, [](const QString& message) {
            fail(message);
            QCoreApplication::exit(1);
        });
    }

    window.show();
    window.openFile(path);
    return app.exec();
}

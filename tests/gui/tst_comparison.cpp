// The window's comparison (issue 19) end to end, under the offscreen platform: File > Compare
// With puts a second model beside the one open, and Compare With Current Configuration pins the
// analysis on screen as A with the window's later changes as B. The view shows the totals with
// B - A, the layers matched by name and both timelines; bad files and closing mid-analysis leave
// the window as it was.

#include "comparisonactions.h"
#include "comparisonchart.h"
#include "comparisonview.h"
#include "diff.h"
#include "format.h"
#include "layerdiffmodel.h"
#include "mainwindow.h"
#include "model_reader.h"
#include "timelinechart.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QDockWidget>
#include <QLineSeries>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QFile>
#include <QTest>
#include <QThreadPool>
#include <QToolButton>

#include <set>

using fp::ComparisonActions;
using fp::ComparisonView;
using fp::LayerDiff;
using fp::LayerDiffModel;
using fp::MainWindow;

namespace {

const QString kResnet18 = QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet18_train.onnx");
const QString kResnet50 = QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet50_train.onnx");
const QString kTinyConv = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx");
const QString kDecoder = QStringLiteral(FOOTPRINT_TEST_MODELS "/decoder_genai.onnx");
constexpr int kTimeoutMs = 30000;

bool openAndWait(MainWindow& window, const QString& path)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openFile(path);
    return QTest::qWaitFor([&]() { return loaded.count() > 0; }, kTimeoutMs);
}

// Starts comparing with `path` and waits for the view to show it (true) or for the failure.
bool compareAndWait(MainWindow& window, const QString& path, QString* failure = nullptr)
{
    QSignalSpy updated(window.comparison(), &ComparisonActions::comparisonUpdated);
    QSignalSpy failed(window.comparison(), &ComparisonActions::comparisonFailed);
    window.comparison()->compareWithFile(path);
    if (!QTest::qWaitFor([&]() { return updated.count() + failed.count() > 0; }, kTimeoutMs))
        return false;
    if (failure && failed.count() > 0)
        *failure = failed.front().front().toString();
    return updated.count() > 0;
}

// The row of the layer named `name` in the view's (unsorted) model; -1 if none.
int rowOf(const LayerDiffModel& model, const QString& name)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.index(row, LayerDiffModel::NameColumn).data().toString() == name)
            return row;
    }
    return -1;
}

LayerDiff::Status statusAt(const LayerDiffModel& model, int row)
{
    return LayerDiff::Status(model.index(row, 0).data(LayerDiffModel::StatusRole).toInt());
}

qint64 exactAt(const LayerDiffModel& model, int row, int column)
{
    return model.index(row, column).data(LayerDiffModel::ExactRole).toLongLong();
}

QAction* action(MainWindow& window, const char* name)
{
    return window.findChild<QAction*>(QString::fromLatin1(name));
}

} // namespace

class TestComparison : public QObject {
    Q_OBJECT
private slots:
    // The diff's table model and its proxy keep Qt's model contract through resets, sorting and
    // the "hide unchanged" filter.
    void modelContract()
    {
        const auto a = std::make_shared<const fp::Model>(fp::readModel(kTinyConv.toStdString()));
        fp::AnalysisConfig one;
        one.shapes.batch = 1;
        fp::AnalysisConfig two = one;
        two.shapes.batch = 2;
        const fp::AnalysisResult ra = fp::analyze(*a, one);
        const fp::AnalysisResult rb = fp::analyze(*a, two);

        LayerDiffModel model;
        fp::LayerDiffProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDiff(fp::diffLayers(*a, ra, *a, rb));
        QVERIFY(model.rowCount() > 0);
        proxy.sort(LayerDiffModel::ChangeColumn, Qt::DescendingOrder);
        proxy.setHideSame(true);
        proxy.setFilterFixedString(QStringLiteral("conv"));
        proxy.setHideSame(false);
        model.setDiff(fp::diffLayers(*a, ra, *a, ra)); // every layer the same
        QCOMPARE(model.counts()[size_t(LayerDiff::Status::Same)], model.rowCount());
        model.clear();
        QCOMPARE(proxy.rowCount(), 0);
    }

    // ResNet-18 against ResNet-50 (torchvision's, exported with the same names): ResNet-50 has
    // every layer name of ResNet-18 (conv1, bn1, layerN.M.conv1/2, downsample, fc), so nothing is
    // removed, and its bottleneck blocks (3 + 4 + 6 + 3, He et al. 2016, table 1) each add a
    // third convolution, conv3, that no basic block of ResNet-18 has.
    void resnet18AgainstResnet50()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(openAndWait(window, kResnet18));
        QVERIFY(window.findChild<QAction*>(QStringLiteral("compareWithAction")));
        QVERIFY(!action(window, "closeComparisonAction")->isEnabled());
        const int tabs = window.views()->count();

        QVERIFY(compareAndWait(window, kResnet50));
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::File);
        ComparisonView* view = window.comparison()->view();
        QVERIFY(view);
        QCOMPARE(window.views()->count(), tabs + 1);
        QCOMPARE(window.views()->currentWidget(), view);
        QVERIFY(view->isVisible());
        QVERIFY(action(window, "closeComparisonAction")->isEnabled());
        QVERIFY(view->sideText(0).contains(QStringLiteral("resnet18_train.onnx")));
        QVERIFY(view->sideText(1).contains(QStringLiteral("resnet50_train.onnx")));

        const LayerDiffModel& layers = *view->layerModel();
        int removed = 0;
        for (int row = 0; row < layers.rowCount(); ++row)
            removed += statusAt(layers, row) == LayerDiff::Status::Removed;
        QCOMPARE(removed, 0);
        const int blocks[] = { 3, 4, 6, 3 };
        int conv3s = 0;
        for (int stage = 1; stage <= 4; ++stage) {
            for (int block = 0; block < blocks[stage - 1]; ++block) {
                const QString name = QStringLiteral("/layer%1/layer%1.%2/conv3/Conv").arg(stage).arg(block);
                const int row = rowOf(layers, name);
                QVERIFY2(row >= 0, qPrintable(name));
                QCOMPARE(statusAt(layers, row), LayerDiff::Status::Added);
                QVERIFY(exactAt(layers, row, LayerDiffModel::AMemoryColumn) < 0); // not in A
                QVERIFY(exactAt(layers, row, LayerDiffModel::BMemoryColumn) > 0);
                ++conv3s;
            }
        }
        QCOMPARE(conv3s, 16);
        // ResNet-18's basic blocks have no conv3 at all.
        for (int row = 0; row < layers.rowCount(); ++row) {
            if (layers.index(row, LayerDiffModel::NameColumn).data().toString().contains(QStringLiteral("/conv3/")))
                QCOMPARE(statusAt(layers, row), LayerDiff::Status::Added);
        }

        // The totals: each file analysed here on its own, at the window's configuration (batch 1,
        // 224 x 224, inference, the model's precision).
        fp::AnalysisConfig config = window.analysisConfig();
        config.runtime = window.result()->config.runtime;
        const fp::Model m18 = fp::readModel(kResnet18.toStdString());
        const fp::Model m50 = fp::readModel(kResnet50.toStdString());
        const fp::AnalysisResult r18 = fp::analyze(m18, config);
        const fp::AnalysisResult r50 = fp::analyze(m50, config);
        const int64_t p18 = r18.totals.params;
        const int64_t p50 = r50.totals.params;
        QVERIFY(p50 > p18);
        QCOMPARE(view->totalText(ComparisonView::ParamsRow, ComparisonView::AColumn),
                 QString::fromStdString(fp::formatCount(p18)));
        QCOMPARE(view->totalText(ComparisonView::ParamsRow, ComparisonView::BColumn),
                 QString::fromStdString(fp::formatCount(p50)));
        QCOMPARE(view->totalText(ComparisonView::ParamsRow, ComparisonView::ChangeColumn),
                 QStringLiteral("+") + QString::fromStdString(fp::formatCount(p50 - p18)));

        // The table starts with the largest change, whichever way it goes, and hides the layers
        // that are the same when asked.
        const QAbstractItemModel& shown = *view->table()->model();
        qint64 largest = 0;
        for (int row = 0; row < layers.rowCount(); ++row)
            largest = std::max(largest, std::abs(layers.index(row, 0).data(LayerDiffModel::ChangeRole).toLongLong()));
        QCOMPARE(std::abs(shown.index(0, 0).data(LayerDiffModel::ChangeRole).toLongLong()), largest);
        for (int row = 1; row < shown.rowCount(); ++row)
            QVERIFY(std::abs(shown.index(row - 1, 0).data(LayerDiffModel::ChangeRole).toLongLong())
                    >= std::abs(shown.index(row, 0).data(LayerDiffModel::ChangeRole).toLongLong()));
        const int same = layers.counts()[size_t(LayerDiff::Status::Same)];
        QVERIFY(same > 0); // the stem (conv1, bn1, relu, maxpool) is the same in both
        view->hideSameBox()->setChecked(true);
        QCOMPARE(shown.rowCount(), layers.rowCount() - same);
        for (int row = 0; row < shown.rowCount(); ++row)
            QVERIFY(shown.index(row, 0).data(LayerDiffModel::StatusRole).toInt() != int(LayerDiff::Status::Same));
        view->hideSameBox()->setChecked(false);
        QCOMPARE(shown.rowCount(), layers.rowCount());

        // Both timelines on one axis, named in the legend.
        fp::ComparisonChart* chart = view->chart();
        QCOMPARE(chart->stepCount(), int(std::max(r18.memory.timeline.size(), r50.memory.timeline.size())));
        QVERIFY(chart->lineA()->count() > 0);
        QVERIFY(chart->lineB()->count() > 0);
        QVERIFY(chart->lineA()->pen().color() != chart->lineB()->pen().color());
        const QStringList legend = chart->legend().texts();
        QVERIFY2(legend.size() == 2 && legend[0].startsWith(QStringLiteral("A: resnet18_train.onnx"))
                     && legend[1].startsWith(QStringLiteral("B: resnet50_train.onnx")),
                 qPrintable(legend.join(QStringLiteral(" | "))));

        // The docks below the views stand aside while the comparison is shown, so that a
        // 1024x700 window keeps its size, and come back on another tab.
        auto* timelineDock = window.findChild<QDockWidget*>(QStringLiteral("timelineDock"));
        QVERIFY(timelineDock && !timelineDock->isVisible());
        window.resize(1024, 700);
        QTest::qWait(50);
        QCOMPARE(window.size(), QSize(1024, 700));
        QVERIFY(window.showView(QStringLiteral("layers")));
        QVERIFY(timelineDock->isVisible());
        QVERIFY(window.showView(QStringLiteral("comparison")));
        QVERIFY(!timelineDock->isVisible());

        // Closing goes back to the table, and the window keeps its model.
        window.findChild<QToolButton*>(QStringLiteral("closeComparison"))->click();
        QVERIFY(timelineDock->isVisible());
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::None);
        QCOMPARE(window.views()->count(), tabs);
        QCOMPARE(window.views()->currentIndex(), 0);
        QVERIFY(!action(window, "closeComparisonAction")->isEnabled());
        QVERIFY(window.currentPath().endsWith(QStringLiteral("resnet18_train.onnx")));
    }

    // Pinned at batch 1, the window moved to batch 2: every layer of tiny_conv (a convolution
    // net without reshapes of fixed size) writes its outputs once per sample, so each output is
    // twice A's, and the weights are unchanged.
    void pinnedConfigurationDoublesOutputs()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kTinyConv));
        auto* batch = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        QVERIFY(batch);
        batch->setValue(1);
        QVERIFY2(window.session().configurationText().startsWith(QStringLiteral("batch 1,")),
                 qPrintable(window.session().configurationText()));

        QSignalSpy updated(window.comparison(), &ComparisonActions::comparisonUpdated);
        action(window, "pinConfigurationAction")->trigger();
        QCOMPARE(updated.count(), 1);
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::Pinned);
        // The timeline's own pinned overlay draws A over the window's timeline.
        auto* timeline = window.findChild<fp::TimelineChart*>(QStringLiteral("timelineChart"));
        QVERIFY(timeline && timeline->hasComparison());
        ComparisonView* view = window.comparison()->view();
        const LayerDiffModel& layers = *view->layerModel();
        QVERIFY(layers.rowCount() > 0);
        QCOMPARE(layers.counts()[size_t(LayerDiff::Status::Same)], layers.rowCount()); // nothing moved yet

        batch->setValue(2);
        QCOMPARE(updated.count(), 2); // B follows the window at once
        QVERIFY(window.session().configurationText().startsWith(QStringLiteral("batch 2,")));
        QVERIFY(view->sideText(0).contains(QStringLiteral("batch 1")));
        QVERIFY(view->sideText(1).contains(QStringLiteral("batch 2")));
        QCOMPARE(layers.counts()[size_t(LayerDiff::Status::Added)], 0);
        QCOMPARE(layers.counts()[size_t(LayerDiff::Status::Removed)], 0);
        for (int row = 0; row < layers.rowCount(); ++row) {
            const QString name = layers.index(row, LayerDiffModel::NameColumn).data().toString();
            const qint64 a = exactAt(layers, row, LayerDiffModel::AOutputsColumn);
            const qint64 b = exactAt(layers, row, LayerDiffModel::BOutputsColumn);
            QVERIFY2(a > 0, qPrintable(name));
            QVERIFY2(b == 2 * a, qPrintable(QStringLiteral("%1: %2 -> %3").arg(name).arg(a).arg(b)));
            QCOMPARE(statusAt(layers, row), LayerDiff::Status::Changed);
            QCOMPARE(layers.diffs()[size_t(row)].b.weightBytes, layers.diffs()[size_t(row)].a.weightBytes);
        }
        // The legend tells one model's two configurations apart by the configuration.
        const QStringList legend = view->chart()->legend().texts();
        QVERIFY2(legend.size() == 2 && legend[0].contains(QStringLiteral("batch 1"))
                     && legend[1].contains(QStringLiteral("batch 2")),
                 qPrintable(legend.join(QStringLiteral(" | "))));

        // Closing takes the pin off the timeline too.
        action(window, "closeComparisonAction")->trigger();
        QVERIFY(!timeline->hasComparison());
        QCOMPARE(window.views()->indexOf(view), -1);
        batch->setValue(4); // no comparison follows any more
        QCOMPARE(updated.count(), 2);
    }

    // A model compared with itself: every layer the same, every difference zero.
    void modelAgainstItself()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kTinyConv));
        QVERIFY(compareAndWait(window, kTinyConv));
        ComparisonView* view = window.comparison()->view();
        const LayerDiffModel& layers = *view->layerModel();
        QVERIFY(layers.rowCount() > 0);
        QCOMPARE(layers.counts()[size_t(LayerDiff::Status::Same)], layers.rowCount());
        for (int row = 0; row < ComparisonView::TotalRowCount; ++row)
            QCOMPARE(view->totalText(ComparisonView::TotalRow(row), ComparisonView::ChangeColumn), QStringLiteral("0"));
        view->hideSameBox()->setChecked(true);
        QCOMPARE(view->table()->model()->rowCount(), 0);

        // B follows the window's configuration, analysed again on a worker: a drag over several
        // batches ends with both sides at the last one.
        auto* batch = window.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"));
        for (int value = 2; value <= 6; ++value)
            batch->setValue(value);
        QVERIFY(window.comparison()->isBusy());
        QVERIFY(QTest::qWaitFor([&]() { return !window.comparison()->isBusy(); }, kTimeoutMs));
        QVERIFY2(view->sideText(0).contains(QStringLiteral("batch 6")), qPrintable(view->sideText(0)));
        QVERIFY2(view->sideText(1).contains(QStringLiteral("batch 6")), qPrintable(view->sideText(1)));
        QCOMPARE(layers.counts()[size_t(LayerDiff::Status::Same)], layers.rowCount());
    }

    // A file that is not a model, one that is missing, and one that cannot be analysed with the
    // window's configuration are reported; the window and the comparison shown stay.
    void badFilesKeepWhatIsOpen()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kTinyConv));
        const int tabs = window.views()->count();

        QTemporaryDir dir;
        const QString garbage = dir.filePath(QStringLiteral("garbage.onnx"));
        {
            QFile file(garbage);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(4096, '\x7f'));
        }
        QString failure;
        QVERIFY(!compareAndWait(window, garbage, &failure));
        QVERIFY2(failure.contains(QStringLiteral("garbage.onnx")), qPrintable(failure));
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::None);
        QCOMPARE(window.views()->count(), tabs); // no empty comparison
        QVERIFY(!window.comparison()->isBusy());

        // With a comparison open, a bad second file leaves it as it was.
        QVERIFY(compareAndWait(window, kTinyConv));
        ComparisonView* view = window.comparison()->view();
        const int rows = view->layerModel()->rowCount();
        QVERIFY(!compareAndWait(window, dir.filePath(QStringLiteral("missing.onnx")), &failure));
        QVERIFY2(failure.contains(QStringLiteral("missing.onnx")), qPrintable(failure));
        QVERIFY(!compareAndWait(window, garbage, &failure));
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::File);
        QCOMPARE(view->layerModel()->rowCount(), rows);
        QVERIFY(view->sideText(1).contains(QStringLiteral("tiny_conv.onnx")));
        QVERIFY(window.currentPath().endsWith(QStringLiteral("tiny_conv.onnx")));
    }

    // A decoder in generation mode: a convolution net has no past KV input to generate with, so B
    // cannot be analysed with the window's configuration. Said, and nothing else changes.
    void analysisThatFails()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kDecoder));
        fp::AnalysisConfig config = window.analysisConfig();
        config.generation = fp::GenerationConfig { 8, 4 };
        window.setAnalysisConfig(config);
        QVERIFY(window.session().generation);
        const int tabs = window.views()->count();
        QString failure;
        QVERIFY(!compareAndWait(window, kTinyConv, &failure));
        QVERIFY2(failure.contains(QStringLiteral("tiny_conv.onnx")), qPrintable(failure));
        QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::None);
        QCOMPARE(window.views()->count(), tabs);
        QVERIFY(window.session().isValid());
    }

    // Closing while B is read and analysed drops its answer; so does closing the window.
    void closeWhileAnalysing()
    {
        {
            MainWindow window(/*persistent=*/false);
            window.setErrorDialogsEnabled(false);
            window.show();
            QVERIFY(openAndWait(window, kResnet18));
            const int tabs = window.views()->count();
            QSignalSpy updated(window.comparison(), &ComparisonActions::comparisonUpdated);
            window.comparison()->compareWithFile(kResnet50);
            QVERIFY(window.comparison()->isBusy());
            window.comparison()->closeComparison();
            QVERIFY(!window.comparison()->isBusy());
            QThreadPool::globalInstance()->waitForDone();
            QTest::qWait(50); // the finished job's signal
            QCOMPARE(updated.count(), 0);
            QCOMPARE(window.views()->count(), tabs);
            QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::None);

            // Pinned, a file still being read does not replace the pin when it arrives.
            window.comparison()->compareWithFile(kResnet50);
            window.comparison()->pinConfiguration();
            QThreadPool::globalInstance()->waitForDone();
            QTest::qWait(50);
            QCOMPARE(window.comparison()->mode(), ComparisonActions::Mode::Pinned);
            QVERIFY(!window.comparison()->view()->sideText(1).contains(QStringLiteral("resnet50")));
        }
        {
            auto* window = new MainWindow(/*persistent=*/false);
            window->setErrorDialogsEnabled(false);
            window->show();
            QVERIFY(openAndWait(*window, kTinyConv));
            window->comparison()->compareWithFile(kResnet50);
            delete window;
            QThreadPool::globalInstance()->waitForDone();
            QTest::qWait(50);
        }
    }
};

QTEST_MAIN(TestComparison)
#include "tst_comparison.moc"

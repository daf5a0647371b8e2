// Issue 19's what-ifs in the window, driven through its widgets under the offscreen platform:
// the layer table's and the graph's context menus set per-layer precisions (marked with a badge
// in both), the What-ifs group's toggles set the fusions, and "Quantize to fit…" beside the budget
// verdict plans on a worker, shows the plan and applies it.
//
// resnet18_train.onnx's layer4 by hand (README's ResNet-18; torchvision's BasicBlock): the
// convolutions 3x3 256->512 (512 x 256 x 9 = 1,179,648 weights), three 3x3 512->512 (512 x 512 x 9
// = 2,359,296 each) and the 1x1 downsample 256->512 (131,072), and five BatchNorms (bn1 and bn2 of
// both blocks and the downsample's), each with weight, bias, running mean and variance of 512:
// 1,179,648 + 3 x 2,359,296 + 131,072 + 5 x 4 x 512 = 8,398,848 floats. At int8 each is stored in
// 1 byte instead of 4: 3 x 8,398,848 = 25,196,544 bytes fewer. Its fc is 512 x 1000 + 1000 floats:
// at fp16, 2 x 513,000 = 1,026,000 bytes fewer.

#include "controlpanel.h"
#include "formatting.h"
#include "graphitems.h"
#include "graphview.h"
#include "layertablemodel.h"
#include "mainwindow.h"
#include "model_builder.h"
#include "quantizeplanview.h"
#include "whatif.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QContextMenuEvent>
#include <QDir>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryFile>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using fp::LayerTableModel;
using fp::MainWindow;
using fp::Precision;

namespace {

const QString kResNet18 = QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet18_train.onnx");
const QString kMobileNet = QStringLiteral(FOOTPRINT_TEST_MODELS "/mobilenet_v2_train.onnx");
const QString kGpt2 = QStringLiteral(FOOTPRINT_TEST_MODELS "/gpt2_2l.onnx");
constexpr int kTimeoutMs = 20000;

constexpr int64_t kLayer4Weights = 1179648 + 3 * 2359296 + 131072 + 5 * 4 * 512; // 8,398,848
constexpr int64_t kLayer4Conv1 = 512 * 256 * 9; // 1,179,648
constexpr int64_t kFc = 512 * 1000 + 1000;
constexpr int64_t kMiB = 1024 * 1024;

bool openAndWait(MainWindow& window, const QString& path)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openFile(path);
    return QTest::qWaitFor([&]() { return loaded.count() > 0; }, kTimeoutMs);
}

int64_t paramBytes(const MainWindow& window)
{
    return window.result()->totals.paramBytes;
}

int64_t peakBytes(const MainWindow& window)
{
    return window.result()->totals.peakBytes;
}

// Opens `receiver`'s context menu at `pos`, as a right-click does, and triggers the action at the
// end of `path` (object names, through submenus). Returns the first name not found, or an empty
// string once the action was triggered.
QString chooseFromContextMenu(QWidget* receiver, const QPoint& pos, const QStringList& path)
{
    QString missing = path.value(0, QStringLiteral("<empty path>"));
    QTimer timer;
    timer.setInterval(10);
    QObject::connect(&timer, &QTimer::timeout, [&]() {
        auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
        if (!menu)
            return;
        timer.stop();
        QMenu* current = menu;
        QAction* found = nullptr;
        for (int i = 0; i < path.size() && current; ++i) {
            found = nullptr;
            for (QAction* a : current->actions())
                if (a->objectName() == path[i] && a->isVisible() && a->isEnabled())
                    found = a;
            if (!found) {
                missing = path[i];
                break;
            }
            current = i + 1 < path.size() ? found->menu() : nullptr;
        }
        menu->close();
        if (found && !current) {
            missing.clear();
            found->trigger();
        }
    });
    timer.start();
    QContextMenuEvent event(QContextMenuEvent::Mouse, pos, receiver->mapToGlobal(pos));
    QCoreApplication::sendEvent(receiver, &event);
    return missing;
}

// The layer table and the row (in the view) of the layer named `name`; -1 if none.
int tableRow(MainWindow& window, const QString& name)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    QAbstractItemModel* model = view->model();
    for (int row = 0; row < model->rowCount(); ++row)
        if (model->index(row, LayerTableModel::NameColumn).data().toString() == name)
            return row;
    return -1;
}

QVariant precisionOfRow(MainWindow& window, const QString& name)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    return view->model()->index(tableRow(window, name), LayerTableModel::NameColumn).data(LayerTableModel::PrecisionRole);
}

// Right-clicks the table row of `name` and follows `path` in its menu.
QString chooseForRow(MainWindow& window, const QString& name, const QStringList& path)
{
    auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
    const int row = tableRow(window, name);
    if (row < 0)
        return QStringLiteral("no row ") + name;
    const QModelIndex index = view->model()->index(row, LayerTableModel::NameColumn);
    view->scrollTo(index);
    // A right-click's press selects the row first, as a left one does.
    view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return chooseFromContextMenu(view->viewport(), view->visualRect(index).center(), path);
}

fp::BudgetChoice customBudget(int64_t bytes)
{
    fp::BudgetChoice budget;
    budget.bytes = bytes;
    return budget;
}

} // namespace

class TestWhatIf : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FootprintTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_whatif"));
        QSettings().clear();
        QVERIFY2(QFile::exists(kResNet18), qPrintable(kResNet18));
    }

    // The table's context menu: layer4 as a group to int8 (the storage falls by the hand count),
    // one of its layers back to fp32 (its own rule beats the group's), the group's rule taken back,
    // and the control panel's Clear. The rows say which layers have a precision of their own.
    void tableMenuSetsLayerPrecision()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kResNet18));
        const int64_t plainParams = paramBytes(window);
        const int64_t plainPeak = peakBytes(window);
        const QString conv1 = QStringLiteral("/layer4/layer4.0/conv1/Conv");
        QVERIFY(!precisionOfRow(window, conv1).isValid());

        // The row's menu offers its scopes: /layer4/layer4.0/conv1/*, /layer4/layer4.0/* and /layer4/*.
        QCOMPARE(chooseForRow(window, conv1,
                              { QStringLiteral("layerPrecisionAction"), QStringLiteral("scope:/layer4/*"),
                                QStringLiteral("precision_int8") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(1));
        QCOMPARE(window.analysisConfig().layerPrecisions[0].pattern, std::string("/layer4/*"));
        QCOMPARE(window.analysisConfig().layerPrecisions[0].precision, Precision::INT8);
        QCOMPARE(plainParams - paramBytes(window), 3 * kLayer4Weights); // 25,196,544
        // The weights are resident at every step, so the peak falls by at least as much.
        QVERIFY2(plainPeak - peakBytes(window) >= 3 * kLayer4Weights,
                 qPrintable(QStringLiteral("%1 -> %2").arg(plainPeak).arg(peakBytes(window))));
        QCOMPARE(precisionOfRow(window, conv1).toString(), QStringLiteral("int8"));
        QCOMPARE(precisionOfRow(window, QStringLiteral("/layer4/layer4.1/bn2/BatchNormalization")).toString(),
                 QStringLiteral("int8"));
        QVERIFY(!precisionOfRow(window, QStringLiteral("/layer3/layer3.1/conv2/Conv")).isValid());
        auto* rules = window.findChild<QLabel*>(QStringLiteral("layerPrecisionsLabel"));
        QVERIFY(rules);
        QCOMPARE(rules->text(), QStringLiteral("Layer precisions: 1 rule"));
        QVERIFY(rules->toolTip().contains(QStringLiteral("/layer4/* = int8")));

        // The layer's own rule, later, wins over its group's: conv1's weights are back at 4 bytes.
        QCOMPARE(chooseForRow(window, conv1, { QStringLiteral("layerPrecisionAction"), QStringLiteral("precision_fp32") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(2));
        QCOMPARE(plainParams - paramBytes(window), 3 * (kLayer4Weights - kLayer4Conv1));
        QCOMPARE(precisionOfRow(window, conv1).toString(), QStringLiteral("fp32"));

        // Reset to model's on the group: its rule goes, conv1's (fp32, as stored) stays.
        QCOMPARE(chooseForRow(window, conv1,
                              { QStringLiteral("layerPrecisionAction"), QStringLiteral("scope:/layer4/*"),
                                QStringLiteral("precision_reset") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(1));
        QCOMPARE(paramBytes(window), plainParams);
        QVERIFY(!precisionOfRow(window, QStringLiteral("/layer4/layer4.1/bn2/BatchNormalization")).isValid());

        // Several rows at once: conv1 and the fc to fp16; then Clear in the control panel.
        auto* view = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        const QModelIndex fc = view->model()->index(tableRow(window, QStringLiteral("/fc/Gemm")), 0);
        view->selectionModel()->select(fc, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        const QModelIndex conv1Index = view->model()->index(tableRow(window, conv1), 0);
        view->selectionModel()->select(conv1Index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        view->scrollTo(conv1Index);
        QCOMPARE(chooseFromContextMenu(view->viewport(), view->visualRect(conv1Index).center(),
                                       { QStringLiteral("layerPrecisionAction"), QStringLiteral("precision_fp16") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(2));
        QCOMPARE(plainParams - paramBytes(window), 2 * (kLayer4Conv1 + kFc));
        auto* clear = window.findChild<QToolButton*>(QStringLiteral("clearLayerPrecisions"));
        QVERIFY(clear && clear->isEnabled());
        clear->click();
        QVERIFY(window.analysisConfig().layerPrecisions.empty());
        QCOMPARE(paramBytes(window), plainParams);
        QVERIFY(!clear->isEnabled());
    }

    // The graph's context menu: on layer4's frame (an open group) it sets "/layer4/*", on the fc's
    // box the node's own name; the boxes inside carry the badge.
    void graphMenuSetsGroupAndNodePrecision()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kResNet18));
        const int64_t plainParams = paramBytes(window);
        QVERIFY(window.showView(QStringLiteral("graph")));
        auto* view = window.findChild<fp::GraphView*>();
        QVERIFY(view);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isGraphLayoutRunning() && view->nodeItemCount() > 0, kTimeoutMs);

        const auto findItem = [view](int type, const QString& name) -> QGraphicsItem* {
            for (QGraphicsItem* item : view->scene()->items())
                if (item->type() == type && item->data(fp::GraphView::ItemNameKey).toString() == name)
                    return item;
            return nullptr;
        };
        auto* frame = static_cast<fp::GraphClusterItem*>(findItem(fp::GraphView::ClusterItemType, QStringLiteral("layer4")));
        QVERIFY2(frame, "ResNet-18 opens with its groups open: layer4 is a frame");
        // Just inside the frame's corner: the frame, not a box or a subgroup's frame.
        const QPointF corner = frame->frame().topLeft() + QPointF(3, 3);
        view->centerOn(corner);
        const QPoint at = view->mapFromScene(corner);
        QVERIFY(!view->items(at).isEmpty() && view->items(at).front() == frame);
        QCOMPARE(chooseFromContextMenu(view->viewport(), at,
                                       { QStringLiteral("graphPrecisionAction"), QStringLiteral("precision_int8") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(1));
        QCOMPARE(window.analysisConfig().layerPrecisions[0].pattern, std::string("/layer4/*"));
        QCOMPARE(plainParams - paramBytes(window), 3 * kLayer4Weights);
        auto* conv = static_cast<fp::GraphNodeItem*>(
            findItem(fp::GraphView::NodeItemType, QStringLiteral("/layer4/layer4.1/conv2/Conv")));
        QVERIFY(conv);
        QCOMPARE(conv->badge(), QStringLiteral("int8"));
        auto* before = static_cast<fp::GraphNodeItem*>(
            findItem(fp::GraphView::NodeItemType, QStringLiteral("/layer3/layer3.1/conv2/Conv")));
        QVERIFY(before && before->badge().isEmpty());
        QCOMPARE(frame->badge(), QStringLiteral("int8"));

        // The fc's box: its own name.
        QGraphicsItem* fc = findItem(fp::GraphView::NodeItemType, QStringLiteral("/fc/Gemm"));
        QVERIFY(fc);
        view->centerOn(fc);
        QCOMPARE(chooseFromContextMenu(view->viewport(), view->mapFromScene(fc->sceneBoundingRect().center()),
                                       { QStringLiteral("graphPrecisionAction"), QStringLiteral("precision_fp16") }),
                 QString());
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), size_t(2));
        QCOMPARE(window.analysisConfig().layerPrecisions[1].pattern, std::string("/fc/Gemm"));
        QCOMPARE(plainParams - paramBytes(window), 3 * kLayer4Weights + 2 * kFc);
        QCOMPARE(static_cast<fp::GraphNodeItem*>(fc)->badge(), QStringLiteral("fp16"));

        // The background: no Precision entry.
        QCOMPARE(chooseFromContextMenu(view->viewport(), QPoint(2, 2), { QStringLiteral("graphPrecisionAction") }),
                 QStringLiteral("graphPrecisionAction"));
    }

    // The What-ifs group's toggles set AnalysisConfig::fusions, the summary's configuration line
    // names them, and a persistent window keeps them (the rules, which name one model's layers, not).
    void fusionTogglesSetTheConfiguration()
    {
        {
            MainWindow window(true);
            window.setErrorDialogsEnabled(false);
            QVERIFY(openAndWait(window, kResNet18));
            const auto traffic = [&window]() { return window.result()->totals.readBytes + window.result()->totals.writeBytes; };
            const int64_t unfused = traffic();
            auto* convBn = window.findChild<QCheckBox*>(QStringLiteral("fuseConvBnCheckBox"));
            auto* convRelu = window.findChild<QCheckBox*>(QStringLiteral("fuseConvReluCheckBox"));
            auto* attention = window.findChild<QCheckBox*>(QStringLiteral("fuseAttentionCheckBox"));
            QVERIFY(convBn && convRelu && attention);
            convBn->click();
            QVERIFY(window.analysisConfig().fusions.convBn);
            QVERIFY(window.result()->config.fusions.convBn);
            QVERIFY(!window.analysisConfig().fusions.convRelu && !window.analysisConfig().fusions.attention);
            convRelu->click();
            attention->click();
            const fp::Fusions f = window.analysisConfig().fusions;
            QVERIFY(f.convBn && f.convRelu && f.attention);
            QVERIFY2(window.session().configurationText().contains(QStringLiteral("fused conv-bn,conv-relu,attention")),
                     qPrintable(window.session().configurationText()));
            // A BatchNorm's and a ReLU's maps are neither written nor read again (111.61 -> under 92.66 MiB).
            QVERIFY2(traffic() < unfused, qPrintable(QStringLiteral("%1 -> %2").arg(unfused).arg(traffic())));
            attention->click();
            QVERIFY(!window.analysisConfig().fusions.attention);
            window.setLayerPrecision({ "/layer4/*" }, Precision::INT8);
            window.close(); // saves
        }
        fp::AnalysisConfig config;
        fp::BudgetChoice budget;
        MainWindow::restoreAnalysisSettings(config, budget);
        QVERIFY(config.fusions.convBn && config.fusions.convRelu && !config.fusions.attention);
        QVERIFY(config.layerPrecisions.empty());
        MainWindow again(false);
        again.setAnalysisConfig(config);
        QVERIFY(again.findChild<QCheckBox*>(QStringLiteral("fuseConvReluCheckBox"))->isChecked());
        QVERIFY(!again.findChild<QCheckBox*>(QStringLiteral("fuseAttentionCheckBox"))->isChecked());
        QSettings().clear();
    }

    // "Quantize to fit…" beside the verdict: offered while the peak exceeds the budget; its plan,
    // made on a worker, is core quantizeToFit's for the window's configuration, in either order;
    // Apply sets its layers to int8 and the peak then fits.
    void quantizeButtonPlansAsTheCoreDoes()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kMobileNet));
        auto* button = window.findChild<QToolButton*>(QStringLiteral("quantizeButton"));
        QVERIFY(button);
        QVERIFY(!button->isVisible()); // no budget
        window.setBudget(customBudget(1024 * kMiB));
        QVERIFY(button->isVisible() && !button->isEnabled()); // 25 MiB fits 1 GiB

        const int64_t budget = 20 * kMiB;
        window.setBudget(customBudget(budget));
        QVERIFY(button->isEnabled());
        QSignalSpy updated(&window, &MainWindow::quantizationUpdated);
        button->click();
        QVERIFY(window.isQuantizing() || updated.count() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isQuantizing(), kTimeoutMs);
        QCOMPARE(updated.count(), 1);
        const auto compare = [&](fp::QuantizeOrder order) {
            const std::optional<fp::QuantizationPlan> plan = window.quantizationPlan();
            QVERIFY(plan);
            const fp::QuantizationPlan expected
                = fp::quantizeToFit(*window.session().model, window.result()->config, budget, order);
            QCOMPARE(plan->order, order);
            QCOMPARE(plan->fits, expected.fits);
            QCOMPARE(plan->startPeakBytes, expected.startPeakBytes);
            QCOMPARE(plan->steps.size(), expected.steps.size());
            for (size_t i = 0; i < expected.steps.size(); ++i) {
                QCOMPARE(plan->steps[i].layer, expected.steps[i].layer);
                QCOMPARE(plan->steps[i].precision, expected.steps[i].precision);
                QCOMPARE(plan->steps[i].peakBytes, expected.steps[i].peakBytes);
            }
            auto* table = window.findChild<QTableWidget*>(QStringLiteral("quantizePlanTable"));
            QVERIFY(table);
            QCOMPARE(table->rowCount(), int(expected.steps.size()));
            QCOMPARE(table->item(0, 1)->text().toStdString(), expected.steps.front().layer);
            // The new precision as a badge on the layer, as the layer table shows it.
            QCOMPARE(table->item(table->rowCount() - 1, 1)->data(LayerTableModel::PrecisionRole).toString(),
                     QStringLiteral("int8"));
            QCOMPARE(table->item(table->rowCount() - 1, 2)->text(), fp::bytesText(expected.steps.back().peakBytes));
        };
        compare(fp::QuantizeOrder::Activations);
        QVERIFY(window.quantizationPlan()->fits);
        auto* status = window.findChild<QLabel*>(QStringLiteral("quantizeStatus"));
        QVERIFY2(status->text().startsWith(QStringLiteral("Fits after %1 layers").arg(window.quantizationPlan()->steps.size())),
                 qPrintable(status->text()));

        // The other order, from the panel's box: planned again.
        auto* order = window.findChild<QComboBox*>(QStringLiteral("quantizeOrderComboBox"));
        order->setCurrentIndex(order->findData(int(fp::QuantizeOrder::Weights)));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isQuantizing(), kTimeoutMs);
        compare(fp::QuantizeOrder::Weights);
        const fp::QuantizationPlan weightsFirst = *window.quantizationPlan();

        // Apply: the plan's layers at int8, and the peak its last step's.
        auto* apply = window.findChild<QPushButton*>(QStringLiteral("quantizeApplyButton"));
        QVERIFY(apply && apply->isEnabled());
        apply->click();
        QCOMPARE(window.analysisConfig().layerPrecisions.size(), weightsFirst.steps.size());
        for (size_t i = 0; i < weightsFirst.steps.size(); ++i)
            QCOMPARE(window.analysisConfig().layerPrecisions[i].pattern, weightsFirst.steps[i].layer);
        QCOMPARE(peakBytes(window), weightsFirst.steps.back().peakBytes);
        QVERIFY(peakBytes(window) <= budget);
        QVERIFY(!apply->isEnabled());
        QVERIFY2(status->text().startsWith(QStringLiteral("Applied")), qPrintable(status->text()));
        QVERIFY(!button->isEnabled()); // it fits now

        // A budget nothing reaches: the panel says so, and there is nothing to apply.
        window.findChild<QToolButton*>(QStringLiteral("clearLayerPrecisions"))->click();
        window.setBudget(customBudget(kMiB));
        button->click();
        QTRY_VERIFY_WITH_TIMEOUT(!window.isQuantizing(), kTimeoutMs);
        QVERIFY(!window.quantizationPlan()->fits);
        QVERIFY(window.quantizationPlan()->steps.empty());
        QVERIFY2(status->text().startsWith(QStringLiteral("Even all")), qPrintable(status->text()));
        QVERIFY(!apply->isEnabled());
    }

    // A plan changes nothing until applied, and is dropped when it no longer applies: a slider step
    // makes it stale, Cancel drops the one under way, and a new model drops it too.
    void planIsDroppedWhenItNoLongerApplies()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kMobileNet));
        window.setBudget(customBudget(20 * kMiB));
        auto* apply = window.findChild<QPushButton*>(QStringLiteral("quantizeApplyButton"));
        window.planQuantization(20 * kMiB, fp::QuantizeOrder::Weights);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isQuantizing(), kTimeoutMs);
        QVERIFY(apply->isEnabled());
        QVERIFY(window.analysisConfig().layerPrecisions.empty());
        window.findChild<fp::ControlPanel*>()->batchSlider()->spinBox()->setValue(2);
        QVERIFY(!apply->isEnabled()); // planned for batch 1

        // Cancel: nothing arrives afterwards.
        QSignalSpy updated(&window, &MainWindow::quantizationUpdated);
        window.planQuantization(20 * kMiB, fp::QuantizeOrder::Activations);
        QVERIFY(window.isQuantizing());
        window.findChild<QPushButton*>(QStringLiteral("quantizeCancelButton"))->click();
        QVERIFY(!window.isQuantizing());
        QCOMPARE(updated.count(), 1);
        QTest::qWait(300);
        QVERIFY(!window.quantizationPlan());

        // Another model while one is planned: dropped, and the new model's configuration untouched.
        window.planQuantization(20 * kMiB, fp::QuantizeOrder::Activations);
        QVERIFY(openAndWait(window, kResNet18));
        QVERIFY(!window.isQuantizing());
        QTest::qWait(300);
        QVERIFY(!window.quantizationPlan());
        QVERIFY(window.analysisConfig().layerPrecisions.empty());
    }

    // Bad input never crashes: a pattern that matches nothing (said in the warnings), a rule left
    // from a model whose layers this one lacks (dropped), a model without layers (no menu, a plan
    // that says nothing can be lowered), and no budget at all.
    void badInput()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kResNet18));
        window.setLayerPrecision({ "/nothing/*" }, Precision::INT8);
        const auto& warnings = window.result()->warnings;
        QVERIFY(std::any_of(warnings.begin(), warnings.end(),
                            [](const std::string& w) { return w.find("'/nothing/*' matches no layer") != std::string::npos; }));
        window.setLayerPrecision({ "/nothing/*" }, std::nullopt);
        window.setLayerPrecision({ "/layer4/*" }, Precision::INT4);
        QVERIFY(openAndWait(window, kGpt2)); // GPT-2 has no layer4
        QVERIFY(window.analysisConfig().layerPrecisions.empty());

        window.planQuantization(0, fp::QuantizeOrder::Activations); // no budget
        QVERIFY(!window.isQuantizing());
        QVERIFY(!window.quantizationPlan());

        fp::test::ModelBuilder b; // an input handed straight to the output: no node at all
        b.input("x", { 1, 4 });
        b.output("x");
        QTemporaryFile file(QDir::tempPath() + QStringLiteral("/nolayers-XXXXXX.onnx"));
        QVERIFY(file.open());
        file.write(QByteArray::fromStdString(b.bytes()));
        file.close();
        QVERIFY(openAndWait(window, file.fileName()));
        QCOMPARE(window.result()->layers.size(), size_t(0));
        auto* table = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        QCOMPARE(chooseFromContextMenu(table->viewport(), QPoint(5, 5), { QStringLiteral("layerPrecisionAction") }),
                 QStringLiteral("layerPrecisionAction"));
        window.planQuantization(1, fp::QuantizeOrder::Activations); // its peak, 0 B (no step), fits
        QTRY_VERIFY_WITH_TIMEOUT(!window.isQuantizing(), kTimeoutMs);
        QVERIFY(window.quantizationPlan() && window.quantizationPlan()->steps.empty());
        QVERIFY2(window.findChild<QLabel*>(QStringLiteral("quantizeStatus"))->text().contains(QStringLiteral("nothing to lower")),
                 qPrintable(window.findChild<QLabel*>(QStringLiteral("quantizeStatus"))->text()));
        QVERIFY(!window.findChild<QPushButton*>(QStringLiteral("quantizeApplyButton"))->isEnabled());
    }
};

QTEST_MAIN(TestWhatIf)
#include "tst_whatif.moc"

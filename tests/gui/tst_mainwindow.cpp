// The main window end to end, under the offscreen platform: background loading, a failed load
// keeping the open model, stale loads dropped, and the toolbar re-running the analysis.
// tiny_conv.onnx: X[1,3,8,8] float -> Conv -> Relu -> MaxPool -> Flatten -> Gemm.

#include "layertablemodel.h"
#include "mainwindow.h"

#include <QComboBox>
#include <QDir>
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
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryFile>
#include <QTest>
#include <QThreadPool>

using fp::LayerTableModel;
using fp::MainWindow;

namespace {

const QString kTinyConv = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx");
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
        fp::Budget budget;
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

        mode->setCurrentIndex(mode->findData(int(fp::Mode::Training)));
        QCOMPARE(window.analysisConfig().training.mode, fp::Mode::Training);
        QVERIFY(optimizer->isEnabled());
        const QString detail = figure(window, "peakDetail");
        QVERIFY2(detail.startsWith(QStringLiteral("Peak training memory")), qPrintable(detail));
        QVERIFY2(detail.contains(QStringLiteral("gradients")), qPrintable(detail));

        optimizer->setCurrentIndex(optimizer->findData(int(fp::Optimizer::SGD)));
        QCOMPARE(window.analysisConfig().training.optimizer, fp::Optimizer::SGD);
        QVERIFY(!figure(window, "peakDetail").contains(QStringLiteral("optimizer state"))); // plain SGD keeps none
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
        fp::Budget small;
        small.bytes = 4096;
        window.setBudget(small);
        QVERIFY(!line->isHidden());
        QVERIFY2(line->text().contains(QStringLiteral("Exceeds")), qPrintable(line->text()));

        fp::Budget large;
        large.bytes = 1 << 20;
        window.setBudget(large);
        QVERIFY2(line->text().contains(QStringLiteral("Fits")), qPrintable(line->text()));
        QVERIFY2(line->text().contains(QStringLiteral("largest batch that fits")), qPrintable(line->text()));

        // A device preset is selected by name and named in the verdict.
        fp::Budget device;
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

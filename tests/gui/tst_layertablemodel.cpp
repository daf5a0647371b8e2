// LayerTableModel over a real analysis of tests/models/tiny_conv.onnx:
// X[1,3,8,8] -> Conv(4 filters, 3x3) -> Relu -> MaxPool(2x2) -> Flatten -> Gemm(64 -> 10).
// Expected figures are worked out by hand from that architecture, not taken from the code.

#include "layertablemodel.h"
#include "onnx_reader.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTest>

#include <cmath>

using fp::LayerTableModel;

namespace {

const QString kTinyConv = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx");

std::shared_ptr<const fp::Model> loadTinyConv()
{
    return std::make_shared<const fp::Model>(fp::readOnnxFile(kTinyConv.toStdString()));
}

std::shared_ptr<const fp::AnalysisResult> analyze(const fp::Model& model, int64_t batch = 1)
{
    fp::AnalysisConfig config;
    config.shapes.batch = batch;
    return std::make_shared<const fp::AnalysisResult>(fp::analyze(model, config));
}

int rowOfOp(const QAbstractItemModel& model, const QString& op)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.index(row, LayerTableModel::OpColumn).data().toString() == op)
            return row;
    }
    return -1;
}

qint64 sortValue(const QAbstractItemModel& model, int row, int column)
{
    return model.index(row, column).data(LayerTableModel::SortRole).toLongLong();
}

// The table behind a sorting, filtering proxy set up as the window's layer view sets it up
// (LayerTableModel's sort and filter roles, a case-insensitive filter).
struct ProxiedTable {
    LayerTableModel table;
    QSortFilterProxyModel proxy;

    ProxiedTable()
    {
        proxy.setSourceModel(&table);
        proxy.setSortRole(LayerTableModel::SortRole);
        proxy.setFilterRole(LayerTableModel::FilterRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
    }
};

} // namespace

class TestLayerTableModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(kTinyConv), qPrintable(kTinyConv));
        m_model = loadTinyConv();
    }

    void modelTester()
    {
        LayerTableModel table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setAnalysis(m_model, analyze(*m_model));
        table.setAnalysis(m_model, analyze(*m_model, 4)); // the dataChanged path
        table.setAnalysis(loadTinyConv(), analyze(*m_model)); // another model: the reset path
        table.clear();
        QCOMPARE(table.rowCount(), 0);
    }

    void proxyTester()
    {
        ProxiedTable view;
        LayerTableModel& table = view.table;
        QSortFilterProxyModel& proxy = view.proxy;
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setAnalysis(m_model, analyze(*m_model));
        proxy.sort(LayerTableModel::MacsColumn, Qt::DescendingOrder);
        table.setAnalysis(m_model, analyze(*m_model, 2));
        proxy.setFilterFixedString(QStringLiteral("conv"));
        proxy.setFilterFixedString({});
        table.clear();
    }

    void oneRowPerNode()
    {
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        QCOMPARE(table.rowCount(), 5);
        QCOMPARE(table.columnCount(), int(LayerTableModel::ColumnCount));
        const QStringList ops { QStringLiteral("Conv"), QStringLiteral("Relu"), QStringLiteral("MaxPool"),
                                QStringLiteral("Flatten"), QStringLiteral("Gemm") };
        for (int row = 0; row < ops.size(); ++row)
            QCOMPARE(table.index(row, LayerTableModel::OpColumn).data().toString(), ops[row]);
        QCOMPARE(table.headerData(0, Qt::Vertical).toInt(), 1); // steps count from 1, as shown
    }

    void handCalculatedFigures()
    {
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        const int conv = rowOfOp(table, QStringLiteral("Conv"));
        const int gemm = rowOfOp(table, QStringLiteral("Gemm"));
        QVERIFY(conv >= 0 && gemm >= 0);
        // Conv: 4 filters of 3x3 over 3 channels, plus 4 biases.
        QCOMPARE(sortValue(table, conv, LayerTableModel::ParamsColumn), 4 * 3 * 3 * 3 + 4);
        // Gemm: 64 inputs to 10 outputs, plus 10 biases.
        QCOMPARE(sortValue(table, gemm, LayerTableModel::ParamsColumn), 10 * 64 + 10);
        // Conv output [1,4,8,8] of float: 256 elements of 4 bytes.
        QCOMPARE(sortValue(table, conv, LayerTableModel::InferenceColumn), 1 * 4 * 8 * 8 * 4);
        // Conv MACs: one 3x3x3 dot product per output element.
        QCOMPARE(sortValue(table, conv, LayerTableModel::MacsColumn), 4 * 8 * 8 * 27);

        QCOMPARE(table.index(conv, LayerTableModel::ParamsColumn).data().toString(), QStringLiteral("112"));
        QCOMPARE(table.index(conv, LayerTableModel::InferenceColumn).data().toString(), QStringLiteral("1.00 KiB"));
        QCOMPARE(table.index(conv, LayerTableModel::ShapeColumn).data().toString(), QStringLiteral("[1, 4, 8, 8]"));
    }

    void alignmentAndToolTips()
    {
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        const auto alignment = [&](int column) {
            return table.index(0, column).data(Qt::TextAlignmentRole).value<Qt::Alignment>();
        };
        QVERIFY(alignment(LayerTableModel::ParamsColumn) & Qt::AlignRight);
        QVERIFY(alignment(LayerTableModel::FlopsColumn) & Qt::AlignRight);
        QVERIFY(alignment(LayerTableModel::NameColumn) & Qt::AlignLeft);
        for (int column = 0; column < LayerTableModel::ColumnCount; ++column) {
            QVERIFY(!table.headerData(column, Qt::Horizontal).toString().isEmpty());
            QVERIFY(!table.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
            QVERIFY(!table.index(0, column).data(Qt::ToolTipRole).toString().isEmpty());
        }
        // The tooltip gives the exact figure the display rounds.
        QVERIFY(table.index(0, LayerTableModel::MacsColumn).data(Qt::ToolTipRole).toString().contains(
            QLocale().toString(6912)));
    }

    void sortDescendingByParams()
    {
        ProxiedTable view;
        view.table.setAnalysis(m_model, analyze(*m_model));
        QSortFilterProxyModel& proxy = view.proxy;
        proxy.sort(LayerTableModel::ParamsColumn, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, LayerTableModel::OpColumn).data().toString(), QStringLiteral("Gemm"));
        QCOMPARE(sortValue(proxy, 0, LayerTableModel::ParamsColumn), 650);
        QCOMPARE(proxy.index(1, LayerTableModel::OpColumn).data().toString(), QStringLiteral("Conv"));
        QCOMPARE(sortValue(proxy, 1, LayerTableModel::ParamsColumn), 112);
        // The step number travels with its row.
        QCOMPARE(proxy.headerData(0, Qt::Vertical).toInt(), 5);
    }

    void filterByNameOrOp()
    {
        ProxiedTable view;
        view.table.setAnalysis(m_model, analyze(*m_model));
        QSortFilterProxyModel& proxy = view.proxy;
        proxy.setFilterFixedString(QStringLiteral("maxpool"));
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, LayerTableModel::OpColumn).data().toString(), QStringLiteral("MaxPool"));
        proxy.setFilterFixedString(QStringLiteral("gemm"));
        QCOMPARE(proxy.rowCount(), 1);
    }

    // A new configuration of the same model changes figures, not rows: no reset, so the
    // selection and scroll position survive a batch change.
    void refreshKeepsRowsAndSelection()
    {
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        QItemSelectionModel selection(&table);
        selection.select(table.index(2, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QSignalSpy reset(&table, &QAbstractItemModel::modelAboutToBeReset);
        QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);

        table.setAnalysis(m_model, analyze(*m_model, 4));
        QCOMPARE(reset.count(), 0);
        // Only the columns whose figures moved are announced (so only they repaint): a batch
        // changes shapes, traffic, activations and MACs, never names or parameters.
        QSet<int> columns;
        for (const QList<QVariant>& signal : changed) {
            const QModelIndex first = signal.at(0).toModelIndex();
            const QModelIndex last = signal.at(1).toModelIndex();
            QCOMPARE(first.row(), 0);
            QCOMPARE(last.row(), table.rowCount() - 1);
            for (int column = first.column(); column <= last.column(); ++column)
                columns.insert(column);
        }
        for (int column : { LayerTableModel::ShapeColumn, LayerTableModel::ReadColumn, LayerTableModel::WriteColumn,
                            LayerTableModel::InferenceColumn, LayerTableModel::MacsColumn, LayerTableModel::FlopsColumn })
            QVERIFY2(columns.contains(column), qPrintable(QString::number(column)));
        for (int column : { LayerTableModel::NameColumn, LayerTableModel::OpColumn, LayerTableModel::ParamsColumn,
                            LayerTableModel::StorageColumn, LayerTableModel::SavedColumn })
            QVERIFY2(!columns.contains(column), qPrintable(QString::number(column)));
        QCOMPARE(table.rowCount(), 5);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().front().row(), 2);
        const int conv = rowOfOp(table, QStringLiteral("Conv"));
        QCOMPARE(sortValue(table, conv, LayerTableModel::InferenceColumn), 4 * 4 * 8 * 8 * 4);
    }

    // The table's columns beyond the DNN-analyzer's: what training keeps for backward, and the
    // core's latency and energy estimate (share of time, latency, energy).
    // Conv at batch 1, X[1,3,8,8] -> [1,4,8,8], 3x3 kernel with padding: 4 x 3 x 9 x 64 = 6,912
    // MACs and 256 bias adds; it reads X (768 B), W (432 B) and b (16 B), writes 1,024 B.
    // Training counts each layer three times (forward, input gradient, weight gradient).
    void savedAndTimeColumns()
    {
        LayerTableModel table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        fp::AnalysisConfig config;
        config.training.mode = fp::Mode::Training;
        const auto result = std::make_shared<const fp::AnalysisResult>(fp::analyze(*m_model, config));
        table.setAnalysis(m_model, result);
        const int conv = rowOfOp(table, QStringLiteral("Conv"));
        const int relu = rowOfOp(table, QStringLiteral("Relu"));
        // Conv keeps its input X[1,3,8,8] (768 B) for its weight's gradient; ReLU its output
        // [1,4,8,8] (1 KiB).
        QCOMPARE(sortValue(table, conv, LayerTableModel::SavedColumn), 3 * 8 * 8 * 4);
        QCOMPARE(sortValue(table, relu, LayerTableModel::SavedColumn), 4 * 8 * 8 * 4);
        // No estimate: dashes, never a figure pretending to be one.
        for (int column : { LayerTableModel::TimeColumn, LayerTableModel::LatencyColumn, LayerTableModel::EnergyColumn })
            QCOMPARE(table.index(conv, column).data().toString(), QStringLiteral("–"));
        QCOMPARE(table.headerData(LayerTableModel::TimeColumn, Qt::Horizontal).toString(), QStringLiteral("time %"));

        // A memory-bound device: 1 PFLOP/s but 1 GB/s, nothing lost to efficiency. Conv moves
        // 3 x (1,216 + 1,024) = 6,720 B: 6.72 us.
        fp::PerformanceConfig device;
        device.device.name = "narrow";
        device.device.peakFlops[0] = 1e15;
        device.device.bandwidthBytesPerSecond = 1e9;
        device.efficiency = 1.0;
        const auto performance = std::make_shared<const fp::PerformanceEstimate>(
            fp::estimatePerformance(*result, config, device));
        QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);
        table.setAnalysis(m_model, result, performance, QStringLiteral("narrow"));
        // In place: the three estimate columns, side by side, in one signal.
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.front().at(0).toModelIndex().column(), int(LayerTableModel::TimeColumn));
        QCOMPARE(changed.front().at(1).toModelIndex().column(), int(LayerTableModel::EnergyColumn));
        const double latency = table.index(conv, LayerTableModel::LatencyColumn).data(LayerTableModel::SortRole).toDouble();
        QVERIFY2(std::abs(latency - 6.72e-6) < 1e-15, qPrintable(QString::number(latency, 'g', 10)));
        QCOMPARE(table.index(conv, LayerTableModel::LatencyColumn).data().toString(), QStringLiteral("6.72 µs"));
        // Energy: 3 x (6,912 MACs x 4.6 pJ + 256 adds x 0.9 pJ + 2,240 B x 160 pJ) = 1,171,276.8 pJ.
        const double energy = table.index(conv, LayerTableModel::EnergyColumn).data(LayerTableModel::SortRole).toDouble();
        QVERIFY2(std::abs(energy - 1171276.8e-12) < 1e-15, qPrintable(QString::number(energy, 'g', 10)));
        QCOMPARE(table.index(conv, LayerTableModel::EnergyColumn).data(LayerTableModel::CopyRole).toString(),
                 QStringLiteral("1.17128e-06"));
        double sum = 0;
        for (int row = 0; row < table.rowCount(); ++row)
            sum += table.index(row, LayerTableModel::TimeColumn).data(LayerTableModel::SortRole).toDouble();
        QVERIFY(qFuzzyCompare(sum, 1.0));
        QVERIFY(table.index(conv, LayerTableModel::TimeColumn).data(Qt::ToolTipRole).toString().contains(
            QStringLiteral("narrow")));
        QVERIFY(table.index(conv, LayerTableModel::TimeColumn).data().toString().endsWith(QStringLiteral(" %")));
        const QString tip = table.headerData(LayerTableModel::TimeColumn, Qt::Horizontal, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("estimate")), qPrintable(tip));

        // An estimate without a device has energy but no times.
        const auto noDevice = std::make_shared<const fp::PerformanceEstimate>(
            fp::estimatePerformance(*result, config, fp::PerformanceConfig {}));
        table.setAnalysis(m_model, result, noDevice);
        QCOMPARE(table.index(conv, LayerTableModel::LatencyColumn).data().toString(), QStringLiteral("–"));
        QCOMPARE(table.index(conv, LayerTableModel::TimeColumn).data(LayerTableModel::CopyRole).toString(), QString());
        QVERIFY(std::abs(table.index(conv, LayerTableModel::EnergyColumn).data(LayerTableModel::SortRole).toDouble()
                         - 1171276.8e-12) < 1e-15);
    }

    void copiesExactFigures()
    {
        ProxiedTable view;
        view.table.setAnalysis(m_model, analyze(*m_model));
        QSortFilterProxyModel& proxy = view.proxy;
        proxy.sort(LayerTableModel::ParamsColumn, Qt::DescendingOrder); // Gemm, then Conv
        const QString tsv = LayerTableModel::rowsAsTsv(proxy, { 0, 1 }, { LayerTableModel::FlopsColumn });
        const QStringList lines = tsv.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        const QStringList header = lines[0].split(u'\t');
        QCOMPARE(header.size(), LayerTableModel::ColumnCount - 1);
        QCOMPARE(header[LayerTableModel::InferenceColumn], QStringLiteral("Inference memory (B)"));
        const QStringList gemm = lines[1].split(u'\t');
        QCOMPARE(gemm[LayerTableModel::OpColumn], QStringLiteral("Gemm"));
        QCOMPARE(gemm[LayerTableModel::ParamsColumn], QStringLiteral("650"));
        const QStringList conv = lines[2].split(u'\t');
        QCOMPARE(conv[LayerTableModel::InferenceColumn], QStringLiteral("1024")); // not "1.00 KiB"
        QCOMPARE(conv[LayerTableModel::MacsColumn], QStringLiteral("6912"));
        QCOMPARE(conv[LayerTableModel::ShapeColumn], QStringLiteral("[1, 4, 8, 8]"));
    }

    void otherModelResets()
    {
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        QSignalSpy reset(&table, &QAbstractItemModel::modelReset);
        const auto other = loadTinyConv();
        table.setAnalysis(other, analyze(*other));
        QCOMPARE(reset.count(), 1);
        QCOMPARE(table.model(), other.get());
    }

private:
    std::shared_ptr<const fp::Model> m_model;
};

QTEST_MAIN(TestLayerTableModel)

#include "tst_layertablemodel.moc"

// LayerTableModel over a real analysis of tests/models/tiny_conv.onnx:
// X[1,3,8,8] -> Conv(4 filters, 3x3) -> Relu -> MaxPool(2x2) -> Flatten -> Gemm(64 -> 10).
// Expected figures are worked out by hand from that architecture, not taken from the code.

#include "layertablemodel.h"
#include "onnx_reader.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

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
        LayerTableModel table;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&table);
        proxy.setSortRole(LayerTableModel::SortRole);
        proxy.setFilterRole(LayerTableModel::FilterRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
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
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&table);
        proxy.setSortRole(LayerTableModel::SortRole);
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
        LayerTableModel table;
        table.setAnalysis(m_model, analyze(*m_model));
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&table);
        proxy.setFilterRole(LayerTableModel::FilterRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
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
        QCOMPARE(changed.count(), 1);
        QCOMPARE(table.rowCount(), 5);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().front().row(), 2);
        const int conv = rowOfOp(table, QStringLiteral("Conv"));
        QCOMPARE(sortValue(table, conv, LayerTableModel::InferenceColumn), 4 * 4 * 8 * 8 * 4);
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

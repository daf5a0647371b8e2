// The roofline chart on a graph built here, so every figure is worked out by hand:
//
// A[64,128] x B[128,256] (MatMul, B a weight) -> Y[64,256] -> Relu -> Z, float32.
//   MatMul: 64 x 128 x 256 = 2,097,152 MACs = 4,194,304 FLOPs; reads A (32,768 B) and B
//           (131,072 B), writes Y (65,536 B): 229,376 B moved, intensity 4,194,304 / 229,376
//           = 128 / 7 = 18.29 FLOP/B.
//   Relu:   16,384 FLOPs (one per element); reads and writes 65,536 B: intensity 0.125 FLOP/B.
// A device with 1 TFLOP/s and 100 GB/s at fp32, at an efficiency of 0.5: roofs of 500 GFLOP/s
// and 50 GB/s, so the ridge is at 500 / 50 = 10 FLOP/B.
//   MatMul (18.29 > 10) is compute-bound: 4,194,304 / 5e11 = 8.388608 us, attaining 500 GFLOP/s.
//   Relu (0.125 < 10) is memory-bound: 131,072 / 5e10 = 2.62144 us, attaining 0.125 x 50 GB/s
//   = 6.25 GFLOP/s.
//   The MatMul's share of the time: 8.388608 / (8.388608 + 2.62144) = 76.19%.

#include "../core/model_builder.h"

#include "onnx_reader.h"
#include "performance.h"
#include "rooflinechart.h"

#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace fp;

namespace {

constexpr double kMatMulFlops = 2.0 * 64 * 128 * 256;
constexpr double kMatMulBytes = 64 * 128 * 4 + 128 * 256 * 4 + 64 * 256 * 4;
constexpr double kReluFlops = 64 * 256;
constexpr double kReluBytes = 2 * 64 * 256 * 4;
constexpr double kPeak = 0.5 * 1e12;
constexpr double kBandwidth = 0.5 * 1e11;

bool near(double a, double b, double relative = 1e-12)
{
    return std::abs(a - b) <= relative * std::max(std::abs(a), std::abs(b));
}

std::shared_ptr<const Model> matmulRelu()
{
    test::ModelBuilder b;
    b.input("A", { 64, 128 }).weight("B", { 128, 256 }).output("Z");
    b.node("MatMul", { "A", "B" }, { "Y" }, "matmul");
    b.node("Relu", { "Y" }, { "Z" }, "relu");
    const std::string bytes = b.bytes();
    return std::make_shared<const Model>(
        readOnnxBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "matmul_relu.onnx"));
}

PerformanceConfig device()
{
    PerformanceConfig p;
    p.device.name = "toy";
    p.device.peakFlops[0] = 1e12;
    p.device.bandwidthBytesPerSecond = 1e11;
    p.efficiency = 0.5;
    return p;
}

} // namespace

class TestRoofline : public QObject {
    Q_OBJECT
private slots:
    void init()
    {
        m_model = matmulRelu();
        m_result = std::make_shared<const AnalysisResult>(analyze(*m_model, {}));
        QCOMPARE(m_result->layers.size(), size_t(2));
        m_performance = std::make_shared<const PerformanceEstimate>(estimatePerformance(*m_result, {}, device()));
        m_chart = std::make_unique<RooflineChart>();
        m_chart->resize(900, 600);
        m_chart->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_chart.get()));
        m_chart->setAnalysis(m_model, m_result, m_performance, QStringLiteral("toy"), 0.5);
        QCoreApplication::processEvents(); // lay the chart out
    }

    void cleanup() { m_chart.reset(); }

    void pointsByHand()
    {
        QVERIFY(m_chart->hasRoofline());
        QVERIFY(near(m_chart->ridgeIntensity(), 10.0));
        const std::vector<RooflinePoint>& points = m_chart->points();
        QCOMPARE(points.size(), size_t(2));
        QCOMPARE(m_chart->skippedLayers(), 0);
        const RooflinePoint& matmul = points[0];
        QCOMPARE(m_model->graph.nodes[size_t(matmul.node)].name, std::string("matmul"));
        QVERIFY2(near(matmul.intensity, 128.0 / 7.0), qPrintable(QString::number(matmul.intensity, 'g', 12)));
        QVERIFY(near(matmul.intensity, kMatMulFlops / kMatMulBytes));
        QVERIFY(matmul.computeBound);
        QVERIFY(near(matmul.attainedFlops, kPeak));
        const RooflinePoint& relu = points[1];
        QVERIFY(near(relu.intensity, 0.125));
        QVERIFY(near(relu.intensity, kReluFlops / kReluBytes));
        QVERIFY(!relu.computeBound);
        QVERIFY2(near(relu.attainedFlops, 6.25e9), qPrintable(QString::number(relu.attainedFlops, 'g', 12)));
    }

    // What QtCharts holds: each point in its series, in G FLOP/s (the unit for a 500 GFLOP/s
    // roof), and the roof's bend at the ridge.
    void drawnSeries()
    {
        QCOMPARE(m_chart->throughputUnit().name, QStringLiteral("G"));
        QScatterSeries* compute = m_chart->computeBoundSeries();
        QScatterSeries* memory = m_chart->memoryBoundSeries();
        QVERIFY(compute->isVisible() && memory->isVisible());
        QCOMPARE(compute->count(), 1);
        QCOMPARE(memory->count(), 1);
        QVERIFY(near(compute->at(0).x(), 128.0 / 7.0));
        QVERIFY(near(compute->at(0).y(), 500.0));
        QVERIFY(near(memory->at(0).x(), 0.125));
        QVERIFY(near(memory->at(0).y(), 6.25));
        QVERIFY(compute->color() != memory->color());
        QVERIFY(compute->name().startsWith(QStringLiteral("Compute-bound (1)")));

        QLineSeries* roof = m_chart->roofSeries();
        QCOMPARE(roof->count(), 3);
        QVERIFY(near(roof->at(1).x(), 10.0)); // the ridge
        QVERIFY(near(roof->at(1).y(), 500.0));
        QVERIFY(near(roof->at(2).y(), 500.0)); // the compute ceiling, flat
        // The slope is the bandwidth: 50 GB/s x intensity, in GFLOP/s.
        QVERIFY(near(roof->at(0).y(), 50.0 * roof->at(0).x()));
        QVERIFY2(roof->name().contains(QStringLiteral("toy")) && roof->name().contains(QStringLiteral("50%")),
                 qPrintable(roof->name()));

        // Both axes are logarithmic and hold every point and the ridge.
        auto* x = qobject_cast<QLogValueAxis*>(m_chart->chart()->axes(Qt::Horizontal).front());
        auto* y = qobject_cast<QLogValueAxis*>(m_chart->chart()->axes(Qt::Vertical).front());
        QVERIFY(x && y);
        QVERIFY(x->min() < 0.125 && x->max() > 128.0 / 7.0);
        QVERIFY(y->min() < 6.25 && y->max() > 500.0);
        QVERIFY2(m_chart->titleText().contains(QStringLiteral("1 layer compute-bound, 1 memory-bound")),
                 qPrintable(m_chart->titleText()));
    }

    void toolTip()
    {
        const QString tip = m_chart->toolTipText(0);
        QVERIFY2(tip.contains(QStringLiteral("matmul")) && tip.contains(QStringLiteral("MatMul")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("18.3 FLOP/B")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("500.00 GFLOP/s")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("compute")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("8.39 µs")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("76.19 %")), qPrintable(tip));
        const QString relu = m_chart->toolTipText(1);
        QVERIFY2(relu.contains(QStringLiteral("memory bandwidth")) && relu.contains(QStringLiteral("2.62 µs"))
                     && relu.contains(QStringLiteral("23.81 %")),
                 qPrintable(relu));
        // Hovering finds the point under the mouse, and nothing away from the points.
        QCOMPARE(m_chart->pointAt(m_chart->viewPosition(1)), 1);
        QCOMPARE(m_chart->pointAt(m_chart->viewPosition(1) + QPoint(4, -3)), 1);
        QCOMPARE(m_chart->pointAt(m_chart->viewPosition(1) + QPoint(40, 0)), -1);
    }

    void clickSelectsAndSelectionHighlights()
    {
        QSignalSpy selected(m_chart.get(), &RooflineChart::nodeSelected);
        QTest::mouseClick(m_chart->viewport(), Qt::LeftButton, {}, m_chart->viewPosition(1));
        QCOMPARE(selected.count(), 1);
        const int relu = selected.front().front().toInt();
        QCOMPARE(m_model->graph.nodes[size_t(relu)].name, std::string("relu"));
        // Empty space selects nothing.
        QTest::mouseClick(m_chart->viewport(), Qt::LeftButton, {}, m_chart->viewPosition(1) + QPoint(60, -60));
        QCOMPARE(selected.count(), 1);

        m_chart->setSelectedNode(relu);
        QScatterSeries* ring = m_chart->selectionSeries();
        QVERIFY(ring->isVisible());
        QCOMPARE(ring->count(), 1);
        QVERIFY(near(ring->at(0).x(), 0.125));
        m_chart->setSelectedNode(-1);
        QVERIFY(!ring->isVisible());
    }

    void withoutDeviceSaysSo()
    {
        const auto energyOnly = std::make_shared<const PerformanceEstimate>(estimatePerformance(*m_result, {}, {}));
        m_chart->setAnalysis(m_model, m_result, energyOnly, QString(), 0.75);
        QVERIFY(!m_chart->hasRoofline());
        QVERIFY(m_chart->points().empty());
        QVERIFY(!m_chart->roofSeries()->isVisible());
        QVERIFY(!m_chart->computeBoundSeries()->isVisible());
        QVERIFY2(m_chart->titleText().contains(QStringLiteral("Choose a device")), qPrintable(m_chart->titleText()));
        QCOMPARE(m_chart->pointAt(QPoint(450, 300)), -1);
    }

    // A layer without FLOPs (a Reshape moves nothing) has no place on log axes: left out, and
    // counted.
    void layersWithoutFlopsAreCounted()
    {
        test::ModelBuilder b;
        b.input("A", { 64, 128 }).weight("B", { 128, 256 }).ints("shape", { 256, 64 }).output("R");
        b.node("MatMul", { "A", "B" }, { "Y" }, "matmul");
        b.node("Reshape", { "Y", "shape" }, { "R" }, "reshape");
        const std::string bytes = b.bytes();
        const auto model = std::make_shared<const Model>(
            readOnnxBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "reshape.onnx"));
        const auto result = std::make_shared<const AnalysisResult>(analyze(*model, {}));
        const auto performance = std::make_shared<const PerformanceEstimate>(estimatePerformance(*result, {}, device()));
        m_chart->setAnalysis(model, result, performance, QStringLiteral("toy"), 0.5);
        QCOMPARE(m_chart->points().size(), size_t(1));
        QCOMPARE(m_chart->skippedLayers(), 1);
        QVERIFY2(m_chart->titleText().contains(QStringLiteral("1 without FLOPs")), qPrintable(m_chart->titleText()));
    }

private:
    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    std::shared_ptr<const PerformanceEstimate> m_performance;
    std::unique_ptr<RooflineChart> m_chart;
};

QTEST_MAIN(TestRoofline)

#include "tst_roofline.moc"

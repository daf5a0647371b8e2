// The chart mapping (plain arithmetic, _data tables), the memory timeline, the per-layer bars
// and the configuration panel, on real analyses of the small test models. Expected figures are
// worked out by hand from the architectures:
//
// tiny_mlp.onnx: X[B,4] -> Gemm(W[3,4]^T + b[3]) -> H[B,3] -> Relu -> R[B,3] -> MatMul(W2[3,5])
// -> Y[B,5], all float32. Weights: (12 + 3) + 15 = 30 floats = 120 B, 60 B per layer.
// Inference at batch B, live bytes per step (README "The memory model": inputs held throughout,
// a buffer lives from its producer to its last consumer, outputs to the end; a ReLU after a
// Linear is F.relu, out of place):
//   step 0 Gemm:   120 + X 16B + H 12B
//   step 1 Relu:   120 + X 16B + H 12B + R 12B
//   step 2 MatMul: 120 + X 16B + R 12B + Y 20B    = 120 + 48B, the peak
// Activation bytes per layer: Gemm 12B, Relu 12B, MatMul 20B. MACs: Gemm 3*4*B = 12B,
// MatMul 3*5*B = 15B.

#include "chartmapping.h"
#include "controlpanel.h"
#include "layerbarchart.h"
#include "onnx_reader.h"
#include "rooflinechart.h"
#include "timelinechart.h"

#include <QAreaSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsTextItem>
#include <QGroupBox>
#include <QLabel>
#include <QLineSeries>
#include <QLineEdit>
#include <QSet>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTest>
#include <QValueAxis>

using namespace fp;

namespace {

const QString kModels = QStringLiteral(FOOTPRINT_TEST_MODELS);
const QString kTraces = QStringLiteral(FOOTPRINT_TEST_MODELS "/../traces");

std::shared_ptr<const Model> load(const char* name)
{
    return std::make_shared<const Model>(readOnnxFile((kModels + u'/' + QLatin1String(name)).toStdString()));
}

std::shared_ptr<const AnalysisResult> analyzeAt(const Model& model, int64_t batch, Mode mode = Mode::Inference,
                                                Optimizer optimizer = Optimizer::SGD)
{
    AnalysisConfig config;
    config.shapes.batch = batch;
    config.training.mode = mode;
    config.training.optimizer = optimizer;
    return std::make_shared<const AnalysisResult>(analyze(model, config));
}

int64_t inferencePeak(int64_t batch)
{
    return 120 + (16 + 12 + 20) * batch;
}

// The texts a chart's scene shows that QtCharts cut short ("Live m...", "10...").
QStringList elidedTexts(const QGraphicsScene* scene)
{
    QStringList elided;
    for (const QGraphicsItem* item : scene->items()) {
        QString text;
        if (const auto* rich = dynamic_cast<const QGraphicsTextItem*>(item))
            text = rich->toPlainText();
        else if (const auto* plain = dynamic_cast<const QGraphicsSimpleTextItem*>(item))
            text = plain->text();
        if (item->isVisible() && (text.contains(QLatin1String("...")) || text.contains(QChar(0x2026))))
            elided << text;
    }
    return elided;
}

// Resizes `view` and lets it lay out as a window would, then saves a picture of it where
// FOOTPRINT_SCREENSHOT_DIR asks for one.
void resizeAndSettle(QWidget& view, QSize size, const QString& shot)
{
    view.resize(size);
    QTest::qWait(20);
    for (int i = 0; i < 4; ++i)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    if (const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR"); !dir.isEmpty())
        view.grab().save(QStringLiteral("%1/%2-%3x%4.png").arg(dir, shot).arg(size.width()).arg(size.height()));
}

const LayerBar* barOf(const LayerRanking& ranking, const Model& model, const char* name)
{
    for (const LayerBar& bar : ranking.bars) {
        if (bar.node >= 0 && model.graph.nodes[size_t(bar.node)].name == name)
            return &bar;
    }
    return nullptr;
}

} // namespace

class TestCharts : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        m_mlp = load("tiny_mlp.onnx");
        QCOMPARE(m_mlp->graph.nodes.size(), size_t(3));
    }

    // --- chart mapping ------------------------------------------------------------------

    void logScale_data()
    {
        QTest::addColumn<qint64>("minimum");
        QTest::addColumn<qint64>("maximum");
        QTest::newRow("batch") << qint64(1) << qint64(4096);
        QTest::newRow("sequence") << qint64(1) << qint64(8192);
        QTest::newRow("resolution") << qint64(8) << qint64(4096);
        QTest::newRow("one value") << qint64(5) << qint64(5);
    }

    void logScale()
    {
        QFETCH(qint64, minimum);
        QFETCH(qint64, maximum);
        const LogScale scale(minimum, maximum);
        QCOMPARE(scale.value(0), minimum);
        QCOMPARE(scale.value(scale.positionCount() - 1), maximum);
        QCOMPARE(scale.value(-5), minimum); // clamped
        QCOMPARE(scale.value(1 << 20), maximum);
        for (int p = 1; p < scale.positionCount(); ++p) {
            QVERIFY(scale.value(p) > scale.value(p - 1)); // no two positions give one value
            QCOMPARE(scale.position(scale.value(p)), p);
            // Evenly spread on a log scale: no step more than a quarter of the value (at 8 steps
            // per doubling the ratio is 2^(1/8) = 1.09, more where rounding to integers widens it).
            QVERIFY2(scale.value(p) <= scale.value(p - 1) + std::max<int64_t>(1, scale.value(p - 1) / 4),
                     qPrintable(QString::number(scale.value(p))));
        }
        QCOMPARE(scale.position(minimum - 1), 0);
        QCOMPARE(scale.position(maximum + 1000), scale.positionCount() - 1);
    }

    void logScaleSmallValuesStepByOne()
    {
        // At the low end every batch is reachable: 1, 2, 3 ... the positions a drag passes.
        const LogScale scale(1, 4096);
        for (int64_t v = 1; v <= 10; ++v)
            QCOMPARE(scale.value(scale.position(v)), v);
        // Between two positions the nearer one on a log scale: 3000 lies between 2896 and 3158.
        const int p = scale.position(3000);
        QVERIFY(std::abs(double(scale.value(p)) - 3000.0) / 3000.0 < 0.05);
    }

    void downsampleKeepsThePeak_data()
    {
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("buckets");
        QTest::addColumn<int>("spike");
        QTest::newRow("fewer steps than pixels") << 175 << 1000 << 20;
        QTest::newRow("GPT-2 training") << 6000 << 1100 << 3065;
        QTest::newRow("spike on a bucket edge") << 1000 << 100 << 10;
        QTest::newRow("last step") << 1000 << 7 << 999;
    }

    void downsampleKeepsThePeak()
    {
        QFETCH(int, steps);
        QFETCH(int, buckets);
        QFETCH(int, spike);
        std::vector<TimelineStep> timeline(static_cast<size_t>(steps));
        for (int s = 0; s < steps; ++s)
            timeline[size_t(s)].liveBytes = 1000 + (s * 7919) % 500; // noise below the spike
        timeline[size_t(spike)].liveBytes = 5000;

        const std::vector<TimelineBucket> result = downsampleTimeline(timeline, buckets);
        QCOMPARE(int(result.size()), std::min(steps, buckets));
        int next = 0;
        int64_t peak = 0;
        for (const TimelineBucket& bucket : result) {
            QCOMPARE(bucket.firstStep, next); // contiguous, no step lost or drawn twice
            QVERIFY(bucket.lastStep >= bucket.firstStep);
            QVERIFY(bucket.maxStep >= bucket.firstStep && bucket.maxStep <= bucket.lastStep);
            for (int s = bucket.firstStep; s <= bucket.lastStep; ++s)
                QVERIFY(timeline[size_t(s)].liveBytes <= timeline[size_t(bucket.maxStep)].liveBytes);
            peak = std::max(peak, timeline[size_t(bucket.maxStep)].liveBytes);
            next = bucket.lastStep + 1;
        }
        QCOMPARE(next, steps);
        QCOMPARE(peak, int64_t(5000));
        QVERIFY(downsampleTimeline({}, 100).empty());
    }

    void phaseBandsOfTraining()
    {
        // Training tiny_mlp: 3 forward steps, 3 backward steps, the optimizer step.
        const auto result = analyzeAt(*m_mlp, 2, Mode::Training);
        const std::vector<PhaseBand> bands = phaseBands(result->memory.timeline);
        QCOMPARE(bands.size(), size_t(3));
        QCOMPARE(bands[0].phase, Phase::Forward);
        QCOMPARE(bands[0].firstStep, 0);
        QCOMPARE(bands[0].endStep, 3);
        QCOMPARE(bands[1].phase, Phase::Backward);
        QCOMPARE(bands[1].endStep, 6);
        QCOMPARE(bands[2].phase, Phase::Optimizer);
        QCOMPARE(bands[2].firstStep, 6);
        QCOMPARE(bands[2].endStep, 7);
    }

    void stepAtX_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<int>("step");
        QTest::newRow("left edge") << 0.0 << 0;
        QTest::newRow("inside the first step") << 0.99 << 0;
        QTest::newRow("second step") << 1.0 << 1;
        QTest::newRow("last step") << 9.5 << 9;
        QTest::newRow("past the end") << 10.0 << -1;
        QTest::newRow("before the start") << -0.1 << -1;
        QTest::newRow("NaN") << std::nan("") << -1;
    }

    void stepAtX()
    {
        QFETCH(double, x);
        QFETCH(int, step);
        QCOMPARE(fp::stepAtX(x, 10), step);
    }

    void axisUnit_data()
    {
        QTest::addColumn<double>("maximum");
        QTest::addColumn<bool>("bytes");
        QTest::addColumn<double>("divisor");
        QTest::addColumn<QString>("name");
        QTest::newRow("bytes") << 1023.0 << true << 1.0 << QStringLiteral("B");
        QTest::newRow("KiB") << 1024.0 << true << 1024.0 << QStringLiteral("KiB");
        QTest::newRow("GiB") << 9.47 * (1 << 30) << true << double(1 << 30) << QStringLiteral("GiB");
        QTest::newRow("count") << 999.0 << false << 1.0 << QString();
        QTest::newRow("G") << 4.09e9 << false << 1e9 << QStringLiteral("G");
    }

    void axisUnit()
    {
        QFETCH(double, maximum);
        QFETCH(bool, bytes);
        QFETCH(double, divisor);
        QFETCH(QString, name);
        const AxisUnit unit = fp::axisUnit(maximum, bytes);
        QCOMPARE(unit.divisor, divisor);
        QCOMPARE(unit.name, name);
    }

    void niceInterval_data()
    {
        QTest::addColumn<double>("range");
        QTest::addColumn<int>("ticks");
        QTest::addColumn<double>("interval");
        QTest::newRow("3739 steps") << 3739.0 << 8 << 500.0;
        QTest::newRow("175 steps") << 175.0 << 8 << 20.0;
        QTest::newRow("11 GiB") << 11.0 << 5 << 2.0;
        QTest::newRow("0.3") << 0.3 << 5 << 0.05;
        QTest::newRow("zero") << 0.0 << 5 << 1.0;
    }

    void niceInterval()
    {
        QFETCH(double, range);
        QFETCH(int, ticks);
        QFETCH(double, interval);
        QVERIFY(qFuzzyCompare(fp::niceInterval(range, ticks), interval));
    }

    void rankByActivations()
    {
        // Batch 2: MatMul 40 B, Gemm 24 B, Relu 24 B; equal bars keep execution order.
        const auto result = analyzeAt(*m_mlp, 2);
        const LayerRanking all = rankLayers(*result, LayerMetric::ActivationBytes, 20);
        QCOMPARE(all.bars.size(), size_t(3)); // no "other" bar when every layer has its own
        QCOMPARE(all.segments.size(), size_t(1));
        QCOMPARE(all.bars[0].total, 40.0);
        QCOMPARE(m_mlp->graph.nodes[size_t(all.bars[0].node)].name, std::string("matmul"));
        QCOMPARE(m_mlp->graph.nodes[size_t(all.bars[1].node)].name, std::string("gemm"));
        QCOMPARE(m_mlp->graph.nodes[size_t(all.bars[2].node)].name, std::string("relu"));
        QCOMPARE(all.maximum, 40.0);

        // Top 1: the rest is one "other" bar of 2 layers, 48 B.
        const LayerRanking top = rankLayers(*result, LayerMetric::ActivationBytes, 1);
        QCOMPARE(top.bars.size(), size_t(2));
        QCOMPARE(top.bars[1].layer, -1);
        QCOMPARE(top.bars[1].node, -1);
        QCOMPARE(top.bars[1].layerCount, 2);
        QCOMPARE(top.bars[1].total, 48.0);
        QCOMPARE(top.maximum, 48.0);

        // Execution order keeps the top N but lists them as they run.
        const LayerRanking ordered = rankLayers(*result, LayerMetric::ActivationBytes, 2, BarOrder::Execution);
        QCOMPARE(m_mlp->graph.nodes[size_t(ordered.bars[0].node)].name, std::string("gemm"));
        QCOMPARE(m_mlp->graph.nodes[size_t(ordered.bars[1].node)].name, std::string("matmul"));
        QCOMPARE(ordered.bars[2].total, 24.0); // Relu, in "other"
    }

    void rankMetrics()
    {
        // Batch 3, training with SGD: gradients are fp32 like the weights, 4 B per parameter.
        const auto result = analyzeAt(*m_mlp, 3, Mode::Training);
        const LayerRanking memory = rankLayers(*result, LayerMetric::Memory, 3);
        QCOMPARE(memory.segments.size(), size_t(4)); // weights, gradients, saved, activations
        const LayerBar* gemm = barOf(memory, *m_mlp, "gemm");
        QVERIFY(gemm);
        // Weights 60, gradients 15 x 4 = 60, saved: Gemm keeps X (16 x 3 = 48) for W's gradient,
        // activations 12 x 3 = 36.
        QCOMPARE(gemm->values, (std::vector<double> { 60, 60, 48, 36 }));
        QCOMPARE(gemm->total, 204.0);
        const LayerBar* relu = barOf(memory, *m_mlp, "relu");
        QCOMPARE(relu->values, (std::vector<double> { 0, 0, 36, 36 })); // ReLU keeps its output

        const LayerRanking macs = rankLayers(*result, LayerMetric::Macs, 3);
        QCOMPARE(barOf(macs, *m_mlp, "matmul")->total, 15.0 * 3);
        QCOMPARE(barOf(macs, *m_mlp, "gemm")->total, 12.0 * 3);

        const LayerRanking traffic = rankLayers(*result, LayerMetric::ReadWriteBytes, 3);
        // Gemm reads X (48 B) and its weights (60 B), writes H (36 B).
        QCOMPARE(barOf(traffic, *m_mlp, "gemm")->values, (std::vector<double> { 108, 36 }));

        // Inference has no gradients and keeps nothing for backward: those segments go.
        const auto inference = analyzeAt(*m_mlp, 3);
        QCOMPARE(rankLayers(*inference, LayerMetric::Memory, 3).segments.size(), size_t(2));
        QCOMPARE(rankLayers(*inference, LayerMetric::SavedBytes, 3).maximum, 0.0);
    }

    void logRange_data()
    {
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        QTest::newRow("inside decades") << 0.3 << 60.0 << 0.1 << 100.0;
        QTest::newRow("near the top") << 0.3 << 82.0 << 0.1 << 1000.0;
        // On or near a decade: pushed one further, so no point sits on the frame.
        QTest::newRow("on a decade") << 1.0 << 1000.0 << 0.1 << 10000.0;
        QTest::newRow("just below a decade") << 0.5 << 700.0 << 0.1 << 10000.0;
        QTest::newRow("one value") << 5.0 << 5.0 << 1.0 << 10.0;
        QTest::newRow("nothing") << 0.0 << 0.0 << 1.0 << 10.0;
    }

    void logRange()
    {
        QFETCH(double, low);
        QFETCH(double, high);
        QFETCH(double, minimum);
        QFETCH(double, maximum);
        const LogRange range = fp::logRange(low, high);
        QVERIFY2(std::abs(range.minimum / minimum - 1) < 1e-12, qPrintable(QString::number(range.minimum)));
        QVERIFY2(std::abs(range.maximum / maximum - 1) < 1e-12, qPrintable(QString::number(range.maximum)));
    }

    void durationsAndEnergies_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("duration");
        QTest::addColumn<QString>("energy");
        QTest::newRow("seconds") << 2.0 << QStringLiteral("2.00 s") << QStringLiteral("2.00 J");
        QTest::newRow("milli") << 0.01234 << QStringLiteral("12.3 ms") << QStringLiteral("12.3 mJ");
        QTest::newRow("micro") << 6.72e-6 << QStringLiteral("6.72 µs") << QStringLiteral("6.72 µJ");
        QTest::newRow("nano, three digits") << 288e-9 << QStringLiteral("288 ns") << QStringLiteral("288 nJ");
        QTest::newRow("zero") << 0.0 << QStringLiteral("0.00 s") << QStringLiteral("0.00 J");
    }

    void durationsAndEnergies()
    {
        QFETCH(double, value);
        QFETCH(QString, duration);
        QFETCH(QString, energy);
        QCOMPARE(durationText(value), duration);
        QCOMPARE(energyText(value), energy);
    }

    void configLabels()
    {
        AnalysisConfig config;
        config.shapes.batch = 8;
        config.precision = Precision::FP16;
        config.training.mode = Mode::Training;
        config.training.optimizer = Optimizer::AdamW;
        const AnalysisResult result = analyze(*m_mlp, config);
        QCOMPARE(configurationText(*m_mlp, result, config), QStringLiteral("batch 8, fp16, training (adamw), pytorch-cpu"));
        // No batch set: the model's own (tiny_mlp declares 2).
        const AnalysisConfig plain;
        QCOMPARE(configurationText(*m_mlp, analyze(*m_mlp, plain), plain), QStringLiteral("batch 2, model precision, inference, pytorch-cpu"));
    }

    // The trace's span goes onto the steps: 5 samples over 4 ms on 3 steps put the sample at
    // 2 ms on step 1.5 and the one at 3 ms on 2.25.
    void traceOnSteps()
    {
        MemoryTrace trace;
        trace.seconds = { 10.0, 10.001, 10.002, 10.003, 10.004 };
        trace.bytes = { 0, 152, 176, 256, 200 };
        const std::vector<TracePoint> points = fp::traceOnSteps(trace, 3, 100);
        QCOMPARE(points.size(), size_t(5));
        QCOMPARE(points.front().x, 0.0);
        QVERIFY(std::abs(points[2].x - 1.5) < 1e-9);
        QVERIFY(std::abs(points[3].x - 2.25) < 1e-9);
        QCOMPARE(points[3].bytes, int64_t(256));
        QCOMPARE(points.back().x, 3.0);

        // Without a clock (every sample at 0) the samples are spread evenly.
        trace.seconds.assign(5, 0.0);
        QCOMPARE(fp::traceOnSteps(trace, 4, 100)[1].x, 1.0);

        // 10,000 samples on 20 points: each slot keeps its lowest and highest, so the single
        // high sample (the peak) survives.
        MemoryTrace many;
        for (int i = 0; i < 10000; ++i) {
            many.seconds.push_back(i * 0.001);
            many.bytes.push_back(i == 6543 ? 1000 : 100 + i % 7);
        }
        const std::vector<TracePoint> reduced = fp::traceOnSteps(many, 50, 20);
        QVERIFY(reduced.size() <= 20);
        const auto peak = std::max_element(reduced.begin(), reduced.end(),
                                           [](const TracePoint& a, const TracePoint& b) { return a.bytes < b.bytes; });
        QCOMPARE(peak->bytes, int64_t(1000));
        QVERIFY(std::abs(peak->x - 6543.0 / 9999.0 * 50) < 1e-9);
        QVERIFY(std::is_sorted(reduced.begin(), reduced.end(),
                               [](const TracePoint& a, const TracePoint& b) { return a.x < b.x; }));
    }

    // --- the timeline -------------------------------------------------------------------

    void timelinePeakFollowsTheBatch()
    {
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show(); // a hidden chart waits until it is shown
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2));
        QCOMPARE(chart.stepCount(), 3);
        QCOMPARE(chart.bucketCount(), 3);
        QCOMPARE(chart.drawnPeakBytes(), inferencePeak(2)); // 216 B
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 10));
        QCOMPARE(chart.drawnPeakBytes(), inferencePeak(10)); // 600 B
        QVERIFY(!chart.exceedsLimit());

        // A 500 B device: the peak is 100 B over it.
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 10), 500, QStringLiteral("tiny"));
        QVERIFY(chart.exceedsLimit());
        QVERIFY2(chart.toolTipText(2).contains(QStringLiteral("100 B over the limit")), qPrintable(chart.toolTipText(2)));
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 10), 600);
        QVERIFY(!chart.exceedsLimit()); // exactly at the limit fits

        const QString tip = chart.toolTipText(2);
        QVERIFY2(tip.contains(QStringLiteral("matmul")) && tip.contains(QStringLiteral("600 B")), qPrintable(tip));
        QVERIFY(chart.toolTipText(3).isEmpty());

        // Three steps: ticks a whole step apart, which "%d" labels "0 1 2 3" (not "0 0 1 1 2").
        const auto* steps = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Horizontal).value(0));
        QVERIFY(steps);
        QCOMPARE(steps->tickInterval(), 1.0);
    }

    void timelineZoom()
    {
        // ResNet-style: weights are most of every step. Zoomed, the axis starts near the lowest
        // step (tiny_mlp at batch 100: 120 + 28 x 100 = 2920 B at the Gemm) instead of at zero.
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 100));
        auto* axis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front());
        QCOMPARE(axis->min(), 0.0);
        chart.setZoomed(true);
        QVERIFY(axis->min() > 0);
        QVERIFY(axis->min() * 1024 <= 2920.0); // in KiB; the lowest step is still on the chart
        QVERIFY(axis->max() * 1024 >= double(inferencePeak(100)));
        QCOMPARE(chart.drawnPeakBytes(), inferencePeak(100));
        chart.setZoomed(false);
        QCOMPARE(axis->min(), 0.0);
    }

    void timelineDownsamplesLongRuns()
    {
        // GPT-2 (2 layers) in training: hundreds of steps in a chart 300 pixels wide.
        const auto gpt2 = load("gpt2_2l.onnx");
        AnalysisConfig config;
        config.shapes.dims["sequence"] = 128;
        config.training.mode = Mode::Training;
        const auto result = std::make_shared<const AnalysisResult>(analyze(*gpt2, config));
        TimelineChart chart;
        chart.resize(300, 200);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setAnalysis(gpt2, result);
        QVERIFY(chart.stepCount() > 300);
        QVERIFY(chart.bucketCount() < chart.stepCount());
        QCOMPARE(chart.drawnPeakBytes(), result->memory.peakBytes); // the peak survives
    }

    void timelineClickSelectsNode()
    {
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2, Mode::Training));
        QCoreApplication::processEvents(); // lay the chart out
        QSignalSpy selected(&chart, &TimelineChart::nodeSelected);
        // The middle of step 4 (the backward pass of Relu), halfway up the plot.
        const QRectF plot = chart.chart()->plotArea();
        const QPointF inChart(chart.chart()->mapToPosition(QPointF(4.5, 0)).x(), plot.center().y());
        const QPoint position = chart.mapFromScene(chart.chart()->mapToScene(inChart));
        QCOMPARE(chart.stepAt(position), 4);
        QTest::mouseClick(chart.viewport(), Qt::LeftButton, {}, position);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(m_mlp->graph.nodes[size_t(selected.front().front().toInt())].name, std::string("relu"));
        // The optimizer step (6) runs no node: nothing to select.
        const QPointF optimizer(chart.chart()->mapToPosition(QPointF(6.5, 0)).x(), plot.center().y());
        QTest::mouseClick(chart.viewport(), Qt::LeftButton, {}, chart.mapFromScene(chart.chart()->mapToScene(optimizer)));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(chart.stepAt(QPoint(2, 2)), -1); // outside the plot
    }

    // tests/traces/footprint-tiny_mlp-b2.json: tiny_mlp at batch 2, measured peak 256 B at 3 ms
    // of a 4 ms run. The estimate is 120 + 48 x 2 = 216 B: 40 B less, -15.625% of the measurement.
    void timelineTraceOverlay()
    {
        const MemoryTrace trace = readMemoryTrace(kTraces.toStdString() + "/footprint-tiny_mlp-b2.json");
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QSignalSpy overlays(&chart, &TimelineChart::overlaysChanged);
        // Before the model, as with --trace on the command line: the trace waits for it.
        chart.setTrace(std::make_shared<const MemoryTrace>(trace), QStringLiteral("footprint-tiny_mlp-b2.json"));
        QVERIFY(chart.hasTrace());
        QVERIFY(!chart.traceComparison());
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2));
        QVERIFY(chart.hasTrace());
        const std::optional<PeakComparison> peak = chart.traceComparison();
        QVERIFY(peak);
        QCOMPARE(peak->estimatedBytes, int64_t(216));
        QCOMPARE(peak->measuredBytes, int64_t(256));
        QCOMPARE(peak->differenceBytes, int64_t(-40));
        QVERIFY(std::abs(peak->differencePercent - -15.625) < 1e-9);
        const QString label = chart.traceText();
        QVERIFY2(label.contains(QStringLiteral("216 B")) && label.contains(QStringLiteral("256 B"))
                     && label.contains(QStringLiteral("-40 B (-15.6%)")),
                 qPrintable(label));

        // The measured line: five samples over the three steps, its peak at step 2.25, and the
        // memory axis reaching above the measured peak (which is above the estimate).
        QLineSeries* line = chart.traceSeries();
        QVERIFY(line->isVisible());
        QCOMPARE(line->count(), 5);
        QCOMPARE(line->at(3).x(), 2.25);
        QCOMPARE(line->at(3).y() * chart.memoryUnitDivisor(), 256.0);
        auto* axis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front());
        QVERIFY(axis->max() * chart.memoryUnitDivisor() > 256.0);
        QVERIFY(line->name().contains(QStringLiteral("footprint-tiny_mlp-b2.json")));

        // A new configuration moves the estimate, not the measurement: batch 4 is 312 B.
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 4));
        QCOMPARE(chart.traceComparison()->differenceBytes, int64_t(312 - 256));

        chart.clearTrace();
        QVERIFY(!chart.hasTrace());
        QVERIFY(!line->isVisible());
        QVERIFY(chart.traceText().isEmpty());
        QCOMPARE(overlays.count(), 2);

        // Another model drops the trace: it measured a run of this one.
        chart.setTrace(std::make_shared<const MemoryTrace>(trace), QStringLiteral("again"));
        const auto conv = load("tiny_conv.onnx");
        chart.setAnalysis(conv, analyzeAt(*conv, 1));
        QVERIFY(!chart.hasTrace());
        QVERIFY(!line->isVisible());
    }

    // An onnxruntime profile has per-node sizes and no samples: nothing to draw, and the label
    // says so rather than showing a difference.
    void timelineTraceWithoutSamples()
    {
        const MemoryTrace trace = readMemoryTrace(kTraces.toStdString() + "/onnxruntime-handmade-tiny_conv.json");
        const auto conv = load("tiny_conv.onnx");
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        chart.setAnalysis(conv, analyzeAt(*conv, 1));
        chart.setTrace(std::make_shared<const MemoryTrace>(trace), QStringLiteral("profile.json"));
        QVERIFY(!chart.traceComparison());
        QVERIFY(!chart.traceSeries()->isVisible());
        QVERIFY2(chart.traceText().contains(QStringLiteral("no memory samples")), qPrintable(chart.traceText()));
    }

    // Pinned at batch 2 (peak 216 B), then batch 8 (504 B): the dashed line keeps batch 2's
    // totals per step (176, 200, 216), named by its configuration.
    void timelineComparison()
    {
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        AnalysisConfig config;
        config.shapes.batch = 2;
        const auto pinned = std::make_shared<const AnalysisResult>(analyze(*m_mlp, config));
        chart.setAnalysis(m_mlp, pinned);
        QLineSeries* line = chart.comparisonSeries();
        QVERIFY(!line->isVisible());
        chart.pinComparison(configurationText(*m_mlp, *pinned, config));
        QVERIFY(chart.hasComparison());
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 8));
        QCOMPARE(chart.drawnPeakBytes(), inferencePeak(8));
        QVERIFY(line->isVisible());
        QCOMPARE(line->pen().style(), Qt::DashLine);
        QVERIFY2(line->name().contains(QStringLiteral("batch 2, model precision, inference")), qPrintable(line->name()));
        // Two points per step (a flat run over [s, s + 1)), in drawn units.
        QCOMPARE(line->count(), 6);
        const double unit = chart.memoryUnitDivisor();
        QCOMPARE(line->at(0).y() * unit, 120.0 + 28 * 2); // Gemm: weights, X and H
        QCOMPARE(line->at(2).y() * unit, 120.0 + 40 * 2); // Relu: and R beside H
        QCOMPARE(line->at(4).y() * unit, double(inferencePeak(2)));
        QCOMPARE(line->at(5).x(), 3.0);
        // In the legend, by its name.
        QVERIFY(chart.legend().texts().contains(line->name()));

        chart.clearComparison();
        QVERIFY(!chart.hasComparison());
        QVERIFY(!line->isVisible());
        QCOMPARE(line->count(), 0);
    }

    // --- the bars -----------------------------------------------------------------------

    void barsFollowTheBatch()
    {
        LayerBarChart bars;
        bars.resize(800, 400);
        bars.show(); // a hidden chart waits until it is shown
        bars.setMetric(LayerMetric::ActivationBytes);
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2));
        QCOMPARE(bars.ranking().bars.size(), size_t(3));
        QCOMPARE(bars.barLabels().front(), QStringLiteral("matmul"));
        // QtCharts holds the bars bottom first, in the axis unit (bytes here).
        QCOMPARE(bars.barSets().size(), 1);
        QBarSet* set = bars.barSets().front();
        QCOMPARE(set->count(), 3);
        QCOMPARE(set->at(2), 20.0 * 2); // the top bar: MatMul
        QCOMPARE(set->at(0), 12.0 * 2); // Relu, after Gemm in execution order

        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 10));
        QCOMPARE(set->at(2), 20.0 * 10);
        QCOMPARE(set->at(1), 12.0 * 10);
        QCOMPARE(bars.ranking().bars[0].total, 200.0);

        // Top 1 with the rest summed: two bars, "2 other layers" at the bottom.
        bars.setBarCount(1);
        QCOMPARE(bars.barSets().front()->count(), 2);
        QVERIFY2(bars.barLabels().back().startsWith(QStringLiteral("2 other layers")), qPrintable(bars.barLabels().back()));
        QCOMPARE(bars.barSets().front()->at(0), 240.0); // 12 x 10 + 12 x 10
    }

    void hiddenChartsCatchUpWhenShown()
    {
        // Out of sight, the charts skip the work; shown, they draw the latest analysis.
        LayerBarChart bars;
        bars.setMetric(LayerMetric::ActivationBytes);
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2));
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 5));
        bars.show();
        QCOMPARE(bars.ranking().bars[0].total, 20.0 * 5);
        TimelineChart timeline;
        timeline.setAnalysis(m_mlp, analyzeAt(*m_mlp, 5));
        QCOMPARE(timeline.drawnPeakBytes(), 0);
        timeline.show();
        QCOMPARE(timeline.drawnPeakBytes(), inferencePeak(5));
    }

    void barsStackByCategory()
    {
        LayerBarChart bars;
        bars.resize(800, 400);
        bars.show();
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 3, Mode::Training));
        QCOMPARE(bars.metric(), LayerMetric::Memory);
        QStringList labels;
        for (QBarSet* set : bars.barSets())
            labels << set->label();
        QCOMPARE(labels, (QStringList { QStringLiteral("Weights"), QStringLiteral("Gradients"),
                                        QStringLiteral("Saved activations"), QStringLiteral("Activations") }));
        // Inference: weights and activations only.
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 3));
        QCOMPARE(bars.barSets().size(), 2);
        bars.setMetric(LayerMetric::SavedBytes);
        QVERIFY(!bars.findChild<QLabel*>(QStringLiteral("barNote"))->text().isEmpty()); // says why it is empty
    }

    void barClickSelectsNode()
    {
        LayerBarChart bars;
        bars.show();
        bars.setMetric(LayerMetric::ActivationBytes);
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 2));
        QSignalSpy selected(&bars, &LayerBarChart::nodeSelected);
        auto* series = bars.chartView()->chart()->series().front();
        // Series index 2 is the top bar, MatMul.
        QMetaObject::invokeMethod(series, "clicked", Q_ARG(int, 2), Q_ARG(QBarSet*, bars.barSets().front()));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(m_mlp->graph.nodes[size_t(selected.front().front().toInt())].name, std::string("matmul"));

        bars.setSelectedNode(selected.front().front().toInt());
        QCOMPARE(bars.barSets().front()->selectedBars(), QList<int> { 2 });
        bars.setAnalysis(m_mlp, analyzeAt(*m_mlp, 4)); // survives a new analysis
        QCOMPARE(bars.barSets().front()->selectedBars(), QList<int> { 2 });
        bars.setSelectedNode(-1);
        QVERIFY(bars.barSets().front()->selectedBars().isEmpty());
    }

    // Long scope paths cut to a budget keep what tells rows apart: the layer index and the
    // operator, with "/…" for the parts left out; names that fit stay whole.
    void elideDistinctKeepsTheDifference()
    {
        QStringList names;
        for (int i = 0; i < 8; ++i)
            names << QStringLiteral("/encoder/layers/encoder.layers.%1/self_attention/Softmax").arg(i);
        names << QStringLiteral("/encoder/ln/Add") << QStringLiteral("/encoder/layers/encoder.layers.7/mlp/MatMul");
        const auto length = [](const QString& text) { return double(text.size()); };
        const QStringList elided = elideDistinct(names, 40, length);
        QCOMPARE(elided.size(), names.size());
        QCOMPARE(QSet<QString>(elided.begin(), elided.end()).size(), names.size());
        for (int i = 0; i < 8; ++i) {
            QVERIFY2(elided[i].contains(QStringLiteral("layers.%1").arg(i)), qPrintable(elided[i]));
            QVERIFY2(elided[i].endsWith(QLatin1String("/Softmax")), qPrintable(elided[i]));
            QVERIFY2(elided[i].size() <= 40 && elided[i].contains(QChar(0x2026)), qPrintable(elided[i]));
        }
        QCOMPARE(elided[8], names[8]);
        QVERIFY2(elided[9].contains(QLatin1String("layers.7")) && elided[9].endsWith(QLatin1String("/MatMul")),
                 qPrintable(elided[9]));
        // Too little room for even the parts that differ: the end, the most particular part.
        const QStringList tiny = elideDistinct({ names[3], names[4] }, 12, length);
        QVERIFY2(tiny[0].size() <= 12 && tiny[0].endsWith(QLatin1String("Softmax")), qPrintable(tiny[0]));
    }

    // The bars' names stay distinct, and a name shows whole on hover (elideDistinct() above
    // tests the cutting: the test models' names fit the column).
    void barNamesStayDistinctWithTooltips()
    {
        const auto bert = load("bert_2l.onnx");
        AnalysisConfig config;
        const auto result = std::make_shared<const AnalysisResult>(analyze(*bert, config));
        LayerBarChart bars;
        bars.resize(900, 700);
        bars.show();
        bars.setMetric(LayerMetric::Macs);
        bars.setBarCount(30);
        bars.setAnalysis(bert, result);
        const QStringList labels = bars.barLabels();
        QCOMPARE(QSet<QString>(labels.begin(), labels.end()).size(), labels.size());
        for (QGraphicsItem* item : bars.chartView()->scene()->items()) {
            const auto* name = dynamic_cast<QGraphicsSimpleTextItem*>(item);
            if (!name || !labels.contains(name->text()) || name->text().contains(QLatin1String("other layer")))
                continue;
            QVERIFY(!name->toolTip().isEmpty());
            QVERIFY2(name->text() == name->toolTip() || name->text().contains(QChar(0x2026)), qPrintable(name->text()));
        }
    }

    // Issue 17: the timeline laid out at the window's sizes (the dock of a 1024x700 window is
    // about 600x185, of 1400x900 700x260), and after a shrink and a grow, never cuts a number,
    // a title or a legend entry: the legend wraps, the axis titles give way, the labels keep
    // the unit.
    void timelineReadableAtAnySize()
    {
        const auto gpt2 = load("gpt2_2l.onnx");
        AnalysisConfig config;
        config.shapes.dims["sequence"] = 128;
        config.training.mode = Mode::Training;
        config.training.optimizer = Optimizer::Adam;
        const auto result = std::make_shared<const AnalysisResult>(analyze(*gpt2, config));
        TimelineChart chart;
        chart.show();
        chart.setAnalysis(gpt2, result, int64_t(24) << 30, QStringLiteral("RTX-4090"));
        const QList<QSize> sizes = { QSize(706, 261), QSize(604, 185), QSize(1061, 185), QSize(1900, 400),
                                     QSize(420, 160), QSize(1400, 300) };
        for (const QSize& size : sizes) {
            resizeAndSettle(chart, size, QStringLiteral("timeline"));
            const QStringList elided = elidedTexts(chart.scene());
            QVERIFY2(elided.isEmpty(), qPrintable(QStringLiteral("%1x%2: %3").arg(size.width()).arg(size.height()).arg(elided.join(u'|'))));
            const QStringList legend = chart.legend().texts();
            for (const char* name : { "Saved activations", "Optimizer state", "Gradients", "RTX-4090 (24.00 GiB)" })
                QVERIFY2(legend.contains(QLatin1String(name)), name);
            // Every entry inside the chart: wrapped, not run off the right edge.
            for (QGraphicsItem* item : chart.scene()->items()) {
                if (const auto* text = dynamic_cast<QGraphicsSimpleTextItem*>(item); text && legend.contains(text->text()))
                    QVERIFY(text->sceneBoundingRect().right() <= chart.chart()->size().width());
            }
        }
        auto* axis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front());
        QVERIFY2(axis->labelFormat().endsWith(QLatin1String("GiB")), qPrintable(axis->labelFormat()));
        // The roofline on the same analysis, at the central area's sizes.
        PerformanceConfig performance;
        performance.device = *findDevice(builtinDevices(), "RTX-4090");
        RooflineChart roofline;
        roofline.show();
        roofline.setAnalysis(gpt2, result,
                             std::make_shared<const PerformanceEstimate>(estimatePerformance(*result, config, performance)),
                             QStringLiteral("RTX-4090"), 0.75);
        for (const QSize& size : { QSize(930, 170), QSize(600, 260), QSize(1600, 500), QSize(930, 170) }) {
            resizeAndSettle(roofline, size, QStringLiteral("roofline"));
            const QStringList elided = elidedTexts(roofline.scene());
            QVERIFY2(elided.isEmpty(), qPrintable(QStringLiteral("%1x%2: %3").arg(size.width()).arg(size.height()).arg(elided.join(u'|'))));
        }
    }

    // The area over the limit is opaque red, and its legend entry has that very colour.
    void timelineOverLimitLegendMatchesTheArea()
    {
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 10), 500, QStringLiteral("tiny"));
        QVERIFY(chart.exceedsLimit());
        QAreaSeries* over = nullptr;
        for (QAbstractSeries* series : chart.chart()->series())
            if (series->name() == QLatin1String("Over the limit"))
                over = qobject_cast<QAreaSeries*>(series);
        QVERIFY(over && over->isVisible());
        QCOMPARE(over->brush().color().alpha(), 255);
        QCOMPARE(chart.legend().brush(QStringLiteral("Over the limit")).color(), over->brush().color());
    }

    // Zoomed, the unit suits the part seen: tiny_mlp's ~3 KiB steps under a 1 GiB limit read
    // in KiB, not as 0.000003 GiB.
    void timelineZoomChoosesTheUnit()
    {
        TimelineChart chart;
        chart.resize(800, 300);
        chart.show();
        chart.setAnalysis(m_mlp, analyzeAt(*m_mlp, 100), int64_t(1) << 30, QStringLiteral("1 GiB"));
        QCOMPARE(chart.memoryUnitDivisor(), double(int64_t(1) << 30));
        chart.setZoomed(true);
        QCOMPARE(chart.memoryUnitDivisor(), 1024.0);
        auto* axis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front());
        QVERIFY2(axis->labelFormat().endsWith(QLatin1String("KiB")), qPrintable(axis->labelFormat()));
        // The limit, far above the zoomed axis, is not drawn at its top.
        for (QAbstractSeries* series : chart.chart()->series())
            if (series->name().contains(QLatin1String("1 GiB")))
                QVERIFY(!series->isVisible());
    }

    // --- the configuration panel --------------------------------------------------------

    void panelShowsTheModelsDimensions()
    {
        ControlPanel panel;
        const auto gpt2 = load("gpt2_2l.onnx");
        panel.setModel(gpt2.get());
        QCOMPARE(panel.dimensionNames(), QStringList { QStringLiteral("sequence") }); // "batch" is dim 0
        QVERIFY(panel.findChild<QGroupBox*>(QStringLiteral("resolutionGroup"))->isHidden()); // no image input
        QVERIFY(!panel.findChild<QGroupBox*>(QStringLiteral("dimensionGroup"))->isHidden());
        QVERIFY(!panel.findChild<QComboBox*>(QStringLiteral("workspaceComboBox"))->isEnabled()); // no convolutions

        const auto conv = load("tiny_conv.onnx");
        panel.setModel(conv.get());
        QVERIFY(panel.dimensionNames().isEmpty());
        QVERIFY(!panel.findChild<QGroupBox*>(QStringLiteral("resolutionGroup"))->isHidden());
        QVERIFY(panel.findChild<QGroupBox*>(QStringLiteral("dimensionGroup"))->isHidden());
        QVERIFY(panel.findChild<QComboBox*>(QStringLiteral("workspaceComboBox"))->isEnabled());

        // LSTM inputs are [seq, batch, features] (time-major): dim 1 is what --batch and the
        // batch slider set, and "seq" gets a slider of its own.
        const auto lstm = load("lstm_gru.onnx");
        panel.setModel(lstm.get());
        QCOMPARE(panel.dimensionNames(), QStringList { QStringLiteral("seq") });
        QVERIFY(panel.findChild<QGroupBox*>(QStringLiteral("resolutionGroup"))->isHidden()); // 3-D, no image

        // NHWC from tf2onnx: height and width are dims 1 and 2, its batch symbol is dim 0.
        const auto nhwc = load("tf_style_nhwc.onnx");
        panel.setModel(nhwc.get());
        QVERIFY(panel.dimensionNames().isEmpty());
        panel.showResolved(*std::make_shared<const AnalysisResult>(analyze(*nhwc, {})));
        QCOMPARE(panel.findChild<QSpinBox*>(QStringLiteral("heightSpinBox"))->value(), 224);
        QCOMPARE(panel.findChild<QSpinBox*>(QStringLiteral("widthSpinBox"))->value(), 224);
    }

    void panelEditsTheConfiguration()
    {
        ControlPanel panel;
        const auto gpt2 = load("gpt2_2l.onnx");
        panel.setModel(gpt2.get());
        QSignalSpy changed(&panel, &ControlPanel::configChanged);

        // The slider moves in log steps; the spin box takes any value.
        auto* batchSlider = panel.findChild<QSlider*>(QStringLiteral("batchSlider"));
        const LogScale scale(1, 4096);
        batchSlider->setValue(scale.position(64));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.back().front().toBool(), true); // the batch alone
        QCOMPARE(panel.config().shapes.batch.value_or(0), 64);
        QCOMPARE(panel.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->value(), 64);

        panel.dimensionSlider(QStringLiteral("sequence"))->spinBox()->setValue(1000);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(changed.back().front().toBool(), false);
        QCOMPARE(panel.config().shapes.dims.at("sequence"), 1000);

        auto* mode = panel.findChild<QComboBox*>(QStringLiteral("modeComboBox"));
        auto* optimizer = panel.findChild<QComboBox*>(QStringLiteral("optimizerComboBox"));
        QVERIFY(!optimizer->isEnabled());
        mode->setCurrentIndex(mode->findData(int(Mode::Training)));
        QCOMPARE(panel.config().training.mode, Mode::Training);
        QVERIFY(optimizer->isEnabled());

        // setConfig() shows a configuration without reporting it back.
        AnalysisConfig config;
        config.shapes.batch = 8;
        config.shapes.dims["sequence"] = 1024;
        config.precision = Precision::BF16;
        const int before = changed.count();
        panel.setConfig(config);
        QCOMPARE(changed.count(), before);
        QCOMPARE(panel.findChild<QSpinBox*>(QStringLiteral("batchSpinBox"))->value(), 8);
        QCOMPARE(panel.dimensionSlider(QStringLiteral("sequence"))->value(), 1024);
        QCOMPARE(panel.findChild<QComboBox*>(QStringLiteral("precisionComboBox"))->currentData().toInt(),
                 int(Precision::BF16));
    }

    void panelBudget()
    {
        ControlPanel panel;
        QVERIFY(!panel.budget());
        QSignalSpy changed(&panel, &ControlPanel::budgetChanged);

        // A preset, as --device gives it.
        const Device* rtx = findDevice(builtinDevices(), "RTX-4090");
        panel.setBudget(*rtx, rtx->memoryBytes);
        QCOMPARE(panel.budget()->name, QStringLiteral("RTX-4090"));
        QCOMPARE(panel.budget()->bytes, rtx->memoryBytes);
        QCOMPARE(panel.device()->name, std::string("RTX-4090"));

        // A size of one's own, as --fit-memory gives it, then typed in.
        panel.setBudget(std::nullopt, int64_t(600));
        QCOMPARE(panel.budget()->bytes, 600);
        QVERIFY(panel.budget()->name.isEmpty());
        QVERIFY(!panel.device());
        QCOMPARE(changed.count(), 0);
        auto* edit = panel.findChild<QLineEdit*>(QStringLiteral("customBudgetEdit"));
        edit->setText(QStringLiteral("2 KiB"));
        emit edit->editingFinished();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.budget()->bytes, 2048);
        edit->setText(QStringLiteral("lots"));
        emit edit->editingFinished();
        QCOMPARE(changed.count(), 1); // refused
        QCOMPARE(panel.budget()->bytes, 2048);

        auto* devices = panel.findChild<QComboBox*>(QStringLiteral("deviceComboBox"));
        devices->setCurrentIndex(0);
        QCOMPARE(changed.count(), 2);
        QVERIFY(!panel.budget());
    }

private:
    std::shared_ptr<const Model> m_mlp;
};

QTEST_MAIN(TestCharts)

#include "tst_charts.moc"

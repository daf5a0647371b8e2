#include "timelinechart.h"

#include "assignifchanged.h"
#include "layertablemodel.h"
#include "formatting.h"

#include <QAreaSeries>
#include <QFontMetricsF>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QLineSeries>
#include <QLocale>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace fp {

namespace {

// Steps drawn per bucket are never fewer than this many buckets across, so a narrow dock
// still shows the shape of a long timeline.
constexpr int kMinBuckets = 64;
// Head room above the highest of the peak and the limit, for the peak's label.
constexpr double kHeadRoom = 1.16;

const QColor kOverColor(0xd6, 0x27, 0x28);
const QColor kBackwardBand(0xe9, 0xee, 0xf5);
const QColor kOptimizerBand(0xfb, 0xef, 0xd5);
const QColor kRecomputeBand(0xe6, 0xf2, 0xe6); // a checkpoint segment's forward, run again
const QColor kTraceColor(0x14, 0x14, 0x14);
const QColor kPinnedColor(0x6a, 0x3d, 0x9a);
// A generation's prefill and decode steps (Tableau's orange and blue).
const QColor kPrefillColor(0xf2, 0x8e, 0x2b);
const QColor kDecodeColor(0x4e, 0x79, 0xa7);

// Shows or hides a series; one drawn but not named (a band, the selection) stays out of the legend.
void showSeries(ChartLegend& legend, QAbstractSeries* series, bool visible, bool inLegend = true)
{
    series->setVisible(visible);
    legend.setInLegend(series, inLegend);
}

bool isTraining(const MemoryPlan& memory)
{
    return std::any_of(memory.timeline.begin(), memory.timeline.end(),
                       [](const TimelineStep& step) { return step.phase != Phase::Forward; });
}

QString phaseText(Phase phase)
{
    switch (phase) {
    case Phase::Forward:
        return TimelineChart::tr("forward");
    case Phase::Backward:
        return TimelineChart::tr("backward");
    case Phase::Optimizer:
        return TimelineChart::tr("optimizer step");
    case Phase::Recompute:
        return TimelineChart::tr("recompute");
    }
    return {};
}

} // namespace

TimelineChart::TimelineChart(QWidget* parent)
    : AnalysisChartView(parent)
{
    setObjectName(QStringLiteral("timelineChart"));
    // The chart the view made for itself: setChart() would release it without deleting it.
    m_chart = chart();
    m_chart->setBackgroundRoundness(0);
    m_legend = std::make_unique<ChartLegend>(m_chart, QMargins(6, 6, 10, 4));
    // Items move on every update; a BSP index would be rebuilt each time for nothing.
    scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    // No antialiasing: the areas are steps of horizontal and vertical edges, and stroking
    // antialiased grid lines was a fifth of the paint time. Text is antialiased regardless.
    setRenderHint(QPainter::Antialiasing, false);
    setMouseTracking(true);
    setMinimumHeight(160);

    m_axisX = new QValueAxis(m_chart);
    m_axisX->setTitleText(tr("Execution step"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setGridLineVisible(false);
    m_axisY = new QValueAxis(m_chart); // its labels carry the unit: the title may not fit
    m_axisY->setMinorGridLineVisible(false);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);

    const auto addSeries = [this](QAbstractSeries* series) {
        m_chart->addSeries(series);
        series->attachAxis(m_axisX);
        series->attachAxis(m_axisY);
    };

    // Added first, so they are painted first: the bands lie behind the data.
    for (size_t i = 0; i < m_bandAreas.size(); ++i) {
        m_bandLines[i] = new QLineSeries(this);
        m_bandAreas[i] = new QAreaSeries(m_bandLines[i]);
        m_bandAreas[i]->setName(i == 0 ? tr("Backward pass") : i == 1 ? tr("Optimizer step") : tr("Recomputed forward"));
        m_bandAreas[i]->setBrush(i == 0 ? kBackwardBand : i == 1 ? kOptimizerBand : kRecomputeBand);
        m_bandAreas[i]->setPen(Qt::NoPen);
        addSeries(m_bandAreas[i]);
    }

    // Each category's area reaches from zero to the running total up to it, and the areas are
    // painted from the top of the stack down, each over the one before: the picture of a
    // stack, with one line per area instead of two. (An area between two lines costs QtCharts
    // a stroked hit-test path per line on every update, the largest part of a slider step.)
    for (size_t i = kStackOrder.size(); i-- > 0;) {
        const Category category = kStackOrder[i];
        m_stackLines[i] = new QLineSeries(this);
        m_stackAreas[i] = new QAreaSeries(m_stackLines[i]);
        m_stackAreas[i]->setName(categoryLabel(category));
        const QColor color = categoryColor(category);
        m_stackAreas[i]->setBrush(color);
        m_stackAreas[i]->setPen(QPen(color.darker(125), 1));
        addSeries(m_stackAreas[i]);
    }

    // A generation: the prefill's bar, the decode steps' area, and the split between them.
    m_prefillLine = new QLineSeries(this);
    m_prefillArea = new QAreaSeries(m_prefillLine);
    m_prefillArea->setBrush(kPrefillColor);
    m_prefillArea->setPen(QPen(kPrefillColor.darker(125), 1));
    addSeries(m_prefillArea);
    m_decodeLine = new QLineSeries(this);
    m_decodeArea = new QAreaSeries(m_decodeLine);
    m_decodeArea->setBrush(kDecodeColor);
    m_decodeArea->setPen(QPen(kDecodeColor.darker(125), 1));
    addSeries(m_decodeArea);
    m_splitLine = new QLineSeries(this);
    m_splitLine->setPen(QPen(QColor(0x40, 0x40, 0x40), 1, Qt::DashLine));
    addSeries(m_splitLine);

    m_overLine = new QLineSeries(this);
    m_limitLine = new QLineSeries(this);
    // The red part: between the limit (a straight line, so two points do) and the live total.
    m_overArea = new QAreaSeries(m_overLine, m_limitLine);
    m_overArea->setName(tr("Over the limit"));
    m_overArea->setBrush(kOverColor); // opaque: the legend's swatch is the colour seen
    m_overArea->setPen(Qt::NoPen);
    addSeries(m_overArea);

    QPen limitPen(kOverColor, 1.5, Qt::DashLine);
    m_limitLine->setPen(limitPen);
    addSeries(m_limitLine);

    // The overlays lie over the estimate: the pinned configuration's total, dashed, and the
    // measured trace, solid, with its peak as a ring.
    m_pinnedLine = new QLineSeries(this);
    m_pinnedLine->setPen(QPen(kPinnedColor, 2, Qt::DashLine));
    addSeries(m_pinnedLine);
    m_traceLine = new QLineSeries(this);
    m_traceLine->setPen(QPen(kTraceColor, 1.5));
    addSeries(m_traceLine);
    m_tracePeak = new QScatterSeries(this);
    m_tracePeak->setMarkerSize(11);
    m_tracePeak->setColor(Qt::transparent);
    m_tracePeak->setBorderColor(kTraceColor);
    m_tracePeak->setPen(QPen(kTraceColor, 2));
    addSeries(m_tracePeak);

    for (QLineSeries*& line : m_selectionLines) {
        line = new QLineSeries(this);
        line->setPen(QPen(QColor(0x20, 0x20, 0x20), 1.5));
        addSeries(line);
    }

    m_peakMarker = new QScatterSeries(this);
    m_peakMarker->setName(tr("Peak"));
    m_peakMarker->setMarkerSize(9);
    m_peakMarker->setColor(QColor(0x20, 0x20, 0x20));
    m_peakMarker->setBorderColor(Qt::white);
    addSeries(m_peakMarker);
    m_peakLabel = new QGraphicsSimpleTextItem(m_chart);
    QFont labelFont = font();
    labelFont.setBold(true);
    m_peakLabel->setFont(labelFont);
    m_peakLabel->setBrush(palette().color(QPalette::Text));
    m_peakLabel->setZValue(10);
    m_peakLabel->hide();

    for (QGraphicsSimpleTextItem*& label : m_bandLabels) {
        label = new QGraphicsSimpleTextItem(m_chart);
        label->setBrush(palette().color(QPalette::PlaceholderText));
        label->setZValue(10);
        label->hide();
    }
    m_traceLabelBack = new QGraphicsRectItem(m_chart);
    m_traceLabelBack->setBrush(QColor(255, 255, 255, 225));
    m_traceLabelBack->setPen(QPen(QColor(0xbb, 0xbb, 0xbb), 1));
    m_traceLabelBack->setZValue(11);
    m_traceLabelBack->hide();
    m_traceLabel = new QGraphicsSimpleTextItem(m_traceLabelBack);
    m_traceLabel->setBrush(palette().color(QPalette::Text));
    connect(m_chart, &QChart::plotAreaChanged, this, [this](const QRectF& plot) {
        fitAxisTitles(m_chart);
        // As many memory ticks as the height has room for: QtCharts cuts labels closer than
        // their height to "...".
        const int ticks = std::clamp(int(plot.height() / (2 * QFontMetricsF(m_axisY->labelsFont()).height())), 2, 5);
        // And as many step ticks as the width has room for (a narrow dock beside the quantize plan).
        const int xTicks = std::clamp(
            int(plot.width() / (2.5 * QFontMetricsF(m_axisX->labelsFont()).horizontalAdvance(QStringLiteral("8888")))), 3, 8);
        const bool yChanged = assignIfChanged(m_yTicks, ticks);
        if (assignIfChanged(m_xTicks, xTicks) || yChanged)
            rebuild();
    });
    connect(m_chart, &QChart::plotAreaChanged, this, &TimelineChart::updateBandLabels);
    clear();
}

TimelineChart::~TimelineChart() = default;

void TimelineChart::clear()
{
    m_model.reset();
    m_result.reset();
    m_generation.reset();
    m_limit = 0;
    m_selectedNode = -1;
    rebuild();
}

void TimelineChart::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                                int64_t limitBytes, const QString& limitName,
                                std::shared_ptr<const GenerationPlan> generation)
{
    if (model != m_model) {
        m_selectedNode = -1; // node indices of another model mean nothing here
        // A trace measured, and a configuration pinned, on the model before: not this one's.
        // (Before the first model there is nothing to drop: a trace given on the command line
        // waits for its model.)
        if (m_model && (m_trace || m_pinned)) {
            m_trace.reset();
            m_pinned.reset();
            m_traceText.clear();
            m_pinnedLabel.clear();
            emit overlaysChanged();
        }
    }
    m_model = std::move(model);
    m_result = m_model ? std::move(result) : nullptr;
    m_generation = m_result ? std::move(generation) : nullptr;
    m_limit = std::max<int64_t>(0, limitBytes);
    m_limitName = limitName;
    rebuild();
}

int TimelineChart::stepCount() const
{
    if (m_generation)
        return int(std::min<int64_t>(m_generation->newTokens, std::numeric_limits<int>::max() - 1)) + 1;
    return m_result ? int(m_result->memory.timeline.size()) : 0;
}

int TimelineChart::bucketBudget() const
{
    // One bucket per pixel of the view: a little more than the plot area, which leaves the
    // axes out, and stable while axis labels change width.
    return std::max(kMinBuckets, viewport()->width());
}

void TimelineChart::rebuild()
{
    // A closed dock draws nothing: the chart catches up when it is shown again.
    if (deferWhileHidden(bool(m_result)))
        return;
    const bool generating = bool(m_generation);
    for (QAreaSeries* area : { m_prefillArea, m_decodeArea }) {
        if (!generating && area->upperSeries()->count() > 0)
            area->upperSeries()->clear();
        showSeries(*m_legend, area, false);
    }
    if (!generating && m_splitLine->count() > 0)
        m_splitLine->clear();
    showSeries(*m_legend, m_splitLine, false, false);
    if (generating) {
        m_buckets.clear();
        m_bands.clear();
        rebuildGeneration();
        return;
    }
    m_generationSteps.clear();
    const std::vector<TimelineStep> none;
    const std::vector<TimelineStep>& steps = m_result ? m_result->memory.timeline : none;
    const int n = int(steps.size());
    m_buckets = downsampleTimeline(steps, bucketBudget());
    m_bands = phaseBands(steps);
    m_drawnPeak = 0;
    std::array<bool, kCategoryCount> present {};
    for (const TimelineBucket& bucket : m_buckets) {
        const TimelineStep& step = steps[size_t(bucket.maxStep)];
        m_drawnPeak = std::max(m_drawnPeak, step.liveBytes);
        for (size_t i = 0; i < kStackOrder.size(); ++i)
            present[i] = present[i] || step.byCategory[size_t(kStackOrder[i])] > 0;
    }
    m_exceeds = m_limit > 0 && m_drawnPeak > m_limit;

    int64_t overlayPeak = 0;
    if (m_trace)
        overlayPeak = m_trace->peakBytes;
    if (m_pinned)
        overlayPeak = std::max(overlayPeak, m_pinned->memory.peakBytes);
    int64_t lowest = m_drawnPeak;
    for (const TimelineBucket& bucket : m_buckets)
        lowest = std::min(lowest, steps[size_t(bucket.maxStep)].liveBytes);
    double yInterval = 1;
    const bool axisChanged = fitMemoryAxis(m_drawnPeak, lowest, m_result ? overlayPeak : 0, &yInterval);

    // Step s covers [s, s + 1). Where a bucket is several pixels wide, it is drawn as a flat
    // run from its first step to past its last, so a peak step is a plateau the mouse can land
    // on; narrower buckets are one point each, half the points for nearly the same picture.
    const bool plateaus = int(m_buckets.size()) * 5 <= bucketBudget();
    const auto appendBucket = [this, plateaus](QList<QPointF>& points, const TimelineBucket& bucket, double y) {
        y = clampToAxis(y);
        if (plateaus) {
            points.append(QPointF(bucket.firstStep, y));
            points.append(QPointF(bucket.lastStep + 1, y));
        } else {
            points.append(QPointF(0.5 * (bucket.firstStep + bucket.lastStep + 1), y));
        }
    };
    QList<QPointF> points;
    points.reserve(qsizetype(m_buckets.size()) * 2);
    std::vector<double> stacked(m_buckets.size(), 0.0);
    for (size_t i = 0; i < kStackOrder.size(); ++i) {
        // Only the categories with something in them are drawn: an empty one would cost as
        // much to update as a full one.
        if (!present[i]) {
            if (m_stackLines[i]->count() > 0)
                m_stackLines[i]->clear();
            showSeries(*m_legend, m_stackAreas[i], false);
            continue;
        }
        const size_t category = size_t(kStackOrder[i]);
        points.clear();
        for (size_t b = 0; b < m_buckets.size(); ++b) {
            stacked[b] += double(steps[size_t(m_buckets[b].maxStep)].byCategory[category]) / m_unit.divisor;
            appendBucket(points, m_buckets[b], stacked[b]);
        }
        m_stackLines[i]->replace(points);
        showSeries(*m_legend, m_stackAreas[i], true);
    }

    for (size_t i = 0; i < m_bandLines.size(); ++i) {
        const Phase phase = i == 0 ? Phase::Backward : i == 1 ? Phase::Optimizer : Phase::Recompute;
        points.clear();
        for (const PhaseBand& band : m_bands) {
            if (band.phase != phase)
                continue;
            points << QPointF(band.firstStep, m_bottom) << QPointF(band.firstStep, m_top)
                   << QPointF(band.endStep, m_top) << QPointF(band.endStep, m_bottom);
        }
        if (m_bandLines[i]->points() != points)
            m_bandLines[i]->replace(points);
        showSeries(*m_legend, m_bandAreas[i], !points.isEmpty(), false);
    }

    points.clear();
    if (m_limit > 0 && n > 0) {
        const double limit = double(m_limit) / m_unit.divisor;
        const QList<QPointF> line = { QPointF(0, clampToAxis(limit)), QPointF(n, clampToAxis(limit)) };
        if (m_limitLine->points() != line)
            m_limitLine->replace(line);
        m_limitLine->setName(m_limitName.isEmpty() ? tr("Limit %1").arg(bytesText(m_limit))
                                                   : tr("%1 (%2)").arg(m_limitName, bytesText(m_limit)));
        if (m_exceeds) {
            for (size_t b = 0; b < m_buckets.size(); ++b)
                appendBucket(points, m_buckets[b], std::max(stacked[b], limit));
        }
    } else if (m_limitLine->count() > 0) {
        m_limitLine->clear();
    }
    // Zoomed in below the limit, the line would be drawn at the top; it is left out instead.
    showSeries(*m_legend, m_limitLine, m_limit > 0 && n > 0 && double(m_limit) / m_unit.divisor <= m_top);
    if (m_exceeds || m_overLine->count() > 0)
        m_overLine->replace(points);
    showSeries(*m_legend, m_overArea, m_exceeds);

    const MemoryPlan* memory = m_result ? &m_result->memory : nullptr;
    if (memory && memory->peakStep >= 0 && memory->peakStep < n)
        markPeak(memory->peakStep + 0.5, memory->peakBytes, !m_result->unknownShapes.empty()); // unknowns left out
    else
        markPeak(-1, 0, false);

    updateOverlays(n);

    // A pinned training step is longer than an inference: the axis reaches the longer one.
    const int span = std::max({ 1, n, m_pinned && m_result ? int(m_pinned->memory.timeline.size()) : 0 });
    if (m_axisX->max() != span || m_axisX->min() != 0 || m_xTicksShown != m_xTicks) {
        setAxisRange(m_axisX, span, std::max(1.0, niceInterval(span, m_xTicks))); // whole steps, not "0 0 1 1 2"
        m_xTicksShown = m_xTicks;
    }
    m_axisX->setTitleText(tr("Execution step"));
    applyMemoryAxis(axisChanged, yInterval);

    updateSelection();
    m_legend->update();
    updateBandLabels();
}

bool TimelineChart::fitMemoryAxis(int64_t peak, int64_t lowest, int64_t overlayPeak, double* interval)
{
    // The axis ends at a round number above the peak (or the limit) with head room for the
    // peak's label, and moves only when the peak crosses a tick: while a slider is dragged the
    // axis and its labels, the costliest part of a chart to lay out, mostly stay put.
    const double highest = double(std::max({ peak, m_limit, overlayPeak }));
    // Zoomed, the unit suits the steps seen, not a limit far above them.
    const AxisUnit unit = axisUnit((m_zoomed ? double(peak) : highest) * kHeadRoom, true);
    const double headRoom = highest > 0 ? highest / unit.divisor * kHeadRoom : 1;
    double yInterval = niceInterval(headRoom, m_yTicks);
    double top = std::ceil(headRoom / yInterval) * yInterval;
    double bottom = 0;
    if (m_zoomed && peak > 0) {
        const double low = double(std::min(lowest, peak)) / unit.divisor;
        const double high = double(peak) / unit.divisor;
        const double span = std::max(high - low, high * 0.02);
        yInterval = niceInterval(span * 1.25, m_yTicks);
        bottom = std::floor(low / yInterval) * yInterval;
        top = std::ceil((high + span * (kHeadRoom - 1) * 1.5) / yInterval) * yInterval;
    }
    const bool changed = top != m_top || bottom != m_bottom || unit.name != m_unit.name
        || m_axisY->tickInterval() != yInterval;
    m_unit = unit;
    m_top = top;
    m_bottom = bottom;
    *interval = yInterval;
    return changed;
}

void TimelineChart::applyMemoryAxis(bool changed, double interval)
{
    const QString title = m_generation ? (m_bottom > 0 ? tr("Step peak (zoomed)") : tr("Step peak"))
                                       : (m_bottom > 0 ? tr("Live memory (zoomed)") : tr("Live memory"));
    if (changed) {
        setAxisRange(m_axisY, m_top, interval, m_bottom);
        m_axisY->setLabelFormat(QStringLiteral("%g ") + m_unit.name);
    }
    if (m_axisY->titleText() != title)
        m_axisY->setTitleText(title);
}

void TimelineChart::markPeak(double x, int64_t bytes, bool lowerBound)
{
    if (x < 0 && !m_generation) {
        m_peakMarker->clear();
        showSeries(*m_legend, m_peakMarker, false);
        return;
    }
    m_peakMarker->replace({ QPointF(x, clampToAxis(double(bytes) / m_unit.divisor)) });
    m_peakLabel->setText((lowerBound ? tr("Peak ≥ %1") : tr("Peak %1")).arg(bytesText(bytes)));
    showSeries(*m_legend, m_peakMarker, true, false);
}

void TimelineChart::rebuildGeneration()
{
    const GenerationPlan& plan = *m_generation;
    const std::vector<int64_t>& peaks = plan.stepPeakBytes;
    // Step t is token t's decode; a plan past its cap of stored steps (2^24) ends at its last one.
    const int last = stepCount() - 1;
    const auto peakAt = [&peaks](int step) {
        return peaks.empty() ? 0 : peaks[std::min(size_t(step), peaks.size() - 1)];
    };
    m_generationSteps = decimateSteps(peaks, 2 * bucketBudget());
    if (!m_generationSteps.empty() && m_generationSteps.back() != last)
        m_generationSteps.push_back(last);
    m_drawnPeak = 0;
    int64_t lowest = std::numeric_limits<int64_t>::max();
    int peakStep = 0;
    for (int step : m_generationSteps) {
        const int64_t bytes = peakAt(step);
        if (bytes > m_drawnPeak) {
            m_drawnPeak = bytes;
            peakStep = step;
        }
        lowest = std::min(lowest, bytes);
    }
    m_exceeds = m_limit > 0 && m_drawnPeak > m_limit;
    double yInterval = 1;
    const bool axisChanged = fitMemoryAxis(m_drawnPeak, lowest, 0, &yInterval);

    // The prefill is a bar left of the split at x = 0.5, at least 1.2% of the axis wide so it
    // shows beside 32k decode steps; the decode steps are points at x = t, or steps [t - 0.5,
    // t + 0.5) where few enough to be seen one by one.
    const double left = -std::max(0.5, 0.012 * (last + 1));
    const double right = last + 0.5;
    const double prefill = clampToAxis(double(peakAt(0)) / m_unit.divisor);
    m_prefillLine->replace({ QPointF(left, prefill), QPointF(0.5, prefill) });
    QList<QPointF> decode;
    decode.reserve(qsizetype(m_generationSteps.size()) * 2);
    const bool plateaus = int(m_generationSteps.size()) * 5 <= bucketBudget();
    for (size_t i = 1; i < m_generationSteps.size(); ++i) {
        const int step = m_generationSteps[i];
        const double y = clampToAxis(double(peakAt(step)) / m_unit.divisor);
        if (plateaus || i == 1) // the area starts at the split
            decode << QPointF(step - 0.5, y);
        decode << QPointF(plateaus || i + 1 == m_generationSteps.size() ? step + 0.5 : double(step), y);
    }
    m_decodeLine->replace(decode);
    m_prefillArea->setName(tr("Prefill (step 0, %1 tokens)").arg(exactText(plan.prompt)));
    m_decodeArea->setName(last == 1 ? tr("Decode (step 1)") : tr("Decode (steps 1 to %1)").arg(exactText(last)));
    showSeries(*m_legend, m_prefillArea, true);
    showSeries(*m_legend, m_decodeArea, !decode.isEmpty());
    m_splitLine->replace({ QPointF(0.5, m_bottom), QPointF(0.5, m_top) });
    showSeries(*m_legend, m_splitLine, true, false);

    // The execution steps' series stand aside.
    for (size_t i = 0; i < kStackOrder.size(); ++i) {
        if (m_stackLines[i]->count() > 0)
            m_stackLines[i]->clear();
        showSeries(*m_legend, m_stackAreas[i], false);
    }
    for (QAreaSeries* band : m_bandAreas)
        showSeries(*m_legend, band, false, false);
    for (QAbstractSeries* overlay : std::initializer_list<QAbstractSeries*> { m_pinnedLine, m_traceLine, m_tracePeak })
        showSeries(*m_legend, overlay, false);
    for (QLineSeries* line : m_selectionLines)
        showSeries(*m_legend, line, false, false);

    QList<QPointF> over;
    if (m_limit > 0) {
        const double limit = double(m_limit) / m_unit.divisor;
        const QList<QPointF> line = { QPointF(left, clampToAxis(limit)), QPointF(right, clampToAxis(limit)) };
        if (m_limitLine->points() != line)
            m_limitLine->replace(line);
        m_limitLine->setName(m_limitName.isEmpty() ? tr("Limit %1").arg(bytesText(m_limit))
                                                   : tr("%1 (%2)").arg(m_limitName, bytesText(m_limit)));
        if (m_exceeds) {
            // The red part follows the prefill's bar and the decode's outline above the limit.
            over << QPointF(left, std::max(prefill, limit)) << QPointF(0.5, std::max(prefill, limit));
            for (const QPointF& p : decode)
                over << QPointF(p.x(), std::max(p.y(), limit));
            over.front().setX(left);
            over.back().setX(right);
        }
    } else if (m_limitLine->count() > 0) {
        m_limitLine->clear();
    }
    showSeries(*m_legend, m_limitLine, m_limit > 0 && double(m_limit) / m_unit.divisor <= m_top);
    if (m_exceeds || m_overLine->count() > 0)
        m_overLine->replace(over);
    showSeries(*m_legend, m_overArea, m_exceeds);

    markPeak(peakStep == 0 ? 0.5 * (left + 0.5) : double(peakStep), m_drawnPeak, plan.peakIsLowerBound);

    if (m_axisX->min() != left || m_axisX->max() != right || m_xTicksShown != m_xTicks) {
        setAxisRange(m_axisX, right, std::max(1.0, niceInterval(last + 1, m_xTicks)), left);
        m_xTicksShown = m_xTicks;
    }
    m_axisX->setTitleText(tr("Generation step (0 = prefill)"));
    applyMemoryAxis(axisChanged, yInterval);

    m_legend->update();
    updateBandLabels();
}

double TimelineChart::clampToAxis(double y) const
{
    return std::clamp(y, m_bottom, m_top);
}

void TimelineChart::updateOverlays(int stepCount)
{
    QList<QPointF> points;
    if (m_pinned && m_result) {
        const std::vector<TimelineStep>& pinned = m_pinned->memory.timeline;
        for (const TimelineBucket& bucket : downsampleTimeline(pinned, bucketBudget())) {
            const double y = clampToAxis(double(pinned[size_t(bucket.maxStep)].liveBytes) / m_unit.divisor);
            points << QPointF(bucket.firstStep, y) << QPointF(bucket.lastStep + 1, y);
        }
        m_pinnedLine->setName(tr("Pinned: %1 (peak %2)").arg(m_pinnedLabel, bytesText(m_pinned->memory.peakBytes)));
    }
    m_pinnedLine->replace(points);
    showSeries(*m_legend, m_pinnedLine, !points.isEmpty());

    points.clear();
    QList<QPointF> peak;
    const std::optional<PeakComparison> comparison = traceComparison();
    if (comparison) {
        const std::vector<TracePoint> trace = traceOnSteps(*m_trace, stepCount, 2 * bucketBudget());
        points.reserve(qsizetype(trace.size()));
        const TracePoint* highest = nullptr;
        for (const TracePoint& p : trace) {
            points << QPointF(p.x, clampToAxis(double(p.bytes) / m_unit.divisor));
            if (!highest || p.bytes > highest->bytes)
                highest = &p;
        }
        if (highest)
            peak << QPointF(highest->x, clampToAxis(double(highest->bytes) / m_unit.divisor));
        m_traceLine->setName(tr("Measured: %1").arg(m_traceName));
        m_traceText = tr("Peak  ·  estimate %1  ·  measured %2  ·  difference %3")
                          .arg(bytesText(comparison->estimatedBytes), bytesText(comparison->measuredBytes),
                               QString::fromStdString(formatDifference(*comparison)));
    } else if (m_trace) {
        m_traceText = tr("%1 (%2) has no memory samples to draw: %3 per-node output sizes (footprint-cli compare "
                         "lists them)")
                          .arg(m_traceName, QString::fromLatin1(traceFormatName(m_trace->format)))
                          .arg(m_trace->nodes.size());
    }
    m_traceLine->replace(points);
    m_tracePeak->replace(peak);
    showSeries(*m_legend, m_traceLine, !points.isEmpty());
    showSeries(*m_legend, m_tracePeak, !peak.isEmpty(), false);
    m_traceLabel->setText(m_traceText);
    placeTraceLabel();
}

void TimelineChart::placeTraceLabel()
{
    const QRectF plot = m_chart->plotArea();
    if (!m_trace || !m_result || m_generation || m_traceText.isEmpty() || plot.isEmpty()) {
        m_traceLabelBack->hide();
        return;
    }
    // In the head room the axis leaves above the peak, on the side away from the peak's own
    // label; on the left it goes below the phase names at the top of the bands.
    const QRectF text = m_traceLabel->boundingRect();
    const QRectF box(0, 0, text.width() + 10, text.height() + 6);
    m_traceLabelBack->setRect(box);
    m_traceLabel->setPos(5, 3);
    bool peakOnRight = false;
    if (m_peakMarker->count() > 0) {
        const QPointF peak = m_chart->mapToPosition(m_peakMarker->at(0), m_peakMarker);
        peakOnRight = std::isfinite(peak.x()) && peak.x() > plot.center().x();
    }
    const bool bandLabels = std::any_of(m_bandLabels.begin(), m_bandLabels.end(),
                                        [](const QGraphicsSimpleTextItem* label) { return label->isVisible(); });
    const double x = peakOnRight ? plot.left() + 6 : std::max(plot.left() + 4, plot.right() - box.width() - 6);
    const double y = plot.top() + 4 + (peakOnRight && bandLabels ? text.height() + 4 : 0);
    m_traceLabelBack->setPos(x, y);
    m_traceLabelBack->show();
}

std::optional<PeakComparison> TimelineChart::traceComparison() const
{
    if (!m_trace || !m_result || m_trace->bytes.empty())
        return std::nullopt;
    return comparePeaks(m_result->memory.peakBytes, *m_trace);
}

void TimelineChart::setTrace(std::shared_ptr<const MemoryTrace> trace, const QString& name)
{
    m_trace = std::move(trace);
    m_traceName = name;
    m_traceText.clear();
    rebuild();
    emit overlaysChanged();
}

void TimelineChart::clearTrace()
{
    // No trace is a trace too: the same redraw and signal, and none when there was nothing to clear.
    if (m_trace)
        setTrace(nullptr, QString());
}

void TimelineChart::pinComparison(const QString& label)
{
    if (!m_result)
        return;
    m_pinned = m_result;
    m_pinnedLabel = label;
    rebuild();
    emit overlaysChanged();
}

void TimelineChart::copyOverlays(const TimelineChart& other)
{
    m_trace = other.m_trace;
    m_traceName = other.m_traceName;
    m_pinned = other.m_pinned;
    m_pinnedLabel = other.m_pinnedLabel;
    rebuild();
    emit overlaysChanged();
}

void TimelineChart::clearComparison()
{
    if (!m_pinned)
        return;
    m_pinned.reset();
    m_pinnedLabel.clear();
    rebuild();
    emit overlaysChanged();
}

void TimelineChart::setZoomed(bool zoomed)
{
    if (assignIfChanged(m_zoomed, zoomed))
        rebuild();
}

void TimelineChart::setSelectedNode(int node)
{
    if (assignIfChanged(m_selectedNode, node))
        updateSelection();
}

void TimelineChart::updateSelection()
{
    // The node's forward step and, in training, its backward step: the two places its
    // memory is born and released.
    std::array<int, 2> marked = { -1, -1 };
    if (m_result && !m_generation && m_selectedNode >= 0) {
        for (int s = 0; s < stepCount(); ++s) {
            const TimelineStep& step = m_result->memory.timeline[size_t(s)];
            if (step.node != m_selectedNode)
                continue;
            marked[step.phase == Phase::Forward ? 0 : 1] = s;
        }
    }
    for (size_t i = 0; i < m_selectionLines.size(); ++i) {
        if (marked[i] < 0) {
            m_selectionLines[i]->clear();
            showSeries(*m_legend, m_selectionLines[i], false);
        } else {
            const double x = marked[i] + 0.5;
            m_selectionLines[i]->replace({ QPointF(x, m_bottom), QPointF(x, m_top) });
            showSeries(*m_legend, m_selectionLines[i], true, false);
        }
    }
}

void TimelineChart::placePeakLabel()
{
    const QRectF plot = m_chart->plotArea();
    if (m_peakMarker->count() == 0 || !m_peakMarker->isVisible() || plot.isEmpty()) {
        m_peakLabel->hide();
        return;
    }
    const QPointF at = m_chart->mapToPosition(m_peakMarker->at(0), m_peakMarker);
    if (!std::isfinite(at.x()) || !std::isfinite(at.y())) {
        m_peakLabel->hide();
        return;
    }
    // Centred over the marker, kept inside the plot's width.
    const QRectF text = m_peakLabel->boundingRect();
    const double x = std::clamp(at.x() - text.width() / 2, plot.left() + 2, std::max(plot.left() + 2, plot.right() - text.width() - 2));
    m_peakLabel->setPos(x, std::max(plot.top(), at.y() - text.height() - 6));
    m_peakLabel->show();
}

void TimelineChart::updateBandLabels()
{
    placePeakLabel();
    // Phase names at the top of their bands, in training only, where a band is wide enough.
    const bool training = m_result && isTraining(m_result->memory);
    const std::array<Phase, 3> phases = { Phase::Forward, Phase::Backward, Phase::Optimizer };
    for (size_t i = 0; i < phases.size(); ++i) {
        QGraphicsSimpleTextItem* label = m_bandLabels[i];
        const auto band = std::find_if(m_bands.begin(), m_bands.end(),
                                       [&](const PhaseBand& b) { return b.phase == phases[i]; });
        if (!training || band == m_bands.end()) {
            label->hide();
            continue;
        }
        label->setText(phaseText(phases[i]));
        const QPointF left = m_chart->mapToPosition(QPointF(band->firstStep, m_top), m_stackAreas[0]);
        const QPointF right = m_chart->mapToPosition(QPointF(band->endStep, m_top), m_stackAreas[0]);
        const QRectF text = label->boundingRect();
        // Before the first layout the plot area is empty and the mapping gives no number: a
        // label placed at NaN sends the scene's index into a loop.
        const bool placed = std::isfinite(left.x()) && std::isfinite(left.y()) && std::isfinite(right.x());
        if (!placed || m_chart->plotArea().isEmpty() || right.x() - left.x() < text.width() + 8) {
            label->hide();
            continue;
        }
        label->setPos(left.x() + 6, left.y() + 2);
        label->show();
    }
    placeTraceLabel();
}

int TimelineChart::stepAt(const QPoint& position) const
{
    const QPointF inChart = m_chart->mapFromScene(mapToScene(position));
    if (!m_result || !m_chart->plotArea().contains(inChart))
        return -1;
    const QPointF value = m_chart->mapToValue(inChart, m_stackAreas[0]);
    return m_generation ? generationStepAtX(value.x(), stepCount()) : stepAtX(value.x(), stepCount());
}

QString TimelineChart::toolTipText(int step) const
{
    if (!m_result || step < 0 || step >= stepCount())
        return {};
    if (m_generation) {
        const GenerationPlan& plan = *m_generation;
        const std::vector<int64_t>& peaks = plan.stepPeakBytes;
        const int64_t bytes = peaks.empty() ? 0 : peaks[std::min(size_t(step), peaks.size() - 1)];
        const QString atLeast = plan.peakIsLowerBound ? QStringLiteral("≥ ") : QString();
        QString text = step == 0
            ? QStringLiteral("<b>") + tr("Prefill") + QStringLiteral("</b> · ")
                + tr("step 0: the prompt's %1 tokens, past 0").arg(exactText(plan.prompt))
            : QStringLiteral("<b>") + tr("Decode, token %1 of %2").arg(exactText(step), exactText(plan.newTokens))
                + QStringLiteral("</b> · ") + tr("step %1: 1 token, past %2").arg(exactText(step), exactText(plan.prompt + step - 1));
        text += QStringLiteral("<br>") + tr("Peak: <b>%1</b>").arg(atLeast + bytesText(bytes));
        if (m_limit > 0)
            text += bytes > m_limit ? tr(", <span style=\"color:#c62828\">%1 over the limit</span>").arg(bytesText(bytes - m_limit))
                                    : tr(", %1 below the limit").arg(bytesText(m_limit - bytes));
        if (step > 1 && step < plan.newTokens)
            text += QStringLiteral("<br><i>") + tr("between the first and last decode steps: interpolated") + QStringLiteral("</i>");
        return text;
    }
    const TimelineStep& s = m_result->memory.timeline[size_t(step)];
    const QLocale locale;
    QString text = QStringLiteral("<b>") + tr("Step %1 of %2").arg(locale.toString(step + 1), locale.toString(stepCount()))
        + QStringLiteral("</b> · ") + phaseText(s.phase) + QStringLiteral("<br>");
    if (s.node >= 0 && m_model) {
        const Node& node = m_model->graph.nodes[size_t(s.node)];
        text += LayerTableModel::layerName(*m_model, s.node).toHtmlEscaped() + QStringLiteral(" <i>")
            + QString::fromStdString(node.opType).toHtmlEscaped() + QStringLiteral("</i><br>");
    }
    text += tr("Live: <b>%1</b>").arg(bytesText(s.liveBytes));
    if (step == m_result->memory.peakStep)
        text += tr(" (the peak)");
    if (m_limit > 0) {
        text += s.liveBytes > m_limit ? tr(", <span style=\"color:#c62828\">%1 over the limit</span>")
                                            .arg(bytesText(s.liveBytes - m_limit))
                                      : tr(", %1 below the limit").arg(bytesText(m_limit - s.liveBytes));
    }
    text += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    // Top of the stack first, as the areas are read from above.
    for (auto it = kStackOrder.rbegin(); it != kStackOrder.rend(); ++it) {
        const int64_t bytes = s.byCategory[size_t(*it)];
        if (bytes <= 0)
            continue;
        text += QStringLiteral("<tr><td><span style=\"color:%1\">■</span> %2</td><td align=\"right\">&nbsp;&nbsp;%3</td></tr>")
                    .arg(categoryColor(*it).name(), categoryLabel(*it), bytesText(bytes));
    }
    text += QStringLiteral("</table>");
    return text;
}

void TimelineChart::itemClicked(int step)
{
    if (m_generation)
        return; // a generation step is a whole pass, not one node
    const int node = m_result->memory.timeline[size_t(step)].node;
    if (node >= 0) // the optimizer step runs no node
        emit nodeSelected(node);
}

void TimelineChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    m_legend->update(); // its rows wrap at the new width
    // More or fewer pixels: more or fewer buckets. Short timelines have a bucket per step at
    // any width and need nothing.
    if (m_generation || std::min(stepCount(), bucketBudget()) != int(m_buckets.size()))
        rebuild();
}

} // namespace fp

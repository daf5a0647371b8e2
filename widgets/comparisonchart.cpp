#include "comparisonchart.h"

#include "assignifchanged.h"
#include "diff.h"
#include "formatting.h"
#include "layertablemodel.h"

#include <QFontMetricsF>
#include <QLegend>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace fp {

namespace {

constexpr int kMinBuckets = 64; // as the memory timeline: a narrow chart still shows the shape
constexpr double kHeadRoom = 1.12;

// A and B in Tableau's blue and orange: told apart in colour-blind vision, and neither is the
// red that means "over the device's memory" elsewhere.
const std::array<QColor, 2> kSideColors = { QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b) };

const std::vector<TimelineStep>& stepsOf(const ComparisonChart::Side& side)
{
    static const std::vector<TimelineStep> none;
    return side.result ? side.result->memory.timeline : none;
}

} // namespace

ComparisonChart::ComparisonChart(QWidget* parent)
    : AnalysisChartView(parent)
{
    setObjectName(QStringLiteral("comparisonChart"));
    m_chart = chart();
    m_chart->setBackgroundRoundness(0);
    m_legend = std::make_unique<ChartLegend>(m_chart, QMargins(6, 6, 10, 4));
    scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    setRenderHint(QPainter::Antialiasing, false); // steps of horizontal and vertical edges
    setMouseTracking(true);
    setMinimumHeight(150);

    m_axisX = new QValueAxis(m_chart);
    m_axisX->setTitleText(tr("Execution step"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setGridLineVisible(false);
    m_axisY = new QValueAxis(m_chart);
    m_axisY->setTitleText(tr("Live memory"));
    m_axisY->setMinorGridLineVisible(false);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);

    for (size_t i = 0; i < m_lines.size(); ++i) {
        m_lines[i] = new QLineSeries(this);
        m_lines[i]->setPen(QPen(kSideColors[i], 2));
        m_chart->addSeries(m_lines[i]);
        m_lines[i]->attachAxis(m_axisX);
        m_lines[i]->attachAxis(m_axisY);
    }
    for (size_t i = 0; i < m_peaks.size(); ++i) {
        m_peaks[i] = new QScatterSeries(this);
        m_peaks[i]->setMarkerSize(9);
        m_peaks[i]->setColor(kSideColors[i]);
        m_peaks[i]->setBorderColor(Qt::white);
        m_chart->addSeries(m_peaks[i]);
        m_peaks[i]->attachAxis(m_axisX);
        m_peaks[i]->attachAxis(m_axisY);
        m_legend->setInLegend(m_peaks[i], false); // the line's entry names the peak
    }
    connect(m_chart, &QChart::plotAreaChanged, this, [this](const QRectF& plot) {
        fitAxisTitles(m_chart);
        // As many ticks as the plot has room for: QtCharts cuts labels closer than their size to "...".
        const QFontMetricsF metrics(m_axisY->labelsFont());
        const int yTicks = std::clamp(int(plot.height() / (2 * metrics.height())), 2, 5);
        const int xTicks = std::clamp(int(plot.width() / (2 * metrics.horizontalAdvance(QStringLiteral("0000")))), 2, 8);
        const bool yChanged = assignIfChanged(m_yTicks, yTicks);
        if (assignIfChanged(m_xTicks, xTicks) || yChanged)
            rebuild();
    });
    clear();
}

ComparisonChart::~ComparisonChart() = default;

QColor ComparisonChart::sideColor(int side)
{
    return kSideColors[side == 0 ? 0 : 1];
}

void ComparisonChart::setSides(Side a, Side b)
{
    m_sides = { std::move(a), std::move(b) };
    rebuild();
}

void ComparisonChart::clear()
{
    setSides({}, {});
}

int ComparisonChart::stepCount() const
{
    return int(std::max(stepsOf(m_sides[0]).size(), stepsOf(m_sides[1]).size()));
}

int ComparisonChart::bucketBudget() const
{
    return std::max(kMinBuckets, viewport()->width());
}

void ComparisonChart::rebuild()
{
    if (deferWhileHidden(m_sides[0].result || m_sides[1].result))
        return;
    int64_t highest = 0;
    for (const Side& side : m_sides)
        highest = std::max(highest, side.result ? side.result->memory.peakBytes : 0);
    m_unit = axisUnit(double(highest) * kHeadRoom, true);
    const double headRoom = highest > 0 ? double(highest) / m_unit.divisor * kHeadRoom : 1;
    const double yInterval = niceInterval(headRoom, m_yTicks);
    const double top = std::ceil(headRoom / yInterval) * yInterval;

    m_drawnBuckets = 0;
    for (size_t i = 0; i < m_sides.size(); ++i) {
        const Side& side = m_sides[i];
        const std::vector<TimelineStep>& steps = stepsOf(side);
        QList<QPointF> points;
        QList<QPointF> peak;
        if (!steps.empty()) {
            const std::vector<TimelineBucket> buckets = downsampleTimeline(steps, bucketBudget());
            m_drawnBuckets = std::max(m_drawnBuckets, int(buckets.size()));
            points.reserve(qsizetype(buckets.size()) * 2);
            for (const TimelineBucket& bucket : buckets) {
                const double y = double(steps[size_t(bucket.maxStep)].liveBytes) / m_unit.divisor;
                points << QPointF(bucket.firstStep, y) << QPointF(bucket.lastStep + 1, y);
            }
            const MemoryPlan& memory = side.result->memory;
            if (memory.peakStep >= 0 && size_t(memory.peakStep) < steps.size())
                peak << QPointF(memory.peakStep + 0.5, double(memory.peakBytes) / m_unit.divisor);
        }
        m_lines[i]->replace(points);
        m_peaks[i]->replace(peak);
        m_lines[i]->setVisible(!points.isEmpty());
        m_peaks[i]->setVisible(!peak.isEmpty());
    }

    nameLines();

    const int span = std::max(1, stepCount());
    setAxisRange(m_axisX, span, std::max(1.0, niceInterval(span, m_xTicks)));
    setAxisRange(m_axisY, top, yInterval);
    m_axisY->setLabelFormat(QStringLiteral("%g ") + m_unit.name);
    m_legend->update();
}

void ComparisonChart::nameLines()
{
    // The peaks are marked on the lines and given in the totals: the names stay short, and one
    // wider than the chart loses its middle rather than its end.
    const QFontMetricsF metrics(m_chart->legend()->font());
    const QMargins margins = m_chart->margins();
    const double width = std::max(60.0, m_chart->size().width() - margins.left() - margins.right() - 40);
    for (size_t i = 0; i < m_lines.size(); ++i)
        m_lines[i]->setName(metrics.elidedText(m_sides[i].label, Qt::ElideMiddle, width));
}

void ComparisonChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    nameLines();
    m_legend->update(); // its rows wrap at the new width
    if (std::min(stepCount(), bucketBudget()) != m_drawnBuckets)
        rebuild();
}

int ComparisonChart::itemAt(const QPoint& position) const
{
    const QPointF inChart = m_chart->mapFromScene(mapToScene(position));
    if (stepCount() == 0 || !m_chart->plotArea().contains(inChart))
        return -1;
    return stepAtX(m_chart->mapToValue(inChart, m_lines[0]).x(), stepCount());
}

QString ComparisonChart::toolTipText(int step) const
{
    if (step < 0 || step >= stepCount())
        return {};
    QString text = tr("<b>Step %1</b>").arg(step);
    int64_t bytes[2] = { -1, -1 };
    for (size_t i = 0; i < m_sides.size(); ++i) {
        const Side& side = m_sides[i];
        const std::vector<TimelineStep>& steps = stepsOf(side);
        text += QStringLiteral("<br>") + side.label.toHtmlEscaped() + QStringLiteral(": ");
        if (size_t(step) >= steps.size()) {
            text += tr("finished");
            continue;
        }
        const TimelineStep& at = steps[size_t(step)];
        bytes[i] = at.liveBytes;
        text += QStringLiteral("<b>") + bytesText(at.liveBytes) + QStringLiteral("</b>");
        if (at.node >= 0 && side.model && size_t(at.node) < side.model->graph.nodes.size())
            text += QStringLiteral(" · ") + LayerTableModel::layerName(*side.model, at.node).toHtmlEscaped();
    }
    if (bytes[0] >= 0 && bytes[1] >= 0)
        text += QStringLiteral("<br>") + tr("B - A: %1").arg(QString::fromStdString(formatBytesChange(bytes[1] - bytes[0])));
    return text;
}

} // namespace fp

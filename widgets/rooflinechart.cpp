#include "rooflinechart.h"

#include "assignifchanged.h"
#include "formatting.h"
#include "layertablemodel.h"

#include <QLineSeries>
#include <QLocale>
#include <QLogValueAxis>
#include <QScatterSeries>

#include <algorithm>
#include <cmath>

namespace fp {

namespace {

// Within this many pixels of a point, the mouse is on it.
constexpr double kHitRadius = 7;

// ColorBrewer Dark2: apart from each other and from the memory categories' Tableau colours.
const QColor kComputeColor(0xd9, 0x5f, 0x02);
const QColor kMemoryColor(0x1b, 0x9e, 0x77);
const QColor kRoofColor(0x33, 0x33, 0x33);

QString rateText(double perSecond, const char* unit)
{
    return countText(int64_t(std::llround(perSecond))) + QString::fromLatin1(unit);
}

QString intensityText(double flopsPerByte)
{
    return QString::number(flopsPerByte, 'g', 3);
}

const char* peakColumnName(int column)
{
    static const char* const names[] = { "fp32", "fp16", "bf16", "int8" };
    return names[std::clamp(column, 0, 3)];
}

} // namespace

RooflineChart::RooflineChart(QWidget* parent)
    : AnalysisChartView(parent)
{
    setObjectName(QStringLiteral("rooflineChart"));
    m_chart = chart(); // the view's own chart; setChart() would not delete it
    m_chart->setBackgroundRoundness(0);
    m_legend = std::make_unique<ChartLegend>(m_chart, QMargins(6, 4, 12, 4), Qt::AlignBottom);
    QFont titleFont = font();
    m_chart->setTitleFont(titleFont);
    scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    setRenderHint(QPainter::Antialiasing, true); // a diagonal roof and round markers
    setMouseTracking(true);
    setMinimumHeight(160); // as the timeline: a 1024x700 window with a generation's summary still fits

    m_axisX = new QLogValueAxis(m_chart);
    m_axisX->setBase(10);
    m_axisX->setLabelFormat(QStringLiteral("%g"));
    m_axisX->setTitleText(tr("Arithmetic intensity (FLOP per byte moved)"));
    m_axisX->setMinorTickCount(-1);
    m_axisY = new QLogValueAxis(m_chart);
    m_axisY->setBase(10);
    m_axisY->setLabelFormat(QStringLiteral("%g")); // and the unit: the title may not fit
    m_axisY->setMinorTickCount(-1);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);
    connect(m_chart, &QChart::plotAreaChanged, this, [this]() { fitAxisTitles(m_chart); });
    for (QLogValueAxis* axis : { m_axisX, m_axisY }) {
        QPen minor = axis->minorGridLinePen();
        minor.setColor(QColor(0xee, 0xee, 0xee));
        axis->setMinorGridLinePen(minor);
    }

    const auto addSeries = [this](QAbstractSeries* series) {
        m_chart->addSeries(series);
        series->attachAxis(m_axisX);
        series->attachAxis(m_axisY);
    };
    m_roof = new QLineSeries(this);
    m_roof->setPen(QPen(kRoofColor, 2));
    addSeries(m_roof);

    const auto scatter = [&](const QColor& color, qreal size) {
        auto* series = new QScatterSeries(this);
        series->setMarkerShape(QScatterSeries::MarkerShapeCircle);
        series->setMarkerSize(size);
        QColor fill = color;
        fill.setAlpha(190);
        series->setColor(fill);
        series->setBorderColor(color.darker(130));
        addSeries(series);
        return series;
    };
    m_memoryBound = scatter(kMemoryColor, 8);
    m_computeBound = scatter(kComputeColor, 8);

    m_ridge = new QScatterSeries(this);
    m_ridge->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
    m_ridge->setMarkerSize(9);
    m_ridge->setColor(kRoofColor);
    m_ridge->setBorderColor(Qt::white);
    m_ridge->setPointLabelsVisible(true);
    m_ridge->setPointLabelsClipping(false);
    m_ridge->setPointLabelsColor(kRoofColor);
    addSeries(m_ridge);

    m_selected = new QScatterSeries(this);
    m_selected->setMarkerShape(QScatterSeries::MarkerShapeCircle);
    m_selected->setMarkerSize(15);
    m_selected->setColor(Qt::transparent);
    m_selected->setBorderColor(QColor(0x10, 0x10, 0x10));
    QPen ring(QColor(0x10, 0x10, 0x10), 2.5);
    m_selected->setPen(ring);
    addSeries(m_selected);
    clear();
}

RooflineChart::~RooflineChart() = default;

void RooflineChart::clear()
{
    m_model.reset();
    m_result.reset();
    m_performance.reset();
    m_selectedNode = -1;
    rebuild();
}

void RooflineChart::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                                std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName,
                                double efficiency)
{
    if (model != m_model)
        m_selectedNode = -1;
    m_model = std::move(model);
    m_result = m_model ? std::move(result) : nullptr;
    m_performance = m_result ? std::move(performance) : nullptr;
    m_deviceName = deviceName;
    m_efficiency = efficiency;
    rebuild();
}

QString RooflineChart::titleText() const
{
    if (!m_result)
        return tr("No model");
    if (!hasRoofline())
        return tr("Choose a device in the Configuration panel: its roofline places every layer by arithmetic "
                  "intensity and the throughput it attains.");
    int compute = 0;
    for (const RooflinePoint& p : m_points)
        compute += p.computeBound ? 1 : 0;
    const int memory = int(m_points.size()) - compute;
    QString title = (compute == 1 ? tr("1 layer compute-bound") : tr("%1 layers compute-bound").arg(compute))
        + QStringLiteral(", ") + tr("%1 memory-bound").arg(memory);
    if (m_skipped > 0)
        title += tr("  ·  %1 without FLOPs or bytes not drawn").arg(m_skipped);
    title += tr("  ·  estimated %1 per pass").arg(durationText(m_performance->seconds));
    return title;
}

void RooflineChart::rebuild()
{
    if (deferWhileHidden(bool(m_result)))
        return;
    m_points.clear();
    m_skipped = 0;
    const bool roof = hasRoofline();
    if (roof)
        m_points = rooflinePoints(*m_result, *m_performance, &m_skipped);

    QList<QPointF> memory, compute;
    if (roof) {
        const PerformanceEstimate& perf = *m_performance;
        const double ridge = perf.ridgeIntensity();
        double lowX = ridge, highX = ridge, lowY = perf.peakFlops;
        for (const RooflinePoint& p : m_points) {
            lowX = std::min(lowX, p.intensity);
            highX = std::max(highX, p.intensity);
            lowY = std::min(lowY, p.attainedFlops);
        }
        const LogRange x = logRange(lowX, highX);
        // The slope enters at the left edge: the lowest a memory-bound point can sit.
        lowY = std::min(lowY, perf.bandwidth * x.minimum);
        m_unit = axisUnit(perf.peakFlops, false);
        const LogRange y = logRange(lowY / m_unit.divisor, perf.peakFlops / m_unit.divisor);

        for (const RooflinePoint& p : m_points)
            (p.computeBound ? compute : memory).append(QPointF(p.intensity, p.attainedFlops / m_unit.divisor));
        const double top = perf.peakFlops / m_unit.divisor;
        m_roof->replace({ QPointF(x.minimum, perf.bandwidth * x.minimum / m_unit.divisor), QPointF(ridge, top),
                          QPointF(x.maximum, top) });
        m_roof->setName(tr("%1 roof: %2, %3 (%4, %5% of the datasheet)")
                            .arg(m_deviceName, rateText(perf.bandwidth, "B/s"), rateText(perf.peakFlops, "FLOP/s"),
                                 QString::fromLatin1(peakColumnName(perf.peakPrecision)))
                            .arg(m_efficiency * 100, 0, 'g', 3));
        m_ridge->replace({ QPointF(ridge, top) });
        m_ridge->setPointLabelsFormat(tr("ridge %1 FLOP/B").arg(intensityText(ridge)));
        m_axisX->setRange(x.minimum, x.maximum);
        m_axisY->setRange(y.minimum, y.maximum);
        m_axisY->setLabelFormat(QStringLiteral("%g ") + m_unit.name + QStringLiteral("FLOP/s"));
        m_axisY->setTitleText(tr("Attained"));
    } else {
        m_roof->clear();
        m_ridge->clear();
        m_axisX->setRange(0.1, 1000);
        m_axisY->setRange(1, 1000);
        m_axisY->setTitleText(tr("Attained (FLOP/s)"));
    }
    m_memoryBound->replace(memory);
    m_computeBound->replace(compute);
    m_memoryBound->setName(tr("Memory-bound (%1)").arg(memory.size()));
    m_computeBound->setName(tr("Compute-bound (%1)").arg(compute.size()));
    for (QAbstractSeries* series : { static_cast<QAbstractSeries*>(m_roof), static_cast<QAbstractSeries*>(m_ridge),
                                     static_cast<QAbstractSeries*>(m_memoryBound),
                                     static_cast<QAbstractSeries*>(m_computeBound) }) {
        series->setVisible(roof);
    }
    m_legend->setInLegend(m_ridge, false);
    m_axisX->setVisible(roof);
    m_axisY->setVisible(roof);
    updateSelection();
    updateTitleAndLegend();
}

void RooflineChart::updateTitleAndLegend()
{
    const QMargins margins = m_chart->margins();
    const QString title = wrappedTitle(titleText(), m_chart->titleFont(),
                                       m_chart->size().width() - margins.left() - margins.right() - 12);
    if (m_chart->title() != title)
        m_chart->setTitle(title);
    m_legend->update();
}

void RooflineChart::resizeEvent(QResizeEvent* event)
{
    AnalysisChartView::resizeEvent(event);
    updateTitleAndLegend(); // both wrap at the new width
}

void RooflineChart::setSelectedNode(int node)
{
    if (assignIfChanged(m_selectedNode, node))
        updateSelection();
}

void RooflineChart::updateSelection()
{
    const auto it = std::find_if(m_points.begin(), m_points.end(),
                                 [this](const RooflinePoint& p) { return m_selectedNode >= 0 && p.node == m_selectedNode; });
    if (it == m_points.end()) {
        m_selected->clear();
        m_selected->setVisible(false);
    } else {
        m_selected->replace({ QPointF(it->intensity, it->attainedFlops / m_unit.divisor) });
        m_selected->setVisible(true);
    }
}

QPoint RooflineChart::viewPosition(int point) const
{
    if (point < 0 || point >= int(m_points.size()))
        return {};
    const RooflinePoint& p = m_points[size_t(point)];
    const QPointF inChart = m_chart->mapToPosition(QPointF(p.intensity, p.attainedFlops / m_unit.divisor), m_roof);
    return mapFromScene(m_chart->mapToScene(inChart));
}

int RooflineChart::pointAt(const QPoint& position) const
{
    if (!hasRoofline() || !m_chart->plotArea().contains(m_chart->mapFromScene(mapToScene(position))))
        return -1;
    int best = -1;
    double bestDistance = kHitRadius * kHitRadius;
    for (size_t i = 0; i < m_points.size(); ++i) {
        const QPointF d = QPointF(viewPosition(int(i))) - QPointF(position);
        const double distance = d.x() * d.x() + d.y() * d.y();
        // Ties go to the later layer, drawn on top.
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = int(i);
        }
    }
    return best;
}

QString RooflineChart::toolTipText(int point) const
{
    if (point < 0 || point >= int(m_points.size()) || !m_model)
        return {};
    const RooflinePoint& p = m_points[size_t(point)];
    const LayerPerformance& perf = m_performance->layers[size_t(p.layer)];
    const QString op = QString::fromStdString(m_model->graph.nodes[size_t(p.node)].opType);
    QString text = QStringLiteral("<b>") + LayerTableModel::layerName(*m_model, p.node).toHtmlEscaped()
        + QStringLiteral("</b> <i>") + op.toHtmlEscaped() + QStringLiteral("</i><table cellspacing=\"0\" cellpadding=\"1\">");
    const auto row = [&text](const QString& caption, const QString& value) {
        text += QStringLiteral("<tr><td>%1</td><td align=\"right\">&nbsp;&nbsp;%2</td></tr>").arg(caption, value);
    };
    row(tr("Intensity"), tr("%1 FLOP/B").arg(intensityText(p.intensity)));
    row(tr("Attained"), rateText(p.attainedFlops, "FLOP/s"));
    row(tr("Bound by"), p.computeBound ? tr("compute") : tr("memory bandwidth"));
    row(tr("Latency"), durationText(perf.seconds));
    row(tr("Share of time"), QLocale().toString(m_performance->timeShare(size_t(p.layer)) * 100, 'f', 2) + QStringLiteral(" %"));
    text += QStringLiteral("</table>");
    return text;
}

void RooflineChart::itemClicked(int point)
{
    emit nodeSelected(m_points[size_t(point)].node);
}

} // namespace fp

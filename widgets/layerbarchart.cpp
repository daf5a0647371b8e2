#include "layerbarchart.h"

#include "assignifchanged.h"
#include "formatting.h"
#include "layertablemodel.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QHBoxLayout>
#include <QHorizontalStackedBarSeries>
#include <QLabel>
#include <QLegend>
#include <QGraphicsSimpleTextItem>
#include <QLocale>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace fp {

namespace {

constexpr int kMaxBars = 100;
// Below the bars: the value axis and its title, and the chart's margins.
constexpr int kChartOverhead = 64;
// Room after the longest bar for its total.
constexpr double kValueHeadRoom = 1.16;
// The "other" bar can be the whole model less a few layers; drawn to scale it would flatten the
// bars that matter. Beyond this many times the longest layer bar it is cut at the edge, and its
// label says how long it is.
constexpr double kOtherBarCut = 2.0;
// Layer names are long scope paths (/transformer/h.11/attn/c_attn/Gemm): cut to this width,
// keeping the parts that tell them apart (elideDistinct).
constexpr int kLabelWidth = 260;

} // namespace

LayerBarChart::LayerBarChart(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("layerBarChart"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(6, 0, 6, 0);
    m_metricBox = new QComboBox(this);
    m_metricBox->setObjectName(QStringLiteral("barMetricComboBox"));
    for (int m = 0; m < kLayerMetricCount; ++m)
        m_metricBox->addItem(layerMetricLabel(LayerMetric(m)), m);
    m_metricBox->setToolTip(tr("What the layers are ranked by; each bar is stacked by what it is made of"));
    m_countBox = new QSpinBox(this);
    m_countBox->setObjectName(QStringLiteral("barCountSpinBox"));
    m_countBox->setRange(1, kMaxBars);
    m_countBox->setValue(m_count);
    m_countBox->setToolTip(tr("How many layers get a bar of their own; the rest are summed in one"));
    m_orderBox = new QComboBox(this);
    m_orderBox->setObjectName(QStringLiteral("barOrderComboBox"));
    m_orderBox->addItem(tr("Largest first"), int(BarOrder::Largest));
    m_orderBox->addItem(tr("Execution order"), int(BarOrder::Execution));
    auto* rankLabel = new QLabel(tr("Rank by"), this);
    rankLabel->setBuddy(m_metricBox);
    auto* topLabel = new QLabel(tr("Top"), this);
    topLabel->setBuddy(m_countBox);
    auto* orderLabel = new QLabel(tr("Order"), this);
    orderLabel->setBuddy(m_orderBox);
    controls->addWidget(rankLabel);
    controls->addWidget(m_metricBox);
    controls->addSpacing(12);
    controls->addWidget(topLabel);
    controls->addWidget(m_countBox);
    controls->addSpacing(12);
    controls->addWidget(orderLabel);
    controls->addWidget(m_orderBox);
    controls->addStretch(1);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("barNote"));
    m_note->setForegroundRole(QPalette::PlaceholderText);
    controls->addWidget(m_note);
    layout->addLayout(controls);

    m_chart = new QChart;
    m_chart->setMargins(QMargins(4, 2, 12, 4));
    m_chart->setBackgroundRoundness(0);
    // At the right, where the bars leave room, rather than above them, where every row counts.
    m_chart->legend()->setAlignment(Qt::AlignRight);
    m_series = new QHorizontalStackedBarSeries(m_chart);
    m_series->setBarWidth(0.72);
    m_chart->addSeries(m_series);
    m_axisLayers = new QBarCategoryAxis(m_chart);
    m_axisLayers->setGridLineVisible(false);
    m_axisLayers->setLabelsVisible(false);
    m_labelFont = font();
    m_labelFont.setPointSizeF(m_labelFont.pointSizeF() * 0.92);
    m_axisValues = new QValueAxis(m_chart);
    m_axisValues->setLabelFormat(QStringLiteral("%g"));
    m_axisValues->setTickCount(6);
    m_chart->addAxis(m_axisLayers, Qt::AlignLeft);
    m_chart->addAxis(m_axisValues, Qt::AlignBottom);
    m_series->attachAxis(m_axisLayers);
    m_series->attachAxis(m_axisValues);

    m_view = new QChartView(m_chart);
    m_view->setObjectName(QStringLiteral("layerBarChartView"));
    // Bars are rectangles: antialiasing only costs time.
    m_view->setRenderHint(QPainter::Antialiasing, false);
    // Bars are replaced on every slider step; a BSP index would be rebuilt each time for nothing.
    m_view->scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    connect(m_chart, &QChart::plotAreaChanged, this, &LayerBarChart::placeLabels);
    // A bar needs a text line of height for its label (QtCharts elides a label taller than
    // its bar to "..."): when the dock is short or N is large, the chart scrolls.
    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(m_view);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(m_scroll, 1);

    connect(m_metricBox, &QComboBox::currentIndexChanged, this,
            [this]() { setMetric(LayerMetric(m_metricBox->currentData().toInt())); });
    connect(m_countBox, &QSpinBox::valueChanged, this, &LayerBarChart::setBarCount);
    connect(m_orderBox, &QComboBox::currentIndexChanged, this,
            [this]() { setOrder(BarOrder(m_orderBox->currentData().toInt())); });
    connect(m_series, &QAbstractBarSeries::clicked, this, [this](int index, QBarSet*) {
        const int bar = barIndex(index);
        if (bar >= 0 && bar < int(m_ranking.bars.size()) && m_ranking.bars[size_t(bar)].node >= 0)
            emit nodeSelected(m_ranking.bars[size_t(bar)].node);
    });
    connect(m_series, &QAbstractBarSeries::hovered, this, [this](bool status, int index, QBarSet*) {
        if (status)
            QToolTip::showText(QCursor::pos(), toolTipText(barIndex(index)), m_view);
        else
            QToolTip::hideText();
    });
    refresh();
}

LayerBarChart::~LayerBarChart() = default;

void LayerBarChart::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result)
{
    if (model != m_model)
        m_selectedNode = -1;
    m_model = std::move(model);
    m_result = m_model ? std::move(result) : nullptr;
    refresh();
}

void LayerBarChart::clear()
{
    setAnalysis(nullptr, nullptr);
}

void LayerBarChart::setMetric(LayerMetric metric)
{
    const QSignalBlocker blocker(m_metricBox);
    m_metricBox->setCurrentIndex(m_metricBox->findData(int(metric)));
    if (assignIfChanged(m_metric, metric))
        refresh();
}

void LayerBarChart::setBarCount(int count)
{
    count = std::clamp(count, 1, kMaxBars);
    const QSignalBlocker blocker(m_countBox);
    m_countBox->setValue(count);
    if (assignIfChanged(m_count, count))
        refresh();
}

void LayerBarChart::setOrder(BarOrder order)
{
    const QSignalBlocker blocker(m_orderBox);
    m_orderBox->setCurrentIndex(m_orderBox->findData(int(order)));
    if (assignIfChanged(m_order, order))
        refresh();
}

double LayerBarChart::axisMaximum() const
{
    double layers = 0;
    double other = 0;
    for (const LayerBar& bar : m_ranking.bars)
        (bar.layer < 0 ? other : layers) = std::max(bar.layer < 0 ? other : layers, bar.total);
    return other > kOtherBarCut * layers && layers > 0 ? layers : std::max(layers, other);
}

QString LayerBarChart::barLabel(const LayerBar& bar) const
{
    if (bar.layer >= 0)
        return LayerTableModel::layerName(*m_model, bar.node);
    QString label = bar.layerCount == 1 ? tr("1 other layer") : tr("%1 other layers").arg(QLocale().toString(bar.layerCount));
    if (bar.total > axisMaximum()) // cut at the edge: its length is in the label
        label += QStringLiteral(" (%1) ▸").arg(quantityText(bar.total, layerMetricIsBytes(m_metric)));
    return label;
}

void LayerBarChart::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
}

void LayerBarChart::refresh()
{
    // Out of sight (another tab is in front), the chart waits until it is shown: a slider
    // drag then pays only for the views on screen.
    m_stale = !isVisible() && m_result;
    if (m_stale)
        return;
    if (m_result)
        m_ranking = rankLayers(*m_result, m_metric, m_count, m_order);
    else
        m_ranking = {};
    const size_t barCount = m_ranking.bars.size();

    // New sets only when the segments change (another metric, or inference <-> training);
    // a slider step only moves the values, which keeps the update cheap.
    bool sameSegments = m_sets.size() == m_ranking.segments.size();
    for (size_t s = 0; sameSegments && s < m_sets.size(); ++s)
        sameSegments = m_sets[s]->label() == m_ranking.segments[s].label;
    if (!sameSegments) {
        m_series->clear();
        m_sets.clear();
        for (const BarSegment& segment : m_ranking.segments) {
            auto* set = new QBarSet(segment.label);
            set->setColor(segment.color);
            set->setBorderColor(segment.color.darker(125));
            set->setSelectedColor(segment.color.darker(170));
            m_sets.push_back(set);
        }
        m_series->append(QList<QBarSet*>(m_sets.begin(), m_sets.end()));
    }

    // A round end with room for the longest bar's total, moved only when a bar crosses a
    // tick: the axis labels, slow to lay out, stay put through most slider steps.
    const bool bytes = layerMetricIsBytes(m_metric);
    m_unit = axisUnit(axisMaximum(), bytes);
    const AxisUnit& unit = m_unit;
    const double maximum = axisMaximum() / unit.divisor;
    const double headRoom = maximum > 0 ? maximum * kValueHeadRoom : 1;
    const double interval = niceInterval(headRoom, 6);
    const double end = std::ceil(headRoom / interval) * interval;

    // Bottom bar first: QtCharts stacks categories upwards, and the largest belongs on top. A
    // bar longer than the axis (a cut "other" bar) ends at the axis: on screen the plot clips
    // it, but an SVG does not clip, and the bar would run through the legend and off the page.
    std::vector<double> room(barCount, end);
    for (size_t s = 0; s < m_sets.size(); ++s) {
        QList<qreal> values;
        values.reserve(qsizetype(barCount));
        for (size_t i = barCount; i-- > 0;) {
            const double value = std::min(m_ranking.bars[i].values[s] / unit.divisor, room[i]);
            room[i] -= value;
            values.append(value);
        }
        QBarSet* set = m_sets[s];
        if (set->count() == values.size()) {
            for (int i = 0; i < values.size(); ++i) {
                if (set->at(i) != values[i])
                    set->replace(i, values[i]);
            }
        } else {
            set->remove(0, set->count());
            set->append(values);
        }
    }

    // The layer names are drawn by this class, not by the category axis: QtCharts elides an
    // axis label to "..." unless its band is taller than about two lines, which twenty bars
    // in a dock never are. The axis keeps short unique categories, and the margin left of the
    // plot is made as wide as the longest name.
    const QFontMetrics metrics(m_labelFont);
    QStringList categories;
    m_fullLabels.clear();
    for (size_t i = barCount; i-- > 0;) {
        m_fullLabels.append(barLabel(m_ranking.bars[i]));
        categories.append(QString::number(categories.size() + 1));
    }
    m_labels = elideDistinct(m_fullLabels, kLabelWidth,
                             [&metrics](const QString& text) { return double(metrics.horizontalAdvance(text)); });
    int labelWidth = 0;
    for (const QString& label : std::as_const(m_labels))
        labelWidth = std::max(labelWidth, metrics.horizontalAdvance(label));
    if (categories != m_axisLayers->categories())
        m_axisLayers->setCategories(categories);
    const QMargins margins(labelWidth + 12, 2, 12, 4);
    if (m_chart->margins() != margins)
        m_chart->setMargins(margins);

    if (end != m_axisValues->max() || interval != m_axisValues->tickInterval())
        setAxisRange(m_axisValues, end, interval);
    const int minimumHeight = int(barCount) * (metrics.height() + 1) + kChartOverhead;
    if (m_view->minimumHeight() != minimumHeight)
        m_view->setMinimumHeight(minimumHeight);
    const QString title = unit.name.isEmpty() ? layerMetricLabel(m_metric)
                                              : tr("%1 (%2)").arg(layerMetricLabel(m_metric), unit.name);
    if (m_axisValues->titleText() != title)
        m_axisValues->setTitleText(title);

    QString note;
    if (!m_result)
        note = tr("No model");
    else if (m_ranking.maximum <= 0 && m_metric == LayerMetric::SavedBytes)
        note = tr("Inference keeps nothing for a backward pass: choose Training to see what each layer saves");
    else if (m_ranking.maximum <= 0)
        note = tr("Every layer is zero by this measure");
    m_note->setText(note);
    updateSelection();
    placeLabels();
}

void LayerBarChart::placeLabels()
{
    const size_t barCount = m_ranking.bars.size();
    while (m_labelItems.size() < barCount) {
        auto* name = new QGraphicsSimpleTextItem(m_chart);
        name->setFont(m_labelFont);
        auto* value = new QGraphicsSimpleTextItem(m_chart);
        value->setFont(m_labelFont);
        value->setBrush(palette().color(QPalette::PlaceholderText));
        m_labelItems.push_back(name);
        m_valueItems.push_back(value);
    }
    const QRectF plot = m_chart->plotArea();
    const bool bytes = layerMetricIsBytes(m_metric);
    for (size_t i = 0; i < m_labelItems.size(); ++i) {
        QGraphicsSimpleTextItem* name = m_labelItems[i];
        QGraphicsSimpleTextItem* value = m_valueItems[i];
        if (i >= barCount || plot.isEmpty()) {
            name->hide();
            value->hide();
            continue;
        }
        // Series index i is the bar i from the bottom, i.e. ranking bar barCount - 1 - i.
        const LayerBar& bar = m_ranking.bars[barCount - 1 - i];
        const QPointF end = m_chart->mapToPosition(QPointF(bar.total / m_unit.divisor, qreal(i)), m_series);
        if (!std::isfinite(end.y()) || !std::isfinite(end.x())) {
            name->hide();
            value->hide();
            continue;
        }
        QFont font = m_labelFont;
        font.setBold(bar.node >= 0 && bar.node == m_selectedNode);
        name->setFont(font);
        name->setText(m_labels.value(int(i)));
        name->setToolTip(m_fullLabels.value(int(i))); // the whole name, where it was cut
        const QRectF nameRect = name->boundingRect();
        name->setPos(plot.left() - 8 - nameRect.width(), end.y() - nameRect.height() / 2);
        name->show();

        value->setText(quantityText(bar.total, bytes));
        const QRectF valueRect = value->boundingRect();
        // After the bar's end, or inside it at the right edge when the bar is cut there.
        const double x = std::min(end.x(), plot.right());
        const bool inside = x + 6 + valueRect.width() > plot.right();
        value->setBrush(inside ? palette().color(QPalette::Text) : palette().color(QPalette::PlaceholderText));
        value->setPos(inside ? x - 6 - valueRect.width() : x + 6, end.y() - valueRect.height() / 2);
        value->setVisible(bar.total > 0);
    }
}

void LayerBarChart::setSelectedNode(int node)
{
    if (!assignIfChanged(m_selectedNode, node))
        return;
    updateSelection();
    placeLabels();
}

void LayerBarChart::updateSelection()
{
    int selected = -1;
    for (size_t i = 0; i < m_ranking.bars.size(); ++i) {
        if (m_selectedNode >= 0 && m_ranking.bars[i].node == m_selectedNode)
            selected = int(m_ranking.bars.size() - 1 - i);
    }
    for (QBarSet* set : m_sets) {
        const QList<int> current = set->selectedBars();
        if (selected < 0 ? current.isEmpty() : current == QList<int> { selected })
            continue;
        set->deselectAllBars();
        if (selected >= 0)
            set->selectBar(selected);
    }
}

QString LayerBarChart::toolTipText(int bar) const
{
    if (bar < 0 || bar >= int(m_ranking.bars.size()) || !m_model)
        return {};
    const LayerBar& b = m_ranking.bars[size_t(bar)];
    const bool bytes = layerMetricIsBytes(m_metric);
    QString text = QStringLiteral("<b>") + barLabel(b).toHtmlEscaped() + QStringLiteral("</b>");
    if (b.node >= 0) {
        text += QStringLiteral(" <i>") + QString::fromStdString(m_model->graph.nodes[size_t(b.node)].opType).toHtmlEscaped()
            + QStringLiteral("</i><br>") + tr("step %1").arg(b.layer + 1);
    }
    text += QStringLiteral("<br>") + layerMetricLabel(m_metric) + QStringLiteral(": <b>") + quantityText(b.total, bytes)
        + QStringLiteral("</b>");
    if (m_ranking.segments.size() > 1) {
        text += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
        for (size_t s = m_ranking.segments.size(); s-- > 0;) {
            text += QStringLiteral("<tr><td><span style=\"color:%1\">■</span> %2</td><td align=\"right\">&nbsp;&nbsp;%3</td></tr>")
                        .arg(m_ranking.segments[s].color.name(), m_ranking.segments[s].label, quantityText(b.values[s], bytes));
        }
        text += QStringLiteral("</table>");
    }
    if (b.node >= 0)
        text += QStringLiteral("<br><i>") + tr("Click to select the layer") + QStringLiteral("</i>");
    return text;
}

QList<QBarSet*> LayerBarChart::barSets() const
{
    return QList<QBarSet*>(m_sets.begin(), m_sets.end());
}

QStringList LayerBarChart::barLabels() const
{
    QStringList labels = m_labels;
    std::reverse(labels.begin(), labels.end());
    return labels;
}

} // namespace fp

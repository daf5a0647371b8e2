#include "chartlegend.h"

#include <QAbstractAxis>
#include <QAreaSeries>
#include <QChart>
#include <QFontMetricsF>
#include <QGraphicsEllipseItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QLegend>
#include <QLineSeries>
#include <QPainter>
#include <QScatterSeries>

#include <algorithm>

namespace fp {

namespace {

constexpr double kSwatch = 12; // a swatch's side
constexpr double kGap = 5; // between a swatch and its name
constexpr double kSpacing = 16; // between entries
constexpr double kRowGap = 3;

// A short stroke in a line series' pen: a dashed limit looks dashed in the legend too.
class LineSwatch : public QAbstractGraphicsShapeItem {
public:
    using QAbstractGraphicsShapeItem::QAbstractGraphicsShapeItem;
    QRectF boundingRect() const override { return QRectF(0, 0, 2 * kSwatch, kSwatch); }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        painter->setPen(pen());
        painter->drawLine(QPointF(0, kSwatch / 2), QPointF(2 * kSwatch, kSwatch / 2));
    }
};

} // namespace

ChartLegend::ChartLegend(QChart* chart, QMargins margins, Qt::Alignment alignment)
    : m_chart(chart)
    , m_margins(margins)
    , m_alignment(alignment)
{
    m_chart->legend()->hide();
    m_chart->setMargins(margins);
}

void ChartLegend::setInLegend(QAbstractSeries* series, bool inLegend)
{
    if (inLegend)
        m_left.erase(series);
    else
        m_left.insert(series);
}

void ChartLegend::update()
{
    // New items only when other series are named (a slider step mostly changes none).
    std::vector<std::pair<QAbstractSeries*, QString>> named;
    for (QAbstractSeries* series : m_chart->series()) {
        if (series->isVisible() && !series->name().isEmpty() && !m_left.count(series))
            named.emplace_back(series, series->name());
    }
    if (named != m_named) {
        m_named = named;
        makeEntries();
    }
    layOut();
}

void ChartLegend::makeEntries()
{
    for (Entry& entry : m_entries) {
        delete entry.swatch;
        delete entry.text;
    }
    m_entries.clear();
    const QFont font = m_chart->legend()->font();
    for (const auto& [series, name] : m_named) {
        Entry entry;
        if (auto* area = qobject_cast<QAreaSeries*>(series)) {
            auto* rect = new QGraphicsRectItem(0, 0, kSwatch, kSwatch, m_chart);
            rect->setBrush(area->brush());
            rect->setPen(area->pen().style() == Qt::NoPen ? QPen(area->brush().color().darker(125), 1) : area->pen());
            entry.swatch = rect;
        } else if (auto* scatter = qobject_cast<QScatterSeries*>(series)) {
            auto* dot = new QGraphicsEllipseItem(1, 1, kSwatch - 2, kSwatch - 2, m_chart);
            dot->setBrush(scatter->brush());
            dot->setPen(QPen(scatter->borderColor(), 1));
            entry.swatch = dot;
        } else if (auto* line = qobject_cast<QLineSeries*>(series)) {
            auto* stroke = new LineSwatch(m_chart);
            QPen pen = line->pen();
            pen.setWidthF(std::min(pen.widthF(), 2.5));
            stroke->setPen(pen);
            stroke->setBrush(pen.color());
            entry.swatch = stroke;
        } else {
            continue;
        }
        entry.text = new QGraphicsSimpleTextItem(name, m_chart);
        entry.text->setFont(font);
        entry.text->setBrush(m_chart->legend()->labelColor());
        m_entries.push_back(entry);
    }
}

void ChartLegend::layOut()
{
    const QFont font = m_chart->legend()->font();

    // Rows as wide as the chart allows, each centred, as QLegend centres its one row.
    const double width = m_chart->size().width() - m_margins.left() - m_margins.right();
    const double lineHeight = std::max(kSwatch, QFontMetricsF(font).height());
    std::vector<std::vector<const Entry*>> rows(1);
    std::vector<double> rowWidths(1, 0);
    const auto entryWidth = [](const Entry& e) { return e.swatch->boundingRect().width() + kGap + e.text->boundingRect().width(); };
    for (const Entry& entry : m_entries) {
        const double w = entryWidth(entry);
        if (!rows.back().empty() && rowWidths.back() + kSpacing + w > width) {
            rows.emplace_back();
            rowWidths.push_back(0);
        }
        rowWidths.back() += (rows.back().empty() ? 0 : kSpacing) + w;
        rows.back().push_back(&entry);
    }
    const double height = m_entries.empty() ? 0 : rows.size() * lineHeight + (rows.size() - 1) * kRowGap + 6;
    const bool top = m_alignment & Qt::AlignTop;
    double y = top ? m_margins.top() : m_chart->size().height() - m_margins.bottom() - height + 6;
    for (size_t r = 0; r < rows.size(); ++r) {
        double x = m_margins.left() + std::max(0.0, (width - rowWidths[r]) / 2);
        for (const Entry* entry : rows[r]) {
            const QRectF swatch = entry->swatch->boundingRect();
            entry->swatch->setPos(x, y + (lineHeight - swatch.height()) / 2);
            x += swatch.width() + kGap;
            entry->text->setPos(x, y + (lineHeight - entry->text->boundingRect().height()) / 2);
            x += entry->text->boundingRect().width() + kSpacing;
        }
        y += lineHeight + kRowGap;
    }
    const int room = int(std::ceil(height));
    const QMargins margins = top ? m_margins + QMargins(0, room, 0, 0) : m_margins + QMargins(0, 0, 0, room);
    if (m_chart->margins() != margins)
        m_chart->setMargins(margins);
}

QStringList ChartLegend::texts() const
{
    QStringList texts;
    for (const Entry& entry : m_entries)
        texts << entry.text->text();
    return texts;
}

QBrush ChartLegend::brush(const QString& text) const
{
    for (const Entry& entry : m_entries)
        if (entry.text->text() == text)
            return entry.swatch->brush();
    return {};
}

void fitAxisTitles(QChart* chart)
{
    const QRectF plot = chart->plotArea();
    if (plot.isEmpty())
        return;
    const QMargins margins = chart->margins();
    const double content = chart->size().height() - margins.top() - margins.bottom();
    for (QAbstractAxis* axis : chart->axes()) {
        if (axis->titleText().isEmpty())
            continue;
        const double title = QFontMetricsF(axis->titleFont()).horizontalAdvance(axis->titleText());
        const double line = QFontMetricsF(axis->titleFont()).height();
        const double labels = QFontMetricsF(axis->labelsFont()).height();
        // QtCharts gives a horizontal axis at most 40% of the height: labels, title and their
        // padding must fit in it (the padding measured on this style: about 24 pixels).
        const bool fits = axis->orientation() == Qt::Vertical ? title + 8 <= plot.height()
                                                              : labels + line + 24 <= 0.4 * content;
        if (axis->isTitleVisible() != fits)
            axis->setTitleVisible(fits);
    }
}

QString wrappedTitle(const QString& text, const QFont& font, double width)
{
    const QFontMetricsF metrics(font);
    QStringList lines;
    QString line;
    for (const QString& word : text.split(u' ')) {
        const QString longer = line.isEmpty() ? word : line + u' ' + word;
        if (!line.isEmpty() && metrics.horizontalAdvance(longer) > width) {
            lines << line.toHtmlEscaped();
            line = word;
        } else {
            line = longer;
        }
    }
    lines << line.toHtmlEscaped();
    return lines.join(QStringLiteral("<br>"));
}

} // namespace fp

#pragma once

#include <QBrush>
#include <QMargins>
#include <QString>
#include <QStringList>

#include <set>
#include <utility>
#include <vector>

class QAbstractGraphicsShapeItem;
class QAbstractSeries;
class QChart;
class QFont;
class QGraphicsSimpleTextItem;

namespace fp {

// A chart's legend in rows that wrap at the chart's width, drawn as items of the chart so that
// exports show it too. QLegend keeps one row and cuts every name to fit it ("Saved a…",
// "Optimize…"); this one never cuts a name. It names the chart's visible series in the order
// they were added, with their brush, line or point, except those left out with setInLegend(),
// above or below the plot, in the chart's margin, which it sets to `margins` plus its rows.
class ChartLegend {
public:
    ChartLegend(QChart* chart, QMargins margins, Qt::Alignment alignment = Qt::AlignTop);

    // A series drawn but not named (a band, a selection marker) is left out.
    void setInLegend(QAbstractSeries* series, bool inLegend);
    // Lays the entries out again: after series are shown, hidden or renamed, and on every resize.
    void update();

    // What is drawn, for tests: the entries' texts, and the brush of the entry named `text`.
    QStringList texts() const;
    QBrush brush(const QString& text) const;

private:
    void makeEntries();
    void layOut();

    struct Entry {
        QAbstractGraphicsShapeItem* swatch = nullptr;
        QGraphicsSimpleTextItem* text = nullptr;
    };
    QChart* m_chart;
    QMargins m_margins;
    Qt::Alignment m_alignment;
    std::vector<std::pair<QAbstractSeries*, QString>> m_named; // what the entries show
    std::vector<Entry> m_entries;
    std::set<const QAbstractSeries*> m_left; // out of the legend
};

// Titles an axis may lose so that its numbers are never cut: QtCharts elides a vertical axis's
// title to the plot's height, and squeezes a horizontal axis into 40% of the chart's height,
// eliding its labels ("10…" reads as 10). A vertical title is shown only where it fits, and a
// horizontal one only where the chart is tall enough for it and the labels; the labels carry
// the unit, so the numbers read alone. Called when the plot area changes.
void fitAxisTitles(QChart* chart);

// `text` as a chart title's HTML, broken at spaces into lines no wider than `width`: QtCharts
// cuts a title to one line.
QString wrappedTitle(const QString& text, const QFont& font, double width);

} // namespace fp

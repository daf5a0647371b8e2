#pragma once

#include <QChartView>

namespace fp {

// The base of the charts over an analysis that are items on a QChart (the roofline's points,
// the timeline's steps): an item names itself in a tooltip while hovered and is picked by a left
// click, and a redraw asked while the chart is out of sight waits until it is shown. The charts
// say only what an item is, what its tooltip says, what picking it does and how they redraw.
class AnalysisChartView : public QChartView {
    Q_OBJECT
public:
    using QChartView::QChartView;

    // The item under (or within a few pixels of) a view position; -1 if none.
    virtual int itemAt(const QPoint& position) const = 0;
    // What hovering over `item` shows.
    virtual QString toolTipText(int item) const = 0;

protected:
    // A left click landed on `item`.
    virtual void itemClicked(int item) = 0;
    // Draws the chart afresh from what it was given.
    virtual void rebuild() = 0;
    // Called first in rebuild(): true when the chart is out of sight (another tab in front, a
    // closed dock) and has `something` to draw; the redraw then runs when the chart is shown,
    // so a slider drag pays only for the views on screen.
    bool deferWhileHidden(bool something);

    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    bool m_stale = false; // a redraw was deferred while hidden
};

} // namespace fp

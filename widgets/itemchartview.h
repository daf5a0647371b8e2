#pragma once

#include <QChartView>

namespace fp {

// A chart whose items (the roofline's points, the timeline's steps) name themselves in a tooltip
// while hovered and are picked by a left click. The charts differ only in what an item is, what
// its tooltip says and what picking it does; the mouse handling is this one.
class ItemChartView : public QChartView {
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

    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
};

} // namespace fp

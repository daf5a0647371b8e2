#include "itemchartview.h"

#include <QMouseEvent>
#include <QToolTip>

namespace fp {

void ItemChartView::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const int item = itemAt(event->position().toPoint());
    if (item < 0)
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), toolTipText(item), this);
}

void ItemChartView::mousePressEvent(QMouseEvent* event)
{
    QChartView::mousePressEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const int item = itemAt(event->position().toPoint());
    if (item >= 0)
        itemClicked(item);
}

} // namespace fp

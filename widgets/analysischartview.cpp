#include "analysischartview.h"

#include <QMouseEvent>
#include <QToolTip>

namespace fp {

bool AnalysisChartView::deferWhileHidden(bool something)
{
    m_stale = !isVisible() && something;
    return m_stale;
}

void AnalysisChartView::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const int item = itemAt(event->position().toPoint());
    if (item < 0)
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), toolTipText(item), this);
}

void AnalysisChartView::mousePressEvent(QMouseEvent* event)
{
    QChartView::mousePressEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const int item = itemAt(event->position().toPoint());
    if (item >= 0)
        itemClicked(item);
}

void AnalysisChartView::showEvent(QShowEvent* event)
{
    QChartView::showEvent(event);
    if (m_stale)
        rebuild();
}

} // namespace fp

#include "graphoverlays.h"

#include "graphitems.h"
#include "graphview.h"

#include <QGraphicsScene>
#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

namespace fp {

// ---------------------------------------------------------------------------------------------
// GraphLegend

GraphLegend::GraphLegend(QWidget* parent)
    : QWidget(parent)
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setObjectName(QStringLiteral("graphLegend"));
    resize(232, 62);
}

void GraphLegend::setScale(const QString& title, const ColorScale& scale, GraphMetric metric, bool empty)
{
    m_title = title;
    m_scale = scale;
    m_metric = metric;
    m_empty = empty;
    update();
}

void GraphLegend::paintTo(QPainter& p) const
{
    p.setRenderHint(QPainter::Antialiasing);
    QColor back = palette().base().color();
    back.setAlpha(235);
    p.setPen(QColor(0, 0, 0, 40));
    p.setBrush(back);
    p.drawRoundedRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5);

    QFont bold = font();
    bold.setBold(true);
    bold.setPixelSize(11);
    QFont small = font();
    small.setPixelSize(10);
    p.setPen(palette().text().color());
    p.setFont(bold);
    QString title = m_title;
    if (m_scale.logarithmic)
        title += GraphView::tr(" (log scale)");
    p.drawText(QRectF(8, 4, width() - 16, 16), Qt::AlignLeft | Qt::AlignVCenter, title);

    const QRectF bar(8, 23, width() - 52, 11);
    QLinearGradient gradient(bar.topLeft(), bar.topRight());
    for (int i = 0; i <= 16; ++i)
        gradient.setColorAt(i / 16.0, ColorScale::mapColor(m_scale.map, i / 16.0));
    p.setPen(Qt::NoPen);
    p.setBrush(gradient);
    p.drawRect(bar);
    // Nodes with nothing to show (no weights, no MACs) are drawn neutral.
    const QRectF none(bar.right() + 8, bar.top(), 11, bar.height());
    p.setBrush(neutralFill(DisplayNode::Kind::Op));
    p.setPen(QColor(0x9a, 0xa0, 0xa6));
    p.drawRect(none);
    p.setFont(small);
    p.setPen(palette().text().color());
    p.drawText(QRectF(none.right() + 3, none.top() - 3, 24, 16), Qt::AlignLeft | Qt::AlignVCenter,
               QStringLiteral("0"));
    if (m_empty) {
        p.drawText(QRectF(8, 38, width() - 16, 18), Qt::AlignLeft | Qt::AlignVCenter, GraphView::tr("no values"));
        return;
    }
    const QRectF labels(bar.left(), bar.bottom() + 2, bar.width(), 16);
    p.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, formatGraphMetric(m_metric, m_scale.valueAt(0)));
    p.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, formatGraphMetric(m_metric, m_scale.valueAt(1)));
}

void GraphLegend::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintTo(p);
}

// ---------------------------------------------------------------------------------------------
// GraphMiniMap

GraphMiniMap::GraphMiniMap(GraphView* view)
    : QWidget(view)
    , m_view(view)
{
    setObjectName(QStringLiteral("graphMiniMap"));
    setCursor(Qt::PointingHandCursor);
}

void GraphMiniMap::setContent(std::vector<QRectF> frames, std::vector<Box> boxes)
{
    m_frames = std::move(frames);
    m_boxes = std::move(boxes);
    invalidate();
}

void GraphMiniMap::invalidate()
{
    m_dirty = true;
    update();
}

void GraphMiniMap::fitTo(const QSize& maximum)
{
    const QRectF scene = m_view->scene()->sceneRect();
    if (scene.isEmpty())
        return;
    const QSizeF scaled = scene.size().scaled(QSizeF(maximum), Qt::KeepAspectRatio);
    const QSize size = scaled.toSize().expandedTo(QSize(72, 48)).boundedTo(maximum);
    const QRectF target(QPointF((size.width() - scaled.width()) / 2, (size.height() - scaled.height()) / 2),
                        scaled);
    if (size != this->size() || target != m_target) {
        resize(size);
        m_target = target;
        m_dirty = true;
    }
}

void GraphMiniMap::paintEvent(QPaintEvent*)
{
    const QRectF scene = m_view->scene()->sceneRect();
    if (scene.isEmpty())
        return;
    if (m_dirty || m_pixmap.size() != size() * devicePixelRatioF()) {
        m_pixmap = QPixmap(size() * devicePixelRatioF());
        m_pixmap.setDevicePixelRatio(devicePixelRatioF());
        m_pixmap.fill(palette().base().color());
        QPainter pp(&m_pixmap);
        const double f = factor();
        pp.translate(m_target.topLeft());
        pp.scale(f, f);
        pp.translate(-scene.topLeft());
        QColor frame = kClusterColor;
        frame.setAlpha(22);
        pp.setPen(Qt::NoPen);
        pp.setBrush(frame);
        for (const QRectF& r : m_frames)
            pp.drawRect(r);
        // At least a pixel, or a long graph's boxes vanish.
        const double minimum = 1.0 / std::max(f, 1e-6);
        for (const Box& b : m_boxes) {
            QRectF r = b.rect;
            if (r.height() < minimum)
                r.setHeight(minimum);
            if (r.width() < minimum)
                r.setWidth(minimum);
            pp.fillRect(r, b.fill);
        }
        m_dirty = false;
    }
    QPainter p(this);
    p.drawPixmap(0, 0, m_pixmap);
    p.setPen(QColor(0, 0, 0, 70));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5));
    const QRectF visible = m_view->mapToScene(m_view->viewport()->rect()).boundingRect();
    const QRectF shown = toMap(visible).intersected(QRectF(rect()));
    QColor fill = palette().highlight().color();
    fill.setAlpha(40);
    p.setPen(QPen(palette().highlight().color(), 1.5));
    p.setBrush(fill);
    p.drawRect(shown);
}

void GraphMiniMap::mousePressEvent(QMouseEvent* event)
{
    moveView(event->position());
}

void GraphMiniMap::mouseMoveEvent(QMouseEvent* event)
{
    if (event->buttons() & Qt::LeftButton)
        moveView(event->position());
}

double GraphMiniMap::factor() const
{
    const QRectF scene = m_view->scene()->sceneRect();
    return scene.width() > 0 ? m_target.width() / scene.width() : 0;
}

QRectF GraphMiniMap::toMap(const QRectF& r) const
{
    const QRectF scene = m_view->scene()->sceneRect();
    const double f = factor();
    return QRectF(m_target.left() + (r.left() - scene.left()) * f, m_target.top() + (r.top() - scene.top()) * f,
                  r.width() * f, r.height() * f);
}

void GraphMiniMap::moveView(const QPointF& pos)
{
    const QRectF scene = m_view->scene()->sceneRect();
    const double f = factor();
    if (f <= 0)
        return;
    m_view->centerOn(scene.left() + (pos.x() - m_target.left()) / f, scene.top() + (pos.y() - m_target.top()) / f);
}

} // namespace fp

#include "graphitems.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>

namespace fp {

namespace {

// Below this on-screen text height, labels are skipped: unreadable, and the costliest part of a
// zoomed-out repaint.
constexpr qreal kMinTextPixels = 4.5;

const QColor kEdgeColor(0x8a, 0x90, 0x99);
const QColor kPeakColor(0xd3, 0x2f, 0x2f);

} // namespace

QFont titleFont()
{
    QFont font;
    font.setPixelSize(int(kTitlePixels));
    font.setBold(true);
    return font;
}

QFont textFont()
{
    QFont font;
    font.setPixelSize(int(kTextPixels));
    return font;
}

QColor neutralFill(DisplayNode::Kind kind)
{
    switch (kind) {
    case DisplayNode::Kind::Op:
        return QColor(0xe8, 0xea, 0xed);
    case DisplayNode::Kind::Group:
        return QColor(0xdc, 0xe0, 0xe5);
    case DisplayNode::Kind::Input:
    case DisplayNode::Kind::Output:
        return QColor(0xff, 0xff, 0xff);
    case DisplayNode::Kind::Proxy:
        return QColor(0xf4, 0xf5, 0xf6);
    }
    return Qt::white;
}

bool isPill(DisplayNode::Kind kind)
{
    return kind == DisplayNode::Kind::Input || kind == DisplayNode::Kind::Output || kind == DisplayNode::Kind::Proxy;
}

// ---------------------------------------------------------------------------------------------
// GraphNodeItem

GraphNodeItem::GraphNodeItem(int index, DisplayNode::Kind kind, const QRectF& rect)
    : m_index(index)
    , m_kind(kind)
    , m_rect(0, 0, rect.width(), rect.height())
{
    setPos(rect.topLeft());
    setFlag(ItemIsSelectable);
    setZValue(1);
}

void GraphNodeItem::setAppearance(const QColor& fill, const QString& title, const QString& subtitle, bool peak)
{
    m_fill = fill.isValid() ? fill : neutralFill(m_kind);
    m_lightText = ColorScale::needsLightText(m_fill);
    m_title = title;
    m_subtitle = subtitle;
    m_peak = peak;
    update();
}

void GraphNodeItem::setBadge(const QString& text, const QColor& color)
{
    if (text == m_badge && color == m_badgeColor)
        return;
    m_badge = text;
    m_badgeColor = color;
    update();
}

namespace {

// A pill on an item's top edge, from `left`: drawn without text when too small to read.
void paintBadge(QPainter* painter, qreal left, qreal top, qreal maxWidth, const QString& text, const QColor& color,
                bool readable)
{
    QFont font = textFont();
    font.setBold(true);
    font.setPixelSize(int(kTextPixels) - 1);
    const QFontMetricsF metrics(font);
    const QString shown = metrics.elidedText(text, Qt::ElideRight, std::max<qreal>(maxWidth - 8, 10));
    const QRectF pill(left, top - 6, metrics.horizontalAdvance(shown) + 8, 12);
    painter->setPen(QPen(Qt::white, 1));
    painter->setBrush(color);
    painter->drawRoundedRect(pill, 6, 6);
    if (!readable)
        return;
    painter->setPen(Qt::white);
    painter->setFont(font);
    painter->drawText(pill, Qt::AlignCenter, shown);
}

} // namespace

QPainterPath GraphNodeItem::shape() const
{
    QPainterPath path;
    path.addRect(m_rect);
    return path;
}

void GraphNodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const bool selected = option->state & QStyle::State_Selected;
    const qreal radius = isPill(m_kind) ? m_rect.height() / 2 : 4;
    const QColor border = m_fill.lightness() > 200 ? QColor(0x9a, 0xa0, 0xa6) : m_fill.darker(160);
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.15);

    if (m_kind == DisplayNode::Kind::Group) {
        // A stack of cards: this box holds more than one node.
        painter->setPen(QPen(border, 1));
        painter->setBrush(m_fill.darker(112));
        painter->drawRoundedRect(m_rect.translated(5, 5), radius, radius);
        painter->drawRoundedRect(m_rect.translated(2.5, 2.5), radius, radius);
    }
    QPen pen(border, 1);
    if (m_kind == DisplayNode::Kind::Proxy)
        pen.setStyle(Qt::DashLine);
    if (m_peak)
        pen = QPen(kPeakColor, 2.5);
    if (selected)
        pen = QPen(option->palette.highlight().color(), 3);
    painter->setPen(pen);
    painter->setBrush(m_fill);
    painter->drawRoundedRect(m_rect, radius, radius);
    if (m_peak) {
        // A corner flag, visible even when the outline is too thin to see.
        QPolygonF flag;
        flag << m_rect.topRight() + QPointF(-12, 0) << m_rect.topRight() << m_rect.topRight() + QPointF(0, 12);
        painter->setPen(Qt::NoPen);
        painter->setBrush(kPeakColor);
        painter->drawPolygon(flag);
    }

    const bool readable = lod * kTextPixels >= kMinTextPixels;
    if (!m_badge.isEmpty()) {
        // The layer's own precision on its top edge, in the badge's colour all round: seen at
        // any zoom, and read when the titles are.
        painter->setPen(QPen(m_badgeColor, 2, Qt::DashLine));
        painter->setBrush(Qt::NoBrush);
        if (!m_peak && !selected)
            painter->drawRoundedRect(m_rect.adjusted(1, 1, -1, -1), radius, radius);
        paintBadge(painter, m_rect.left() + 6, m_rect.top(), m_rect.width() - 12, m_badge, m_badgeColor, readable);
    }
    if (!readable)
        return;
    painter->setPen(m_lightText ? QColor(Qt::white) : QColor(0x20, 0x21, 0x24));
    const QRectF text = m_rect.adjusted(6, 2, -6, -2);
    const QFont title = titleFont();
    if (m_subtitle.isEmpty()) {
        painter->setFont(title);
        painter->drawText(text, Qt::AlignCenter,
                          QFontMetricsF(title).elidedText(m_title, Qt::ElideMiddle, text.width()));
        return;
    }
    const QRectF top(text.left(), text.top(), text.width(), text.height() / 2 + 1);
    const QRectF bottom(text.left(), text.center().y(), text.width(), text.height() / 2);
    painter->setFont(title);
    painter->drawText(top, Qt::AlignHCenter | Qt::AlignBottom,
                      QFontMetricsF(title).elidedText(m_title, Qt::ElideMiddle, text.width()));
    const QFont small = textFont();
    painter->setFont(small);
    painter->drawText(bottom, Qt::AlignHCenter | Qt::AlignTop,
                      QFontMetricsF(small).elidedText(m_subtitle, Qt::ElideRight, text.width()));
}

// ---------------------------------------------------------------------------------------------
// GraphEdgeItem

GraphEdgeItem::GraphEdgeItem(const GraphLayout::Edge& edge)
{
    setAcceptedMouseButtons(Qt::NoButton);
    setZValue(0);
    const std::vector<QPointF>& p = edge.points;
    if (p.empty())
        return;
    m_path.moveTo(p.front());
    if (edge.bezier && p.size() >= 4 && (p.size() - 1) % 3 == 0) {
        for (size_t i = 1; i + 2 < p.size(); i += 3)
            m_path.cubicTo(p[i], p[i + 1], p[i + 2]);
    } else {
        for (size_t i = 1; i < p.size(); ++i)
            m_path.lineTo(p[i]);
    }
    if (edge.hasArrow) {
        const QPointF base = p.back(), tip = edge.arrowTip;
        const QPointF along = tip - base;
        const QPointF across(-along.y() * 0.45, along.x() * 0.45);
        m_arrow << tip << base + across << base - across;
    }
    m_bounds = m_path.boundingRect().united(m_arrow.boundingRect()).adjusted(-3, -3, 3, 3);
}

QPointF GraphEdgeItem::labelAnchor()
{
    if (!m_hasAnchor) {
        m_labelAnchor = m_path.isEmpty() ? QPointF() : m_path.pointAtPercent(0.5);
        m_hasAnchor = true;
    }
    return m_labelAnchor;
}

void GraphEdgeItem::setLabel(const QString& label)
{
    if (label == m_label)
        return;
    m_label = label;
    setData(GraphView::EdgeLabelKey, label);
    update();
}

void GraphEdgeItem::setLabelRect(const QRectF& rect)
{
    if (rect == m_labelRect)
        return;
    prepareGeometryChange();
    m_labelRect = rect;
}

void GraphEdgeItem::setHighlighted(bool highlighted)
{
    if (highlighted == m_highlighted)
        return;
    m_highlighted = highlighted;
    setZValue(highlighted ? 0.5 : 0);
    update();
}

QPainterPath GraphEdgeItem::shape() const
{
    QPainterPathStroker stroker;
    stroker.setWidth(4);
    return stroker.createStroke(m_path);
}

void GraphEdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const QColor color = m_highlighted ? option->palette.highlight().color() : kEdgeColor;
    // At least about a pixel wide whatever the zoom, so a zoomed-out graph keeps its edges.
    const qreal width = std::max(m_highlighted ? 2.2 : 1.2, 0.9 / std::max(lod, 1e-3));
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.15);
    painter->setPen(QPen(color, width));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(m_path);
    if (!m_arrow.isEmpty()) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(color);
        painter->drawPolygon(m_arrow);
    }
    if (m_labelRect.isEmpty() || lod * kTextPixels < kMinTextPixels)
        return;
    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(255, 255, 255, 220));
    painter->drawRoundedRect(m_labelRect, 2, 2);
    painter->setFont(textFont());
    painter->setPen(m_highlighted ? color : QColor(0x4a, 0x4f, 0x55));
    painter->drawText(m_labelRect, Qt::AlignCenter, m_label);
}

// ---------------------------------------------------------------------------------------------
// GraphClusterItem

GraphClusterItem::GraphClusterItem(int group, int depth, const QString& title, const QRectF& rect)
    : m_group(group)
    , m_title(title)
    , m_rect(rect)
{
    setZValue(-100 + depth);
    setAcceptedMouseButtons(Qt::LeftButton);
}

void GraphClusterItem::setBadge(const QString& text, const QColor& color)
{
    if (text == m_badge && color == m_badgeColor)
        return;
    m_badge = text;
    m_badgeColor = color;
    update();
}

void GraphClusterItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget)
{
    const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.15);
    QColor fill = kClusterColor;
    fill.setAlpha(14);
    QColor border = kClusterColor;
    border.setAlpha(110);
    painter->setPen(QPen(border, std::max(1.0, 0.8 / std::max(lod, 1e-3))));
    painter->setBrush(fill);
    painter->drawRoundedRect(m_rect, 6, 6);
    if (lod * kTextPixels < kMinTextPixels)
        return;
    // The title sits on the frame's top edge, as a fieldset's legend, in the margin Graphviz
    // leaves around the cluster's nodes.
    const QFont font = textFont();
    const QFontMetricsF metrics(font);
    const QString text = metrics.elidedText(m_title, Qt::ElideMiddle, std::max<qreal>(m_rect.width() - 20, 10));
    const QRectF label(m_rect.left() + 8, m_rect.top() - metrics.height() / 2, metrics.horizontalAdvance(text) + 8,
                       metrics.height());
    painter->setPen(Qt::NoPen);
    painter->setBrush(widget ? widget->palette().base() : QBrush(Qt::white));
    painter->drawRect(label);
    painter->setPen(kClusterColor.darker(130));
    painter->setFont(font);
    painter->drawText(label, Qt::AlignCenter, text);
    if (!m_badge.isEmpty() && label.right() + 40 < m_rect.right())
        paintBadge(painter, label.right() + 4, m_rect.top(), m_rect.right() - label.right() - 12, m_badge, m_badgeColor,
                   true);
}

} // namespace fp

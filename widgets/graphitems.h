#pragma once

// The graph view's scene items (private to the widgets library): they only paint what the view
// computed. Also the look they share with the view and its overlays: fonts, neutral fills, the
// frames' colour.

#include "graphview.h"

#include <QColor>
#include <QFont>
#include <QGraphicsItem>
#include <QPainterPath>
#include <QPolygonF>
#include <QRectF>
#include <QString>

namespace fp {

// Scene units are Graphviz points; at zoom 1 one point is one pixel.
constexpr qreal kTitlePixels = 11;
constexpr qreal kTextPixels = 10;

QFont titleFont();
QFont textFont();
QColor neutralFill(DisplayNode::Kind kind);
// Inputs, outputs and sources drawn beside their readers are pills; operators and groups boxes.
bool isPill(DisplayNode::Kind kind);

inline const QColor kClusterColor(0x3b, 0x6e, 0xa8);

class GraphNodeItem : public QGraphicsItem {
public:
    enum { Type = GraphView::NodeItemType };

    GraphNodeItem(int index, DisplayNode::Kind kind, const QRectF& rect);

    int type() const override { return Type; }
    int index() const { return m_index; }
    DisplayNode::Kind kind() const { return m_kind; }
    QColor fill() const { return m_fill; }

    void setAppearance(const QColor& fill, const QString& title, const QString& subtitle, bool peak);
    // A small label on the box's top edge: the layer's own precision ("int8"), or a collapsed
    // group's ("int8 · 3/12"); empty for none.
    void setBadge(const QString& text, const QColor& color);
    const QString& badge() const { return m_badge; }

    QRectF boundingRect() const override { return m_rect.adjusted(-4, -8, 8, 8); }
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override;

private:
    int m_index;
    DisplayNode::Kind m_kind;
    QRectF m_rect;
    QColor m_fill = Qt::white;
    bool m_lightText = false;
    bool m_peak = false;
    QString m_title;
    QString m_subtitle;
    QString m_badge;
    QColor m_badgeColor;
};

class GraphEdgeItem : public QGraphicsItem {
public:
    enum { Type = GraphView::EdgeItemType };

    explicit GraphEdgeItem(const GraphLayout::Edge& edge);

    int type() const override { return Type; }

    const QString& label() const { return m_label; }
    // The middle of the edge, in the gap between two ranks for a short one. Computed on first
    // use: measuring a path is not free, and labels are off by default.
    QPointF labelAnchor();

    void setLabel(const QString& label);
    // Where the label goes (placed by the view, which knows the other labels and the nodes);
    // an empty rectangle hides it.
    void setLabelRect(const QRectF& rect);
    void setHighlighted(bool highlighted);

    QRectF boundingRect() const override { return m_labelRect.isEmpty() ? m_bounds : m_bounds.united(m_labelRect); }
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override;

private:
    QPainterPath m_path;
    QPolygonF m_arrow;
    QRectF m_bounds;
    QPointF m_labelAnchor;
    bool m_hasAnchor = false;
    QRectF m_labelRect;
    QString m_label;
    bool m_highlighted = false;
};

class GraphClusterItem : public QGraphicsItem {
public:
    enum { Type = GraphView::ClusterItemType };

    GraphClusterItem(int group, int depth, const QString& title, const QRectF& rect);

    int type() const override { return Type; }
    int group() const { return m_group; }
    QRectF frame() const { return m_rect; }
    // The group's own precision (a rule naming its scope), beside its title; empty for none.
    void setBadge(const QString& text, const QColor& color);
    const QString& badge() const { return m_badge; }

    QRectF boundingRect() const override { return m_rect.adjusted(-1, -kTextPixels, 1, 1); }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int m_group;
    QString m_title;
    QRectF m_rect;
    QString m_badge;
    QColor m_badgeColor;
};

} // namespace fp

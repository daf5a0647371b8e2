#pragma once

// The graph view's overlays (private to the widgets library): child widgets of the view (not of
// its viewport, which scrolls its children). The "laying out" notice is a plain QLabel the view
// makes itself.

#include "colorscale.h"
#include "graphstructure.h"

#include <QColor>
#include <QPixmap>
#include <QRectF>
#include <QString>
#include <QWidget>

#include <vector>

namespace fp {

class GraphView;

class GraphLegend : public QWidget {
public:
    explicit GraphLegend(QWidget* parent);

    void setScale(const QString& title, const ColorScale& scale, GraphMetric metric, bool empty);

    // Also used by exports, which draw the legend above the whole graph.
    void paintTo(QPainter& p) const;

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QString m_title;
    ColorScale m_scale;
    GraphMetric m_metric = GraphMetric::ActivationBytes;
    bool m_empty = true;
};

// The whole graph in a corner, with the part the view shows outlined; click or drag to move there.
// Draws the frames and coloured boxes straight from the layout (not the scene's items, whose
// edges and text are noise at this scale and cost tens of milliseconds on a large graph), into a
// cached pixmap redone only when the picture changes.
class GraphMiniMap : public QWidget {
public:
    explicit GraphMiniMap(GraphView* view);

    struct Box {
        QRectF rect;
        QColor fill;
    };

    void setContent(std::vector<QRectF> frames, std::vector<Box> boxes);
    void invalidate();
    // At most `maximum`, at least wide and tall enough to hit with the mouse; a long thin graph
    // is drawn centred in it.
    void fitTo(const QSize& maximum);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    double factor() const;
    QRectF toMap(const QRectF& r) const;
    void moveView(const QPointF& pos);

    GraphView* m_view;
    std::vector<QRectF> m_frames;
    std::vector<Box> m_boxes;
    QPixmap m_pixmap;
    QRectF m_target; // where the scene is drawn inside the widget
    bool m_dirty = true;
};

} // namespace fp

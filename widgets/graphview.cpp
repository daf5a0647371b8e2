#include "graphview.h"

#include "report.h"

#include <QFutureWatcher>
#include <QGraphicsScene>
#include <QKeyEvent>
#include <QLabel>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QStyleOptionGraphicsItem>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace fp {

namespace {

// Scene units are Graphviz points; at zoom 1 one point is one pixel.
constexpr qreal kTitlePixels = 11;
constexpr qreal kTextPixels = 10;
constexpr qreal kNodeHeight = 34;
constexpr qreal kMinNodeWidth = 60;
constexpr qreal kMaxNodeWidth = 260;
constexpr qreal kSceneMargin = 40;
constexpr double kMinScale = 0.002; // GPT-2 48 layers fully open is 144,000 points tall
constexpr double kReadableScale = 0.45;
constexpr double kMaxScale = 6;
// Below this on-screen text height, labels are skipped: unreadable, and the costliest part of a
// zoomed-out repaint.
constexpr qreal kMinTextPixels = 4.5;
// A layout shorter than this shows no "laying out" notice.
constexpr int kOverlayDelayMs = 150;

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

const QColor kEdgeColor(0x8a, 0x90, 0x99);
const QColor kPeakColor(0xd3, 0x2f, 0x2f);
const QColor kClusterColor(0x3b, 0x6e, 0xa8);

QString shapeText(const AnalysisResult* result, int value)
{
    if (!result || value < 0 || size_t(value) >= result->shapes.tensors.size())
        return QStringLiteral("?");
    return QString::fromStdString(formatShape(result->shapes.tensors[size_t(value)]));
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Scene items: they only paint what the view computed.

class GraphNodeItem : public QGraphicsItem {
public:
    enum { Type = GraphView::NodeItemType };

    GraphNodeItem(int index, DisplayNode::Kind kind, const QRectF& rect)
        : m_index(index)
        , m_kind(kind)
        , m_rect(0, 0, rect.width(), rect.height())
    {
        setPos(rect.topLeft());
        setFlag(ItemIsSelectable);
        setZValue(1);
    }

    int type() const override { return Type; }
    int index() const { return m_index; }
    DisplayNode::Kind kind() const { return m_kind; }
    QColor fill() const { return m_fill; }

    void setAppearance(const QColor& fill, const QString& title, const QString& subtitle, bool peak)
    {
        m_fill = fill.isValid() ? fill : neutralFill(m_kind);
        m_lightText = ColorScale::needsLightText(m_fill);
        m_title = title;
        m_subtitle = subtitle;
        m_peak = peak;
        update();
    }

    QRectF boundingRect() const override { return m_rect.adjusted(-4, -8, 8, 8); }

    QPainterPath shape() const override
    {
        QPainterPath path;
        path.addRect(m_rect);
        return path;
    }

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override
    {
        const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
        const bool selected = option->state & QStyle::State_Selected;
        const bool pill = m_kind == DisplayNode::Kind::Input || m_kind == DisplayNode::Kind::Output
            || m_kind == DisplayNode::Kind::Proxy;
        const qreal radius = pill ? m_rect.height() / 2 : 4;
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

        if (lod * kTextPixels < kMinTextPixels)
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

private:
    int m_index;
    DisplayNode::Kind m_kind;
    QRectF m_rect;
    QColor m_fill = Qt::white;
    bool m_lightText = false;
    bool m_peak = false;
    QString m_title;
    QString m_subtitle;
};

class GraphEdgeItem : public QGraphicsItem {
public:
    enum { Type = GraphView::EdgeItemType };

    explicit GraphEdgeItem(const GraphLayout::Edge& edge)
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

    int type() const override { return Type; }

    const QString& label() const { return m_label; }
    // The middle of the edge, in the gap between two ranks for a short one. Computed on first
    // use: measuring a path is not free, and labels are off by default.
    QPointF labelAnchor()
    {
        if (!m_hasAnchor) {
            m_labelAnchor = m_path.isEmpty() ? QPointF() : m_path.pointAtPercent(0.5);
            m_hasAnchor = true;
        }
        return m_labelAnchor;
    }

    void setLabel(const QString& label)
    {
        if (label == m_label)
            return;
        m_label = label;
        setData(GraphView::EdgeLabelKey, label);
        update();
    }

    // Where the label goes (placed by the view, which knows the other labels and the nodes);
    // an empty rectangle hides it.
    void setLabelRect(const QRectF& rect)
    {
        if (rect == m_labelRect)
            return;
        prepareGeometryChange();
        m_labelRect = rect;
    }

    void setHighlighted(bool highlighted)
    {
        if (highlighted == m_highlighted)
            return;
        m_highlighted = highlighted;
        setZValue(highlighted ? 0.5 : 0);
        update();
    }

    QRectF boundingRect() const override { return m_labelRect.isEmpty() ? m_bounds : m_bounds.united(m_labelRect); }

    QPainterPath shape() const override
    {
        QPainterPathStroker stroker;
        stroker.setWidth(4);
        return stroker.createStroke(m_path);
    }

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override
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

    GraphClusterItem(int group, int depth, const QString& title, const QRectF& rect)
        : m_group(group)
        , m_title(title)
        , m_rect(rect)
    {
        setZValue(-100 + depth);
        setAcceptedMouseButtons(Qt::LeftButton);
    }

    int type() const override { return Type; }
    int group() const { return m_group; }
    QRectF frame() const { return m_rect; }

    QRectF boundingRect() const override { return m_rect.adjusted(-1, -kTextPixels, 1, 1); }

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override
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
    }

private:
    int m_group;
    QString m_title;
    QRectF m_rect;
};

// ---------------------------------------------------------------------------------------------
// Overlays: child widgets of the view (not of its viewport, which scrolls its children).

class GraphLegend : public QWidget {
public:
    explicit GraphLegend(QWidget* parent)
        : QWidget(parent)
    {
        setAttribute(Qt::WA_TransparentForMouseEvents);
        setObjectName(QStringLiteral("graphLegend"));
        resize(232, 62);
    }

    void setScale(const QString& title, const ColorScale& scale, GraphMetric metric, bool empty)
    {
        m_title = title;
        m_scale = scale;
        m_metric = metric;
        m_empty = empty;
        update();
    }

    // Also used by exports, which draw the legend above the whole graph.
    void paintTo(QPainter& p) const
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

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        paintTo(p);
    }

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
    explicit GraphMiniMap(GraphView* view)
        : QWidget(view)
        , m_view(view)
    {
        setObjectName(QStringLiteral("graphMiniMap"));
        setCursor(Qt::PointingHandCursor);
    }

    struct Box {
        QRectF rect;
        QColor fill;
    };

    void setContent(std::vector<QRectF> frames, std::vector<Box> boxes)
    {
        m_frames = std::move(frames);
        m_boxes = std::move(boxes);
        invalidate();
    }

    void invalidate()
    {
        m_dirty = true;
        update();
    }

    // At most `maximum`, at least wide and tall enough to hit with the mouse; a long thin graph
    // is drawn centred in it.
    void fitTo(const QSize& maximum)
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

protected:
    void paintEvent(QPaintEvent*) override
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

    void mousePressEvent(QMouseEvent* event) override { moveView(event->position()); }
    void mouseMoveEvent(QMouseEvent* event) override
    {
        if (event->buttons() & Qt::LeftButton)
            moveView(event->position());
    }

private:
    double factor() const
    {
        const QRectF scene = m_view->scene()->sceneRect();
        return scene.width() > 0 ? m_target.width() / scene.width() : 0;
    }

    QRectF toMap(const QRectF& r) const
    {
        const QRectF scene = m_view->scene()->sceneRect();
        const double f = factor();
        return QRectF(m_target.left() + (r.left() - scene.left()) * f, m_target.top() + (r.top() - scene.top()) * f,
                      r.width() * f, r.height() * f);
    }

    void moveView(const QPointF& pos)
    {
        const QRectF scene = m_view->scene()->sceneRect();
        const double f = factor();
        if (f <= 0)
            return;
        m_view->centerOn(scene.left() + (pos.x() - m_target.left()) / f, scene.top() + (pos.y() - m_target.top()) / f);
    }

    GraphView* m_view;
    std::vector<QRectF> m_frames;
    std::vector<Box> m_boxes;
    QPixmap m_pixmap;
    QRectF m_target; // where the scene is drawn inside the widget
    bool m_dirty = true;
};

// ---------------------------------------------------------------------------------------------

GraphView::GraphView(QWidget* parent)
    : QGraphicsView(parent)
    , m_titleMetrics(titleFont())
    , m_textMetrics(textFont())
{
    setObjectName(QStringLiteral("graphView"));
    resetScene();
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorViewCenter);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setBackgroundBrush(palette().base());
    setFocusPolicy(Qt::StrongFocus);

    m_legend = new GraphLegend(this);
    m_legend->hide();
    m_miniMap = new GraphMiniMap(this);
    m_miniMap->hide();
    m_overlay = new QLabel(this);
    m_overlay->setObjectName(QStringLiteral("layoutOverlay"));
    m_overlay->setAlignment(Qt::AlignCenter);
    m_overlay->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_overlay->setStyleSheet(QStringLiteral(
        "QLabel { background: rgba(32, 33, 36, 210); color: white; border-radius: 6px; padding: 8px 14px; }"));
    m_overlay->hide();
    m_overlayDelay = new QTimer(this);
    m_overlayDelay->setSingleShot(true);
    m_overlayDelay->setInterval(kOverlayDelayMs);
    connect(m_overlayDelay, &QTimer::timeout, this, &GraphView::showOverlay);
}

GraphView::~GraphView()
{
    // A queued layout that has not started is skipped; a running one finishes on its own
    // thread and its result goes nowhere (its watcher dies with this view).
    if (m_pendingFuture.isValid())
        m_pendingFuture.cancel();
    // Items deleted with the scene change the selection; nothing here should hear of it.
    m_scene->disconnect(this);
    m_rebuilding = true;
}

void GraphView::setOptions(const GraphOptions& options)
{
    m_options = options;
    if (m_model && m_result)
        setModel(m_model, m_result);
}

void GraphView::setModel(std::shared_ptr<const Model> model, const AnalysisResult& result)
{
    setModel(std::move(model), std::make_shared<const AnalysisResult>(result));
}

void GraphView::setModel(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result)
{
    if (!model || !result) {
        clear();
        return;
    }
    ++m_generation;
    m_cache.clear();
    m_titleWidths.clear();
    m_textWidths.clear();
    m_current.reset();
    m_model = std::move(model);
    m_result = std::move(result);
    m_structure = GraphStructure::build(*m_model, m_result->shapes, m_options);
    m_defaultExpanded = m_structure.defaultExpansion(m_options.collapseThreshold, m_options.firstPictureItems);
    m_expanded = m_defaultExpanded;
    m_pendingSelection = -1;
    m_fitOnNextLayout = true;
    resetScene();
    setAnalysis(m_result);
    requestLayout();
}

void GraphView::setAnalysis(const AnalysisResult& result)
{
    setAnalysis(std::make_shared<const AnalysisResult>(result));
}

void GraphView::setAnalysis(std::shared_ptr<const AnalysisResult> result)
{
    if (!m_model || !result)
        return;
    m_result = std::move(result);
    m_figures = GraphFigures::compute(*m_model, *m_result);
    m_groupFigures.assign(m_structure.groups.size(), {});
    for (int n : m_model->graph.order) {
        if (m_structure.folded[size_t(n)])
            continue;
        for (int g = m_structure.nodeGroup[size_t(n)]; g >= 0; g = m_structure.groups[size_t(g)].parent)
            m_groupFigures[size_t(g)].add(m_figures.nodes[size_t(n)]);
    }
    recolor();
}

void GraphView::clear()
{
    ++m_generation;
    if (m_pendingFuture.isValid())
        m_pendingFuture.cancel();
    m_pendingJob = 0;
    m_cache.clear();
    m_current.reset();
    m_model.reset();
    m_result.reset();
    m_structure = {};
    m_figures = {};
    m_groupFigures.clear();
    m_expanded.clear();
    resetScene();
    m_inEdges.clear();
    m_outEdges.clear();
    m_scene->setSceneRect(QRectF());
    m_legend->hide();
    m_miniMap->hide();
    updateOverlay();
    if (m_lastEmitted != -1) {
        m_lastEmitted = -1;
        emit nodeSelected(-1);
    }
}

QStringList GraphView::groups() const
{
    QStringList paths;
    for (const GraphGroup& g : m_structure.groups)
        paths << g.path;
    return paths;
}

bool GraphView::isGroupCollapsed(const QString& path) const
{
    const int g = m_structure.findGroup(path);
    return g >= 0 && !m_expanded[size_t(g)];
}

void GraphView::setGroupCollapsed(const QString& path, bool collapsed, bool withSubgroups)
{
    const int g = m_structure.findGroup(path);
    if (g >= 0)
        toggleGroup(g, collapsed, withSubgroups);
}

void GraphView::toggleGroup(int group, bool collapsed, bool withSubgroups)
{
    if (group < 0 || size_t(group) >= m_expanded.size())
        return;
    std::vector<char> expanded = m_expanded;
    expanded[size_t(group)] = !collapsed;
    if (withSubgroups) {
        for (size_t g = 0; g < expanded.size(); ++g)
            if (m_structure.isAncestor(group, int(g)))
                expanded[g] = !collapsed;
    }
    if (expanded == m_expanded)
        return;
    // Keep the group where it is on screen: its frame's (or box's) top centre stays put.
    Anchor anchor;
    anchor.group = group;
    for (QGraphicsItem* item : m_scene->items()) {
        QRectF rect;
        if (item->type() == ClusterItemType && static_cast<GraphClusterItem*>(item)->group() == group)
            rect = static_cast<GraphClusterItem*>(item)->frame();
        else if (item->type() == NodeItemType && m_current
                 && m_current->graph.nodes[size_t(static_cast<GraphNodeItem*>(item)->index())].group == group)
            rect = item->sceneBoundingRect();
        if (!rect.isNull()) {
            anchor.viewportPos = mapFromScene(QPointF(rect.center().x(), rect.top()));
            break;
        }
    }
    m_expanded = std::move(expanded);
    requestLayout(anchor);
}

void GraphView::expandAll()
{
    std::vector<char> all(m_expanded.size(), 1);
    if (all == m_expanded)
        return;
    m_expanded = std::move(all);
    m_fitOnNextLayout = true;
    requestLayout();
}

void GraphView::resetGroups()
{
    if (m_expanded == m_defaultExpanded)
        return;
    m_expanded = m_defaultExpanded;
    m_fitOnNextLayout = true;
    requestLayout();
}

QByteArray GraphView::expansionKey() const
{
    return QByteArray(m_expanded.data(), qsizetype(m_expanded.size()));
}

void GraphView::requestLayout()
{
    requestLayout(Anchor());
}

void GraphView::requestLayout(const Anchor& anchor)
{
    if (!m_model)
        return;
    m_anchor = anchor;
    const QByteArray key = expansionKey();
    if (auto cached = m_cache.value(key)) {
        if (m_pendingFuture.isValid())
            m_pendingFuture.cancel();
        m_pendingJob = 0;
        updateOverlay();
        applyLayout(cached);
        return;
    }

    auto layout = std::make_shared<Layout>();
    layout->graph = DisplayGraph::build(*m_model, m_structure, m_expanded, m_options);
    LayoutRequest request;
    request.nodes.reserve(layout->graph.nodes.size());
    for (const DisplayNode& node : layout->graph.nodes) {
        const QSizeF size = nodeSize(layout->graph, node);
        request.nodes.push_back({ size.width(), size.height(), node.cluster });
    }
    for (const DisplayCluster& cluster : layout->graph.clusters)
        request.clusters.push_back({ cluster.parent });
    for (const DisplayEdge& edge : layout->graph.edges)
        request.edges.push_back({ edge.from, edge.to });
    request.settings = LayoutSettings::forSize(int(request.nodes.size()));

    const quint64 job = ++m_job;
    const quint64 generation = m_generation;
    m_pendingJob = job;
    ++m_layoutCount;
    // A queued layout nobody waits for any more is skipped before it starts.
    if (m_pendingFuture.isValid())
        m_pendingFuture.cancel();
    auto* watcher = new QFutureWatcher<GraphLayout>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, layout, key, job, generation]() {
        watcher->deleteLater();
        const QFuture<GraphLayout> future = watcher->future();
        if (generation != m_generation || future.isCanceled() || future.resultCount() == 0) {
            emit layoutDropped();
            return;
        }
        layout->layout = future.result();
        std::shared_ptr<const Layout> done = layout;
        // A layout that lost the race is still right for its set of groups: keep it for later.
        if (done->layout.ok)
            m_cache.insert(key, done);
        if (job != m_pendingJob) {
            emit layoutDropped();
            return;
        }
        m_pendingJob = 0;
        updateOverlay();
        applyLayout(done); // after: a failed layout leaves its message up
    });
    m_pendingFuture = layoutGraphAsync(std::move(request));
    watcher->setFuture(m_pendingFuture);
    emit layoutStarted();
    updateOverlay();
}

void GraphView::applyLayout(const std::shared_ptr<const Layout>& layout)
{
    if (!layout->layout.ok) {
        m_overlay->setText(tr("The graph could not be laid out: %1").arg(layout->layout.error));
        m_overlay->adjustSize();
        m_overlay->show();
        placeOverlays();
        emit layoutFinished(false);
        return;
    }
    const int previousSelection = selectedNode();
    m_current = layout;
    rebuildScene();
    recolor();

    if (m_fitOnNextLayout) {
        m_fitOnNextLayout = false;
        applyFit(Fit::Readable);
    } else if (m_anchor.group >= 0) {
        QRectF rect;
        for (QGraphicsItem* item : m_scene->items()) {
            if (item->type() == ClusterItemType && static_cast<GraphClusterItem*>(item)->group() == m_anchor.group)
                rect = static_cast<GraphClusterItem*>(item)->frame();
            else if (item->type() == NodeItemType
                     && m_current->graph.nodes[size_t(static_cast<GraphNodeItem*>(item)->index())].group
                         == m_anchor.group)
                rect = item->sceneBoundingRect();
            if (!rect.isNull())
                break;
        }
        if (!rect.isNull()) {
            const double scale = transform().m11();
            const QPointF offset = (QPointF(viewport()->rect().center()) - m_anchor.viewportPos) / scale;
            centerOn(QPointF(rect.center().x(), rect.top()) + offset);
        }
    }
    m_anchor = {};

    const int wanted = m_pendingSelection >= 0 ? m_pendingSelection : previousSelection;
    m_pendingSelection = -1;
    if (wanted >= 0) {
        const int item = m_current->graph.itemOfNode[size_t(wanted)];
        if (item >= 0 && m_current->graph.nodes[size_t(item)].graphNode == wanted
            && m_current->graph.nodes[size_t(item)].kind == DisplayNode::Kind::Op)
            selectItem(m_nodeItems[size_t(item)], wanted != previousSelection);
    }
    // The selection survives a new layout when its node is still drawn; nodeSelected(-1) only
    // when it went into a collapsed group.
    onSelectionChanged();
    placeOverlays();
    emit layoutFinished(true);
}

void GraphView::resetScene()
{
    // A fresh scene, the old one deleted in a later event: with thousands of items, building the
    // new picture and deleting the old one are then two short stalls instead of one long one.
    // The scene is rebuilt wholesale on every layout, so it keeps no index (a BSP tree would
    // cost more to build than it saves).
    QGraphicsScene* old = m_scene;
    m_scene = new QGraphicsScene(this);
    m_scene->setItemIndexMethod(QGraphicsScene::NoIndex);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &GraphView::onSelectionChanged);
    setScene(m_scene);
    m_nodeItems.clear();
    m_edgeItems.clear();
    m_inEdges.clear();
    m_outEdges.clear();
    if (old) {
        old->disconnect(this);
        old->deleteLater();
    }
    if (m_miniMap)
        m_miniMap->invalidate();
}

void GraphView::rebuildScene()
{
    resetScene();
    m_rebuilding = true;
    const DisplayGraph& graph = m_current->graph;
    const GraphLayout& layout = m_current->layout;
    for (size_t c = 0; c < graph.clusters.size(); ++c) {
        const GraphGroup& group = m_structure.groups[size_t(graph.clusters[c].group)];
        auto* item = new GraphClusterItem(graph.clusters[c].group, group.depth, group.name, layout.clusters[c]);
        item->setData(ItemNameKey, group.path);
        m_scene->addItem(item);
    }
    m_edgeItems.reserve(graph.edges.size());
    m_inEdges.assign(graph.nodes.size(), {});
    m_outEdges.assign(graph.nodes.size(), {});
    for (size_t e = 0; e < graph.edges.size(); ++e) {
        auto* item = new GraphEdgeItem(layout.edges[e]);
        m_scene->addItem(item);
        m_edgeItems.push_back(item);
        m_outEdges[size_t(graph.edges[e].from)].push_back(int(e));
        m_inEdges[size_t(graph.edges[e].to)].push_back(int(e));
    }
    m_nodeItems.reserve(graph.nodes.size());
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        auto* item = new GraphNodeItem(int(n), graph.nodes[n].kind, layout.nodes[n]);
        item->setData(ItemNameKey, itemName(graph.nodes[n]));
        m_scene->addItem(item);
        m_nodeItems.push_back(item);
    }
    m_scene->setSceneRect(layout.bounds.adjusted(-kSceneMargin, -kSceneMargin, kSceneMargin, kSceneMargin));
    m_rebuilding = false;
}

NodeFigures GraphView::figuresOf(const DisplayNode& node) const
{
    if (node.kind == DisplayNode::Kind::Op && size_t(node.graphNode) < m_figures.nodes.size())
        return m_figures.nodes[size_t(node.graphNode)];
    if (node.kind == DisplayNode::Kind::Group && size_t(node.group) < m_groupFigures.size())
        return m_groupFigures[size_t(node.group)];
    return {};
}

void GraphView::recolor()
{
    if (!m_current || !m_result) {
        m_legend->hide();
        return;
    }
    const DisplayGraph& graph = m_current->graph;
    std::vector<double> values(graph.nodes.size(), 0);
    std::vector<double> colored;
    colored.reserve(graph.nodes.size());
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const DisplayNode& node = graph.nodes[n];
        if (node.kind != DisplayNode::Kind::Op && node.kind != DisplayNode::Kind::Group)
            continue;
        values[n] = figuresOf(node).value(m_metric);
        colored.push_back(values[n]);
    }
    // Lifetimes span tens to hundreds of steps, not decades: always linear.
    const bool logarithmic = m_logScale && m_metric != GraphMetric::Lifetime;
    m_scale = ColorScale::forValues(colored, logarithmic, m_colorMap);
    const int peak = peakItem();
    for (size_t n = 0; n < graph.nodes.size() && n < m_nodeItems.size(); ++n) {
        const DisplayNode& node = graph.nodes[n];
        const bool colorable = node.kind == DisplayNode::Kind::Op || node.kind == DisplayNode::Kind::Group;
        const auto [title, subtitle] = labelFor(graph, node);
        m_nodeItems[n]->setAppearance(colorable ? m_scale.color(values[n]) : QColor(), title, subtitle, int(n) == peak);
    }
    for (size_t e = 0; e < graph.edges.size() && e < m_edgeItems.size(); ++e) {
        int64_t bytes = 0;
        bool known = true;
        for (int v : graph.edges[e].values) {
            const int64_t b = size_t(v) < m_figures.valueBytes.size() ? m_figures.valueBytes[size_t(v)] : -1;
            known = known && b >= 0;
            bytes = satAdd(bytes, std::max<int64_t>(b, 0));
        }
        m_edgeItems[e]->setLabel(known ? QString::fromStdString(formatBytes(bytes)) : QStringLiteral("?"));
    }
    placeEdgeLabels();
    std::vector<GraphMiniMap::Box> boxes;
    boxes.reserve(graph.nodes.size());
    for (size_t n = 0; n < graph.nodes.size() && n < m_nodeItems.size(); ++n)
        boxes.push_back({ m_current->layout.nodes[n], m_nodeItems[n]->fill().darker(108) });
    m_miniMap->setContent(m_current->layout.clusters, std::move(boxes));
    const bool anyValue = std::any_of(colored.begin(), colored.end(), [](double v) { return v > 0; });
    m_legend->setScale(graphMetricName(m_metric), m_scale, m_metric, !anyValue);
    m_legend->show();
    placeOverlays();
}

void GraphView::placeEdgeLabels()
{
    if (!m_edgeLabels || !m_current) {
        for (GraphEdgeItem* item : m_edgeItems)
            item->setLabelRect({});
        return;
    }
    // Greedy: each label beside the middle of its edge, right or left of it, wherever it hides
    // no node and no label placed before it; dropped where neither fits (converging edges).
    constexpr double cell = 64;
    QHash<quint64, std::vector<QRectF>> grid;
    const auto cells = [&](const QRectF& r, auto&& visit) {
        for (int x = int(std::floor(r.left() / cell)); x <= int(std::floor(r.right() / cell)); ++x)
            for (int y = int(std::floor(r.top() / cell)); y <= int(std::floor(r.bottom() / cell)); ++y)
                if (!visit((quint64(quint32(x)) << 32) | quint32(y)))
                    return false;
        return true;
    };
    const auto insert = [&](const QRectF& r) {
        cells(r, [&](quint64 key) {
            grid[key].push_back(r);
            return true;
        });
    };
    const auto isFree = [&](const QRectF& r) {
        return cells(r, [&](quint64 key) {
            auto it = grid.constFind(key);
            if (it == grid.constEnd())
                return true;
            return std::none_of(it->begin(), it->end(), [&](const QRectF& o) { return o.intersects(r); });
        });
    };
    for (size_t n = 0; n < m_current->layout.nodes.size(); ++n) {
        const bool stacked = m_current->graph.nodes[n].kind == DisplayNode::Kind::Group; // its shadow cards
        insert(m_current->layout.nodes[n].adjusted(-1, -1, stacked ? 6 : 1, stacked ? 6 : 1));
    }
    const QFontMetricsF metrics(textFont());
    for (GraphEdgeItem* item : m_edgeItems) {
        if (item->label().isEmpty()) {
            item->setLabelRect({});
            continue;
        }
        const QSizeF size(metrics.horizontalAdvance(item->label()) + 6, metrics.height() + 1);
        const QPointF a = item->labelAnchor();
        const QRectF candidates[] = {
            QRectF(a + QPointF(4, -size.height() / 2), size),
            QRectF(a + QPointF(-4 - size.width(), -size.height() / 2), size),
            QRectF(a + QPointF(4, -size.height() * 1.2), size),
            QRectF(a + QPointF(4, size.height() * 0.2), size),
        };
        QRectF chosen;
        for (const QRectF& c : candidates) {
            if (isFree(c)) {
                chosen = c;
                break;
            }
        }
        item->setLabelRect(chosen);
        if (!chosen.isEmpty())
            insert(chosen);
    }
}

int GraphView::peakItem() const
{
    if (!m_current || m_figures.peakNode < 0 || size_t(m_figures.peakNode) >= m_current->graph.itemOfNode.size())
        return -1;
    return m_current->graph.itemOfNode[size_t(m_figures.peakNode)];
}

QPair<QString, QString> GraphView::labelFor(const DisplayGraph& display, const DisplayNode& node) const
{
    const Graph& graph = m_model->graph;
    switch (node.kind) {
    case DisplayNode::Kind::Op: {
        const Node& n = graph.nodes[size_t(node.graphNode)];
        return { opTitle(display, node), shapeText(m_result.get(), n.output(0)) };
    }
    case DisplayNode::Kind::Group: {
        const GraphGroup& g = m_structure.groups[size_t(node.group)];
        return { g.name, tr("%1 nodes").arg(g.nodeCount) };
    }
    case DisplayNode::Kind::Input:
    case DisplayNode::Kind::Output:
        return { QString::fromStdString(graph.values[size_t(node.value)].name), shapeText(m_result.get(), node.value) };
    case DisplayNode::Kind::Proxy:
        return { QStringLiteral("↑ ") + QString::fromStdString(graph.nodes[size_t(node.graphNode)].opType),
                 shapeText(m_result.get(), node.value) };
    }
    return {};
}

QString GraphView::opTitle(const DisplayGraph& graph, const DisplayNode& node) const
{
    // "wte · Gather", "downsample.0 · Conv": the node's own scope, unless the frame around it
    // already says it or it only repeats the operator ("relu_1 · Relu").
    const Node& n = m_model->graph.nodes[size_t(node.graphNode)];
    const QString op = QString::fromStdString(n.opType);
    const std::vector<std::string> scope = scopePath(n.name);
    if (scope.empty())
        return op;
    const QString own = QString::fromStdString(scope.back());
    if (node.cluster >= 0 && m_structure.groups[size_t(graph.clusters[size_t(node.cluster)].group)].name == own)
        return op;
    QString bare = own;
    while (!bare.isEmpty() && (bare.back().isDigit() || bare.back() == u'_' || bare.back() == u'.'))
        bare.chop(1);
    if (bare.compare(op, Qt::CaseInsensitive) == 0)
        return op;
    return own + QStringLiteral(" · ") + op;
}

QString GraphView::itemName(const DisplayNode& node) const
{
    const Graph& graph = m_model->graph;
    switch (node.kind) {
    case DisplayNode::Kind::Op:
        return QString::fromStdString(graph.nodes[size_t(node.graphNode)].name);
    case DisplayNode::Kind::Group:
        return m_structure.groups[size_t(node.group)].path;
    default:
        return QString::fromStdString(graph.values[size_t(node.value)].name);
    }
}

QString GraphView::itemToolTip(const QGraphicsItem* item) const
{
    if (!item || !m_current || !m_model)
        return {};
    if (item->type() == NodeItemType)
        return toolTipFor(m_current->graph.nodes[size_t(static_cast<const GraphNodeItem*>(item)->index())]);
    if (item->type() == ClusterItemType) {
        const GraphGroup& group = m_structure.groups[size_t(static_cast<const GraphClusterItem*>(item)->group())];
        return tr("%1\n%2 nodes; double-click to collapse").arg(group.path).arg(group.nodeCount);
    }
    return {};
}

bool GraphView::viewportEvent(QEvent* event)
{
    // Tooltips are made when asked for: thousands of items would otherwise each format six
    // figures on every recolour.
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        QString text;
        for (QGraphicsItem* item : items(help->pos())) {
            if (item->type() == NodeItemType || item->type() == ClusterItemType) {
                text = itemToolTip(item);
                break;
            }
        }
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, viewport());
        return true;
    }
    return QGraphicsView::viewportEvent(event);
}

QString GraphView::toolTipFor(const DisplayNode& node) const
{
    const Graph& graph = m_model->graph;
    QStringList lines;
    const auto figures = [&](const NodeFigures& f) {
        for (int m = 0; m < kGraphMetricCount; ++m) {
            const auto metric = GraphMetric(m);
            lines << graphMetricName(metric) + QStringLiteral(": ") + formatGraphMetric(metric, f.value(metric));
        }
    };
    switch (node.kind) {
    case DisplayNode::Kind::Op: {
        const Node& n = graph.nodes[size_t(node.graphNode)];
        lines << QString::fromStdString(n.name.empty() ? n.opType : n.name);
        QStringList shapes;
        for (int out : n.outputs)
            if (out >= 0)
                shapes << shapeText(m_result.get(), out);
        lines << QString::fromStdString(n.opType) + QStringLiteral(" → ") + shapes.join(QStringLiteral(", "));
        figures(figuresOf(node));
        break;
    }
    case DisplayNode::Kind::Group: {
        const GraphGroup& g = m_structure.groups[size_t(node.group)];
        lines << g.path << tr("%1 nodes; double-click to expand").arg(g.nodeCount);
        figures(figuresOf(node));
        lines << tr("(sums over the group; lifetime: its longest)");
        break;
    }
    case DisplayNode::Kind::Input:
    case DisplayNode::Kind::Output: {
        lines << (node.kind == DisplayNode::Kind::Input ? tr("Graph input %1") : tr("Graph output %1"))
                     .arg(QString::fromStdString(graph.values[size_t(node.value)].name));
        lines << shapeText(m_result.get(), node.value);
        const int64_t bytes = m_figures.valueBytes[size_t(node.value)];
        if (bytes >= 0)
            lines << QString::fromStdString(formatBytes(bytes));
        break;
    }
    case DisplayNode::Kind::Proxy: {
        const Node& n = graph.nodes[size_t(node.graphNode)];
        const Value& v = graph.values[size_t(node.value)];
        lines << tr("%1, from %2").arg(QString::fromStdString(v.name), QString::fromStdString(n.name))
              << tr("read by many nodes far apart, so drawn beside each; double-click to go to its source");
        break;
    }
    }
    return lines.join(u'\n');
}

QSizeF GraphView::nodeSize(const DisplayGraph& display, const DisplayNode& node) const
{
    const auto [title, subtitle] = labelFor(display, node);
    // Labels repeat (operator types, shapes): measure each string once per layout request.
    const auto width = [](QHash<QString, qreal>& cache, const QFontMetricsF& metrics, const QString& text) {
        auto it = cache.constFind(text);
        if (it == cache.constEnd())
            it = cache.insert(text, metrics.horizontalAdvance(text));
        return it.value();
    };
    const qreal text
        = std::max(width(m_titleWidths, m_titleMetrics, title), width(m_textWidths, m_textMetrics, subtitle));
    const bool pill = node.kind == DisplayNode::Kind::Input || node.kind == DisplayNode::Kind::Output
        || node.kind == DisplayNode::Kind::Proxy;
    // Room for the shape to grow a digit or two when the batch or sequence changes later
    // (the layout stays; longer labels are elided).
    const qreal w = std::clamp(text + (pill ? 30 : 20), kMinNodeWidth, kMaxNodeWidth);
    return { std::ceil(w), node.kind == DisplayNode::Kind::Proxy ? kNodeHeight - 4 : kNodeHeight };
}

// ---------------------------------------------------------------------------------------------
// Selection and navigation

GraphNodeItem* GraphView::selectedItem() const
{
    const QList<QGraphicsItem*> selected = m_scene->selectedItems();
    for (QGraphicsItem* item : selected)
        if (item->type() == NodeItemType)
            return static_cast<GraphNodeItem*>(item);
    return nullptr;
}

int GraphView::selectedNode() const
{
    GraphNodeItem* item = selectedItem();
    if (!item || !m_current)
        return -1;
    const DisplayNode& node = m_current->graph.nodes[size_t(item->index())];
    return node.kind == DisplayNode::Kind::Op || node.kind == DisplayNode::Kind::Proxy ? node.graphNode : -1;
}

void GraphView::onSelectionChanged()
{
    if (m_rebuilding)
        return;
    GraphNodeItem* item = selectedItem();
    const int index = item ? item->index() : -1;
    for (size_t e = 0; e < m_edgeItems.size(); ++e) {
        const DisplayEdge& edge = m_current->graph.edges[e];
        m_edgeItems[e]->setHighlighted(index >= 0 && (edge.from == index || edge.to == index));
    }
    const int node = selectedNode();
    if (node != m_lastEmitted) {
        m_lastEmitted = node;
        emit nodeSelected(node);
    }
}

void GraphView::selectItem(GraphNodeItem* item, bool centre)
{
    if (!item)
        return;
    // One nodeSelected() for the move, not a -1 for the cleared selection first.
    m_rebuilding = true;
    m_scene->clearSelection();
    item->setSelected(true);
    m_rebuilding = false;
    onSelectionChanged();
    if (centre) {
        m_autoFit = Fit::None;
        centerOn(item);
    } else {
        ensureVisible(item, 60, 60);
    }
    m_miniMap->update();
}

void GraphView::selectNode(int node)
{
    if (!m_model || node < 0 || size_t(node) >= m_model->graph.nodes.size() || m_structure.folded[size_t(node)])
        return;
    if (m_current && !isLayoutRunning()) {
        const int item = m_current->graph.itemOfNode[size_t(node)];
        if (item >= 0 && m_current->graph.nodes[size_t(item)].kind == DisplayNode::Kind::Op) {
            selectItem(m_nodeItems[size_t(item)], true);
            return;
        }
    }
    // Hidden in a collapsed group: open the groups around it; the selection follows the layout.
    std::vector<char> expanded = m_expanded;
    for (int g = m_structure.nodeGroup[size_t(node)]; g >= 0; g = m_structure.groups[size_t(g)].parent)
        expanded[size_t(g)] = 1;
    m_pendingSelection = node;
    if (expanded != m_expanded || !isLayoutRunning()) {
        m_expanded = std::move(expanded);
        requestLayout();
    }
}

void GraphView::activateItem(GraphNodeItem* item)
{
    const DisplayNode& node = m_current->graph.nodes[size_t(item->index())];
    switch (node.kind) {
    case DisplayNode::Kind::Group: {
        const bool small = m_structure.groups[size_t(node.group)].nodeCount <= m_options.expandDescendantsLimit;
        toggleGroup(node.group, false, small);
        break;
    }
    case DisplayNode::Kind::Proxy:
        selectNode(node.graphNode);
        break;
    case DisplayNode::Kind::Op:
        emit nodeActivated(node.graphNode);
        break;
    default:
        break;
    }
}

void GraphView::moveSelection(int key)
{
    if (!m_current || m_nodeItems.empty())
        return;
    GraphNodeItem* current = selectedItem();
    if (!current) {
        const int peak = peakItem();
        selectItem(m_nodeItems[size_t(peak >= 0 ? peak : 0)], false);
        return;
    }
    const int index = current->index();
    const QRectF here = current->sceneBoundingRect();
    const DisplayGraph& graph = m_current->graph;
    GraphNodeItem* best = nullptr;
    double bestScore = 0;
    const auto consider = [&](int candidate, double score) {
        if (candidate == index)
            return;
        if (!best || score < bestScore) {
            best = m_nodeItems[size_t(candidate)];
            bestScore = score;
        }
    };
    if (key == Qt::Key_Up || key == Qt::Key_Down) {
        // Among the predecessors (successors), the one nearest straight above (below).
        const std::vector<int>& edges = key == Qt::Key_Up ? m_inEdges[size_t(index)] : m_outEdges[size_t(index)];
        for (int e : edges) {
            const int other = key == Qt::Key_Up ? graph.edges[size_t(e)].from : graph.edges[size_t(e)].to;
            consider(other, std::abs(m_nodeItems[size_t(other)]->sceneBoundingRect().center().x() - here.center().x()));
        }
    } else {
        // The nearest node on the same rank to the left (right), else the nearest that way.
        for (size_t n = 0; n < m_nodeItems.size(); ++n) {
            const QRectF r = m_nodeItems[n]->sceneBoundingRect();
            const double dx = r.center().x() - here.center().x();
            if ((key == Qt::Key_Left && dx >= 0) || (key == Qt::Key_Right && dx <= 0))
                continue;
            const double dy = std::abs(r.center().y() - here.center().y());
            consider(int(n), std::abs(dx) + dy * 4);
        }
    }
    if (best)
        selectItem(best, false);
}

// ---------------------------------------------------------------------------------------------
// Zoom, events

void GraphView::scaleBy(double factor)
{
    const double current = transform().m11();
    const double target = std::clamp(current * factor, kMinScale, kMaxScale);
    if (target == current)
        return;
    scale(target / current, target / current);
    m_miniMap->update();
    placeOverlays();
}

void GraphView::zoomIn()
{
    m_autoFit = Fit::None;
    scaleBy(1.25);
}

void GraphView::zoomOut()
{
    m_autoFit = Fit::None;
    scaleBy(0.8);
}

void GraphView::resetZoom()
{
    m_autoFit = Fit::None;
    scaleBy(1.0 / transform().m11());
}

void GraphView::fitToWindow()
{
    applyFit(Fit::Whole);
}

void GraphView::applyFit(Fit fit)
{
    const QRectF scene = m_scene->sceneRect();
    if (scene.isEmpty() || viewport()->width() <= 0 || viewport()->height() <= 0)
        return;
    m_autoFit = fit;
    const double whole = std::min(viewport()->width() / scene.width(), viewport()->height() / scene.height());
    // A small graph is not blown up past a comfortable reading size.
    double s = std::clamp(whole, kMinScale, 1.5);
    bool fromTop = false;
    if (fit == Fit::Readable && s < kReadableScale) {
        // A tall graph opens readable, fitted to the width (at most 1:1), from its inputs down,
        // instead of shrunk to a stripe of unreadable boxes; Fit (Ctrl+0) shows all of it.
        const double width = viewport()->width() / scene.width();
        s = std::clamp(std::min(width, 1.0), std::min(kReadableScale, width), 1.0);
        fromTop = s > whole;
    }
    setTransform(QTransform::fromScale(s, s));
    if (fromTop)
        centerOn(scene.center().x(), scene.top() + viewport()->height() / s / 2);
    else
        centerOn(scene.center());
    m_miniMap->update();
    placeOverlays();
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    const bool ctrl = event->modifiers() & Qt::ControlModifier;
    switch (event->key()) {
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_Left:
    case Qt::Key_Right:
        moveSelection(event->key());
        return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
        if (GraphNodeItem* item = selectedItem()) {
            activateItem(item);
            return;
        }
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        if (ctrl) {
            zoomIn();
            return;
        }
        break;
    case Qt::Key_Minus:
        if (ctrl) {
            zoomOut();
            return;
        }
        break;
    case Qt::Key_0:
        if (ctrl) {
            fitToWindow();
            return;
        }
        break;
    default:
        break;
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0 || (event->modifiers() & Qt::ShiftModifier)) {
        QGraphicsView::wheelEvent(event); // horizontal scrolling pans
        return;
    }
    m_autoFit = Fit::None;
    // Zoom about the point under the cursor: it stays under the cursor.
    const QPoint cursor = event->position().toPoint();
    const QPointF before = mapToScene(cursor);
    scaleBy(std::pow(2.0, delta / 480.0));
    const QPointF after = mapToScene(cursor);
    const QPointF shift = (after - before) * transform().m11();
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() - int(std::lround(shift.x())));
    verticalScrollBar()->setValue(verticalScrollBar()->value() - int(std::lround(shift.y())));
    event->accept();
}

void GraphView::mousePressEvent(QMouseEvent* event)
{
    m_autoFit = Fit::None;
    QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (m_current) {
        for (QGraphicsItem* item : items(event->pos())) {
            if (item->type() == NodeItemType) {
                activateItem(static_cast<GraphNodeItem*>(item));
                event->accept();
                return;
            }
            if (item->type() == ClusterItemType) {
                // The innermost frame under the cursor comes first (it is drawn above its parent).
                toggleGroup(static_cast<GraphClusterItem*>(item)->group(), true, false);
                event->accept();
                return;
            }
        }
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (m_autoFit != Fit::None && m_current)
        applyFit(m_autoFit);
    placeOverlays();
}

void GraphView::showEvent(QShowEvent* event)
{
    QGraphicsView::showEvent(event);
    if (m_autoFit != Fit::None && m_current)
        applyFit(m_autoFit);
    placeOverlays();
}

void GraphView::scrollContentsBy(int dx, int dy)
{
    QGraphicsView::scrollContentsBy(dx, dy);
    placeOverlays();
    m_miniMap->update();
}

void GraphView::updateOverlay()
{
    // Shown only when a layout takes long enough to notice, so quick ones do not flicker.
    if (isLayoutRunning()) {
        if (m_overlay->isHidden() && !m_overlayDelay->isActive())
            m_overlayDelay->start();
    } else {
        m_overlayDelay->stop();
        m_overlay->hide();
    }
}

void GraphView::showOverlay()
{
    if (!isLayoutRunning())
        return;
    m_overlay->setText(tr("Laying out the graph…"));
    m_overlay->adjustSize();
    m_overlay->show();
    m_overlay->raise();
    placeOverlays();
}

QRectF GraphView::layoutBounds() const
{
    return m_current ? m_scene->itemsBoundingRect() : QRectF();
}

QSize GraphView::legendSize() const
{
    return m_legend->isHidden() || !m_current ? QSize() : m_legend->size();
}

void GraphView::paintLegend(QPainter* painter) const
{
    if (!legendSize().isEmpty())
        m_legend->paintTo(*painter);
}

void GraphView::placeOverlays()
{
    const QRect area = viewport()->geometry();
    if (!m_overlay->isHidden())
        m_overlay->move(area.center() - QPoint(m_overlay->width() / 2, m_overlay->height() / 2));
    m_legend->move(area.topLeft() + QPoint(8, 8));
    m_legend->raise();
    // Only while part of the graph is out of view (its margins may be).
    const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
    const bool needMap
        = m_current && !m_current->layout.bounds.isEmpty() && !visible.contains(m_current->layout.bounds);
    if (needMap) {
        m_miniMap->fitTo(QSize(std::min(220, area.width() / 4), std::min(260, area.height() / 3)));
        m_miniMap->move(area.bottomRight() - QPoint(m_miniMap->width() + 8, m_miniMap->height() + 8));
        m_miniMap->show();
        m_miniMap->raise();
    } else {
        m_miniMap->hide();
    }
}

void GraphView::setMetric(GraphMetric metric)
{
    if (metric == m_metric)
        return;
    m_metric = metric;
    recolor();
    emit metricChanged(metric);
}

void GraphView::setLogScale(bool logarithmic)
{
    if (logarithmic == m_logScale)
        return;
    m_logScale = logarithmic;
    recolor();
}

void GraphView::setColorMap(ColorMap map)
{
    if (map == m_colorMap)
        return;
    m_colorMap = map;
    recolor();
}

void GraphView::setEdgeLabelsVisible(bool visible)
{
    if (visible == m_edgeLabels)
        return;
    m_edgeLabels = visible;
    placeEdgeLabels();
}

QVector<int> GraphView::findNodes(const QString& text) const
{
    QVector<int> found;
    if (!m_model || text.isEmpty())
        return found;
    for (int n : m_model->graph.order) {
        if (m_structure.folded[size_t(n)])
            continue;
        const Node& node = m_model->graph.nodes[size_t(n)];
        if (QString::fromStdString(node.name).contains(text, Qt::CaseInsensitive)
            || QString::fromStdString(node.opType).contains(text, Qt::CaseInsensitive))
            found << n;
    }
    return found;
}

} // namespace fp

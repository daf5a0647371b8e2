#include "graphview.h"

#include "assignifchanged.h"
#include "graphitems.h"
#include "graphoverlays.h"
#include "layerprecision.h"
#include "report.h"

#include <QContextMenuEvent>
#include <QFutureWatcher>
#include <QGraphicsScene>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <optional>

namespace fp {

namespace {

constexpr qreal kSceneMargin = 40;
constexpr double kMinScale = 0.002; // GPT-2 48 layers fully open is 144,000 points tall
constexpr double kReadableScale = 0.45;
constexpr double kMaxScale = 6;
// A layout shorter than this shows no "laying out" notice.
constexpr int kOverlayDelayMs = 150;

} // namespace

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
    if (!m_model || !m_result)
        return;
    // The selection survives the new layout; a node folded away passes it to its nearest drawn
    // reader, so that the rest of the window follows what the graph shows.
    int selected = selectedNode();
    if (selected < 0)
        selected = m_pendingSelection;
    setModel(m_model, m_result);
    std::vector<int> queue { selected };
    std::vector<char> seen(m_model->graph.nodes.size(), 0);
    for (size_t i = 0; i < queue.size() && queue[i] >= 0; ++i) {
        const int n = queue[i];
        if (!m_structure.folded[size_t(n)]) {
            selectNode(n);
            break;
        }
        for (int out : m_model->graph.nodes[size_t(n)].outputs)
            if (out >= 0)
                for (int reader : m_model->graph.values[size_t(out)].consumers)
                    if (!seen[size_t(reader)]) {
                        seen[size_t(reader)] = 1;
                        queue.push_back(reader);
                    }
    }
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
    const std::vector<LayerPrecision>& rules = m_result->config.layerPrecisions;
    const bool sameRules = m_ruleOfNode.size() == m_model->graph.nodes.size()
        && std::equal(rules.begin(), rules.end(), m_precisionRules.begin(), m_precisionRules.end(),
                      [](const LayerPrecision& a, const LayerPrecision& b) {
                          return a.pattern == b.pattern && a.precision == b.precision;
                      });
    if (!sameRules) { // not on a slider step
        m_precisionRules = rules;
        m_ruleOfNode = matchingPrecisionRules(m_model->graph, m_precisionRules);
    }
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
    if (!m_lastGroup.isEmpty()) {
        m_lastGroup.clear();
        emit groupSelected({}, {});
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
    const QRectF rect = groupRect(group);
    if (!rect.isNull())
        anchor.viewportPos = mapFromScene(QPointF(rect.center().x(), rect.top()));
    m_expanded = std::move(expanded);
    requestLayout(anchor);
}

QRectF GraphView::groupRect(int group) const
{
    for (QGraphicsItem* item : m_scene->items()) {
        QRectF rect;
        if (item->type() == ClusterItemType && static_cast<GraphClusterItem*>(item)->group() == group)
            rect = static_cast<GraphClusterItem*>(item)->frame();
        else if (item->type() == NodeItemType && m_current
                 && m_current->graph.nodes[size_t(static_cast<GraphNodeItem*>(item)->index())].group == group)
            rect = item->sceneBoundingRect();
        if (!rect.isNull())
            return rect;
    }
    return {};
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
        const QRectF rect = groupRect(m_anchor.group);
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
    m_clusterItems.clear();
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
        m_clusterItems.push_back(item);
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
    markPrecisions();
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

void GraphView::markPrecisions()
{
    const DisplayGraph& graph = m_current->graph;
    const auto ruleOf = [this](int node) {
        return size_t(node) < m_ruleOfNode.size() ? m_ruleOfNode[size_t(node)] : -1;
    };
    // Per group: its drawn nodes, and how many have a rule of their own and of which precision.
    struct Tally {
        int nodes = 0;
        int marked = 0;
        std::optional<Precision> precision; // while all marked ones agree
        bool mixed = false;
    };
    std::vector<Tally> tallies(m_structure.groups.size());
    if (!m_precisionRules.empty()) {
        for (int n : m_model->graph.order) {
            if (m_structure.folded[size_t(n)])
                continue;
            const int rule = ruleOf(n);
            for (int g = m_structure.nodeGroup[size_t(n)]; g >= 0; g = m_structure.groups[size_t(g)].parent) {
                Tally& t = tallies[size_t(g)];
                ++t.nodes;
                if (rule < 0)
                    continue;
                const Precision p = m_precisionRules[size_t(rule)].precision;
                ++t.marked;
                t.mixed = t.mixed || (t.precision && *t.precision != p);
                t.precision = p;
            }
        }
    }
    const auto groupBadge = [&](int group, QColor* color) {
        const Tally& t = tallies[size_t(group)];
        if (t.marked == 0)
            return QString();
        *color = t.mixed ? QColor(0x6a, 0x1b, 0x9a) : precisionBadgeColor(*t.precision);
        const QString what = t.mixed ? tr("mixed") : precisionLabel(*t.precision);
        return t.marked == t.nodes ? what : tr("%1 · %2/%3").arg(what).arg(t.marked).arg(t.nodes);
    };
    for (size_t n = 0; n < graph.nodes.size() && n < m_nodeItems.size(); ++n) {
        const DisplayNode& node = graph.nodes[n];
        QString badge;
        QColor color;
        if (node.kind == DisplayNode::Kind::Op && ruleOf(node.graphNode) >= 0) {
            const Precision p = m_precisionRules[size_t(ruleOf(node.graphNode))].precision;
            badge = precisionLabel(p);
            color = precisionBadgeColor(p);
        } else if (node.kind == DisplayNode::Kind::Group && size_t(node.group) < tallies.size()) {
            badge = groupBadge(node.group, &color);
        }
        m_nodeItems[n]->setBadge(badge, color);
    }
    for (GraphClusterItem* cluster : m_clusterItems) {
        QColor color;
        const QString badge = size_t(cluster->group()) < tallies.size() ? groupBadge(cluster->group(), &color) : QString();
        cluster->setBadge(badge, color);
    }
}

int GraphView::peakItem() const
{
    if (!m_current || m_figures.peakNode < 0 || size_t(m_figures.peakNode) >= m_current->graph.itemOfNode.size())
        return -1;
    return m_current->graph.itemOfNode[size_t(m_figures.peakNode)];
}

bool GraphView::viewportEvent(QEvent* event)
{
    // Before the view's actions show as its context menu: what was clicked, for whoever fills them.
    if (event->type() == QEvent::ContextMenu) {
        const auto* menu = static_cast<QContextMenuEvent*>(event);
        int node = -1;
        QString group;
        for (QGraphicsItem* item : items(menu->pos())) {
            if (item->type() == NodeItemType && m_current) {
                const DisplayNode& shown = m_current->graph.nodes[size_t(static_cast<GraphNodeItem*>(item)->index())];
                if (shown.kind == DisplayNode::Kind::Op || shown.kind == DisplayNode::Kind::Proxy)
                    node = shown.graphNode;
                else if (shown.kind == DisplayNode::Kind::Group)
                    group = m_structure.groups[size_t(shown.group)].path;
                break;
            }
            if (item->type() == ClusterItemType) {
                group = m_structure.groups[size_t(static_cast<GraphClusterItem*>(item)->group())].path;
                break;
            }
        }
        emit contextMenuAbout(node, group);
    }
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

std::vector<QRectF> GraphView::nodeBoxes() const
{
    return m_current ? m_current->layout.nodes : std::vector<QRectF>();
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
    if (!assignIfChanged(m_metric, metric))
        return;
    recolor();
    emit metricChanged(metric);
}

void GraphView::setLogScale(bool logarithmic)
{
    if (assignIfChanged(m_logScale, logarithmic))
        recolor();
}

void GraphView::setColorMap(ColorMap map)
{
    if (assignIfChanged(m_colorMap, map))
        recolor();
}

void GraphView::setEdgeLabelsVisible(bool visible)
{
    if (assignIfChanged(m_edgeLabels, visible))
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

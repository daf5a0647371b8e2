#include "graphlayout.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QMutex>
#include <QMutexLocker>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <gvc.h>

namespace fp {

namespace {

// cgraph's API takes char* for names and values it only reads.
char* cstr(const char* text)
{
    return const_cast<char*>(text);
}

// Graphviz keeps global state (the current graph, allocators, the plugin list): one lock for
// every use of it in the process, whatever thread or widget.
QMutex& graphvizMutex()
{
    static QMutex mutex;
    return mutex;
}

// Created once and kept: gvContext() loads the plugin configuration, which is the slow part.
// Call with graphvizMutex() held.
GVC_t* graphvizContext()
{
    static GVC_t* context = gvContext();
    return context;
}

// The threads that run layouts: one (Graphviz runs one layout at a time anyway), with a stack
// deep enough for dot's recursion on graphs of many thousand nodes. Destroyed at exit, which
// waits for a running layout instead of pulling Graphviz away under it.
class LayoutThreadPool : public QThreadPool {
public:
    LayoutThreadPool()
    {
        setMaxThreadCount(1);
        setStackSize(kLayoutStackSize);
    }
};
Q_GLOBAL_STATIC(LayoutThreadPool, layoutThreads)

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 6);
}

QByteArray inches(double points)
{
    return number(points / 72.0);
}

} // namespace

LayoutSettings LayoutSettings::forSize(int nodes)
{
    LayoutSettings settings;
    // Straight edges cost nothing to route; polylines avoid crossing nodes but the router's
    // time grows fast with the graph, so only small graphs get them.
    settings.straightEdges = nodes > 300;
    // dot's time goes into network simplex (x positions and ranks) and crossing minimisation;
    // cut both harder as graphs grow. Measured on GPT-2 48 layers fully open (2,657 nodes, 481
    // clusters): 9.1 s at 2 / 2 / 0.2, 2.3 s at 0.5 / 0.5 / 0.05, 0.85 s at 0.1 / 0.1 / 0.01, with
    // pictures of much the same width; the 12-layer graph (677 nodes) 0.36 s and 0.15 s.
    if (nodes > 1500) {
        settings.nslimit = settings.nslimit1 = 0.1;
        settings.mclimit = 0.01;
    } else if (nodes > 300) {
        settings.nslimit = settings.nslimit1 = 0.5;
        settings.mclimit = 0.05;
    }
    // Ranking with clusters fails or recurses too deep on very large graphs; the global
    // ranking (newrank) copes and keeps clusters together.
    settings.newrank = nodes > 5000;
    return settings;
}

GraphLayout layoutGraph(const LayoutRequest& request)
{
    GraphLayout result;
    QElapsedTimer timer;
    timer.start();
    result.nodes.resize(request.nodes.size());
    result.clusters.resize(request.clusters.size());
    result.edges.resize(request.edges.size());
    if (request.nodes.empty()) {
        result.ok = true;
        return result;
    }

    QMutexLocker lock(&graphvizMutex());
    GVC_t* gvc = graphvizContext();
    if (!gvc) {
        result.error = QStringLiteral("Graphviz could not be initialised");
        return result;
    }

    Agraph_t* graph = agopen(cstr("footprint"), Agdirected, nullptr);
    const LayoutSettings& s = request.settings;
    agattr(graph, AGRAPH, cstr("rankdir"), cstr("TB"));
    agattr(graph, AGRAPH, cstr("splines"), cstr(s.straightEdges ? "line" : "polyline"));
    agattr(graph, AGRAPH, cstr("nodesep"), inches(s.nodeSeparation).data());
    agattr(graph, AGRAPH, cstr("ranksep"), inches(s.rankSeparation).data());
    agattr(graph, AGRAPH, cstr("nslimit"), number(s.nslimit).data());
    agattr(graph, AGRAPH, cstr("nslimit1"), number(s.nslimit1).data());
    agattr(graph, AGRAPH, cstr("mclimit"), number(s.mclimit).data());
    agattr(graph, AGRAPH, cstr("newrank"), cstr(s.newrank ? "true" : "false"));
    // Applies to every cluster (and to the root, where it only pads the drawing).
    agattr(graph, AGRAPH, cstr("margin"), number(s.clusterMargin).data());
    // No text reaches Graphviz: nodes have fixed sizes measured by Qt and clusters no label, so
    // no font is looked up on this thread and the layout never depends on installed fonts.
    agattr(graph, AGRAPH, cstr("label"), cstr(""));
    agattr(graph, AGNODE, cstr("shape"), cstr("box"));
    agattr(graph, AGNODE, cstr("fixedsize"), cstr("true"));
    agattr(graph, AGNODE, cstr("label"), cstr(""));
    Agsym_t* widthSym = agattr(graph, AGNODE, cstr("width"), cstr("1"));
    Agsym_t* heightSym = agattr(graph, AGNODE, cstr("height"), cstr("0.5"));
    agattr(graph, AGEDGE, cstr("arrowsize"), cstr("0.6"));

    std::vector<Agraph_t*> clusters(request.clusters.size(), nullptr);
    for (size_t c = 0; c < request.clusters.size(); ++c) {
        const int parent = request.clusters[c].parent;
        Agraph_t* owner = parent >= 0 && size_t(parent) < c ? clusters[size_t(parent)] : graph;
        clusters[c] = agsubg(owner, QByteArray("cluster_" + QByteArray::number(qulonglong(c))).data(), 1);
    }
    std::vector<Agnode_t*> nodes(request.nodes.size(), nullptr);
    for (size_t n = 0; n < request.nodes.size(); ++n) {
        const LayoutRequest::Node& node = request.nodes[n];
        Agraph_t* owner
            = node.cluster >= 0 && size_t(node.cluster) < clusters.size() ? clusters[size_t(node.cluster)] : graph;
        // Created in its innermost cluster, cgraph adds it to every enclosing graph too.
        nodes[n] = agnode(owner, QByteArray("n" + QByteArray::number(qulonglong(n))).data(), 1);
        agxset(nodes[n], widthSym, inches(node.width).data());
        agxset(nodes[n], heightSym, inches(node.height).data());
    }
    std::vector<Agedge_t*> edges(request.edges.size(), nullptr);
    for (size_t e = 0; e < request.edges.size(); ++e) {
        const LayoutRequest::Edge& edge = request.edges[e];
        if (edge.from < 0 || edge.to < 0 || size_t(edge.from) >= nodes.size() || size_t(edge.to) >= nodes.size()
            || edge.from == edge.to)
            continue;
        edges[e] = agedge(graph, nodes[size_t(edge.from)], nodes[size_t(edge.to)], nullptr, 1);
    }

    if (gvLayout(gvc, graph, "dot") != 0) {
        agclose(graph);
        result.error = QStringLiteral("Graphviz could not lay the graph out");
        result.milliseconds = double(timer.nsecsElapsed()) / 1e6;
        return result;
    }

    // Graphviz's y axis points up; the scene's points down.
    const boxf bb = GD_bb(graph);
    const auto toScene = [&](pointf p) { return QPointF(p.x - bb.LL.x, bb.UR.y - p.y); };
    result.bounds = QRectF(0, 0, bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (size_t n = 0; n < nodes.size(); ++n) {
        const QPointF centre = toScene(ND_coord(nodes[n]));
        const double w = ND_width(nodes[n]) * 72.0, h = ND_height(nodes[n]) * 72.0;
        result.nodes[n] = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h);
    }
    for (size_t c = 0; c < clusters.size(); ++c) {
        const boxf box = GD_bb(clusters[c]);
        result.clusters[c] = QRectF(toScene(box.LL), toScene(box.UR)).normalized();
    }
    for (size_t e = 0; e < edges.size(); ++e) {
        const splines* spl = edges[e] ? ED_spl(edges[e]) : nullptr;
        if (!spl || spl->size <= 0)
            continue;
        GraphLayout::Edge& out = result.edges[e];
        out.bezier = true;
        for (int b = 0; b < spl->size; ++b) {
            const bezier& curve = spl->list[b];
            for (int i = 0; i < curve.size; ++i) {
                // Several pieces join end to start; keep the Bézier's 1 + 3k point structure.
                if (b > 0 && i == 0)
                    continue;
                out.points.push_back(toScene(curve.list[i]));
            }
            if (curve.eflag) {
                out.hasArrow = true;
                out.arrowTip = toScene(curve.ep);
            }
        }
    }
    gvFreeLayout(gvc, graph);
    agclose(graph);
    result.ok = true;
    result.milliseconds = double(timer.nsecsElapsed()) / 1e6;
    return result;
}

QFuture<GraphLayout> layoutGraphAsync(LayoutRequest request)
{
    QThreadPool* pool = layoutThreads();
    return QtConcurrent::run(pool, [request = std::move(request)]() { return layoutGraph(request); });
}

LayoutHold::LayoutHold()
{
    graphvizMutex().lock();
    m_held = true;
}

LayoutHold::~LayoutHold()
{
    release();
}

void LayoutHold::release()
{
    if (!m_held)
        return;
    m_held = false;
    graphvizMutex().unlock();
}

} // namespace fp

#pragma once

// A Graphviz (dot) layout as plain data: what goes in is node sizes, nested clusters and edges;
// what comes out is node boxes, cluster boxes and edge polylines in scene coordinates (points,
// y down). Nothing here touches a QObject, so layouts run on a worker thread and the result
// crosses back by value; the Graphviz graph is freed before layoutGraph() returns.

#include <QFuture>
#include <QPointF>
#include <QRectF>
#include <QString>

#include <vector>

namespace fp {

// The knobs that decide dot's running time. dot's defaults spend seconds on network-simplex and
// crossing-minimisation passes of a 1,000-node graph (measured: a 932-node transformer 9 s with
// defaults, 0.3 s with these lowered); the pictures stay readable.
struct LayoutSettings {
    bool straightEdges = true; // splines=line: no spline routing, by far the cheapest
    double nslimit = 2; // network-simplex iterations, as a factor of the node count (x, y)
    double nslimit1 = 2; // the same for ranking
    double mclimit = 0.2; // crossing-minimisation effort, as a factor of the default
    bool newrank = false; // one global ranking: needed above ~5,000 nodes, where clusters fail
    double nodeSeparation = 14; // points
    double rankSeparation = 26; // points: room for an edge's size label between two ranks
    double clusterMargin = 10; // points around a cluster's content; its title sits on the frame

    // Cheap settings for a graph of `nodes` nodes.
    static LayoutSettings forSize(int nodes);
};

struct LayoutRequest {
    struct Node {
        double width = 0; // points
        double height = 0;
        int cluster = -1; // index into clusters; -1 for the top level
    };
    struct Cluster {
        int parent = -1; // index into clusters (a parent comes before its children); -1 top level
    };
    struct Edge {
        int from = -1; // node indices
        int to = -1;
    };
    std::vector<Node> nodes;
    std::vector<Cluster> clusters;
    std::vector<Edge> edges;
    LayoutSettings settings;
};

struct GraphLayout {
    struct Edge {
        // The path from the tail node's border to the head: a polyline, or a cubic Bézier
        // (first point, then three points per segment) when `bezier` is set.
        std::vector<QPointF> points;
        bool bezier = false;
        // Where the arrowhead's tip touches the head node; the path ends at the arrow's base.
        QPointF arrowTip;
        bool hasArrow = false;
    };
    bool ok = false;
    QString error;
    QRectF bounds;
    std::vector<QRectF> nodes; // per request node
    std::vector<QRectF> clusters; // per request cluster
    std::vector<Edge> edges; // per request edge (empty points when Graphviz routed none)
    double milliseconds = 0; // time spent in Graphviz, waiting for the lock included
};

// Lays out `request` with dot. Blocking, safe to call from any thread: Graphviz keeps global
// state, so every call in the process is serialized behind one mutex. Needs a deep stack for
// large graphs (dot's recursion overflowed 8 MB at about 4,700 nodes): call it through
// layoutGraphAsync(), or from a thread with a stack like kLayoutStackSize.
GraphLayout layoutGraph(const LayoutRequest& request);

constexpr unsigned kLayoutStackSize = 256u << 20;

// Runs layoutGraph() on a dedicated thread pool whose threads have kLayoutStackSize stacks.
QFuture<GraphLayout> layoutGraphAsync(LayoutRequest request);

// While one lives, every layout of a non-empty graph waits at its start (it holds the lock that
// serializes Graphviz), so a test can see a layout in flight for as long as it needs to, whatever
// the machine's speed. Release it on the thread that made it, and never lay out a graph on that
// thread meanwhile (it would wait on itself).
class LayoutHold {
public:
    LayoutHold();
    ~LayoutHold();
    LayoutHold(const LayoutHold&) = delete;
    LayoutHold& operator=(const LayoutHold&) = delete;
    // Lets the waiting layouts run (the destructor does too).
    void release();

private:
    bool m_held = false;
};

} // namespace fp

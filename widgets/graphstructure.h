#pragma once

// What the graph view draws, as plain data: which nodes are folded away, the groups formed by
// the exporter's scope paths, and, for one choice of expanded groups, the nodes, clusters and
// edges handed to Graphviz. Also the per-node figures a metric colours by. No widgets here, so
// tests and benchmarks use it directly and the view only paints.

#include "analysis.h"

#include <QHash>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace fp {

// What a node's colour encodes.
enum class GraphMetric {
    ActivationBytes, // LayerResult::outputBytes
    WeightBytes, // LayerResult::weightBytes
    Macs, // LayerResult::macs
    ReadWriteBytes, // readBytes + writeBytes
    PeakShare, // bytes of the node's outputs live at the memory peak
    Lifetime, // steps from the node to the last step that holds one of its outputs (MemoryPlan::lifetimes)
};
constexpr int kGraphMetricCount = 6;

QString graphMetricName(GraphMetric metric);
bool isByteMetric(GraphMetric metric);
// "1.50 MiB", "4.09 G", "37 steps".
QString formatGraphMetric(GraphMetric metric, double value);

struct GraphOptions {
    // Hide what computes shapes and constants rather than activations, so transformer graphs are
    // readable: Constant nodes (a constant is a weight, and weights belong to the node that reads
    // them), Shape and Size (they read only metadata), views of weights (an exporter's Identity
    // handing one mask to every layer), and any node that reads only such values and weights and
    // writes integer or boolean tensors (the Gather/Unsqueeze/Concat/Cast chains on shape vectors
    // that feed a Reshape, position ids from a Range, a causal mask sliced from a weight) or tensors
    // of at most kShapeTensorElements elements (a scale computed from a dimension). A node that
    // reads an activation is never folded (an ArgMax's small int64 output stays), and the rule does
    // not depend on the batch or sequence length. GPT-2's 3,064 nodes become 675.
    bool foldShapeOps = true;
    // A source read by more than this many nodes is drawn beside each far reader instead of
    // once with long edges (an attention mask feeding every layer, a graph input read by many).
    int farReaderCount = 4;
    // "Far": more than this many nodes apart in execution order.
    int farDistance = 24;
    // Above this many drawn nodes, the model opens with its groups collapsed, so the first
    // picture comes quickly and reads as an overview: open down to the deepest level of groups
    // that draws at most firstPictureItems items (at least the top level stays collapsed).
    int collapseThreshold = 400;
    int firstPictureItems = 60;
    // Double-clicking a collapsed group also opens its subgroups when it holds at most this many nodes.
    int expandDescendantsLimit = 200;
};

constexpr int64_t kShapeTensorElements = 64;

// A scope of the exporter's node names: "/h.3/attn/c_attn/Gemm" is in "h.3", "h.3/attn" and
// "h.3/attn/c_attn". Scopes holding one drawn node are not groups (the node stands for itself).
struct GraphGroup {
    QString path; // "h.3/attn", no leading slash
    QString name; // "attn"
    int parent = -1;
    int depth = 0; // 0 for top-level groups
    std::vector<int> children; // groups
    std::vector<int> nodes; // drawn graph nodes directly inside (not in a subgroup)
    int nodeCount = 0; // drawn graph nodes inside, subgroups included
    int firstPosition = 0; // execution position of its first node
};

// The per-model part: decided once per setModel(), whatever groups are expanded later.
struct GraphStructure {
    std::vector<char> folded; // per graph node
    std::vector<int> nodeGroup; // per graph node: its innermost group, -1 at the top level
    std::vector<int> position; // per graph node: index in execution order
    std::vector<GraphGroup> groups; // a parent before its children
    QHash<QString, int> groupIndex;
    int drawnNodeCount = 0; // graph nodes not folded

    static GraphStructure build(const Model& model, const ShapeResult& shapes, const GraphOptions& options);

    int findGroup(const QString& path) const; // accepts "/h.3/attn/" too; -1 if none
    bool isAncestor(int ancestor, int group) const; // group is ancestor or inside it

    // Per group: expanded or not. Everything expanded, unless more than `threshold` nodes would
    // be drawn: then open down to the deepest level of groups whose picture draws at most
    // `items` items (the top-level groups closed if even that is too many).
    std::vector<char> defaultExpansion(int threshold, int items) const;
};

// One drawn item.
struct DisplayNode {
    enum class Kind { Op, Group, Input, Output, Proxy };
    Kind kind = Kind::Op;
    int graphNode = -1; // Op: the node; Proxy: the node producing the value (-1 for a graph input)
    int value = -1; // Input, Output, Proxy: the value shown
    int group = -1; // Group: the collapsed group
    int cluster = -1; // index into DisplayGraph::clusters; -1 at the top level
    int position = 0; // execution position (a group's first node; inputs before, outputs after all)
};

struct DisplayCluster {
    int group = -1; // an expanded group
    int parent = -1; // index into DisplayGraph::clusters
};

struct DisplayEdge {
    int from = -1; // DisplayGraph::nodes indices
    int to = -1;
    std::vector<int> values; // the tensors it carries (several when groups merge edges)
};

// The nodes, clusters and edges for one set of expanded groups.
struct DisplayGraph {
    std::vector<DisplayNode> nodes; // execution order
    std::vector<DisplayCluster> clusters; // a parent before its children
    std::vector<DisplayEdge> edges;
    std::vector<int> itemOfNode; // per graph node: the drawn item showing it (itself or its group); -1 if folded

    static DisplayGraph build(const Model& model, const GraphStructure& structure, const std::vector<char>& expanded,
                              const GraphOptions& options);
};

// A node's (or a collapsed group's) figures under one analysis.
struct NodeFigures {
    double activationBytes = 0;
    double weightBytes = 0;
    double macs = 0;
    double readWriteBytes = 0;
    double peakShareBytes = 0;
    double lifetime = 0; // steps; a group takes its longest

    double value(GraphMetric metric) const;
    void add(const NodeFigures& other);
};

// The figures the view needs from one analysis, indexed by graph node and value.
struct GraphFigures {
    std::vector<NodeFigures> nodes; // per graph node
    std::vector<int64_t> valueBytes; // per value: its size (-1 unknown)
    int peakNode = -1; // the graph node whose step (forward or backward) is the memory peak
    int64_t peakBytes = 0;

    static GraphFigures compute(const Model& model, const AnalysisResult& result);
};

} // namespace fp

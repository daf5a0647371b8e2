#include "graphstructure.h"

#include "formatting.h"

#include <QCoreApplication>

#include <algorithm>
#include <map>

namespace fp {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::GraphView", text);
}

bool isWeight(const Value& value)
{
    return value.isInitializer || value.isConstantNode;
}

QString normalizedPath(const QString& path)
{
    QString p = path;
    while (p.startsWith(u'/'))
        p.remove(0, 1);
    while (p.endsWith(u'/'))
        p.chop(1);
    return p;
}

} // namespace

QString graphMetricName(GraphMetric metric)
{
    switch (metric) {
    case GraphMetric::ActivationBytes:
        return tr("Activation size");
    case GraphMetric::WeightBytes:
        return tr("Weight size");
    case GraphMetric::Macs:
        return tr("MACs");
    case GraphMetric::ReadWriteBytes:
        return tr("Bytes read + written");
    case GraphMetric::PeakShare:
        return tr("Share of the peak");
    case GraphMetric::Lifetime:
        return tr("Lifetime (steps)");
    }
    return {};
}

bool isByteMetric(GraphMetric metric)
{
    return metric == GraphMetric::ActivationBytes || metric == GraphMetric::WeightBytes
        || metric == GraphMetric::ReadWriteBytes || metric == GraphMetric::PeakShare;
}

QString formatGraphMetric(GraphMetric metric, double value)
{
    if (isByteMetric(metric) || metric == GraphMetric::Macs)
        return quantityText(value, isByteMetric(metric));
    const int64_t steps = int64_t(value);
    return (steps == 1 ? tr("%1 step") : tr("%1 steps")).arg(steps);
}

// ---------------------------------------------------------------------------------------------

GraphStructure GraphStructure::build(const Model& model, const ShapeResult& shapes, const GraphOptions& options)
{
    const Graph& graph = model.graph;
    GraphStructure s;
    const size_t nodeCount = graph.nodes.size();
    s.folded.assign(nodeCount, 0);
    s.nodeGroup.assign(nodeCount, -1);
    s.position.assign(nodeCount, 0);
    for (size_t i = 0; i < graph.order.size(); ++i)
        s.position[size_t(graph.order[i])] = int(i);

    if (options.foldShapeOps) {
        // Values that stand for constants: weights, and what folded nodes compute from them.
        std::vector<char> constant(graph.values.size(), 0);
        for (size_t v = 0; v < graph.values.size(); ++v)
            constant[v] = isWeight(graph.values[v]);
        // An output of a constant computation that is surely not an activation: an integer or
        // boolean tensor (shape vectors, position ids, masks sliced from a weight) whatever its
        // size, or a tiny one of any type (a scale factor computed from a dimension).
        const auto shapeLike = [&](int v) {
            const TensorInfo* t = size_t(v) < shapes.tensors.size() ? &shapes.tensors[size_t(v)] : nullptr;
            const DType type = t && t->dtype != DType::Undefined ? t->dtype : graph.values[size_t(v)].dtype;
            if (!isFloating(type) && type != DType::Undefined && type != DType::String)
                return true;
            return t && t->isKnown() && t->elements() <= kShapeTensorElements;
        };
        for (int n : graph.order) {
            const Node& node = graph.nodes[size_t(n)];
            bool fold = false;
            if (node.domain.empty() && (node.opType == "Constant" || node.opType == "Shape" || node.opType == "Size")) {
                fold = true;
            } else if (isViewOp(node) && node.input(0) >= 0 && constant[size_t(node.input(0))]) {
                fold = true;
            } else {
                bool inputsConstant = true, outputsShapeLike = false;
                for (int in : node.inputs)
                    inputsConstant = inputsConstant && (in < 0 || constant[size_t(in)]);
                for (int out : node.outputs) {
                    if (out < 0)
                        continue;
                    outputsShapeLike = shapeLike(out);
                    if (!outputsShapeLike)
                        break;
                }
                fold = inputsConstant && outputsShapeLike && !node.inputs.empty();
            }
            if (!fold)
                continue;
            s.folded[size_t(n)] = 1;
            for (int out : node.outputs)
                if (out >= 0)
                    constant[size_t(out)] = 1;
        }
    }

    // Scopes, then groups: every scope holding more than one drawn node.
    struct Scope {
        QString path;
        QString name;
        int parent = -1;
        int depth = 0;
        int count = 0;
        int group = -1;
    };
    std::vector<Scope> scopes;
    QHash<QString, int> scopeIndex;
    std::vector<int> innermostScope(nodeCount, -1);
    for (int n : graph.order) {
        if (s.folded[size_t(n)])
            continue;
        ++s.drawnNodeCount;
        int parent = -1;
        QString path;
        for (const std::string& part : scopePath(graph.nodes[size_t(n)].name)) {
            const QString name = QString::fromStdString(part);
            path = path.isEmpty() ? name : path + u'/' + name;
            auto it = scopeIndex.constFind(path);
            int index = 0;
            if (it == scopeIndex.constEnd()) {
                index = int(scopes.size());
                scopes.push_back({ path, name, parent, parent < 0 ? 0 : scopes[size_t(parent)].depth + 1, 0, -1 });
                scopeIndex.insert(path, index);
            } else {
                index = it.value();
            }
            ++scopes[size_t(index)].count;
            parent = index;
        }
        innermostScope[size_t(n)] = parent;
    }
    // Scopes were created parent first, so one pass in order keeps that order for groups.
    std::vector<int> nearestGroup(scopes.size(), -1);
    for (size_t i = 0; i < scopes.size(); ++i) {
        Scope& scope = scopes[i];
        const int parentGroup = scope.parent >= 0 ? nearestGroup[size_t(scope.parent)] : -1;
        if (scope.count <= 1) {
            nearestGroup[i] = parentGroup;
            continue;
        }
        GraphGroup group;
        group.path = scope.path;
        group.name = scope.name;
        group.parent = parentGroup;
        group.depth = parentGroup < 0 ? 0 : s.groups[size_t(parentGroup)].depth + 1;
        group.nodeCount = scope.count;
        const int index = int(s.groups.size());
        if (parentGroup >= 0)
            s.groups[size_t(parentGroup)].children.push_back(index);
        s.groupIndex.insert(group.path, index);
        s.groups.push_back(std::move(group));
        nearestGroup[i] = index;
    }
    for (size_t g = 0; g < s.groups.size(); ++g)
        s.groups[g].firstPosition = int(graph.order.size());
    for (int n : graph.order) {
        if (s.folded[size_t(n)] || innermostScope[size_t(n)] < 0)
            continue;
        const int g = nearestGroup[size_t(innermostScope[size_t(n)])];
        s.nodeGroup[size_t(n)] = g;
        if (g < 0)
            continue;
        s.groups[size_t(g)].nodes.push_back(n);
        for (int a = g; a >= 0; a = s.groups[size_t(a)].parent)
            s.groups[size_t(a)].firstPosition = std::min(s.groups[size_t(a)].firstPosition, s.position[size_t(n)]);
    }
    return s;
}

int GraphStructure::findGroup(const QString& path) const
{
    return groupIndex.value(normalizedPath(path), -1);
}

bool GraphStructure::isAncestor(int ancestor, int group) const
{
    for (int g = group; g >= 0; g = groups[size_t(g)].parent)
        if (g == ancestor)
            return true;
    return false;
}

std::vector<char> GraphStructure::defaultExpansion(int threshold, int items) const
{
    std::vector<char> expanded(groups.size(), 1);
    if (drawnNodeCount <= threshold || groups.empty())
        return expanded;
    int maxDepth = 0;
    for (const GraphGroup& g : groups)
        maxDepth = std::max(maxDepth, g.depth);
    // Drawn items when the groups of depth < k are open: the nodes directly in open groups (or
    // at the top level) plus one item per closed group at depth k.
    std::vector<int> directNodesAtDepth(size_t(maxDepth) + 1, 0), groupsAtDepth(size_t(maxDepth) + 1, 0);
    int topLevelNodes = drawnNodeCount;
    for (const GraphGroup& g : groups) {
        directNodesAtDepth[size_t(g.depth)] += int(g.nodes.size());
        ++groupsAtDepth[size_t(g.depth)];
        topLevelNodes -= int(g.nodes.size());
    }
    int chosen = 0;
    int drawn = topLevelNodes;
    for (int k = 0; k <= maxDepth; ++k) {
        if (drawn + groupsAtDepth[size_t(k)] > items)
            break;
        chosen = k;
        drawn += directNodesAtDepth[size_t(k)];
    }
    for (size_t g = 0; g < groups.size(); ++g)
        expanded[g] = groups[g].depth < chosen;
    return expanded;
}

// ---------------------------------------------------------------------------------------------

DisplayGraph DisplayGraph::build(const Model& model, const GraphStructure& structure, const std::vector<char>& expanded,
                                 const GraphOptions& options)
{
    const Graph& graph = model.graph;
    DisplayGraph d;
    d.itemOfNode.assign(graph.nodes.size(), -1);
    const auto isExpanded = [&](int g) { return size_t(g) < expanded.size() ? expanded[size_t(g)] != 0 : true; };

    std::vector<int> clusterOfGroup(structure.groups.size(), -1);
    // The cluster drawn for expanded group g (created with its parents on first use).
    const auto clusterFor = [&](auto&& self, int g) -> int {
        if (g < 0)
            return -1;
        if (clusterOfGroup[size_t(g)] >= 0)
            return clusterOfGroup[size_t(g)];
        const int parent = self(self, structure.groups[size_t(g)].parent);
        clusterOfGroup[size_t(g)] = int(d.clusters.size());
        d.clusters.push_back({ g, parent });
        return clusterOfGroup[size_t(g)];
    };

    std::vector<int> itemOfGroup(structure.groups.size(), -1);
    for (int n : graph.order) {
        if (structure.folded[size_t(n)])
            continue;
        int collapsed = -1; // the outermost closed group around n
        for (int g = structure.nodeGroup[size_t(n)]; g >= 0; g = structure.groups[size_t(g)].parent)
            if (!isExpanded(g))
                collapsed = g;
        if (collapsed >= 0) {
            if (itemOfGroup[size_t(collapsed)] < 0) {
                DisplayNode item;
                item.kind = DisplayNode::Kind::Group;
                item.group = collapsed;
                item.cluster = clusterFor(clusterFor, structure.groups[size_t(collapsed)].parent);
                item.position = structure.groups[size_t(collapsed)].firstPosition;
                itemOfGroup[size_t(collapsed)] = int(d.nodes.size());
                d.nodes.push_back(item);
            }
            d.itemOfNode[size_t(n)] = itemOfGroup[size_t(collapsed)];
        } else {
            DisplayNode item;
            item.kind = DisplayNode::Kind::Op;
            item.graphNode = n;
            item.cluster = clusterFor(clusterFor, structure.nodeGroup[size_t(n)]);
            item.position = structure.position[size_t(n)];
            d.itemOfNode[size_t(n)] = int(d.nodes.size());
            d.nodes.push_back(item);
        }
    }

    // Readers of every drawn source: value -> reading items, in execution order, each once.
    std::map<int, std::vector<int>> readers;
    for (int n : graph.order) {
        if (structure.folded[size_t(n)])
            continue;
        const int target = d.itemOfNode[size_t(n)];
        for (int v : graph.nodes[size_t(n)].inputs) {
            if (v < 0)
                continue;
            const Value& value = graph.values[size_t(v)];
            int source = -1;
            if (value.isGraphInput)
                source = -2; // resolved below: inputs get their item when first needed
            else if (value.producer >= 0 && !structure.folded[size_t(value.producer)])
                source = d.itemOfNode[size_t(value.producer)];
            if (source == -1 || source == target)
                continue;
            std::vector<int>& list = readers[v];
            if (std::find(list.begin(), list.end(), target) == list.end())
                list.push_back(target);
        }
    }

    std::map<std::pair<int, int>, int> edgeIndex;
    const auto addEdge = [&](int from, int to, int value) {
        auto [it, inserted] = edgeIndex.try_emplace({ from, to }, int(d.edges.size()));
        if (inserted)
            d.edges.push_back({ from, to, {} });
        std::vector<int>& values = d.edges[size_t(it->second)].values;
        if (std::find(values.begin(), values.end(), value) == values.end())
            values.push_back(value);
    };
    const auto addNode = [&](DisplayNode item) {
        d.nodes.push_back(item);
        return int(d.nodes.size()) - 1;
    };

    std::vector<int> inputItem(graph.values.size(), -1);
    const auto inputFor = [&](int v) {
        if (inputItem[size_t(v)] < 0) {
            DisplayNode item;
            item.kind = DisplayNode::Kind::Input;
            item.value = v;
            item.position = -1;
            inputItem[size_t(v)] = addNode(item);
        }
        return inputItem[size_t(v)];
    };
    // Inputs nobody draws an edge from still appear, in the graph's order.
    for (int v : graph.inputs) {
        auto it = readers.find(v);
        if (it == readers.end() || int(it->second.size()) <= options.farReaderCount)
            inputFor(v);
    }

    for (const auto& [v, targets] : readers) {
        const Value& value = graph.values[size_t(v)];
        const bool manyReaders = int(targets.size()) > options.farReaderCount;
        if (value.isGraphInput) {
            for (int target : targets) {
                if (!manyReaders) {
                    addEdge(inputFor(v), target, v);
                    continue;
                }
                // Drawn once per reader, beside it, instead of one node with long edges.
                DisplayNode copy;
                copy.kind = DisplayNode::Kind::Input;
                copy.value = v;
                copy.cluster = d.nodes[size_t(target)].cluster;
                copy.position = d.nodes[size_t(target)].position;
                addEdge(addNode(copy), target, v);
            }
            continue;
        }
        const int source = d.itemOfNode[size_t(value.producer)];
        const int sourcePosition = d.nodes[size_t(source)].position;
        for (int target : targets) {
            const int distance = std::abs(d.nodes[size_t(target)].position - sourcePosition);
            if (!manyReaders || distance <= options.farDistance) {
                addEdge(source, target, v);
                continue;
            }
            DisplayNode proxy;
            proxy.kind = DisplayNode::Kind::Proxy;
            proxy.graphNode = value.producer;
            proxy.value = v;
            proxy.cluster = d.nodes[size_t(target)].cluster;
            proxy.position = d.nodes[size_t(target)].position;
            addEdge(addNode(proxy), target, v);
        }
    }

    const int end = int(graph.order.size());
    for (int v : graph.outputs) {
        const Value& value = graph.values[size_t(v)];
        DisplayNode item;
        item.kind = DisplayNode::Kind::Output;
        item.value = v;
        item.position = end;
        const int output = addNode(item);
        if (value.isGraphInput)
            addEdge(inputFor(v), output, v);
        else if (value.producer >= 0 && !structure.folded[size_t(value.producer)])
            addEdge(d.itemOfNode[size_t(value.producer)], output, v);
    }
    // Edges in the order of their readers, so dot's initial ordering follows execution order.
    std::stable_sort(d.edges.begin(), d.edges.end(), [&](const DisplayEdge& a, const DisplayEdge& b) {
        return d.nodes[size_t(a.to)].position < d.nodes[size_t(b.to)].position;
    });
    return d;
}

// ---------------------------------------------------------------------------------------------

double NodeFigures::value(GraphMetric metric) const
{
    switch (metric) {
    case GraphMetric::ActivationBytes:
        return activationBytes;
    case GraphMetric::WeightBytes:
        return weightBytes;
    case GraphMetric::Macs:
        return macs;
    case GraphMetric::ReadWriteBytes:
        return readWriteBytes;
    case GraphMetric::PeakShare:
        return peakShareBytes;
    case GraphMetric::Lifetime:
        return lifetime;
    }
    return 0;
}

void NodeFigures::add(const NodeFigures& other)
{
    activationBytes += other.activationBytes;
    weightBytes += other.weightBytes;
    macs += other.macs;
    readWriteBytes += other.readWriteBytes;
    peakShareBytes += other.peakShareBytes;
    lifetime = std::max(lifetime, other.lifetime);
}

GraphFigures GraphFigures::compute(const Model& model, const AnalysisResult& result)
{
    const Graph& graph = model.graph;
    GraphFigures f;
    f.nodes.assign(graph.nodes.size(), {});
    f.valueBytes.assign(graph.values.size(), -1);
    const std::vector<TensorInfo>& tensors = result.shapes.tensors;
    const auto rawBytes = [&](int v) -> int64_t {
        if (size_t(v) >= tensors.size() || !tensors[size_t(v)].isKnown())
            return -1;
        return satMul(tensors[size_t(v)].elements(), dtypeSize(tensors[size_t(v)].dtype));
    };

    std::vector<int> step(graph.nodes.size(), -1);
    for (size_t s = 0; s < result.layers.size(); ++s) {
        const LayerResult& layer = result.layers[s];
        if (layer.node < 0 || size_t(layer.node) >= graph.nodes.size())
            continue;
        step[size_t(layer.node)] = int(s);
        NodeFigures& n = f.nodes[size_t(layer.node)];
        n.activationBytes = double(layer.outputBytes);
        n.weightBytes = double(layer.weightBytes);
        n.macs = double(layer.macs);
        n.readWriteBytes = double(satAdd(layer.readBytes, layer.writeBytes));
        // Per output: the layer's figure split by raw size, which is exact for one output and
        // for outputs of one kind (Split, BatchNorm's statistics) under any precision override.
        const Node& node = graph.nodes[size_t(layer.node)];
        int64_t rawTotal = 0;
        bool known = true;
        for (int out : node.outputs) {
            if (out < 0)
                continue;
            const int64_t raw = rawBytes(out);
            known = known && raw >= 0;
            rawTotal = satAdd(rawTotal, std::max<int64_t>(raw, 0));
        }
        for (int out : node.outputs) {
            if (out < 0 || !known)
                continue;
            const int64_t raw = rawBytes(out);
            f.valueBytes[size_t(out)] = raw == rawTotal ? layer.outputBytes
                : rawTotal > 0 ? satFromDouble(double(layer.outputBytes) * double(raw) / double(rawTotal))
                               : 0;
        }
    }
    for (int v : graph.inputs)
        f.valueBytes[size_t(v)] = rawBytes(v);

    // The peak: what is live there, credited to the node that wrote it (a view's storage is
    // its source's, so the source gets it). Gradients and workspaces are not node outputs.
    for (const LiveBuffer& b : result.memory.liveAtPeak) {
        if (b.value < 0 || size_t(b.value) >= graph.values.size())
            continue;
        const Value& value = graph.values[size_t(b.value)];
        if (b.name != value.name)
            continue; // "grad(x)", "gradient sum(x)": not the tensor itself
        if (b.category == Category::Inputs && value.isGraphInput)
            f.valueBytes[size_t(b.value)] = b.bytes; // inputs are live throughout: exact at any precision
        else if ((b.category == Category::Activations || b.category == Category::SavedActivations)
                 && value.producer >= 0)
            f.nodes[size_t(value.producer)].peakShareBytes += double(b.bytes);
    }
    f.peakBytes = result.memory.peakBytes;
    if (result.memory.peakStep >= 0 && size_t(result.memory.peakStep) < result.memory.timeline.size())
        f.peakNode = result.memory.timeline[size_t(result.memory.peakStep)].node;

    // Lifetime: from the node's step to the last step that holds one of its outputs, as the
    // plan frees them (readers of a view keep its source alive; training keeps saved tensors
    // into the backward pass).
    const std::vector<Lifetime>& lifetimes = result.memory.lifetimes;
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        if (step[n] < 0)
            continue;
        int last = step[n];
        for (int out : graph.nodes[n].outputs)
            if (out >= 0 && size_t(out) < lifetimes.size())
                last = std::max(last, lifetimes[size_t(out)].dies);
        f.nodes[n].lifetime = double(last - step[n] + 1);
    }
    return f;
}

} // namespace fp

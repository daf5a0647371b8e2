#include "graphview.h"

#include "graphitems.h"
#include "report.h"

#include <algorithm>
#include <cmath>

// GraphView's words: the titles and subtitles of its boxes and the sizes they need, the tensor
// sizes beside its edges, and its tooltips.

namespace fp {

namespace {

constexpr qreal kNodeHeight = 34;
constexpr qreal kMinNodeWidth = 60;
constexpr qreal kMaxNodeWidth = 260;

QString shapeText(const AnalysisResult* result, int value)
{
    if (!result || value < 0 || size_t(value) >= result->shapes.tensors.size())
        return QStringLiteral("?");
    return QString::fromStdString(formatShape(result->shapes.tensors[size_t(value)]));
}

} // namespace

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
    // Room for the shape to grow a digit or two when the batch or sequence changes later
    // (the layout stays; longer labels are elided).
    const qreal w = std::clamp(text + (isPill(node.kind) ? 30 : 20), kMinNodeWidth, kMaxNodeWidth);
    return { std::ceil(w), node.kind == DisplayNode::Kind::Proxy ? kNodeHeight - 4 : kNodeHeight };
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

} // namespace fp

#include "graphview.h"

#include "graphitems.h"
#include "graphoverlays.h"

#include <cmath>

// GraphView's selection and its keyboard walk through the graph.

namespace fp {

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

QString GraphView::selectedGroup() const
{
    GraphNodeItem* item = selectedItem();
    if (!item || !m_current)
        return {};
    const DisplayNode& node = m_current->graph.nodes[size_t(item->index())];
    return node.kind == DisplayNode::Kind::Group ? m_structure.groups[size_t(node.group)].path : QString();
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
    const QString group = selectedGroup();
    if (group != m_lastGroup) {
        m_lastGroup = group;
        QList<int> nodes;
        const int g = m_structure.findGroup(group);
        for (int n : m_model->graph.order)
            if (g >= 0 && !m_structure.folded[size_t(n)] && m_structure.isAncestor(g, m_structure.nodeGroup[size_t(n)]))
                nodes << n;
        emit groupSelected(group, nodes);
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

} // namespace fp

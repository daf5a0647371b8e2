#pragma once

#include "colorscale.h"
#include "graphlayout.h"
#include "graphstructure.h"

#include <QFontMetricsF>
#include <QFuture>
#include <QGraphicsItem>
#include <QGraphicsView>
#include <QHash>

#include <memory>
#include <vector>

class QLabel;
class QTimer;

namespace fp {

class GraphClusterItem;
class GraphEdgeItem;
class GraphLegend;
class GraphMiniMap;
class GraphNodeItem;

// The model as a graph: one box per operator (its type and output shape), coloured by a chosen
// metric on a perceptually uniform scale, grouped by the exporter's scopes ("/h.3/attn/...").
//
// Layout is Graphviz dot, run off the GUI thread (see graphlayout.h); while a group opens or
// closes the view keeps the previous picture, under a "laying out" notice if it takes a while,
// and a newer request makes older ones stale. Models of more than GraphOptions::collapseThreshold
// drawn nodes open with their groups collapsed (see GraphOptions::firstPictureItems); each set of
// expanded groups is laid out once and cached, so going back is instant. A new analysis of the
// same model (batch, precision, mode) only recolours and relabels: setAnalysis() never runs
// Graphviz.
//
// Interaction: wheel and Ctrl +/- zoom, drag pans, Ctrl+0 fits; arrow keys walk the selection to a
// predecessor (Up), successor (Down) or a neighbour on the same rank (Left/Right); Enter or a
// double-click opens or closes a group (double-click inside a group's frame closes it), or jumps
// from a source drawn beside its reader to the source itself.
class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    enum ItemType {
        NodeItemType = QGraphicsItem::UserType + 1, // operators, groups, inputs, outputs
        EdgeItemType,
        ClusterItemType, // the frame of an expanded group
    };

    // QGraphicsItem::data() key of a node or frame item's name: the node's name, the group's
    // path, or the input's or output's tensor name.
    static constexpr int ItemNameKey = 0;
    // QGraphicsItem::data() key of an edge item's size label ("1.00 KiB", "?" when unknown), set
    // whether or not labels are shown.
    static constexpr int EdgeLabelKey = 1;

    explicit GraphView(QWidget* parent = nullptr);
    ~GraphView() override;

    // Folding, far sources, collapsing: the shown model is laid out again with them.
    void setOptions(const GraphOptions& options);
    GraphOptions options() const { return m_options; }

    // Shows `model` analysed as `result`, laid out anew (asynchronously).
    void setModel(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result);
    void setModel(std::shared_ptr<const Model> model, const AnalysisResult& result);
    // A new analysis of the same model: colours, labels and edge sizes change, the layout stays.
    void setAnalysis(std::shared_ptr<const AnalysisResult> result);
    void setAnalysis(const AnalysisResult& result);
    void clear();

    const Model* model() const { return m_model.get(); }
    const AnalysisResult* analysis() const { return m_result.get(); }

    GraphMetric metric() const { return m_metric; }
    bool logScale() const { return m_logScale; }
    ColorMap colorMap() const { return m_colorMap; }
    bool edgeLabelsVisible() const { return m_edgeLabels; }
    // The scale the nodes are coloured with (its range spans the drawn nodes and groups).
    ColorScale colorScale() const { return m_scale; }

    // Group paths as "h.3/attn" (a leading '/' is accepted too), parents before children.
    QStringList groups() const;
    bool isGroupCollapsed(const QString& path) const;
    // Opens or closes this group; its subgroups keep their own state unless `withSubgroups`
    // (then they open or close with it).
    void setGroupCollapsed(const QString& path, bool collapsed, bool withSubgroups = false);

    // Graph nodes whose name or operator type contains `text` (case-insensitive), in execution
    // order. Folded nodes are not drawn and not found.
    QVector<int> findNodes(const QString& text) const;
    // The selected graph node (for a source drawn beside its reader, the source's node); -1 when
    // none, or a group, input or output is selected.
    int selectedNode() const;
    // The path of the collapsed group whose box is selected ("h.3/attn"); empty when none.
    QString selectedGroup() const;

    // The tooltip of a node or frame item (made on demand, not stored on the item).
    QString itemToolTip(const QGraphicsItem* item) const;

    bool isLayoutRunning() const { return m_pendingJob != 0; }
    // Graphviz layouts this view has started (cache hits do not count).
    int layoutCount() const { return m_layoutCount; }
    // Drawn items of NodeItemType: operators, collapsed groups, inputs, outputs and sources
    // drawn beside their readers.
    int nodeItemCount() const { return int(m_nodeItems.size()); }

    // For exports, which draw the whole graph rather than the part on screen: the layout's extent
    // in scene coordinates (empty without one), and the colour legend the view shows in its
    // corner, painted at the painter's origin (an empty size when there is none).
    QRectF layoutBounds() const;
    QSize legendSize() const;
    void paintLegend(QPainter* painter) const;
    // The drawn boxes (operators, groups, inputs, outputs) in scene coordinates: where an export
    // may cut the picture without cutting a box.
    std::vector<QRectF> nodeBoxes() const;

public slots:
    // Selects and centres `node` (a graph node index), opening the groups around it if needed
    // (the selection then follows the new layout).
    void selectNode(int node);
    void setMetric(fp::GraphMetric metric);
    void setLogScale(bool logarithmic);
    void setColorMap(fp::ColorMap map);
    void setEdgeLabelsVisible(bool visible);
    void zoomIn();
    void zoomOut();
    void resetZoom();
    void fitToWindow();
    void expandAll();
    // Back to the groups the model opened with.
    void resetGroups();

signals:
    // The selection changed to graph node `graphNodeIndex`; -1 when cleared or not an operator.
    void nodeSelected(int graphNodeIndex);
    // A collapsed group's box was selected (after nodeSelected(-1)): its path and the drawn graph
    // nodes inside it, in execution order; an empty path when the selection leaves the group.
    void groupSelected(const QString& path, const QList<int>& nodes);
    // An operator was double-clicked or Enter was pressed on it.
    void nodeActivated(int graphNodeIndex);
    void metricChanged(fp::GraphMetric metric);
    void layoutStarted();
    // The scene shows a new layout (also after a cache hit); `ok` false when Graphviz failed.
    void layoutFinished(bool ok);
    // A layout this view started ended without being shown: its model was cleared or replaced,
    // or a newer request took its place (its result is then kept for its set of groups). While
    // the view lives, each layoutStarted() is followed in time by one layoutFinished() or one
    // layoutDropped(); a cache hit gives layoutFinished() alone.
    void layoutDropped();
    // A context menu is about to open over graph node `graphNode` (an operator, or the source a
    // pill beside its reader stands for) or the group `groupPath` ("layer4", a collapsed group's
    // box or an open group's frame); -1 and empty over the background. The menu is the view's
    // actions, so a receiver can fit them to what was clicked before it shows.
    void contextMenuAbout(int graphNode, const QString& groupPath);

protected:
    void keyPressEvent(QKeyEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;
    void showEvent(QShowEvent* event) override;
    bool viewportEvent(QEvent* event) override;

private:
    // How the view was fitted: readable from the top (a new model), or the whole graph.
    enum class Fit { None, Readable, Whole };
    struct Layout {
        DisplayGraph graph;
        GraphLayout layout;
    };
    // Where the group the user toggled was on screen, to keep it there after the new layout.
    struct Anchor {
        int group = -1;
        QPointF viewportPos;
    };

    void requestLayout();
    void requestLayout(const Anchor& anchor);
    void applyLayout(const std::shared_ptr<const Layout>& layout);
    void resetScene();
    void rebuildScene();
    void recolor();
    void placeEdgeLabels();
    void updateOverlay();
    void showOverlay();
    void placeOverlays();
    void toggleGroup(int group, bool collapsed, bool withSubgroups);
    // Where `group` is drawn: its frame when open, its box when collapsed; null when not drawn.
    QRectF groupRect(int group) const;
    void activateItem(GraphNodeItem* item);
    void moveSelection(int key);
    void selectItem(GraphNodeItem* item, bool centre);
    void onSelectionChanged();
    void scaleBy(double factor);
    void applyFit(Fit fit);
    GraphNodeItem* selectedItem() const;
    QPair<QString, QString> labelFor(const DisplayGraph& display, const DisplayNode& node) const;
    QString toolTipFor(const DisplayNode& node) const;
    QString itemName(const DisplayNode& node) const;
    QString opTitle(const DisplayGraph& display, const DisplayNode& node) const;
    QSizeF nodeSize(const DisplayGraph& display, const DisplayNode& node) const;
    NodeFigures figuresOf(const DisplayNode& node) const;
    QByteArray expansionKey() const;
    int peakItem() const;
    // The layer precisions' badges on the drawn nodes and open groups (recolor()).
    void markPrecisions();

    GraphOptions m_options;
    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    GraphStructure m_structure;
    GraphFigures m_figures;
    std::vector<NodeFigures> m_groupFigures;
    std::vector<LayerPrecision> m_precisionRules; // the result's --layer-precision rules
    std::vector<int> m_ruleOfNode; // per graph node: the index of its rule, or -1
    std::vector<char> m_expanded;
    std::vector<char> m_defaultExpanded;

    GraphMetric m_metric = GraphMetric::ActivationBytes;
    bool m_logScale = true;
    ColorMap m_colorMap = ColorMap::Viridis;
    bool m_edgeLabels = false;
    ColorScale m_scale;

    QHash<QByteArray, std::shared_ptr<const Layout>> m_cache;
    std::shared_ptr<const Layout> m_current;
    quint64 m_generation = 0; // bumped per model, so layouts of an older model are dropped
    quint64 m_job = 0;
    quint64 m_pendingJob = 0;
    QFuture<GraphLayout> m_pendingFuture;
    int m_layoutCount = 0;
    bool m_fitOnNextLayout = false;
    Fit m_autoFit = Fit::None; // redone on resize until the user zooms or pans
    bool m_rebuilding = false; // selection changes meanwhile are not reported
    int m_lastEmitted = -1;
    QString m_lastGroup;
    Anchor m_anchor;
    int m_pendingSelection = -1;

    QFontMetricsF m_titleMetrics;
    QFontMetricsF m_textMetrics;
    mutable QHash<QString, qreal> m_titleWidths;
    mutable QHash<QString, qreal> m_textWidths;

    QGraphicsScene* m_scene = nullptr;
    std::vector<GraphNodeItem*> m_nodeItems; // per DisplayGraph node
    std::vector<GraphClusterItem*> m_clusterItems; // per DisplayGraph cluster
    std::vector<GraphEdgeItem*> m_edgeItems; // per DisplayGraph edge
    std::vector<std::vector<int>> m_inEdges; // per DisplayGraph node: edge indices
    std::vector<std::vector<int>> m_outEdges;
    QLabel* m_overlay = nullptr;
    QTimer* m_overlayDelay = nullptr;
    GraphLegend* m_legend = nullptr;
    GraphMiniMap* m_miniMap = nullptr;
};

} // namespace fp

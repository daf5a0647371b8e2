#pragma once

#include "analysis.h"

#include <QList>
#include <QString>
#include <QTextBrowser>

#include <memory>
#include <vector>

namespace fp {

// One tensor a node reads or writes, as the details panel lists it.
struct TensorDetails {
    int value = -1;
    QString name;
    QString shape; // "[1, 64, 56, 56]", "?" where unknown
    QString dtype; // as analysed: the precision override applied to floating-point tensors
    int64_t bytes = -1; // -1 where the shape is unknown
    enum Kind { Activation, GraphInput, Weight } kind = Activation;
    int producer = -1; // the node that writes it, -1 for inputs and weights
    std::vector<int> consumers; // the nodes that read it
    // Its storage's span in the memory plan (MemoryPlan::lifetimes); -1 where it has none.
    int born = -1;
    int dies = -1;
    int storage = -1; // the value whose storage holds it (itself unless a view or in place)
    bool liveAtPeak = false;
};

// Everything the details panel shows about one node: pure data, tested on its own.
struct NodeDetails {
    int node = -1;
    int step = -1; // forward step; -1 if the node does not run
    int backwardStep = -1; // training only
    const LayerResult* layer = nullptr; // into the analysis; null if the node does not run
    int64_t savedBytes = 0; // what its backward keeps (training)
    std::vector<TensorDetails> inputs;
    std::vector<TensorDetails> outputs;

    static NodeDetails describe(const Model& model, const AnalysisResult& result, int node);
};

// What the details panel shows about a collapsed group of the graph: sums over the layers it
// holds (the nodes that run), and its largest layer by output size.
struct GroupDetails {
    QString path; // "layer1/layer1.0"
    int nodes = 0; // drawn graph nodes inside
    int layers = 0; // of those, the ones that run
    int64_t params = 0;
    int64_t weightBytes = 0;
    int64_t activationBytes = 0; // its layers' outputs
    int64_t macs = 0;
    bool complete = true; // every layer's shapes and cost are known
    int largest = -1; // the graph node with the largest output; -1 when no layer runs
    int64_t largestBytes = 0;

    static GroupDetails describe(const AnalysisResult& result, const QString& path, const QList<int>& nodes);
};

// The selected node's details: operator, scope, figures, its inputs and outputs with shapes,
// dtypes and sizes, when each output's storage is allocated and freed, and whether it is live
// at the peak. Producers and consumers are links: clicking one selects that node.
class NodeDetailsView : public QTextBrowser {
    Q_OBJECT
public:
    explicit NodeDetailsView(QWidget* parent = nullptr);

    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result);
    void clearAnalysis();
    void setNode(int node);
    int node() const { return m_node; }
    // A collapsed group of the graph (GraphView::groupSelected) instead of a node; an empty path
    // clears it, and setNode() replaces it.
    void setGroup(const QString& path, const QList<int>& nodes);
    QString group() const { return m_group; }

signals:
    void nodeSelected(int node);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void refresh();
    void refreshGroup();
    QString figureTable(const QList<QPair<QString, QString>>& figures);
    QString stepText(int step) const;
    QString nodeLink(int node) const;

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    int m_node = -1;
    QString m_group;
    QList<int> m_groupNodes;
    // The figures go two to a row where the view is at least this wide, one otherwise.
    int m_twoColumnWidth = 0;
    bool m_twoColumns = true;
};

} // namespace fp

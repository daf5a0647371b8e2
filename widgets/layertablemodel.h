#pragma once

#include "analysis.h"
#include "performance.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <memory>
#include <optional>
#include <vector>

namespace fp {

// The per-layer figures of one analysis: one row per node, in execution order. Display text
// is formatted for reading; SortRole gives the raw numbers so a QSortFilterProxyModel orders
// "1.50 MiB" after "900 KiB". Rows keep their order across analyses of the same model, so a
// new configuration (batch, precision) updates the cells in place and the selection survives.
class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        OpColumn,
        ShapeColumn,
        ParamsColumn,
        ReadColumn,
        WriteColumn,
        StorageColumn,
        InferenceColumn,
        SavedColumn, // what the layer keeps for its backward pass (training)
        MacsColumn,
        FlopsColumn,
        TimeColumn, // share of the run time on the device (PerformanceEstimate::timeShare)
        LatencyColumn, // the roofline time on the device
        EnergyColumn, // from MACs, other FLOPs and bytes moved (Horowitz's 45 nm costs)
        ColumnCount
    };

    enum Role {
        SortRole = Qt::UserRole + 1, // qint64 for numeric columns, QString for text
        FilterRole, // "name op" of the row, whatever the column
        StepRole, // the row's index into AnalysisResult::layers
        NodeRole, // the row's graph node
        CopyRole, // the exact figure as text (bytes, counts, percent), for the clipboard
        // The layer's own precision ("int8") when a --layer-precision rule matches it (the last
        // one that does); invalid otherwise. The rule's pattern is PrecisionRuleRole's.
        PrecisionRole,
        PrecisionRuleRole,
    };

    explicit LayerTableModel(QObject* parent = nullptr);
    ~LayerTableModel() override;

    // Shows `result`, an analysis of `model`, with `performance`, the core's latency and energy
    // estimate for it (estimatePerformance) on `deviceName`. Without a performance estimate the
    // time, latency and energy columns show a dash; with one but no device (no roofline) only
    // energy has figures. Resets the model unless the rows stay the same (same model, same
    // execution order), in which case only dataChanged is emitted.
    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                     std::shared_ptr<const PerformanceEstimate> performance = {}, const QString& deviceName = {});
    void clear();

    // `rows` of `model` (a LayerTableModel or a proxy of one) as tab-separated text with a
    // header line: exact figures rather than rounded ones, for a spreadsheet. Columns in
    // `hiddenColumns` are left out.
    static QString rowsAsTsv(const QAbstractItemModel& model, const QList<int>& rows,
                             const QList<int>& hiddenColumns = {});

    const Model* model() const { return m_model.get(); }
    const AnalysisResult* result() const { return m_result.get(); }

    // The row (index into AnalysisResult::layers) whose node the memory peak falls on, forward
    // or backward; -1 when the peak is the optimizer step or there is none.
    static int peakLayer(const AnalysisResult& result);

    // The name shown for a layer: the node name, or "OpType_index" for anonymous nodes
    // (the same rule as footprint-cli's table, so the two can be compared).
    static QString layerName(const Model& model, int node);

    // The widest text a figures column shows ("1023.99 MiB"), so that it can start wide enough
    // never to grow; empty for the columns of names and shapes.
    static QString widestFigure(int column);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString outputShapes(const LayerResult& layer) const;
    qint64 outputElements(const LayerResult& layer) const;
    QVariant displayData(const LayerResult& layer, int step, int column) const;
    QVariant sortData(const LayerResult& layer, int step, int column) const;
    QString copyData(const LayerResult& layer, int step, int column) const;
    int64_t savedBytes(const LayerResult& layer) const;
    // The whole number behind a count or size column (parameters, bytes, MACs, FLOPs), which the
    // display formats and sorting and copying take as is; -1 for a cost without a formula.
    int64_t figure(const LayerResult& layer, int column) const;
    // The layer's estimate, or null where there is none (or no roofline, with `needsRoofline`).
    const LayerPerformance* performance(int step, bool needsRoofline) const;
    // Per column, whether any figure differs between `old` and the result shown now.
    std::vector<bool> changedColumns(const AnalysisResult& old, const PerformanceEstimate* oldPerformance) const;
    QString toolTip(const LayerResult& layer, int step, int column) const;
    // Follows the result's layer precisions: true when a layer's rule changed.
    bool updatePrecisionRules();

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    int m_peakRow = -1;
    std::shared_ptr<const PerformanceEstimate> m_performance;
    QString m_deviceName;
    std::vector<LayerPrecision> m_rules; // the rules m_ruleOfNode was matched with
    std::vector<int> m_ruleOfNode; // per graph node: the index of its rule in m_rules, or -1
};

// The layer table as the window shows it: sorted by the raw figures, filtered by name or operator,
// and without the Constant nodes whose tensors are charged to the layers reading them (a weight
// stored as a Constant, as paddle2onnx writes them, belongs to its Conv like an initializer).
class LayerTableProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit LayerTableProxy(QObject* parent = nullptr);

    bool showConstants() const { return m_showConstants; }
    void setShowConstants(bool show);
    // Rows left out because they are such Constants (0 while they are shown).
    int hiddenConstants() const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    bool isWeightConstant(int sourceRow) const;

    bool m_showConstants = false;
};

} // namespace fp

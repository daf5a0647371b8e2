#pragma once

#include "analysis.h"

#include <QAbstractTableModel>

#include <memory>

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
        MacsColumn,
        FlopsColumn,
        ColumnCount
    };

    enum Role {
        SortRole = Qt::UserRole + 1, // qint64 for numeric columns, QString for text
        FilterRole, // "name op" of the row, whatever the column
        StepRole, // the row's index into AnalysisResult::layers
    };

    explicit LayerTableModel(QObject* parent = nullptr);
    ~LayerTableModel() override;

    // Shows `result`, an analysis of `model`. Resets the model unless the rows stay the same
    // (same model, same execution order), in which case only dataChanged is emitted.
    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result);
    void clear();

    const Model* model() const { return m_model.get(); }
    const AnalysisResult* result() const { return m_result.get(); }

    // The row (index into AnalysisResult::layers) whose node the memory peak falls on, forward
    // or backward; -1 when the peak is the optimizer step or there is none.
    static int peakLayer(const AnalysisResult& result);

    // The name shown for a layer: the node name, or "OpType_index" for anonymous nodes
    // (the same rule as footprint-cli's table, so the two can be compared).
    static QString layerName(const Model& model, int node);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString outputShapes(const LayerResult& layer) const;
    qint64 outputElements(const LayerResult& layer) const;
    QVariant displayData(const LayerResult& layer, int column) const;
    QVariant sortData(const LayerResult& layer, int column) const;
    QString toolTip(const LayerResult& layer, int step, int column) const;

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    int m_peakRow = -1;
};

} // namespace fp

#pragma once

#include "diff.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <array>
#include <vector>

namespace fp {

// The per-layer diff of two analyses (core/diff.h's diffLayers) as a table: one row per layer
// name, with its status (added, removed, changed, the same), both sides' memory and outputs,
// and the change in memory. Display text is formatted as footprint-cli diff prints it; SortRole
// gives the raw numbers (the change column its size, so that the largest change sorts first
// whichever way it goes), and a side a layer is absent from sorts below every figure.
class LayerDiffModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        StatusColumn,
        NameColumn,
        AMemoryColumn,
        BMemoryColumn,
        ChangeColumn, // B - A in memory
        AOutputsColumn,
        BOutputsColumn,
        ColumnCount
    };

    enum Role {
        SortRole = Qt::UserRole + 1, // qint64 for figures, QString for text
        StatusRole, // int(LayerDiff::Status)
        ChangeRole, // qint64: B - A in memory, with its sign
        ExactRole, // qint64: the figure behind a bytes cell; absent: -1
    };

    explicit LayerDiffModel(QObject* parent = nullptr);

    void setDiff(std::vector<LayerDiff> diffs);
    void clear();

    const std::vector<LayerDiff>& diffs() const { return m_diffs; }
    // How many layers have each status, indexed by int(LayerDiff::Status).
    const std::array<int, 4>& counts() const { return m_counts; }
    // "added", "removed", "changed", "same", as the status column shows them.
    static QString statusText(LayerDiff::Status status);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString toolTip(const LayerDiff& diff) const;

    std::vector<LayerDiff> m_diffs;
    std::array<int, 4> m_counts {};
};

// The diff as the comparison view shows it: sorted by the raw figures, filtered by name, and
// without the layers that are the same on both sides when asked.
class LayerDiffProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit LayerDiffProxy(QObject* parent = nullptr);

    bool hidesSame() const { return m_hideSame; }
    void setHideSame(bool hide);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    bool m_hideSame = false;
};

} // namespace fp

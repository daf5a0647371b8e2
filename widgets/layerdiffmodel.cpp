#include "layerdiffmodel.h"

#include "formatting.h"

#include <QColor>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

#include <utility>

namespace fp {

namespace {

bool isFigure(int column)
{
    return column >= LayerDiffModel::AMemoryColumn;
}

// Memory grows in red and shrinks in green, as a profiler's diff colours it; text on the table's
// base colour either way.
const QColor kMoreColor(0xb7, 0x1c, 0x1c);
const QColor kLessColor(0x1b, 0x6e, 0x20);

qint64 sideFigure(const LayerSide& side, int64_t LayerSide::*figure)
{
    return side.present ? qint64(side.*figure) : -1;
}

} // namespace

LayerDiffModel::LayerDiffModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

QString LayerDiffModel::statusText(LayerDiff::Status status)
{
    switch (status) {
    case LayerDiff::Status::Same:
        return tr("same");
    case LayerDiff::Status::Changed:
        return tr("changed");
    case LayerDiff::Status::Added:
        return tr("added");
    case LayerDiff::Status::Removed:
        return tr("removed");
    }
    return {};
}

void LayerDiffModel::setDiff(std::vector<LayerDiff> diffs)
{
    // Reset, not updated in place: the rows of a new diff are other layers, or the same ones in
    // another order (diffLayers sorts by the change).
    beginResetModel();
    m_diffs = std::move(diffs);
    m_counts = {};
    for (const LayerDiff& d : m_diffs)
        ++m_counts[size_t(d.status)];
    endResetModel();
}

void LayerDiffModel::clear()
{
    setDiff({});
}

int LayerDiffModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_diffs.size());
}

int LayerDiffModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerDiffModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const LayerDiff& d = m_diffs[size_t(index.row())];
    const int column = index.column();
    const auto figure = [&](int col) -> qint64 {
        switch (col) {
        case AMemoryColumn:
            return sideFigure(d.a, &LayerSide::memoryBytes);
        case BMemoryColumn:
            return sideFigure(d.b, &LayerSide::memoryBytes);
        case AOutputsColumn:
            return sideFigure(d.a, &LayerSide::outputBytes);
        case BOutputsColumn:
            return sideFigure(d.b, &LayerSide::outputBytes);
        case ChangeColumn:
            return qint64(d.memoryChange());
        default:
            return -1;
        }
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case StatusColumn:
            return statusText(d.status);
        case NameColumn:
            return QString::fromStdString(d.name);
        case ChangeColumn:
            return QString::fromStdString(formatBytesChange(d.memoryChange()));
        default: {
            const qint64 bytes = figure(column);
            return bytes < 0 ? QStringLiteral("–") : bytesText(bytes); // absent on that side
        }
        }
    case SortRole:
        switch (column) {
        case StatusColumn:
            return int(d.status);
        case NameColumn:
            return QString::fromStdString(d.name);
        case ChangeColumn: {
            const int64_t change = d.memoryChange();
            return qint64(change < 0 ? -change : change);
        }
        default:
            return figure(column);
        }
    case StatusRole:
        return int(d.status);
    case ChangeRole:
        return qint64(d.memoryChange());
    case ExactRole:
        return isFigure(column) ? QVariant(figure(column)) : QVariant();
    case Qt::ToolTipRole:
        return toolTip(d);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::Alignment(isFigure(column) ? Qt::AlignRight | Qt::AlignVCenter
                                                                  : Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if (column == ChangeColumn && d.memoryChange() != 0)
            return QColor(d.memoryChange() > 0 ? kMoreColor : kLessColor);
        if (d.status == LayerDiff::Status::Same)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        break;
    case Qt::FontRole:
        if (column == StatusColumn && (d.status == LayerDiff::Status::Added || d.status == LayerDiff::Status::Removed)) {
            QFont font;
            font.setBold(true);
            return font;
        }
        break;
    }
    return {};
}

QString LayerDiffModel::toolTip(const LayerDiff& d) const
{
    const auto side = [](const QString& which, const LayerSide& s) {
        if (!s.present)
            return tr("%1: not in this model").arg(which);
        return tr("%1: %2, memory %3 (weights %4, outputs %5), %6 parameters, %7 MACs")
            .arg(which, QString::fromStdString(s.op), bytesText(s.memoryBytes), bytesText(s.weightBytes),
                 bytesText(s.outputBytes), countText(s.params), countText(s.macs));
    };
    return QStringLiteral("<b>%1</b> (%2)<br>%3<br>%4")
        .arg(QString::fromStdString(d.name).toHtmlEscaped(), statusText(d.status), side(tr("A"), d.a),
             side(tr("B"), d.b));
}

QVariant LayerDiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::InitialSortOrderRole) // a figures column's first click shows the largest first
        return int(isFigure(section) ? Qt::DescendingOrder : Qt::AscendingOrder);
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(isFigure(section) ? Qt::AlignRight | Qt::AlignVCenter
                                                                   : Qt::AlignLeft | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole && section == ChangeColumn)
        return tr("B - A in memory: weights and outputs, and in training what is kept for the backward pass.\n"
                  "Sorted by its size, largest first.");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StatusColumn:
        return tr("Status");
    case NameColumn:
        return tr("Layer");
    case AMemoryColumn:
        return tr("A memory");
    case BMemoryColumn:
        return tr("B memory");
    case ChangeColumn:
        return tr("Change");
    case AOutputsColumn:
        return tr("A outputs");
    case BOutputsColumn:
        return tr("B outputs");
    }
    return {};
}

LayerDiffProxy::LayerDiffProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(LayerDiffModel::SortRole);
    setFilterKeyColumn(LayerDiffModel::NameColumn);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void LayerDiffProxy::setHideSame(bool hide)
{
    if (m_hideSame == hide)
        return;
    m_hideSame = hide;
    invalidateRowsFilter();
}

bool LayerDiffProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (m_hideSame) {
        const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
        if (index.data(LayerDiffModel::StatusRole).toInt() == int(LayerDiff::Status::Same))
            return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace fp

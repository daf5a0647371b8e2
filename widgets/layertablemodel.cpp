#include "layertablemodel.h"

#include "layerprecision.h"

#include "chartmapping.h"
#include "formatting.h"

#include <QFont>
#include <QGuiApplication>
#include <QPalette>

#include <algorithm>
#include <cmath>
#include <utility>

namespace fp {

namespace {

bool isNumeric(int column)
{
    return column >= LayerTableModel::ParamsColumn;
}

QString percentText(double share)
{
    // Two significant places where it matters: "0.04 %" says more than "0.0 %".
    const double percent = share * 100;
    return QString::number(percent, 'f', percent > 0 && percent < 1 ? 2 : 1) + QStringLiteral(" %");
}

} // namespace

LayerTableModel::LayerTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

LayerTableModel::~LayerTableModel() = default;

void LayerTableModel::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                                  std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName)
{
    if (performance && result && performance->layers.size() != result->layers.size())
        performance.reset(); // not this result's estimate
    // Same model and the same nodes in the same order: the rows are the same rows, only
    // their figures moved. Resetting would drop the selection and the scroll position the
    // user is looking at while dragging the batch size.
    const bool sameRows = model && result && model == m_model && m_result
        && result->layers.size() == m_result->layers.size()
        && std::equal(result->layers.begin(), result->layers.end(), m_result->layers.begin(),
                      [](const LayerResult& a, const LayerResult& b) { return a.node == b.node; });
    if (sameRows) {
        const std::shared_ptr<const AnalysisResult> old = std::exchange(m_result, std::move(result));
        const std::shared_ptr<const PerformanceEstimate> oldPerformance = std::exchange(m_performance, std::move(performance));
        const bool deviceChanged = deviceName != m_deviceName;
        m_deviceName = deviceName;
        const int oldPeak = m_peakRow;
        m_peakRow = peakLayer(*m_result);
        if (m_result->layers.empty())
            return;
        // Only the columns whose figures moved are announced, so only they are repainted:
        // a batch step leaves names, parameters and storage alone, and painting cells is
        // most of a slider step's time.
        std::vector<bool> changed = changedColumns(*old, oldPerformance.get());
        changed[TimeColumn] = changed[TimeColumn] || deviceChanged; // the tooltips name it
        changed[NameColumn] = updatePrecisionRules() || changed[NameColumn]; // the badges
        for (int first = 0; first < ColumnCount; ++first) {
            if (!changed[size_t(first)])
                continue;
            int last = first;
            while (last + 1 < ColumnCount && changed[size_t(last + 1)])
                ++last;
            emit dataChanged(index(0, first), index(rowCount() - 1, last));
            first = last;
        }
        // The peak row is drawn in bold: both the old and the new one change look.
        for (int row : { oldPeak, m_peakRow }) {
            if (row >= 0 && oldPeak != m_peakRow)
                emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_model = std::move(model);
    m_result = m_model ? std::move(result) : nullptr;
    m_peakRow = m_result ? peakLayer(*m_result) : -1;
    m_performance = m_result ? std::move(performance) : nullptr;
    m_deviceName = deviceName;
    updatePrecisionRules();
    endResetModel();
}

bool LayerTableModel::updatePrecisionRules()
{
    const std::vector<LayerPrecision> none;
    const std::vector<LayerPrecision>& rules = m_result ? m_result->config.layerPrecisions : none;
    const auto same = [](const LayerPrecision& a, const LayerPrecision& b) {
        return a.pattern == b.pattern && a.precision == b.precision;
    };
    if (m_model && m_ruleOfNode.size() == m_model->graph.nodes.size()
        && std::equal(rules.begin(), rules.end(), m_rules.begin(), m_rules.end(), same))
        return false; // a slider step: the rules stay, nothing is matched again
    m_rules = rules;
    m_ruleOfNode = m_model ? matchingPrecisionRules(m_model->graph, m_rules) : std::vector<int>();
    return true;
}

std::vector<bool> LayerTableModel::changedColumns(const AnalysisResult& old, const PerformanceEstimate* oldPerformance) const
{
    std::vector<bool> changed(ColumnCount, false);
    const auto& before = old.layers;
    const auto& after = m_result->layers;
    for (size_t i = 0; i < after.size(); ++i) {
        const LayerResult& a = before[i];
        const LayerResult& b = after[i];
        changed[ParamsColumn] = changed[ParamsColumn] || a.params != b.params || a.buffers != b.buffers;
        changed[ReadColumn] = changed[ReadColumn] || a.readBytes != b.readBytes;
        changed[WriteColumn] = changed[WriteColumn] || a.writeBytes != b.writeBytes;
        changed[StorageColumn] = changed[StorageColumn] || a.weightBytes != b.weightBytes;
        changed[InferenceColumn] = changed[InferenceColumn] || a.outputBytes != b.outputBytes;
        changed[MacsColumn] = changed[MacsColumn] || a.macs != b.macs || a.costKnown != b.costKnown;
        changed[FlopsColumn] = changed[FlopsColumn] || a.flops != b.flops || a.costKnown != b.costKnown;
        changed[ShapeColumn] = changed[ShapeColumn] || a.outputBytes != b.outputBytes || a.shapesKnown != b.shapesKnown;
    }
    // The shares are ratios: a batch that scales every layer alike leaves them where they
    // were, up to rounding that the one-decimal display never shows.
    const PerformanceEstimate* now = m_performance.get();
    if (bool(now) != bool(oldPerformance) || (now && now->hasRoofline() != oldPerformance->hasRoofline())) {
        changed[TimeColumn] = changed[LatencyColumn] = changed[EnergyColumn] = true;
    } else if (now) {
        for (size_t i = 0; i < after.size() && i < oldPerformance->layers.size(); ++i) {
            const LayerPerformance& a = oldPerformance->layers[i];
            const LayerPerformance& b = now->layers[i];
            changed[TimeColumn] = changed[TimeColumn] || std::abs(now->timeShare(i) - oldPerformance->timeShare(i)) > 1e-9;
            changed[LatencyColumn] = changed[LatencyColumn] || a.seconds != b.seconds;
            changed[EnergyColumn] = changed[EnergyColumn] || a.joules != b.joules;
        }
    }
    changed[SavedColumn] = old.memory.savedBytesByNode != m_result->memory.savedBytesByNode;
    // A shape can change without its byte count (a transpose of dims); the element count is
    // the cheap proxy above, so compare the shapes themselves only where bytes did not move.
    if (!changed[ShapeColumn]) {
        for (size_t i = 0; i < after.size() && !changed[ShapeColumn]; ++i) {
            for (int out : m_model->graph.nodes[size_t(after[i].node)].outputs) {
                if (out >= 0 && size_t(out) < old.shapes.tensors.size() && size_t(out) < m_result->shapes.tensors.size()
                    && old.shapes.tensors[size_t(out)].dims != m_result->shapes.tensors[size_t(out)].dims) {
                    changed[ShapeColumn] = true;
                    break;
                }
            }
        }
    }
    return changed;
}

const LayerPerformance* LayerTableModel::performance(int step, bool needsRoofline) const
{
    if (!m_performance || (needsRoofline && !m_performance->hasRoofline()))
        return nullptr;
    return &m_performance->layers[size_t(step)];
}

int64_t LayerTableModel::savedBytes(const LayerResult& layer) const
{
    const std::vector<int64_t>& saved = m_result->memory.savedBytesByNode;
    return layer.node >= 0 && size_t(layer.node) < saved.size() ? saved[size_t(layer.node)] : 0;
}

int LayerTableModel::peakLayer(const AnalysisResult& result)
{
    const MemoryPlan& memory = result.memory;
    if (memory.peakStep < 0 || size_t(memory.peakStep) >= memory.timeline.size())
        return -1;
    const int node = memory.timeline[size_t(memory.peakStep)].node;
    if (node < 0)
        return -1;
    const auto it = std::find_if(result.layers.begin(), result.layers.end(),
                                 [node](const LayerResult& layer) { return layer.node == node; });
    return it == result.layers.end() ? -1 : int(it - result.layers.begin());
}

void LayerTableModel::clear()
{
    setAnalysis(nullptr, nullptr);
}

QString LayerTableModel::layerName(const Model& model, int node)
{
    const Node& n = model.graph.nodes[size_t(node)];
    if (!n.name.empty())
        return QString::fromStdString(n.name);
    return QString::fromStdString(n.opType) + u'_' + QString::number(node);
}

QString LayerTableModel::widestFigure(int column)
{
    switch (column) {
    case ReadColumn:
    case WriteColumn:
    case StorageColumn:
    case InferenceColumn:
    case SavedColumn:
        return QStringLiteral("1023.99 MiB");
    case ParamsColumn:
    case MacsColumn:
    case FlopsColumn:
        return QStringLiteral("999.99 M");
    case TimeColumn:
        return QStringLiteral("100.0 %");
    case LatencyColumn:
        return QStringLiteral("999 ms");
    case EnergyColumn:
        return QStringLiteral("999 mJ");
    default:
        return {};
    }
}

int LayerTableModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_result)
        return 0;
    return int(m_result->layers.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString LayerTableModel::outputShapes(const LayerResult& layer) const
{
    // The first output is the layer's result; the others are mostly side outputs (a training
    // BatchNormalization's four statistics vectors, an LSTM's final states). Listing them all
    // would push the figures off screen, so they are counted here and spelled out in the tooltip.
    QString text;
    int more = 0;
    for (int out : m_model->graph.nodes[size_t(layer.node)].outputs) {
        if (out < 0 || size_t(out) >= m_result->shapes.tensors.size())
            continue;
        if (text.isEmpty())
            text = shapeText(m_result->shapes.tensors[size_t(out)]);
        else
            ++more;
    }
    if (more > 0)
        text += tr("  (+%1)").arg(more);
    return text;
}

qint64 LayerTableModel::outputElements(const LayerResult& layer) const
{
    // The first output is the one that names the layer's shape; sorting by it groups layers
    // by tensor size, which is what the shape column is scanned for.
    const int out = m_model->graph.nodes[size_t(layer.node)].output(0);
    if (out < 0 || size_t(out) >= m_result->shapes.tensors.size())
        return -1;
    return m_result->shapes.tensors[size_t(out)].elements();
}

int64_t LayerTableModel::figure(const LayerResult& layer, int column) const
{
    switch (column) {
    case ParamsColumn:
        return layer.params;
    case ReadColumn:
        return layer.readBytes;
    case WriteColumn:
        return layer.writeBytes;
    case StorageColumn:
        return layer.weightBytes;
    case InferenceColumn:
        return layer.outputBytes;
    case SavedColumn:
        return savedBytes(layer);
    case MacsColumn:
        return layer.costKnown ? layer.macs : -1;
    case FlopsColumn:
        return layer.costKnown ? layer.flops : -1;
    }
    return -1;
}

QVariant LayerTableModel::displayData(const LayerResult& layer, int step, int column) const
{
    switch (column) {
    case NameColumn:
        return layerName(*m_model, layer.node);
    case OpColumn:
        return QString::fromStdString(m_model->graph.nodes[size_t(layer.node)].opType);
    case ShapeColumn:
        return outputShapes(layer);
    case ParamsColumn:
        return countText(figure(layer, column));
    case ReadColumn:
    case WriteColumn:
    case StorageColumn:
    case InferenceColumn:
    case SavedColumn:
        return bytesText(figure(layer, column));
    case MacsColumn:
    case FlopsColumn:
        // A dash, not "0": the operator has no cost formula, so zero would be a claim.
        return layer.costKnown ? countText(figure(layer, column)) : QStringLiteral("–");
    case TimeColumn:
        return performance(step, true) ? percentText(m_performance->timeShare(size_t(step))) : QStringLiteral("–");
    case LatencyColumn:
        return performance(step, true) ? durationText(m_performance->layers[size_t(step)].seconds) : QStringLiteral("–");
    case EnergyColumn:
        return performance(step, false) ? energyText(m_performance->layers[size_t(step)].joules) : QStringLiteral("–");
    }
    return {};
}

QVariant LayerTableModel::sortData(const LayerResult& layer, int step, int column) const
{
    switch (column) {
    case NameColumn:
    case OpColumn:
        return displayData(layer, step, column);
    case ShapeColumn:
        return outputElements(layer);
    case ParamsColumn:
    case ReadColumn:
    case WriteColumn:
    case StorageColumn:
    case InferenceColumn:
    case SavedColumn:
    case MacsColumn:
    case FlopsColumn:
        return qint64(figure(layer, column));
    // -1 for no estimate: below every figure, as a missing MAC count sorts.
    case TimeColumn:
        return performance(step, true) ? m_performance->timeShare(size_t(step)) : -1.0;
    case LatencyColumn:
        return performance(step, true) ? m_performance->layers[size_t(step)].seconds : -1.0;
    case EnergyColumn:
        return performance(step, false) ? m_performance->layers[size_t(step)].joules : -1.0;
    }
    return {};
}

QString LayerTableModel::copyData(const LayerResult& layer, int step, int column) const
{
    switch (column) {
    case NameColumn:
    case OpColumn:
    case ShapeColumn:
        return displayData(layer, step, column).toString();
    case MacsColumn:
    case FlopsColumn:
        if (!layer.costKnown)
            return {}; // an empty cell, not a zero: there is no formula
        break;
    case TimeColumn:
    case LatencyColumn:
    case EnergyColumn: {
        // Percent, seconds and joules; an empty cell where there is no estimate.
        const double value = sortData(layer, step, column).toDouble();
        return value < 0 ? QString() : QString::number(column == TimeColumn ? value * 100 : value, 'g', 6);
    }
    default:
        break;
    }
    return QString::number(sortData(layer, step, column).toLongLong());
}

QString LayerTableModel::rowsAsTsv(const QAbstractItemModel& model, const QList<int>& rows,
                                   const QList<int>& hiddenColumns)
{
    // Tabs and newlines inside a cell would break the columns; names never have them, but a
    // hostile model could.
    const auto clean = [](QString text) {
        return text.replace(u'\t', u' ').replace(u'\n', u' ');
    };
    QStringList lines;
    QStringList header;
    const int columns = model.columnCount();
    for (int column = 0; column < columns; ++column) {
        if (!hiddenColumns.contains(column))
            header << clean(model.headerData(column, Qt::Horizontal, CopyRole).toString());
    }
    lines << header.join(u'\t');
    for (int row : rows) {
        QStringList cells;
        for (int column = 0; column < columns; ++column) {
            if (!hiddenColumns.contains(column))
                cells << clean(model.index(row, column).data(CopyRole).toString());
        }
        lines << cells.join(u'\t');
    }
    return lines.join(u'\n') + u'\n';
}

QString LayerTableModel::toolTip(const LayerResult& layer, int step, int column) const
{
    const Node& node = m_model->graph.nodes[size_t(layer.node)];
    const QString op = QString::fromStdString(node.opType);
    QString tip;
    switch (column) {
    case NameColumn:
    case OpColumn:
        tip = layerName(*m_model, layer.node) + u'\n' + tr("%1, step %2 of %3").arg(op).arg(step + 1).arg(rowCount());
        if (const int rule = size_t(layer.node) < m_ruleOfNode.size() ? m_ruleOfNode[size_t(layer.node)] : -1; rule >= 0)
            tip += u'\n' + tr("Computed and stored in %1 (--layer-precision '%2=%1')")
                               .arg(precisionLabel(m_rules[size_t(rule)].precision),
                                    QString::fromStdString(m_rules[size_t(rule)].pattern));
        break;
    case ShapeColumn:
        for (int out : node.outputs) {
            if (out < 0 || size_t(out) >= m_result->shapes.tensors.size())
                continue;
            const TensorInfo& info = m_result->shapes.tensors[size_t(out)];
            if (!tip.isEmpty())
                tip += u'\n';
            tip += QString::fromStdString(m_model->graph.values[size_t(out)].name) + QStringLiteral(": ")
                + QString::fromLatin1(dtypeName(info.dtype)) + u' ' + shapeText(info);
        }
        break;
    case ParamsColumn:
        tip = tr("%1 trainable parameters").arg(exactText(layer.params));
        if (layer.buffers)
            tip += u'\n' + tr("%1 non-trainable buffer elements (e.g. running statistics)").arg(exactText(layer.buffers));
        break;
    case ReadColumn:
        tip = tr("%1 bytes read: inputs and weights").arg(exactText(layer.readBytes));
        break;
    case WriteColumn:
        tip = tr("%1 bytes written").arg(exactText(layer.writeBytes));
        break;
    case StorageColumn:
        tip = tr("%1 bytes of weights, buffers and constants first used by this layer").arg(exactText(layer.weightBytes));
        break;
    case InferenceColumn:
        tip = tr("%1 bytes of output activations").arg(exactText(layer.outputBytes));
        break;
    case SavedColumn:
        tip = tr("%1 bytes kept from the forward pass for this layer's backward pass").arg(exactText(savedBytes(layer)));
        break;
    case TimeColumn:
    case LatencyColumn:
        if (const LayerPerformance* p = performance(step, true)) {
            tip = tr("An estimate on %1: max(FLOPs / peak FLOP/s, bytes moved / bandwidth), %2; %3 of all layers' "
                     "time")
                      .arg(m_deviceName, p->computeBound ? tr("compute-bound") : tr("memory-bound"),
                           percentText(m_performance->timeShare(size_t(step))));
        } else {
            tip = tr("Choose a device in the Configuration panel for a roofline estimate of the time");
        }
        break;
    case EnergyColumn:
        tip = performance(step, false)
            ? tr("%1 J: MACs, other FLOPs and bytes moved at Horowitz's 45 nm costs (ISSCC 2014)")
                  .arg(m_performance->layers[size_t(step)].joules, 0, 'g', 6)
            : QString();
        break;
    case MacsColumn:
    case FlopsColumn:
        if (!layer.costKnown)
            tip = tr("No cost formula for %1: not counted in the totals").arg(op);
        else if (column == MacsColumn)
            tip = tr("%1 multiply-accumulates").arg(exactText(layer.macs));
        else
            tip = tr("%1 floating-point operations").arg(exactText(layer.flops));
        break;
    }
    if (!layer.shapesKnown)
        tip += u'\n' + tr("Some shapes of this layer are unknown: its figures are lower bounds.");
    if (step == m_peakRow) {
        const Phase phase = m_result->memory.timeline[size_t(m_result->memory.peakStep)].phase;
        tip += u'\n'
            + (phase == Phase::Backward ? tr("Peak memory is reached in this layer's backward pass.")
                                        : tr("Peak memory is reached at this layer."));
    }
    return tip;
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_result)
        return {};
    const int step = index.row();
    const int column = index.column();
    const LayerResult& layer = m_result->layers[size_t(step)];
    switch (role) {
    case Qt::DisplayRole:
        return displayData(layer, step, column);
    case SortRole:
        return sortData(layer, step, column);
    case CopyRole:
        return copyData(layer, step, column);
    case FilterRole: {
        // A layer with its own precision is found by it too ("int8").
        const QVariant precision = data(index, PrecisionRole);
        return QString(layerName(*m_model, layer.node) + u' '
                       + QString::fromStdString(m_model->graph.nodes[size_t(layer.node)].opType)
                       + (precision.isValid() ? u' ' + precision.toString() : QString()));
    }
    case StepRole:
        return step;
    case NodeRole:
        return layer.node;
    case PrecisionRole:
    case PrecisionRuleRole:
        if (const int rule = size_t(layer.node) < m_ruleOfNode.size() ? m_ruleOfNode[size_t(layer.node)] : -1; rule >= 0)
            return role == PrecisionRole ? precisionLabel(m_rules[size_t(rule)].precision)
                                         : QString::fromStdString(m_rules[size_t(rule)].pattern);
        return {};
    case Qt::ToolTipRole:
        return toolTip(layer, step, column);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::Alignment(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter
                                                                   : Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::FontRole:
        if (step == m_peakRow) {
            QFont font;
            font.setBold(true);
            return font;
        }
        break;
    case Qt::ForegroundRole:
        if ((column == MacsColumn || column == FlopsColumn) && !layer.costKnown)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        if (column == ShapeColumn && !layer.shapesKnown)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        break;
    }
    return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        // The execution step: a QSortFilterProxyModel maps it along, so it stays readable when
        // the rows are sorted by something else.
        if (role == Qt::DisplayRole && section >= 0 && section < rowCount())
            return section + 1;
        return {};
    }
    if (section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::InitialSortOrderRole) // a figures column's first click shows the largest first
        return int(isNumeric(section) ? Qt::DescendingOrder : Qt::AscendingOrder);
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(isNumeric(section) ? Qt::AlignRight | Qt::AlignVCenter
                                                                    : Qt::AlignLeft | Qt::AlignVCenter));
    if (role == CopyRole) {
        // Units in the header, since the cells are bare numbers.
        switch (section) {
        case ReadColumn:
        case WriteColumn:
        case StorageColumn:
        case InferenceColumn:
        case SavedColumn:
            return QString(headerData(section, orientation, Qt::DisplayRole).toString().replace(u'\n', u' ')
                           + QStringLiteral(" (B)"));
        case LatencyColumn:
            return tr("Latency (s)");
        case EnergyColumn:
            return tr("Energy (J)");
        default:
            return headerData(section, orientation, Qt::DisplayRole).toString().replace(u'\n', u' ');
        }
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Layer");
        case OpColumn:
            return tr("Op");
        case ShapeColumn:
            return tr("Output shape");
        case ParamsColumn:
            return tr("Params");
        case ReadColumn:
            return tr("Memory\nread");
        case WriteColumn:
            return tr("Memory\nwrite");
        case StorageColumn:
            return tr("Storage");
        case InferenceColumn:
            return tr("Inference\nmemory");
        case SavedColumn:
            return tr("Saved for\nbackward");
        case MacsColumn:
            return tr("MACs");
        case FlopsColumn:
            return tr("FLOPs");
        case TimeColumn:
            return tr("time %");
        case LatencyColumn:
            return tr("Latency");
        case EnergyColumn:
            return tr("Energy");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case NameColumn:
            return tr("The node's name in the model");
        case OpColumn:
            return tr("The ONNX operator type");
        case ShapeColumn:
            return tr("The shapes of the layer's outputs for the chosen batch and dimensions");
        case ParamsColumn:
            return tr("Trainable parameters this layer uses first (shared weights count once)");
        case ReadColumn:
            return tr("Bytes the layer reads: its inputs and weights");
        case WriteColumn:
            return tr("Bytes the layer writes: its outputs");
        case StorageColumn:
            return tr("Bytes of weights, buffers and constants stored for this layer");
        case InferenceColumn:
            return tr("Bytes of the layer's output activations");
        case SavedColumn:
            return tr("Bytes the layer keeps for its backward pass (training; each storage counted once)");
        case MacsColumn:
            return tr("Multiply-accumulate operations");
        case FlopsColumn:
            return tr("Floating-point operations");
        case TimeColumn:
            return tr("Share of the run time: an estimate, the layer's max(FLOPs / peak, bytes / bandwidth) on the "
                      "chosen device, as a share of all layers'");
        case LatencyColumn:
            return tr("The layer's time on the chosen device, a roofline estimate: max(FLOPs / peak, bytes / "
                      "bandwidth), both roofs scaled by the efficiency factor");
        case EnergyColumn:
            return tr("An estimate of the energy: MACs, other FLOPs and bytes moved at Horowitz's 45 nm costs");
        }
    }
    return {};
}

} // namespace fp

namespace fp {

LayerTableProxy::LayerTableProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(LayerTableModel::SortRole);
    setFilterRole(LayerTableModel::FilterRole);
    setFilterKeyColumn(LayerTableModel::NameColumn);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void LayerTableProxy::setShowConstants(bool show)
{
    if (show == m_showConstants)
        return;
    m_showConstants = show;
    invalidateRowsFilter();
}

bool LayerTableProxy::isWeightConstant(int sourceRow) const
{
    const auto* layers = qobject_cast<const LayerTableModel*>(sourceModel());
    if (!layers || !layers->model() || !layers->result() || sourceRow < 0
        || size_t(sourceRow) >= layers->result()->layers.size())
        return false;
    const LayerResult& layer = layers->result()->layers[size_t(sourceRow)];
    const Node& node = layers->model()->graph.nodes[size_t(layer.node)];
    // Its tensor is charged to the layer that reads it; one that no layer reads keeps its bytes.
    return node.opType == "Constant" && node.domain.empty() && layer.weightBytes == 0;
}

int LayerTableProxy::hiddenConstants() const
{
    if (m_showConstants || !sourceModel())
        return 0;
    int hidden = 0;
    for (int row = 0; row < sourceModel()->rowCount(); ++row)
        hidden += isWeightConstant(row);
    return hidden;
}

bool LayerTableProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!m_showConstants && isWeightConstant(sourceRow))
        return false;
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace fp

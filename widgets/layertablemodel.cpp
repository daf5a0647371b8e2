#include "layertablemodel.h"

#include "report.h"

#include <QFont>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

#include <algorithm>

namespace fp {

namespace {

QString bytesText(int64_t bytes)
{
    return QString::fromStdString(formatBytes(bytes));
}

QString countText(int64_t count)
{
    return QString::fromStdString(formatCount(count));
}

QString exact(int64_t value)
{
    return QLocale().toString(qint64(value));
}

bool isNumeric(int column)
{
    return column >= LayerTableModel::ParamsColumn;
}

} // namespace

LayerTableModel::LayerTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

LayerTableModel::~LayerTableModel() = default;

void LayerTableModel::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result)
{
    // Same model and the same nodes in the same order: the rows are the same rows, only
    // their figures moved. Resetting would drop the selection and the scroll position the
    // user is looking at while dragging the batch size.
    const bool sameRows = model && result && model == m_model && m_result
        && result->layers.size() == m_result->layers.size()
        && std::equal(result->layers.begin(), result->layers.end(), m_result->layers.begin(),
                      [](const LayerResult& a, const LayerResult& b) { return a.node == b.node; });
    if (sameRows) {
        m_result = std::move(result);
        m_peakRow = peakLayer(*m_result);
        if (!m_result->layers.empty())
            emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_model = std::move(model);
    m_result = m_model ? std::move(result) : nullptr;
    m_peakRow = m_result ? peakLayer(*m_result) : -1;
    endResetModel();
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
            text = QString::fromStdString(formatShape(m_result->shapes.tensors[size_t(out)]));
        else
            ++more;
    }
    if (more > 0)
        text += tr("  (+%1 more)").arg(more);
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

QVariant LayerTableModel::displayData(const LayerResult& layer, int column) const
{
    switch (column) {
    case NameColumn:
        return layerName(*m_model, layer.node);
    case OpColumn:
        return QString::fromStdString(m_model->graph.nodes[size_t(layer.node)].opType);
    case ShapeColumn:
        return outputShapes(layer);
    case ParamsColumn:
        return countText(layer.params);
    case ReadColumn:
        return bytesText(layer.readBytes);
    case WriteColumn:
        return bytesText(layer.writeBytes);
    case StorageColumn:
        return bytesText(layer.weightBytes);
    case InferenceColumn:
        return bytesText(layer.outputBytes);
    case MacsColumn:
        // A dash, not "0": the operator has no cost formula, so zero would be a claim.
        return layer.costKnown ? countText(layer.macs) : QStringLiteral("–");
    case FlopsColumn:
        return layer.costKnown ? countText(layer.flops) : QStringLiteral("–");
    }
    return {};
}

QVariant LayerTableModel::sortData(const LayerResult& layer, int column) const
{
    switch (column) {
    case NameColumn:
    case OpColumn:
        return displayData(layer, column);
    case ShapeColumn:
        return outputElements(layer);
    case ParamsColumn:
        return qint64(layer.params);
    case ReadColumn:
        return qint64(layer.readBytes);
    case WriteColumn:
        return qint64(layer.writeBytes);
    case StorageColumn:
        return qint64(layer.weightBytes);
    case InferenceColumn:
        return qint64(layer.outputBytes);
    case MacsColumn:
        return layer.costKnown ? qint64(layer.macs) : qint64(-1);
    case FlopsColumn:
        return layer.costKnown ? qint64(layer.flops) : qint64(-1);
    }
    return {};
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
        break;
    case ShapeColumn:
        for (int out : node.outputs) {
            if (out < 0 || size_t(out) >= m_result->shapes.tensors.size())
                continue;
            const TensorInfo& info = m_result->shapes.tensors[size_t(out)];
            if (!tip.isEmpty())
                tip += u'\n';
            tip += QString::fromStdString(m_model->graph.values[size_t(out)].name) + QStringLiteral(": ")
                + QString::fromLatin1(dtypeName(info.dtype)) + u' ' + QString::fromStdString(formatShape(info));
        }
        break;
    case ParamsColumn:
        tip = tr("%1 trainable parameters").arg(exact(layer.params));
        if (layer.buffers)
            tip += u'\n' + tr("%1 non-trainable buffer elements (e.g. running statistics)").arg(exact(layer.buffers));
        break;
    case ReadColumn:
        tip = tr("%1 bytes read: inputs and weights").arg(exact(layer.readBytes));
        break;
    case WriteColumn:
        tip = tr("%1 bytes written").arg(exact(layer.writeBytes));
        break;
    case StorageColumn:
        tip = tr("%1 bytes of weights, buffers and constants first used by this layer").arg(exact(layer.weightBytes));
        break;
    case InferenceColumn:
        tip = tr("%1 bytes of output activations").arg(exact(layer.outputBytes));
        break;
    case MacsColumn:
    case FlopsColumn:
        if (!layer.costKnown)
            tip = tr("No cost formula for %1: not counted in the totals").arg(op);
        else if (column == MacsColumn)
            tip = tr("%1 multiply-accumulates").arg(exact(layer.macs));
        else
            tip = tr("%1 floating-point operations").arg(exact(layer.flops));
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
        return displayData(layer, column);
    case SortRole:
        return sortData(layer, column);
    case FilterRole:
        return QString(layerName(*m_model, layer.node) + u' '
                       + QString::fromStdString(m_model->graph.nodes[size_t(layer.node)].opType));
    case StepRole:
        return step;
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
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(isNumeric(section) ? Qt::AlignRight | Qt::AlignVCenter
                                                                    : Qt::AlignLeft | Qt::AlignVCenter));
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
            return tr("Memory read");
        case WriteColumn:
            return tr("Memory write");
        case StorageColumn:
            return tr("Storage");
        case InferenceColumn:
            return tr("Inference memory");
        case MacsColumn:
            return tr("MACs");
        case FlopsColumn:
            return tr("FLOPs");
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
        case MacsColumn:
            return tr("Multiply-accumulate operations");
        case FlopsColumn:
            return tr("Floating-point operations");
        }
    }
    return {};
}

} // namespace fp

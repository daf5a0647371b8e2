#include "nodedetails.h"

#include "assignifchanged.h"
#include "formatting.h"
#include "memory.h"

#include <QFontMetrics>
#include <QUrl>

#include <algorithm>

namespace fp {

namespace {

TensorDetails describeTensor(const Model& model, const AnalysisResult& result, int v)
{
    // The tensor's own precision: a --layer-precision rule's for the outputs and weights of the
    // layers it names (issue 19), else the model's.
    const Precision precision = result.precisionOf(v);
    const Value& value = model.graph.values[size_t(v)];
    TensorDetails t;
    t.value = v;
    t.name = QString::fromStdString(value.name);
    t.kind = value.isInitializer || value.isConstantNode ? TensorDetails::Weight
        : value.isGraphInput                             ? TensorDetails::GraphInput
                                                         : TensorDetails::Activation;
    t.producer = value.producer;
    t.consumers = value.consumers;
    DType dtype = value.dtype;
    t.shape = QStringLiteral("?");
    if (size_t(v) < result.shapes.tensors.size()) {
        const TensorInfo& info = result.shapes.tensors[size_t(v)];
        if (info.dtype != DType::Undefined)
            dtype = info.dtype;
        t.shape = shapeText(info);
        if (info.elements() >= 0) {
            TensorInfo typed = info;
            typed.dtype = dtype;
            t.bytes = tensorBytes(typed, precision); // int4 packs two to a byte
        }
    }
    t.dtype = isFloating(dtype) && precision != Precision::Model ? QString::fromLatin1(precisionName(precision))
                                                                 : QString::fromLatin1(dtypeName(dtype));
    const MemoryPlan& plan = result.memory;
    if (size_t(v) < plan.lifetimes.size()) {
        const Lifetime& life = plan.lifetimes[size_t(v)];
        t.born = life.born;
        t.dies = life.dies;
        t.storage = life.storage;
        t.liveAtPeak = life.born >= 0 && life.born <= plan.peakStep && plan.peakStep <= life.dies;
    }
    return t;
}

} // namespace

NodeDetails NodeDetails::describe(const Model& model, const AnalysisResult& result, int node)
{
    NodeDetails d;
    const Graph& graph = model.graph;
    if (node < 0 || size_t(node) >= graph.nodes.size())
        return d;
    d.node = node;
    for (size_t s = 0; s < result.layers.size(); ++s) {
        if (result.layers[s].node == node) {
            d.step = int(s);
            d.layer = &result.layers[s];
        }
    }
    const std::vector<TimelineStep>& timeline = result.memory.timeline;
    for (size_t s = result.layers.size(); s < timeline.size(); ++s)
        if (timeline[s].node == node && timeline[s].phase == Phase::Backward)
            d.backwardStep = int(s);
    if (size_t(node) < result.memory.savedBytesByNode.size())
        d.savedBytes = result.memory.savedBytesByNode[size_t(node)];
    const Node& n = graph.nodes[size_t(node)];
    for (int in : n.inputs)
        if (in >= 0)
            d.inputs.push_back(describeTensor(model, result, in));
    for (int out : n.outputs)
        if (out >= 0)
            d.outputs.push_back(describeTensor(model, result, out));
    return d;
}

GroupDetails GroupDetails::describe(const AnalysisResult& result, const QString& path, const QList<int>& nodes)
{
    GroupDetails d;
    d.path = path;
    d.nodes = int(nodes.size());
    for (const LayerResult& l : result.layers) {
        if (!nodes.contains(l.node))
            continue;
        ++d.layers;
        d.params = satAdd(d.params, l.params);
        d.weightBytes = satAdd(d.weightBytes, l.weightBytes);
        d.activationBytes = satAdd(d.activationBytes, l.outputBytes);
        d.macs = satAdd(d.macs, l.macs);
        d.complete = d.complete && l.shapesKnown && l.costKnown;
        if (d.largest < 0 || l.outputBytes > d.largestBytes) {
            d.largest = l.node;
            d.largestBytes = l.outputBytes;
        }
    }
    return d;
}

NodeDetailsView::NodeDetailsView(QWidget* parent)
    : QTextBrowser(parent)
{
    setOpenLinks(false);
    setPlaceholderText(tr("Select a layer in the table, the charts or the graph to see its details."));
    connect(this, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        if (url.scheme() == QLatin1String("node"))
            emit nodeSelected(url.path().toInt());
    });
}

void NodeDetailsView::setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result)
{
    if (model != m_model) {
        m_node = -1;
        m_group.clear();
        m_groupNodes.clear();
    }
    m_model = std::move(model);
    m_result = std::move(result);
    refresh();
}

void NodeDetailsView::clearAnalysis()
{
    m_model.reset();
    m_result.reset();
    m_node = -1;
    m_group.clear();
    m_groupNodes.clear();
    refresh();
}

void NodeDetailsView::setNode(int node)
{
    const bool hadGroup = !m_group.isEmpty() && node >= 0;
    if (hadGroup) {
        m_group.clear();
        m_groupNodes.clear();
    }
    if (assignIfChanged(m_node, node) || hadGroup)
        refresh();
}

void NodeDetailsView::setGroup(const QString& path, const QList<int>& nodes)
{
    // std::equal, not QList's ==: Qt 6.4 hands memcmp the null data of an empty list (UBSan).
    if (path == m_group && std::equal(nodes.begin(), nodes.end(), m_groupNodes.begin(), m_groupNodes.end()))
        return;
    // Leaving a group clears only the group: a node shown meanwhile stays.
    if (path.isEmpty() && m_group.isEmpty())
        return;
    m_group = path;
    m_groupNodes = nodes;
    if (!path.isEmpty())
        m_node = -1;
    refresh();
}

QString NodeDetailsView::figureTable(const QList<QPair<QString, QString>>& figures)
{
    // Two figures a row where they fit (the dock is wider than it is tall), else one: a
    // cell never breaks inside a word ("Paramete rs"), as a narrow table otherwise does.
    const QFontMetrics metrics(font());
    int label = 0, value = 0;
    for (const auto& [name, figure] : figures) {
        label = std::max(label, metrics.horizontalAdvance(name));
        value = std::max(value, metrics.horizontalAdvance(figure));
    }
    const int gap = metrics.horizontalAdvance(QStringLiteral("\u00a0\u00a0\u00a0\u00a0"));
    m_twoColumnWidth = 2 * (label + value + 2 * gap) + 2 * int(document()->documentMargin()) + 8;
    m_twoColumns = viewport()->width() >= m_twoColumnWidth;
    const qsizetype perRow = m_twoColumns ? 2 : 1;
    QString html = QStringLiteral("<table cellspacing=0 cellpadding=1>");
    for (qsizetype i = 0; i < figures.size(); i += perRow) {
        html += QStringLiteral("<tr>");
        for (qsizetype k = i; k < std::min(i + perRow, figures.size()); ++k)
            html += QStringLiteral("<td style=\"white-space:nowrap\">%1%2</td>"
                                   "<td align=right style=\"white-space:nowrap\">&nbsp;&nbsp;%3</td>")
                        .arg(k > i ? QStringLiteral("&nbsp;&nbsp;&nbsp;&nbsp;") : QString(), figures[k].first,
                             figures[k].second);
        html += QStringLiteral("</tr>");
    }
    return html + QStringLiteral("</table>");
}

QString NodeDetailsView::nodeLink(int node) const
{
    const Node& n = m_model->graph.nodes[size_t(node)];
    const QString name = n.name.empty() ? QString::fromStdString(n.opType) : QString::fromStdString(n.name);
    return QStringLiteral("<a href=\"node:%1\">%2</a>").arg(node).arg(name.toHtmlEscaped());
}

QString NodeDetailsView::stepText(int step) const
{
    const std::vector<TimelineStep>& timeline = m_result->memory.timeline;
    if (step < 0 || size_t(step) >= timeline.size())
        return QStringLiteral("–");
    const TimelineStep& s = timeline[size_t(step)];
    const QString phase = QString::fromLatin1(phaseName(s.phase));
    // Numbered from 1, as the table's rows and the timeline's tooltips are.
    if (s.node < 0)
        return tr("step %1 (%2)").arg(step + 1).arg(phase);
    return tr("step %1 (%2 of %3)").arg(step + 1).arg(phase, nodeLink(s.node));
}

void NodeDetailsView::refresh()
{
    m_twoColumnWidth = 0;
    if (m_model && m_result && !m_group.isEmpty()) {
        refreshGroup();
        return;
    }
    if (!m_model || !m_result || m_node < 0 || size_t(m_node) >= m_model->graph.nodes.size()) {
        clear();
        return;
    }
    const NodeDetails d = NodeDetails::describe(*m_model, *m_result, m_node);
    const Node& n = m_model->graph.nodes[size_t(m_node)];
    QString html;
    const QString op = n.domain.empty() ? QString::fromStdString(n.opType)
                                        : QString::fromStdString(n.domain + "." + n.opType);
    html += QStringLiteral("<h3>%1</h3>").arg(QString::fromStdString(n.name.empty() ? n.opType : n.name).toHtmlEscaped());
    html += QStringLiteral("<p><b>%1</b>").arg(op.toHtmlEscaped());
    if (d.step >= 0)
        html += tr(" · layer %1 of %2").arg(d.step + 1).arg(m_result->layers.size());
    if (d.backwardStep >= 0)
        html += tr(" · backward at step %1 of %2").arg(d.backwardStep + 1).arg(m_result->memory.timeline.size());
    html += QStringLiteral("</p>");

    if (d.layer) {
        const LayerResult& l = *d.layer;
        QList<QPair<QString, QString>> figures {
            { tr("Parameters"), countText(l.params) },
            { tr("Weight storage"), knownBytesText(l.weightBytes) },
            { tr("MACs"), l.costKnown ? countText(l.macs) : tr("unknown") },
            { tr("FLOPs"), l.costKnown ? countText(l.flops) : tr("unknown") },
            { tr("Memory read"), knownBytesText(l.readBytes) },
            { tr("Memory written"), knownBytesText(l.writeBytes) },
            { tr("Output"), knownBytesText(l.outputBytes) },
        };
        if (l.buffers > 0)
            figures.insert(1, { tr("Buffers"), countText(l.buffers) });
        if (d.backwardStep >= 0)
            figures.append({ tr("Saved for backward"), knownBytesText(d.savedBytes) });
        html += figureTable(figures);
        if (!l.shapesKnown)
            html += tr("<p><i>Some shapes of this node are unknown: its figures are partial.</i></p>");
    } else {
        html += tr("<p><i>This node does not run in the main graph (it computes only shapes, or its outputs are "
                   "unused).</i></p>");
    }

    // One block per tensor: its name on a line of its own (exporter names are long), then its
    // shape, type and size and where it comes from or goes; for outputs, when it is held.
    const int peak = m_result->memory.peakStep;
    const auto tensorBlock = [&](const TensorDetails& x, bool output) -> QString {
        QString where;
        if (output) {
            QStringList readers;
            for (int c : x.consumers)
                readers << nodeLink(c);
            where = !readers.isEmpty() ? tr("read by %1").arg(readers.join(QStringLiteral(", ")))
                : m_model->graph.values[size_t(x.value)].isGraphOutput ? tr("a model output")
                                                                       : tr("read by nobody");
        } else {
            where = x.kind == TensorDetails::Weight ? tr("a weight")
                : x.kind == TensorDetails::GraphInput ? tr("a model input")
                : x.producer >= 0                     ? tr("from %1").arg(nodeLink(x.producer))
                                                      : QString();
        }
        QString block = QStringLiteral("<p style=\"margin-top:4px\"><b>%1</b><br>%2 · %3 · %4 · %5")
                            .arg(x.name.toHtmlEscaped(), x.shape.toHtmlEscaped(), x.dtype, knownBytesText(x.bytes), where);
        if (output) {
            block += QStringLiteral("<br>");
            if (x.born < 0) {
                block += tr("Holds no memory of its own.");
            } else {
                if (x.storage >= 0 && x.storage != x.value)
                    block += tr("Lives in the storage of %1 (a view, or computed in place). ")
                                 .arg(QString::fromStdString(m_model->graph.values[size_t(x.storage)].name).toHtmlEscaped());
                block += tr("Allocated at %1, freed after %2. ").arg(stepText(x.born), stepText(x.dies));
                block += x.liveAtPeak ? tr("<b>Live at the peak</b> (%1).").arg(stepText(peak))
                                      : tr("Not live at the peak (%1).").arg(stepText(peak));
            }
        }
        return block + QStringLiteral("</p>");
    };
    html += tr("<h4>Inputs</h4>");
    for (const TensorDetails& x : d.inputs)
        html += tensorBlock(x, false);
    html += tr("<h4>Outputs</h4>");
    for (const TensorDetails& x : d.outputs)
        html += tensorBlock(x, true);
    setHtml(html);
}

void NodeDetailsView::refreshGroup()
{
    const GroupDetails d = GroupDetails::describe(*m_result, m_group, m_groupNodes);
    QString html = QStringLiteral("<h3>%1</h3>").arg(m_group.toHtmlEscaped());
    html += tr("<p><b>Collapsed group</b> · %1 layers of %2 nodes · double-click it in the graph to open it</p>")
                .arg(d.layers)
                .arg(d.nodes);
    html += figureTable({
        { tr("Parameters"), countText(d.params) },
        { tr("Weight storage"), bytesText(d.weightBytes) },
        { tr("Activations"), bytesText(d.activationBytes) },
        { tr("MACs"), countText(d.macs) },
    });
    if (d.largest >= 0)
        html += tr("<p>Largest layer: %1 (%2 output)</p>").arg(nodeLink(d.largest), bytesText(d.largestBytes));
    if (!d.complete)
        html += tr("<p><i>Some shapes or costs in this group are unknown: its figures are partial.</i></p>");
    setHtml(html);
}

void NodeDetailsView::resizeEvent(QResizeEvent* event)
{
    QTextBrowser::resizeEvent(event);
    if (m_twoColumnWidth > 0 && (viewport()->width() >= m_twoColumnWidth) != m_twoColumns)
        refresh();
}

} // namespace fp

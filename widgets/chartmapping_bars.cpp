#include "chartmapping_bars.h"

#include "chartmapping.h"

#include <QCoreApplication>

#include <algorithm>
#include <numeric>

namespace fp {

using chartmapping::tr;

QString layerMetricLabel(LayerMetric metric)
{
    switch (metric) {
    case LayerMetric::Memory:
        return tr("Memory (all categories)");
    case LayerMetric::ActivationBytes:
        return tr("Activation bytes");
    case LayerMetric::WeightBytes:
        return tr("Weight bytes");
    case LayerMetric::SavedBytes:
        return tr("Saved for backward");
    case LayerMetric::Macs:
        return tr("MACs");
    case LayerMetric::ReadWriteBytes:
        return tr("Bytes read + written");
    }
    return {};
}

bool layerMetricIsBytes(LayerMetric metric)
{
    return metric != LayerMetric::Macs;
}

namespace {

// What a bar segment measures.
enum class Part { Weights, Gradients, Saved, Outputs, Macs, Read, Written };

// The parts a metric stacks; `training` adds the gradient and saved parts where they apply.
std::vector<Part> metricParts(LayerMetric metric, bool training)
{
    using P = Part;
    switch (metric) {
    case LayerMetric::Memory:
        return training ? std::vector<P> { P::Weights, P::Gradients, P::Saved, P::Outputs }
                        : std::vector<P> { P::Weights, P::Outputs };
    case LayerMetric::ActivationBytes:
        return { P::Outputs };
    case LayerMetric::WeightBytes:
        return training ? std::vector<P> { P::Weights, P::Gradients } : std::vector<P> { P::Weights };
    case LayerMetric::SavedBytes:
        return { P::Saved };
    case LayerMetric::Macs:
        return { P::Macs };
    case LayerMetric::ReadWriteBytes:
        return { P::Read, P::Written };
    }
    return {};
}

BarSegment segmentFor(Part part)
{
    using P = Part;
    switch (part) {
    case P::Weights:
        return { categoryLabel(Category::Weights), categoryColor(Category::Weights) };
    case P::Gradients:
        return { categoryLabel(Category::Gradients), categoryColor(Category::Gradients) };
    case P::Saved:
        return { categoryLabel(Category::SavedActivations), categoryColor(Category::SavedActivations) };
    case P::Outputs:
        return { categoryLabel(Category::Activations), categoryColor(Category::Activations) };
    case P::Macs:
        return { tr("MACs"), QColor(0x4e, 0x79, 0xa7) };
    case P::Read:
        return { tr("Read"), QColor(0x4e, 0x79, 0xa7).lighter(135) };
    case P::Written:
        return { tr("Written"), QColor(0x4e, 0x79, 0xa7).darker(125) };
    }
    return {};
}

} // namespace

LayerRanking rankLayers(const AnalysisResult& result, LayerMetric metric, int count, BarOrder order)
{
    const MemoryPlan& memory = result.memory;
    const bool training = std::any_of(memory.timeline.begin(), memory.timeline.end(),
                                      [](const TimelineStep& step) { return step.phase != Phase::Forward; });
    const std::vector<Part> parts = metricParts(metric, training);
    // Parameter gradients are stored at the gradient precision, which the plan knows as a total;
    // a layer gets the share its parameters make of all of them.
    const double gradientBytesPerParam
        = result.totals.params > 0 ? double(memory.gradientBytes) / double(result.totals.params) : 0;

    LayerRanking ranking;
    for (const Part part : parts)
        ranking.segments.push_back(segmentFor(part));

    const size_t layerCount = result.layers.size();
    std::vector<LayerBar> all(layerCount);
    for (size_t i = 0; i < layerCount; ++i) {
        const LayerResult& layer = result.layers[i];
        LayerBar& bar = all[i];
        bar.layer = int(i);
        bar.node = layer.node;
        bar.values.reserve(parts.size());
        for (const Part part : parts) {
            double v = 0;
            switch (part) {
            case Part::Weights:
                v = double(layer.weightBytes);
                break;
            case Part::Gradients:
                v = double(layer.params) * gradientBytesPerParam;
                break;
            case Part::Saved:
                if (layer.node >= 0 && size_t(layer.node) < memory.savedBytesByNode.size())
                    v = double(memory.savedBytesByNode[size_t(layer.node)]);
                break;
            case Part::Outputs:
                v = double(layer.outputBytes);
                break;
            case Part::Macs:
                v = double(layer.macs);
                break;
            case Part::Read:
                v = double(layer.readBytes);
                break;
            case Part::Written:
                v = double(layer.writeBytes);
                break;
            }
            bar.values.push_back(v);
            bar.total += v;
        }
    }

    std::vector<size_t> index(layerCount);
    std::iota(index.begin(), index.end(), size_t(0));
    const size_t shown = std::min(layerCount, size_t(std::max(0, count)));
    // Largest first, execution order among equals: a stable order, so a slider step that
    // scales every layer alike does not shuffle the bars.
    std::partial_sort(index.begin(), index.begin() + std::ptrdiff_t(shown), index.end(), [&all](size_t a, size_t b) {
        return all[a].total != all[b].total ? all[a].total > all[b].total : a < b;
    });
    std::vector<size_t> top(index.begin(), index.begin() + std::ptrdiff_t(shown));
    if (order == BarOrder::Execution)
        std::sort(top.begin(), top.end());
    for (size_t i : top) {
        ranking.maximum = std::max(ranking.maximum, all[i].total);
        ranking.bars.push_back(std::move(all[i]));
    }

    if (shown < layerCount) {
        LayerBar other;
        other.layerCount = int(layerCount - shown);
        other.values.assign(parts.size(), 0.0);
        for (auto it = index.begin() + std::ptrdiff_t(shown); it != index.end(); ++it) {
            for (size_t s = 0; s < parts.size(); ++s)
                other.values[s] += all[*it].values[s];
            other.total += all[*it].total;
        }
        if (other.total > 0) {
            ranking.maximum = std::max(ranking.maximum, other.total);
            ranking.bars.push_back(std::move(other));
        }
    }
    return ranking;
}

} // namespace fp

namespace fp {

namespace {

// "/encoder/layers.7/Softmax" -> "/encoder", "/layers.7", "/Softmax": each part with its '/'.
QStringList pathParts(const QString& name)
{
    QStringList parts;
    qsizetype start = 0;
    for (qsizetype i = 1; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == u'/') {
            parts.append(name.mid(start, i - start));
            start = i;
        }
    }
    return parts;
}

} // namespace

QStringList elideDistinct(const QStringList& names, double maxWidth, const std::function<double(const QString&)>& width)
{
    const QString ellipsis(QChar(0x2026));
    QStringList elided;
    for (const QString& name : names) {
        if (width(name) <= maxWidth) {
            elided.append(name);
            continue;
        }
        const QStringList parts = pathParts(name);
        std::vector<qsizetype> starts;
        qsizetype offset = 0;
        for (const QString& part : parts) {
            starts.push_back(offset);
            offset += part.size();
        }
        // The operator, and where the name first differs from each other name.
        std::vector<bool> keep(size_t(parts.size()), false);
        keep.back() = true;
        for (const QString& other : names) {
            qsizetype d = 0;
            while (d < name.size() && d < other.size() && name[d] == other[d])
                ++d;
            if (d < name.size())
                keep[size_t(std::upper_bound(starts.begin(), starts.end(), d) - starts.begin() - 1)] = true;
        }
        // A run of parts left out reads "/…".
        const auto joined = [&]() {
            QString text;
            for (size_t k = 0; k < keep.size(); ++k) {
                if (keep[k])
                    text += parts[qsizetype(k)];
                else if (k == 0 || keep[k - 1])
                    text += u'/' + ellipsis;
            }
            return text;
        };
        // Then as much context as fits: the first part, and the parts nearest the operator.
        std::vector<size_t> context { 0 };
        for (size_t k = keep.size(); k-- > 1;)
            context.push_back(k);
        for (const size_t k : context) {
            if (keep[k])
                continue;
            keep[k] = true;
            keep[k] = width(joined()) <= maxWidth;
        }
        // What must stay does not fit: its end does, the most particular part of a name.
        QString text = joined();
        if (width(text) > maxWidth) {
            while (text.size() > 1 && width(ellipsis + text) > maxWidth)
                text.remove(0, 1);
            text.prepend(ellipsis);
        }
        elided.append(text);
    }
    return elided;
}

} // namespace fp

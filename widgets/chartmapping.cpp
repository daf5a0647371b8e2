#include "chartmapping.h"

#include <QCoreApplication>
#include <QStringList>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fp {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::ChartMapping", text);
}

} // namespace

QColor categoryColor(Category category)
{
    // Tableau 10, which stays apart for the common colour-vision deficiencies; its red is
    // reserved for exceeding the device.
    switch (category) {
    case Category::Weights:
        return QColor(0x4e, 0x79, 0xa7);
    case Category::Gradients:
        return QColor(0xf2, 0x8e, 0x2b);
    case Category::OptimizerState:
        return QColor(0xb0, 0x7a, 0xa1);
    case Category::SavedActivations:
        return QColor(0x59, 0xa1, 0x4f);
    case Category::Activations:
        return QColor(0x76, 0xb7, 0xb2);
    case Category::Workspace:
        return QColor(0xba, 0xb0, 0xac);
    case Category::Inputs:
        return QColor(0xed, 0xc9, 0x48);
    case Category::Runtime:
        return QColor(0x9c, 0x75, 0x5f);
    }
    return Qt::gray;
}

QString categoryLabel(Category category)
{
    switch (category) {
    case Category::Weights:
        return tr("Weights");
    case Category::Gradients:
        return tr("Gradients");
    case Category::OptimizerState:
        return tr("Optimizer state");
    case Category::SavedActivations:
        return tr("Saved activations");
    case Category::Activations:
        return tr("Activations");
    case Category::Workspace:
        return tr("Workspace");
    case Category::Inputs:
        return tr("Inputs");
    case Category::Runtime:
        return tr("Runtime");
    }
    return {};
}

LogScale::LogScale(int64_t minimum, int64_t maximum, int stepsPerDoubling)
{
    minimum = std::max<int64_t>(1, minimum);
    maximum = std::max(minimum, maximum);
    stepsPerDoubling = std::max(1, stepsPerDoubling);
    const double doublings = std::log2(double(maximum) / double(minimum));
    const int steps = std::max(1, int(std::ceil(doublings * stepsPerDoubling)));
    m_values.reserve(size_t(steps) + 1);
    for (int i = 0; i <= steps; ++i) {
        const double v = double(minimum) * std::exp2(doublings * i / steps);
        const int64_t rounded = std::clamp<int64_t>(std::llround(v), minimum, maximum);
        if (m_values.empty() || rounded > m_values.back())
            m_values.push_back(rounded);
    }
    if (m_values.back() != maximum)
        m_values.push_back(maximum);
}

int64_t LogScale::value(int position) const
{
    return m_values[size_t(std::clamp(position, 0, positionCount() - 1))];
}

int LogScale::position(int64_t value) const
{
    const auto it = std::lower_bound(m_values.begin(), m_values.end(), value);
    if (it == m_values.begin())
        return 0;
    if (it == m_values.end())
        return positionCount() - 1;
    const int upper = int(it - m_values.begin());
    if (*it == value)
        return upper;
    // Nearer on the log scale: compare ratios, not differences.
    const double below = double(value) / double(*(it - 1));
    const double above = double(*it) / double(value);
    return below <= above ? upper - 1 : upper;
}

std::vector<TimelineBucket> downsampleTimeline(const std::vector<TimelineStep>& steps, int maxBuckets)
{
    std::vector<TimelineBucket> buckets;
    const int n = int(steps.size());
    if (n == 0)
        return buckets;
    const int count = std::clamp(maxBuckets, 1, n);
    buckets.reserve(size_t(count));
    for (int b = 0; b < count; ++b) {
        // Integer boundaries: bucket b covers [b * n / count, (b + 1) * n / count).
        TimelineBucket bucket;
        bucket.firstStep = int(int64_t(b) * n / count);
        bucket.lastStep = int(int64_t(b + 1) * n / count) - 1;
        bucket.maxStep = bucket.firstStep;
        for (int s = bucket.firstStep + 1; s <= bucket.lastStep; ++s) {
            if (steps[size_t(s)].liveBytes > steps[size_t(bucket.maxStep)].liveBytes)
                bucket.maxStep = s;
        }
        buckets.push_back(bucket);
    }
    return buckets;
}

std::vector<PhaseBand> phaseBands(const std::vector<TimelineStep>& steps)
{
    std::vector<PhaseBand> bands;
    for (int s = 0; s < int(steps.size()); ++s) {
        const Phase phase = steps[size_t(s)].phase;
        if (bands.empty() || bands.back().phase != phase)
            bands.push_back({ phase, s, s + 1 });
        else
            bands.back().endStep = s + 1;
    }
    return bands;
}

int stepAtX(double x, int stepCount)
{
    if (!(x >= 0) || x >= double(stepCount)) // !(x >= 0) also refuses NaN
        return -1;
    return int(x);
}

AxisUnit axisUnit(double maximum, bool bytes)
{
    static const char* const byteUnits[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    static const char* const countUnits[] = { "", "k", "M", "G", "T", "P" };
    const double base = bytes ? 1024.0 : 1000.0;
    AxisUnit unit;
    int u = 0;
    while (maximum >= base && u < 5) {
        maximum /= base;
        unit.divisor *= base;
        ++u;
    }
    unit.name = QString::fromLatin1(bytes ? byteUnits[u] : countUnits[u]);
    return unit;
}

double niceInterval(double range, int targetTicks)
{
    if (!(range > 0) || targetTicks < 1)
        return 1;
    const double raw = range / targetTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    const double nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
    return nice * magnitude;
}

void setAxisRange(QValueAxis* axis, double maximum, double interval, double minimum)
{
    if (interval >= axis->tickInterval()) {
        axis->setTickInterval(interval);
        axis->setRange(minimum, maximum);
    } else {
        axis->setRange(minimum, maximum);
        axis->setTickInterval(interval);
    }
    axis->setTickAnchor(0);
    axis->setTickType(QValueAxis::TicksDynamic);
}

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

std::vector<RooflinePoint> rooflinePoints(const AnalysisResult& result, const PerformanceEstimate& performance,
                                          int* skipped)
{
    std::vector<RooflinePoint> points;
    int without = 0;
    const size_t n = std::min(result.layers.size(), performance.layers.size());
    for (size_t i = 0; i < n; ++i) {
        const LayerPerformance& p = performance.layers[i];
        if (!(p.intensity > 0) || !(p.attainedFlops > 0)) {
            ++without;
            continue;
        }
        points.push_back({ int(i), result.layers[i].node, p.intensity, p.attainedFlops, p.computeBound });
    }
    if (skipped)
        *skipped = without;
    return points;
}

LogRange logRange(double low, double high)
{
    if (!(low > 0) || !(high > 0))
        return {};
    // A point within a fifth of a decade of the frame is pushed inside by one more decade.
    const double margin = std::log10(1.6);
    LogRange range;
    range.minimum = std::pow(10.0, std::floor(std::log10(low) - margin));
    range.maximum = std::pow(10.0, std::ceil(std::log10(high) + margin));
    return range;
}

QString configLabel(const Model& model, const AnalysisResult& result, const AnalysisConfig& config)
{
    QStringList parts;
    for (int in : model.graph.inputs) {
        if (size_t(in) < result.shapes.tensors.size() && !result.shapes.tensors[size_t(in)].dims.empty()) {
            parts << tr("batch %1").arg(result.shapes.tensors[size_t(in)].dims[0]);
            break;
        }
    }
    for (const auto& [name, value] : config.shapes.dims)
        parts << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value);
    if (config.shapes.height && config.shapes.width)
        parts << QStringLiteral("%1x%2").arg(*config.shapes.height).arg(*config.shapes.width);
    parts << (config.precision == Precision::Model ? tr("model precision") : QString::fromLatin1(precisionName(config.precision)));
    if (config.training.mode == Mode::Training)
        parts << tr("training (%1)").arg(QString::fromLatin1(optimizerName(config.training.optimizer)));
    else
        parts << tr("inference");
    return parts.join(QStringLiteral(", "));
}

std::vector<TracePoint> traceOnSteps(const MemoryTrace& trace, int stepCount, int maxPoints)
{
    std::vector<TracePoint> points;
    const size_t n = std::min(trace.seconds.size(), trace.bytes.size());
    if (n == 0 || stepCount <= 0)
        return points;
    const double first = trace.seconds.front();
    const double span = trace.seconds[n - 1] - first;
    const auto xOf = [&](size_t i) {
        // Samples without a usable clock are spread evenly instead.
        if (!(span > 0))
            return n == 1 ? 0.5 * stepCount : double(i) * stepCount / double(n - 1);
        return std::clamp((trace.seconds[i] - first) / span, 0.0, 1.0) * stepCount;
    };
    if (maxPoints <= 0 || int64_t(n) <= int64_t(maxPoints)) {
        points.reserve(n);
        for (size_t i = 0; i < n; ++i)
            points.push_back({ xOf(i), trace.bytes[i] });
        return points;
    }
    // Slots of equal width in x; each keeps its lowest and highest sample, in time order.
    const int slotCount = std::max(1, maxPoints / 2);
    size_t i = 0;
    while (i < n) {
        const int slot = std::min(slotCount - 1, int(xOf(i) / stepCount * slotCount));
        size_t low = i, high = i;
        size_t j = i + 1;
        for (; j < n && std::min(slotCount - 1, int(xOf(j) / stepCount * slotCount)) == slot; ++j) {
            if (trace.bytes[j] < trace.bytes[low])
                low = j;
            if (trace.bytes[j] > trace.bytes[high])
                high = j;
        }
        const size_t a = std::min(low, high), b = std::max(low, high);
        points.push_back({ xOf(a), trace.bytes[a] });
        if (b != a)
            points.push_back({ xOf(b), trace.bytes[b] });
        i = j;
    }
    return points;
}

} // namespace fp

#include "chartmapping.h"

#include <QCoreApplication>
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

std::vector<double> timeShares(const AnalysisResult& result, const Device* device, Precision precision)
{
    int column = 0; // fp32, also for the model's own types: most exports store fp32
    switch (precision) {
    case Precision::FP16:
        column = 1;
        break;
    case Precision::BF16:
        column = 2;
        break;
    case Precision::INT8:
        column = 3;
        break;
    case Precision::FP32:
    case Precision::Model:
        break;
    }
    double peak = 0;
    double bandwidth = 0;
    if (device) {
        peak = device->peakFlops[column] > 0 ? device->peakFlops[column] : device->peakFlops[0];
        bandwidth = device->bandwidthBytesPerSecond;
    }
    const bool roofline = peak > 0 && bandwidth > 0;

    std::vector<double> shares(result.layers.size(), 0.0);
    double total = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
        const LayerResult& layer = result.layers[i];
        double t = double(layer.flops);
        if (roofline)
            t = std::max(double(layer.flops) / peak, (double(layer.readBytes) + double(layer.writeBytes)) / bandwidth);
        shares[i] = t;
        total += t;
    }
    if (total > 0) {
        for (double& share : shares)
            share /= total;
    }
    return shares;
}

} // namespace fp

#pragma once

// The arithmetic behind the charts and the controls, kept out of the views so that it is tested
// with plain numbers (hotspot's TimeLineData does the same for its delegate): the colour of each
// memory category, log-scale slider steps, the downsampling of long timelines, the ranking of
// layers for the bar chart, axis units, and the per-layer time estimate of the layer table.

#include "analysis.h"
#include "devices.h"

#include <QColor>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

class QValueAxis;

namespace fp {

// One colour per memory category, shared by the timeline, the bars and the summary's peak bar,
// so that a legend read in one view holds in all of them. Red is left out on purpose: it means
// "over the device's memory".
QColor categoryColor(Category category);
// "Weights", "Saved activations": the category as the legend names it.
QString categoryLabel(Category category);

// Bottom to top in stacked charts: what stays resident for the whole step first (the runtime's
// context, weights, optimizer state, gradients, inputs), then what comes and goes, so the
// moving part sits on a flat base and the eye follows one edge.
constexpr std::array<Category, kCategoryCount> kStackOrder = {
    Category::Runtime,          Category::Weights,     Category::OptimizerState, Category::Gradients,
    Category::Inputs,           Category::SavedActivations, Category::Activations, Category::Workspace,
};

// Integer values spread evenly on a log scale between two bounds, for a slider whose positions
// index them: a batch slider from 1 to 4096 moves by one at the low end and by about 9% at the
// high end, so both ends are reachable by dragging. Duplicates from rounding are dropped, so no
// two positions give the same value.
class LogScale {
public:
    explicit LogScale(int64_t minimum = 1, int64_t maximum = 4096, int stepsPerDoubling = 8);

    int64_t minimum() const { return m_values.front(); }
    int64_t maximum() const { return m_values.back(); }
    int positionCount() const { return int(m_values.size()); }
    // The value at a slider position (clamped to the range).
    int64_t value(int position) const;
    // The position whose value is nearest to `value` on the log scale; values outside the range
    // go to the ends.
    int position(int64_t value) const;

private:
    std::vector<int64_t> m_values;
};

// A run of timeline steps drawn as one column: the step with the largest live total stands for
// the whole bucket, so a downsampled chart still shows the true peak (and a stacked chart stays
// consistent: its categories add up to a real step's total, not to per-category maxima taken
// from different steps).
struct TimelineBucket {
    int firstStep = 0;
    int lastStep = 0; // inclusive
    int maxStep = 0; // the step drawn
};

// At most `maxBuckets` buckets of consecutive steps, as even as integer division allows; one
// bucket per step when the timeline is short enough.
std::vector<TimelineBucket> downsampleTimeline(const std::vector<TimelineStep>& steps, int maxBuckets);

// A maximal run of steps in one phase: [firstStep, endStep).
struct PhaseBand {
    Phase phase = Phase::Forward;
    int firstStep = 0;
    int endStep = 0;
};
std::vector<PhaseBand> phaseBands(const std::vector<TimelineStep>& steps);

// The step under a chart x coordinate, with step i drawn over [i, i + 1); -1 outside the timeline.
int stepAtX(double x, int stepCount);

// A unit for an axis: values are divided by `divisor` and the axis is titled with `name`, so
// the ticks read "2, 4, 6 GiB" rather than "2e9".
struct AxisUnit {
    double divisor = 1;
    QString name; // "B", "KiB", "MiB", "GiB", "TiB" or "", "k", "M", "G", "T"
};
// Binary units for bytes, decimal for counts, chosen so that `maximum` reads as 1 to 1024.
AxisUnit axisUnit(double maximum, bool bytes);

// A tick interval of 1, 2 or 5 times a power of ten, near range / targetTicks: ticks at round
// numbers ("0, 5, 10 GiB", not "0, 4.4459, 8.8918").
double niceInterval(double range, int targetTicks);

// Sets an axis to [minimum, maximum] with ticks every `interval` (at its multiples), in the
// order that never asks for more ticks than either setting: a range of 3,000 steps with the
// interval of a 1-step range would lay out 30,000 tick items for a moment, which takes seconds.
void setAxisRange(QValueAxis* axis, double maximum, double interval, double minimum = 0);

// What the per-layer bar chart ranks layers by.
enum class LayerMetric {
    Memory, // weights, activations, saved activations and gradients, stacked
    ActivationBytes, // the layer's outputs
    WeightBytes, // its weights (with their gradients in training)
    SavedBytes, // what its backward pass keeps (memory.savedBytesByNode)
    Macs,
    ReadWriteBytes, // bytes read (inputs and weights) plus bytes written
};
constexpr int kLayerMetricCount = 6;
QString layerMetricLabel(LayerMetric metric);
// Whether the metric is in bytes (the axis then uses binary units).
bool layerMetricIsBytes(LayerMetric metric);

// One stacked part of every bar: a memory category, or "read"/"written" for the traffic metric.
struct BarSegment {
    QString label;
    QColor color;
};

// One bar: a layer, or the rest of them summed ("other").
struct LayerBar {
    int layer = -1; // index into AnalysisResult::layers; -1 for the "other" bar
    int node = -1; // graph node; -1 for "other"
    int layerCount = 1; // layers summed into this bar
    std::vector<double> values; // one per segment
    double total = 0;
};

enum class BarOrder { Largest, Execution };

struct LayerRanking {
    std::vector<BarSegment> segments;
    std::vector<LayerBar> bars; // top N in the chosen order, then "other" if any layer is left
    double maximum = 0; // the longest bar (for the axis)
};

// The top `count` layers by `metric` (the sum of its segments), in `order`, with every other
// layer summed in a last "other" bar (left out when it is zero). Segments that would be zero
// for every layer in this mode (gradients and saved activations in inference) are left out,
// so the legend names only what is drawn. Ties keep execution order, so equal bars do not
// swap places from one slider step to the next.
LayerRanking rankLayers(const AnalysisResult& result, LayerMetric metric, int count, BarOrder order = BarOrder::Largest);

// Each layer's share of the model's run time, a rough estimate: max(FLOPs / peak FLOP/s,
// bytes moved / bandwidth) on `device` at `precision` (a roofline without efficiency
// factors), or the layer's share of FLOPs when there is no device or the device gives no
// figures. Shares add up to 1 unless every layer is zero. Parallel to result.layers.
std::vector<double> timeShares(const AnalysisResult& result, const Device* device, Precision precision);

} // namespace fp

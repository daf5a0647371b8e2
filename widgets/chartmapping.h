#pragma once

// The arithmetic behind the charts and the controls, kept out of the views so that it is tested
// with plain numbers (hotspot's TimeLineData does the same for its delegate): the colour of each
// memory category, log-scale slider steps, the downsampling of long timelines, the ranking of
// layers for the bar chart, axis units, roofline points and the placing of a measured trace on the timeline.

#include "analysis.h"
#include "devices.h"
#include "formatting.h"
#include "performance.h"
#include "traces.h"

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

// --- the roofline and the timeline's overlays --------------------------------------------

// One layer under the roofline: where it sits (FLOPs per byte moved, FLOPs per second reached
// on the device) and which roof holds it down.
struct RooflinePoint {
    int layer = -1; // index into AnalysisResult::layers (and PerformanceEstimate::layers)
    int node = -1;
    double intensity = 0; // FLOP / byte
    double attainedFlops = 0; // FLOP / s
    bool computeBound = false;
};

// The layers that can sit on a log-log roofline: those with FLOPs and bytes moved. The rest
// (views, shape arithmetic) have no intensity and are counted in `skipped`.
std::vector<RooflinePoint> rooflinePoints(const AnalysisResult& result, const PerformanceEstimate& performance,
                                          int* skipped = nullptr);

// Whole decades around [low, high] for a log axis, with a little room so that nothing sits on
// the frame: [0.3, 60] -> [0.1, 100], but [0.3, 82] -> [0.1, 1000] (82 is within a factor 1.6 of 100).
struct LogRange {
    double minimum = 1;
    double maximum = 10;
};
LogRange logRange(double low, double high);

// "batch 8, fp16, training (adam)": what a configuration is, for a legend. The batch is the one
// `result` used (dim 0 of the first graph input), whether set or the model's own.
QString configLabel(const Model& model, const AnalysisResult& result, const AnalysisConfig& config);

// A measured trace's samples placed on the timeline's step axis. The trace knows seconds, the
// estimate knows steps, and neither knows the other's clock, so the trace's span (first to last
// sample) is stretched over the steps [0, stepCount]: both start together and end together.
// Beyond `maxPoints` samples, each run of samples sharing a slot is drawn as its lowest and
// highest (in the order they came), so the measured peak survives.
struct TracePoint {
    double x = 0; // in steps
    int64_t bytes = 0;
};
std::vector<TracePoint> traceOnSteps(const MemoryTrace& trace, int stepCount, int maxPoints);

} // namespace fp

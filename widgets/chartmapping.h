#pragma once

// The arithmetic behind the charts and the controls, kept out of the views so that it is tested
// with plain numbers (hotspot's TimeLineData does the same for its delegate). This header holds
// what the charts share (the colour of each memory category, log-scale slider steps, axis units)
// and gathers each chart's own part: chartmapping_timeline.h (downsampling, phases, measured
// traces), chartmapping_bars.h (the ranking of layers) and chartmapping_roofline.h.

#include "analysis.h"
#include "chartmapping_bars.h"
#include "chartmapping_roofline.h"
#include "chartmapping_timeline.h"
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

namespace chartmapping {
// The charts' texts, translated in one context ("fp::ChartMapping") whichever file they are in.
QString tr(const char* text);
} // namespace chartmapping

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

} // namespace fp

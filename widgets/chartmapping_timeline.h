#pragma once

// The timeline's arithmetic (chartmapping.h gathers it with the other charts'): the downsampling
// of long timelines, the phases' bands, the step under the mouse, the pinned comparison's legend
// and the placing of a measured trace on the step axis.

#include "analysis.h"
#include "traces.h"

#include <QString>

#include <vector>

namespace fp {

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

// The steps of a generation drawn (indices into its per-step peaks, GenerationPlan::
// stepPeakBytes): all of them when there are at most `maxPoints`; else step 0 (the prefill), the
// last step, and between them each run of steps sharing one of (maxPoints - 2) / 2 slots as its
// lowest and highest, in order. The highest step is always among them, so the peak survives,
// and a plan of 32k tokens (or of 2^24, the plan's own cap) draws a few thousand points.
std::vector<int> decimateSteps(const std::vector<int64_t>& values, int maxPoints);

// A maximal run of steps in one phase: [firstStep, endStep).
struct PhaseBand {
    Phase phase = Phase::Forward;
    int firstStep = 0;
    int endStep = 0;
};
std::vector<PhaseBand> phaseBands(const std::vector<TimelineStep>& steps);

// The step under a chart x coordinate, with step i drawn over [i, i + 1); -1 outside the timeline.
int stepAtX(double x, int stepCount);

// The generation step under a chart x coordinate, with the prefill (step 0) drawn left of the
// split at x = 0.5 and decode step t around x = t; -1 past the last step or for no number.
int generationStepAtX(double x, int stepCount);

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

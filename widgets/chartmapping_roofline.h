#pragma once

// The roofline's arithmetic (chartmapping.h gathers it with the other charts'): where each layer
// sits and the decades of the log axes.

#include "analysis.h"
#include "performance.h"

#include <vector>

namespace fp {

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

} // namespace fp

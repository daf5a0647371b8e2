#pragma once

// Two analyses side by side (issue 19): two models, or two configurations of one. Layers are
// matched by name (which carries the exporter's scope, "/layer1/layer1.0/conv1/Conv"): a name on
// both sides is the same layer, on one side only an added or removed one.

#include "analysis.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fp {

struct LayerSide {
    bool present = false;
    int step = -1; // forward step in its analysis
    std::string op;
    int64_t memoryBytes = 0; // layerMemoryBytes: weights and outputs (plus what training keeps)
    int64_t weightBytes = 0;
    int64_t outputBytes = 0;
    int64_t params = 0;
    int64_t macs = 0;
};

struct LayerDiff {
    enum class Status { Same, Changed, Added, Removed };
    std::string name;
    Status status = Status::Same;
    LayerSide a, b;
    int64_t memoryChange() const { return b.memoryBytes - a.memoryBytes; } // absent sides count 0
};

const char* layerDiffStatusName(LayerDiff::Status status);

// A difference B - A as footprint-cli diff and the window's comparison write it: "+52.75 MiB",
// "-610.00 KiB", "+13.83 M" (formatBytes and formatCount with a sign), "0" for none.
std::string formatBytesChange(int64_t change);
std::string formatCountChange(int64_t change);

// Every layer of A in A's order, then B's layers that A lacks, sorted by the size of the change
// in memory, largest first (ties in A's, then B's, order). Same: equal memory, weights, outputs,
// parameters and MACs.
std::vector<LayerDiff> diffLayers(const Model& a, const AnalysisResult& ra, const Model& b, const AnalysisResult& rb);

} // namespace fp

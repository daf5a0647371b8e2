#pragma once

// Device presets (resources/devices.json, compiled in; users can load their own file) and the
// search for the largest batch whose peak memory fits a budget.

#include "analysis.h"

#include <optional>
#include <string>
#include <vector>

namespace fp {

struct Device {
    std::string name;
    std::string kind; // datacenter, workstation, consumer, edge
    bool gpu = true; // runs PyTorch on CUDA (the default runtime profile follows it)
    int64_t memoryBytes = 0;
    double bandwidthBytesPerSecond = 0;
    double peakFlops[4] = { 0, 0, 0, 0 }; // fp32, fp16, bf16, int8 (ops per second)
};

// Parses a presets file's text; throws ModelError-like std::runtime_error with a reason.
std::vector<Device> parseDevices(const std::string& json);
const std::vector<Device>& builtinDevices();
// Case-insensitive match on the name; nullptr if none.
const Device* findDevice(const std::vector<Device>& devices, const std::string& name);

// "24GiB", "80GB", "512 MiB", "1.5TiB", or plain bytes. Empty on a malformed size.
std::optional<int64_t> parseByteSize(const std::string& text);

struct BatchFit {
    int64_t maxBatch = 0; // 0: not even batch 1 fits
    int64_t peakAtMax = 0; // peak bytes at maxBatch
    int analyses = 0; // how many analyses the search ran
    bool hitLimit = false; // maxBatch is the search limit, not a memory bound
    // Tensors of unknown shape were left out of the peaks searched on: maxBatch may not fit.
    bool peakIsLowerBound = false;
};

// The largest batch whose peak (in config's mode) is at most `budgetBytes` (with gradient
// accumulation, the largest micro-batch at the same number of micro-batches), found exactly by
// analysing candidate batches. The peak is piecewise linear in the batch, so a secant step
// usually lands on the answer, and a bisection guarantees the bracket closes.
BatchFit largestBatchThatFits(const Model& model, AnalysisConfig config, int64_t budgetBytes,
                              int64_t limit = int64_t(1) << 20);

} // namespace fp

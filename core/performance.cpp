#include "performance.h"

#include <algorithm>

namespace fp {

int precisionIndex(Precision precision)
{
    switch (precision) {
    case Precision::FP16: return 1;
    case Precision::BF16: return 2;
    case Precision::INT8:
    case Precision::INT4: return 3; // int4 kernels compute in int8 (or dequantize to fp16)
    case Precision::Model:
    case Precision::FP32: return 0;
    }
    return 0;
}

int peakPrecisionIndex(const Device& device, Precision precision)
{
    const int p = precisionIndex(precision);
    return device.peakFlops[p] > 0 ? p : 0;
}

PerformanceEstimate estimatePerformance(const AnalysisResult& result, const AnalysisConfig& config,
                                        const PerformanceConfig& performance)
{
    PerformanceEstimate e;
    // Energy follows the arithmetic's own width; the time, the units that run it.
    // Autocast runs the matrix products, which dominate the time, in its low precision.
    // "As stored" computes in the weights' own type: an fp16 export runs on the FP16 roof.
    const Precision chosen = config.precision == Precision::Model ? result.storedPrecision : config.precision;
    const Precision compute = config.training.recipe.autocast.value_or(chosen);
    const int p = precisionIndex(compute);
    e.peakPrecision = peakPrecisionIndex(performance.device, compute);
    e.peakFlops = performance.device.peakFlops[e.peakPrecision] * performance.efficiency;
    e.bandwidth = performance.device.bandwidthBytesPerSecond * performance.efficiency;
    // Training: forward, and a backward of two forwards' work (the gradients of inputs and of
    // weights), plus one more forward where a checkpoint segment reruns it; once per micro-batch.
    const bool training = config.training.mode == Mode::Training;
    const double microBatches = training ? double(result.memory.accumulationSteps) : 1.0;
    const std::vector<bool>& recomputed = result.memory.recomputed;
    const EnergyCosts& costs = performance.energy;
    e.layers.reserve(result.layers.size());
    for (const LayerResult& l : result.layers) {
        LayerPerformance lp;
        const bool rerun = size_t(l.node) < recomputed.size() && recomputed[size_t(l.node)];
        const double passes = (training ? (rerun ? 4.0 : 3.0) : 1.0) * microBatches;
        const double flops = double(l.flops) * passes;
        const double bytes = (double(l.readBytes) + double(l.writeBytes)) * passes;
        const double computeTime = e.peakFlops > 0 ? flops / e.peakFlops : 0;
        const double memoryTime = e.bandwidth > 0 ? bytes / e.bandwidth : 0;
        lp.seconds = std::max(computeTime, memoryTime);
        lp.computeBound = computeTime >= memoryTime && flops > 0;
        lp.intensity = bytes > 0 ? flops / bytes : 0;
        lp.attainedFlops = lp.seconds > 0 ? flops / lp.seconds : 0;
        const double macs = double(l.macs) * passes;
        const double otherFlops = std::max(0.0, flops - 2 * macs);
        const double picojoules = macs * costs.macPicojoules[p] + otherFlops * costs.flopPicojoules[p]
            + bytes * costs.dramBytePicojoules;
        lp.joules = picojoules * costs.scale * 1e-12;
        e.seconds += lp.seconds;
        e.joules += lp.joules;
        e.layers.push_back(lp);
    }
    return e;
}

} // namespace fp

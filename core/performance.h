#pragma once

// Latency and energy estimates per layer on a device: a roofline for time, and per-operation
// and per-byte energy costs (Horowitz, ISSCC 2014, 45 nm) for energy.

#include "analysis.h"
#include "devices.h"

#include <vector>

namespace fp {

// Energy of one operation or byte moved, in picojoules. The defaults are Horowitz's 45 nm
// figures: an fp32 multiply-add 3.7 + 0.9 pJ, fp16 1.1 + 0.4 pJ, int8 0.2 + 0.03 pJ, and a
// 32-bit DRAM access 640 pJ (160 pJ per byte). `scale` multiplies them all, for other
// process nodes (about 0.3 for 7 nm, say).
struct EnergyCosts {
    double macPicojoules[4] = { 4.6, 1.5, 1.5, 0.23 }; // fp32, fp16, bf16, int8
    double flopPicojoules[4] = { 0.9, 0.4, 0.4, 0.03 }; // other arithmetic: one add
    double dramBytePicojoules = 160.0;
    double scale = 1.0;
};

struct PerformanceConfig {
    Device device;
    // Share of the roofs a real kernel attains: compute and memory bandwidth alike.
    double efficiency = 0.75;
    EnergyCosts energy;
};

struct LayerPerformance {
    double seconds = 0;
    double joules = 0;
    double intensity = 0; // FLOPs per byte moved
    double attainedFlops = 0; // FLOPs per second reached
    bool computeBound = false;
};

struct PerformanceEstimate {
    std::vector<LayerPerformance> layers; // parallel to AnalysisResult::layers
    double seconds = 0; // inference: the forward pass; training: forward and backward
    double joules = 0;
    double peakFlops = 0; // the roofs used, after the efficiency factor
    double bandwidth = 0;
    int peakPrecision = 0; // the column of Device::peakFlops used (see precisionIndex)

    // Whether the device gave both roofs: without them there are no times, only energy.
    bool hasRoofline() const { return peakFlops > 0 && bandwidth > 0; }
    // The roofline's ridge: the arithmetic intensity (FLOPs per byte) where the bandwidth slope
    // meets the compute ceiling; layers below it are memory-bound.
    double ridgeIntensity() const { return bandwidth > 0 ? peakFlops / bandwidth : 0; }
    // Layer `i`'s share of the total time (the seeds' "duration %"); 0 without a roofline.
    double timeShare(size_t i) const { return seconds > 0 ? layers[i].seconds / seconds : 0; }
};

// Which of the device's peaks applies: the precision chosen, or the model's own float type.
int precisionIndex(Precision precision);
// The column of `device.peakFlops` a run at `precision` is held to: the precision's own, or fp32
// where the device gives no figure for it (a V100 has no bf16 units; it runs bf16 at fp32 rate).
int peakPrecisionIndex(const Device& device, Precision precision);

// Training costs each layer three times its forward work (the backward pass computes the
// gradients of inputs and of weights, each about one forward's worth), four times in a checkpoint
// segment (its forward reruns), and that once per micro-batch.
PerformanceEstimate estimatePerformance(const AnalysisResult& result, const AnalysisConfig& config,
                                        const PerformanceConfig& performance);

} // namespace fp

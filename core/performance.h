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
};

// Which of the device's peaks applies: the precision chosen, or the model's own float type.
int precisionIndex(Precision precision);

// Training costs each layer three times its forward work (the backward pass computes the
// gradients of inputs and of weights, each about one forward's worth).
PerformanceEstimate estimatePerformance(const AnalysisResult& result, const AnalysisConfig& config,
                                        const PerformanceConfig& performance);

} // namespace fp

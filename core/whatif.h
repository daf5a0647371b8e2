#pragma once

// What-ifs that search over configurations (issue 19). Quantize to fit is seed 004's planned next
// step, "try quantization in order of activation size, largest first": one layer at a time is
// lowered to int8 (its outputs and the weights it reads), the largest first, until the peak fits.

#include "analysis.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fp {

enum class QuantizeOrder { Activations, Weights };

const char* quantizeOrderName(QuantizeOrder order);
std::optional<QuantizeOrder> parseQuantizeOrder(const std::string& name);

struct QuantizationStep {
    std::string layer; // the node's name, which its --layer-precision rule names
    Precision precision = Precision::INT8;
    int64_t peakBytes = 0; // the peak once this layer and every one before it are lowered
};

struct QuantizationPlan {
    QuantizeOrder order = QuantizeOrder::Activations;
    int64_t budgetBytes = 0;
    int64_t startPeakBytes = 0; // before any change
    std::vector<QuantizationStep> steps; // up to the first that fits (none when the start fits)
    bool fits = false;
    // Not even every candidate layer at the target fits: its peak then (steps is empty).
    int64_t allLoweredPeakBytes = 0;
    int candidates = 0; // layers that can be lowered (floating outputs of their own, or weights)
    int analyses = 0;
    AnalysisConfig config; // `config` with the plan's layer precisions
};

// Plans at `config` against `budgetBytes`. Layers are ranked by the bytes of their outputs
// (Activations, seed 004's order) or of the weights they read first (Weights), largest first;
// views and layers already at `target` or below are skipped. Analyses: one for the start, one
// with every candidate lowered (when even that does not fit, the plan stops there), one per step.
QuantizationPlan quantizeToFit(const Model& model, const AnalysisConfig& config, int64_t budgetBytes,
                               QuantizeOrder order = QuantizeOrder::Activations, Precision target = Precision::INT8);

} // namespace fp

#pragma once

// analyze(model, config): shapes, per-layer costs and the inference memory plan for one
// configuration. A pure function: cheap enough to rerun on every slider move.

#include "config.h"
#include "graph.h"
#include "memory.h"
#include "shapes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fp {

// One node's figures. Weights are attributed to the first node that uses them, so columns sum
// to the model totals.
struct LayerResult {
    int node = -1; // index into Graph::nodes
    int64_t params = 0; // trainable weights (floating-point initializers and Constant tensors)
    int64_t buffers = 0; // non-trainable state such as BatchNorm running statistics
    int64_t weightBytes = 0; // storage of the params, buffers and other constants first used here
    int64_t macs = 0;
    int64_t flops = 0;
    int64_t readBytes = 0; // inputs, weights included
    int64_t writeBytes = 0;
    int64_t outputBytes = 0; // activation size (views of their input count here too)
    bool costKnown = true; // the operator has a cost formula
    bool shapesKnown = true; // every input and output shape was resolved
};

struct Totals {
    int64_t params = 0;
    int64_t buffers = 0;
    int64_t paramBytes = 0; // storage: every weight, buffer and constant at the chosen precision
    int64_t macs = 0;
    int64_t flops = 0;
    int64_t activationBytes = 0; // sum of all node outputs (torchsummary's "forward pass size")
    int64_t inputBytes = 0;
    int64_t readBytes = 0;
    int64_t writeBytes = 0;
    int64_t peakBytes = 0; // the peak of the chosen mode (memory.peakBytes)
    int peakStep = -1; // index into memory.timeline (equal to the layer index in inference)
    int64_t peakActivationBytes = 0; // the peak less weights and optimizer state
};

// torchsummary's estimate (seed 002), reproduced for comparison with the peak. torchsummary hooks
// modules and adds up their outputs: the "forward pass size", doubled for the backward pass,
// plus the input and the trainable parameters. An exported graph names a module's nodes with its
// scope ("/conv1/Conv") and leaves functional calls unscoped ("/Relu_1"), so the modules' outputs
// are what the innermost scopes hand to other nodes. Without scopes (hand-built or non-PyTorch
// graphs) every node's output is counted, and `rule` says so.
struct TorchsummaryEstimate {
    enum class Rule { ModuleOutputs, EveryNodeOutput };
    Rule rule = Rule::EveryNodeOutput;
    int modules = 0; // module calls counted (ModuleOutputs)
    int64_t inputBytes = 0;
    int64_t forwardBytes = 0; // torchsummary's "forward pass size"
    int64_t paramBytes = 0; // trainable parameters at the chosen precision
    int64_t totalBytes = 0; // input + 2 x forward + parameters
};
// "the outputs of 23 module calls (torchsummary's hooks)" or why every output was counted.
std::string torchsummaryRuleText(const TorchsummaryEstimate& estimate);

struct AnalysisResult {
    AnalysisConfig config; // what it was computed for
    ShapeResult shapes; // per value of the main graph
    std::vector<LayerResult> layers; // in execution order
    Totals totals;
    TorchsummaryEstimate torchsummary;
    MemoryPlan memory; // the timeline of the chosen mode, its peak and what is live there
    std::vector<std::string> unknownShapes; // tensors whose shape stayed unknown
    std::vector<std::string> unsupportedOps; // operator types without a cost formula
    std::vector<std::string> warnings;
    // Training asked of what looks like an eval-mode export: what the estimate leaves out (also
    // the first warning). Empty otherwise.
    std::string evalExportCaveat;
    std::vector<int> tiedCopies; // per value: the weight it is a stored copy of, or -1 (see tiedWeightCopies)
    // The precision the model's floating-point weights are stored in, by bytes (FP16 for an fp16
    // export): what Precision::Model computes in, and so the roof its time is taken under.
    Precision storedPrecision = Precision::FP32;
    // Per graph value, the precision its bytes are counted at where --layer-precision applies
    // (valuePrecisions); empty without layer precisions.
    std::vector<Precision> valuePrecisions;
    Precision precisionOf(int value) const
    {
        return value >= 0 && size_t(value) < valuePrecisions.size() ? valuePrecisions[size_t(value)] : config.precision;
    }
};

AnalysisResult analyze(const Model& model, const AnalysisConfig& config);

// What a node's input is to a quantized kernel. Weight: a weight stored in fewer bits than it
// computes in (MatMulNBits' packed K x N, GatherBlockQuantized's packed table, the weight a
// DequantizeLinear reads, the int8 weights of QLinearConv, QLinearMatMul, MatMulInteger,
// ConvInteger and their com.microsoft kin), counted as its logical elements. QuantParam: its
// scales and zero points, stored but not parameters (buffers).
struct QuantizedInput {
    enum class Role { None, Weight, QuantParam };
    Role role = Role::None;
    int64_t params = 0; // a Weight's logical elements (packed 4-bit bytes hold two)
    int bits = 0; // a Weight's bits per element
    int64_t blockSize = 0; // elements per scale along the quantized axis; 0: per tensor or per axis
};
// `t` is the input's tensor (its packed shape); null where unknown.
QuantizedInput quantizedInput(const Node& node, size_t inputIndex, const TensorInfo* t);

// Weights stored twice by the exporter: a language model's output projection tied to its token
// embedding is written as a transposed copy ("onnx::MatMul_675" [768, 50257] beside
// "wte.weight" [50257, 768]). The copy is in the file but is one parameter in the model.
// Returns, per value, the original weight's value index for such copies and -1 elsewhere.
std::vector<int> tiedWeightCopies(const Graph& graph);

} // namespace fp

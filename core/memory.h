#pragma once

// The memory plan: what is live at every step of inference (the forward pass) or of one
// training step (forward, backward in reverse order, optimizer step), broken down by category.

#include "config.h"
#include "graph.h"
#include "shapes.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace fp {

// Runtime is what a calibration file adds: the framework's context (CUDA's, say).
enum class Category { Weights, Gradients, OptimizerState, SavedActivations, Activations, Workspace, Inputs, Runtime };
constexpr int kCategoryCount = 8;
using CategoryBytes = std::array<int64_t, kCategoryCount>;

// Recompute: a checkpointed segment's forward, run again in the backward pass just before its
// gradients (torch.utils.checkpoint).
enum class Phase { Forward, Backward, Optimizer, Recompute };

const char* categoryName(Category c);
const char* phaseName(Phase p);

// Bytes per element of a tensor of `dtype` under the chosen precision.
int elementBytes(DType dtype, Precision precision);
// Bits per element under the chosen precision (4 for INT4, and for the packed 4-bit types).
int elementBits(DType dtype, Precision precision);
// Bytes of a tensor under the chosen precision (4-bit elements two to a byte); 0 while its shape
// is unknown.
int64_t tensorBytes(const TensorInfo& t, Precision precision);
// Per graph value, the precision of config.layerPrecisions where one applies: a matched node's
// outputs and the weights it reads; config.precision elsewhere. Empty without layer precisions.
// `ruleMatched`, where given, says per rule whether it matched any node.
std::vector<Precision> valuePrecisions(const Graph& graph, const AnalysisConfig& config,
                                       std::vector<bool>* ruleMatched = nullptr);

// Which weight inputs of a node are stored state rather than parameters: BatchNorm's running mean
// and variance, rotary embeddings' cos and sin caches (RotaryEmbedding, GroupQueryAttention).
bool isBufferInput(const Node& node, size_t inputIndex);

// Whether a node's output is a view of its first input (no new memory: Reshape, Flatten...).
bool isViewOp(const Node& node);

struct TimelineStep {
    int node = -1; // graph node; -1 for the optimizer step
    Phase phase = Phase::Forward;
    int64_t liveBytes = 0;
    CategoryBytes byCategory {};
};

// A buffer live at the peak.
struct LiveBuffer {
    std::string name; // tensor name; "grad(x)" for a gradient, "workspace(node)" and so on
    Category category = Category::Activations;
    int64_t bytes = 0;
    int value = -1; // the tensor's value index where there is one
};

// The steps between which a tensor's storage is held: allocated when step `born` runs, freed
// after step `dies` (a backward step where the tensor is saved for it). A view, or an activation
// applied in place, has no storage of its own: it lives in value `storage`'s, and shares its span.
struct Lifetime {
    int born = -1; // -1: no activation storage (weights, constants, unused values)
    int dies = -1;
    int storage = -1; // the value whose storage holds this one (itself unless a view or in place)
};

struct MemoryPlan {
    std::vector<TimelineStep> timeline;
    std::vector<Lifetime> lifetimes; // per graph value
    int peakStep = -1; // index into timeline
    int64_t peakBytes = 0;
    std::vector<LiveBuffer> liveAtPeak; // largest first

    // Training figures (zero in inference).
    int64_t weightBytes = 0; // parameters and buffers (plus the fp32 master copy in mixed precision)
    int64_t gradientBytes = 0;
    int64_t optimizerBytes = 0;
    int64_t savedActivationBytes = 0; // activations kept for the backward pass, each storage once
    int64_t workspaceBytes = 0; // the largest workspace any step needs
    std::vector<int64_t> savedBytesByNode; // per graph node: what its backward keeps, each storage once

    // The training recipe's figures (config.h's Recipe).
    int64_t trainableParams = 0; // elements of the weights that get a gradient (a tied pair once)
    int64_t hostBytes = 0; // state ZeRO's CPU offload keeps in host memory, per GPU
    int accumulationSteps = 1; // micro-batches per optimizer step (the plan is of one micro-batch)
    int checkpointSegments = 0;
    std::vector<bool> recomputed; // per graph node: its forward runs again in the backward pass
    int64_t castCopyBytes = 0; // autocast: the low-precision weight copies its cache holds
    // --fuse: per value, whether a fused kernel keeps it out of memory (a convolution's output a
    // BatchNorm or ReLU folds into, attention's scores); empty without fusions.
    std::vector<bool> fusedAway;
};

// The memory timeline of one configuration. `order` holds the nodes of `graph` in execution
// order, one forward step each (analyze()'s layers); `shapes` every value's resolved shape (and
// the subgraphs', whose weights are resident too); `tiedCopies` what tiedWeightCopies(graph) returns;
// `valuePrecisions` what valuePrecisions(graph, config) returns.
MemoryPlan planMemory(const Graph& graph, const ShapeResult& shapes, const std::vector<int>& order,
                      const std::vector<int>& tiedCopies, const AnalysisConfig& config,
                      const std::vector<Precision>& valuePrecisions);

} // namespace fp

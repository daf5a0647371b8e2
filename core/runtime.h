#pragma once

// Runtime profiles: every rule of the estimate that depends on the framework and device that
// run the model, in one place per runtime. A profile is a table (resources/runtimes/*.json,
// compiled in) that resources/scripts/calibrate.py measures with micro-benchmarks of single
// layers (seed 000), or that starts from documented behaviour until it is measured:
// - which convolution algorithm a shape gets, and the scratch it takes, forward and backward;
// - the temporaries of other kernels (softmax, norms, matrix products, pooling...);
// - the dropout mask's bytes per element;
// - the allocator's rounding and the runtime's fixed context.

#include "config.h"
#include "graph.h"
#include "shapes.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fp {

enum class Runtime { PyTorchCpu, PyTorchCuda };

const char* runtimeName(Runtime r); // "pytorch-cpu", "pytorch-cuda"
std::optional<Runtime> parseRuntime(const std::string& name);

// A kernel's scratch beyond its inputs and outputs: a sum of coefficient x size in bytes, plus
// the largest of some alternatives (oneDNN reorders whichever of input and output is larger).
// "Columns" are a convolution's unfolded input (im2col): Cin/group x kernel x output pixels.
struct ScratchFormula {
    double input = 0; // the first input
    double output = 0; // the first output
    double weight = 0; // the weight (a convolution's second input)
    double columnsImage = 0; // the columns of one image
    double columnsBatch = 0; // the columns of the whole batch
    int64_t constant = 0;
    std::vector<ScratchFormula> maxOf; // plus the largest of these
};

// The sizes a formula is applied to, in bytes.
struct KernelSizes {
    int64_t input = 0, output = 0, weight = 0, columnsImage = 0, columnsBatch = 0;
};

int64_t applyScratch(const ScratchFormula& f, const KernelSizes& sizes);

// A class of convolutions (one algorithm of the runtime) and its scratch. Every predicate
// given must hold; the profile's first matching rule applies.
struct ConvRule {
    std::string name; // the algorithm, as the profile names it ("onednn-blocked", "im2col-gemm"...)
    std::optional<int> rank; // the ONNX input's rank: 3 for Conv1d, 4 for Conv2d
    std::optional<bool> pointwise, strided, dilated, depthwise, grouped, square;
    std::optional<bool> unitHeight; // a 1-D convolution: rank 3, or an image one pixel high
    // Strides that differ between the axes: (1, 2), (2, 1), or any stride of a Conv1d, which
    // PyTorch runs as 1 x L (oneDNN's backward takes gemm for these, jit for (2, 2))
    std::optional<bool> asymmetricStride;
    // The input is a channels-last view: PyTorch's permute(0, 3, 1, 2) of an NHWC tensor, which
    // an export writes as Transpose(perm = 0,3,1,2) (ConvNeXt's LayerNorm2d before a downsample).
    std::optional<bool> channelsLast;
    std::optional<int64_t> kernelExtentMin, kernelExtentMax; // the kernel's largest side
    std::optional<int64_t> batchMin, batchMax, inChannelsMin, inChannelsMax, outputElementsMax, inputElementsMax;
    ScratchFormula forward, backward;
};

// An operator's scratch. Where given, `weightOperand` must say whether its second input is a
// weight (a Linear layer's MatMul) or computed (attention's q @ k^T), and `broadcast` whether
// its two inputs differ in size (squeeze-and-excitation's channel scale).
struct OpScratch {
    std::optional<bool> weightOperand;
    std::optional<bool> broadcast;
    ScratchFormula forward, backward;
};

// The allocator's rounding and the runtime's fixed context (CUDA's driver and kernels).
struct AllocatorModel {
    int64_t granularityBytes = 1; // every buffer is rounded up to a multiple
    int64_t contextBytes = 0;
    int64_t libraryWorkspaceBytes = 0; // held once the first kernel runs (cuBLAS's workspace)
};

// A node's scratch under a profile: in its forward and in its backward (training).
struct KernelScratch {
    int64_t forward = 0;
    int64_t backward = 0;
};

// torch.autocast's policy on this runtime, by ONNX operator type: which kernels run in the low
// precision (float inputs cast down; a weight's copy cached for the autocast region, and kept
// for backward) and which in fp32 (low-precision inputs cast up). Any other operator follows
// PyTorch's type promotion: its widest floating input of rank 1 or more.
struct AutocastPolicy {
    enum class Class { Lower, Fp32, Promote };
    bool measured = false;
    std::string source;
    std::vector<Precision> dtypes; // the low precisions autocast takes here; none: no policy
    std::set<std::string> lowerPrecision, fp32;
    bool weightCache = true; // casts of a leaf weight that requires grad are made once per region
    std::set<std::string> noLowPrecisionBackward; // operators whose low-precision backward is missing
    // Promoting operators whose fp32 parameters do not widen their activation (BatchNorm's
    // mixed-type kernel): their output takes the activation's precision.
    std::set<std::string> followActivation;

    Class classOf(const std::string& op) const
    {
        return lowerPrecision.count(op) ? Class::Lower : fp32.count(op) ? Class::Fp32 : Class::Promote;
    }
    bool accepts(Precision p) const;
};

struct RuntimeProfile {
    Runtime runtime = Runtime::PyTorchCpu;
    bool measured = false; // false: documented behaviour, not yet measured on this runtime
    std::string source; // how the table was made
    AllocatorModel allocator;
    int dropoutMaskBytesPerElement = 1;
    // PyTorch runs a BatchNorm that an eval export folded into its convolution as a second
    // kernel: one more tensor of the convolution's output size (saved for backward in training).
    bool runsFoldedBatchNorm = false;
    // nn.MultiheadAttention and nn.TransformerEncoderLayer run as PyTorch's library code in
    // inference (findLibraryModules), not as the Python an export spells out.
    bool libraryModules = false;
    std::vector<ConvRule> conv;
    std::map<std::string, OpScratch> ops; // by ONNX operator type
    AutocastPolicy autocast;

    std::string name() const { return runtimeName(runtime); }
    // The scratch of one node, by the first matching convolution rule or its operator's entry.
    // `isWeight` says whether a value is a weight (an initializer or a view of one), and
    // `channelsLastInput` whether a convolution reads a channels-last view (ConvRule::channelsLast).
    KernelScratch scratch(const Node& node, const std::vector<TensorInfo>& tensors, int elementBytes,
                          const std::function<bool(int)>& isWeight, bool channelsLastInput = false) const;
};

// Reads a profile's JSON ("format": "footprint-runtime"); throws std::runtime_error with the reason.
RuntimeProfile parseRuntimeProfile(const std::string& json);

// The compiled-in profile of a runtime (resources/runtimes/<name>.json).
std::shared_ptr<const RuntimeProfile> builtinRuntime(Runtime runtime);

} // namespace fp

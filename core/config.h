#pragma once

// The configuration vocabulary: what an analysis is asked for (shapes, precision, mode,
// optimizer, convolution workspace, calibration), with the names the command line, the window
// and the JSON use for each choice and the parsers of those names.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fp {

struct RuntimeProfile; // runtime.h

// INT4: 4 bits an element, two to a byte (a what-if for weights: GPTQ, AWQ, MatMulNBits).
enum class Precision { Model, FP32, FP16, BF16, INT8, INT4 };

const char* precisionName(Precision p);
std::optional<Precision> parsePrecision(const std::string& name);

struct LayerPrecision {
    std::string pattern;
    Precision precision = Precision::Model;
};

// Fusion what-ifs (--fuse, issue 19). conv-bn and conv-relu fold a BatchNormalization and a
// ReLU (Clip, LeakyRelu) into the convolution before them, as an inference engine does: the
// intermediate tensors are never written. attention runs each softmax(QK^T)V as one kernel,
// FlashAttention-style: the sequence x sequence scores are never stored, and a training step
// recomputes them in its backward.
struct Fusions {
    bool convBn = false;
    bool convRelu = false;
    bool attention = false;
    bool any() const { return convBn || convRelu || attention; }
};
std::string fusionsText(const Fusions& fusions); // "conv-bn,attention"; empty for none
// "conv-bn,conv-relu,attention" (any subset, any order); nullopt for an unknown word.
std::optional<Fusions> parseFusions(const std::string& text);

enum class Mode { Inference, Training };
enum class Optimizer { SGD, Momentum, Adam, AdamW };

// How convolutions are computed, which decides their workspace (seed 003 compares these). The
// default is the runtime profile's choice for each shape; the others are what-ifs.
enum class ConvAlgorithm { Direct, Im2col, FFT, Winograd, FrameworkDefault };

const char* modeName(Mode m);
const char* optimizerName(Optimizer o);
const char* convAlgorithmName(ConvAlgorithm a);
std::optional<Mode> parseMode(const std::string& name);
std::optional<Optimizer> parseOptimizer(const std::string& name);
std::optional<ConvAlgorithm> parseConvAlgorithm(const std::string& name);

// What the user picked: the batch, named symbolic dims, and the image resolution.
struct ShapeConfig {
    std::optional<int64_t> batch; // dim 0 of every graph input (batchAxis: 1 for a time-major RNN input)
    std::map<std::string, int64_t> dims; // symbol -> value, e.g. "sequence" -> 512
    std::optional<int64_t> height, width; // H x W of 4-D image inputs
};

// Measured overheads of the user's own device (resources/scripts/calibrate.py --device writes
// them): a fixed context, and the allocator's rounding of every buffer. They replace the runtime
// profile's figures.
struct Calibration {
    std::string name; // where it came from, shown with the estimate
    int64_t contextBytes = 0;
    int64_t allocationGranularity = 1; // bytes; every buffer is rounded up to a multiple
};

// Reads a calibration file's JSON; throws std::runtime_error with the reason.
Calibration parseCalibration(const std::string& json);

// Where ZeRO's CPU offload puts the sharded state: nowhere, the optimizer's state (with the fp32
// master copy and the gradients it updates from), or that and the parameters (ZeRO-3 only).
enum class Offload { None, Optimizer, Params };
const char* offloadName(Offload o);
std::optional<Offload> parseOffload(const std::string& name);

// How a model is trained, beyond its optimizer (issue 16's recipes). Globs match a node by its
// name or any of its enclosing scopes (graph.h's globMatchesNode).
struct Recipe {
    // torch.autocast's mixed precision (FP16 or BF16): fp32 weights, gradients and optimizer
    // state; the runtime profile's operator lists decide each kernel's precision.
    std::optional<Precision> autocast;
    std::vector<std::string> checkpoint; // each outermost matched scope is recomputed in backward
    std::vector<std::string> freeze; // the weights only matched nodes use get no gradient
    std::vector<std::string> trainOnly; // only the weights matched nodes use get a gradient
    std::optional<int64_t> microBatch; // gradient accumulation: the batch runs in micro-batches
    int dataParallel = 1; // GPUs the state is sharded over (ZeRO); every figure is per GPU
    int zeroStage = 0; // 0 (replicated), 1 (optimizer state), 2 (+ gradients), 3 (+ parameters)
    Offload offload = Offload::None;

    bool freezes() const { return !freeze.empty() || !trainOnly.empty(); }
};

struct TrainingConfig {
    Mode mode = Mode::Inference;
    Optimizer optimizer = Optimizer::Adam;
    ConvAlgorithm workspace = ConvAlgorithm::FrameworkDefault;
    Recipe recipe;
};

// --mode generate (issue 18): a prefill of `prompt` tokens, then `newTokens` decode steps.
struct GenerationConfig {
    int64_t prompt = 0;
    int64_t newTokens = 0;
    // onnxruntime-genai's past_present_share_buffer: the KV cache is allocated once at P + T
    // tokens, and each step's GroupQueryAttention writes into it (--kv-shared-buffer).
    bool sharedBuffer = false;
};

struct AnalysisConfig {
    ShapeConfig shapes;
    Precision precision = Precision::Model; // applied to floating-point weights and activations
    // Per-layer precisions (--layer-precision GLOB=P), the last match winning: a node whose name
    // or an enclosing scope a pattern matches (as --checkpoint and --freeze match) computes at
    // that precision, its outputs and the weights it reads stored so.
    std::vector<LayerPrecision> layerPrecisions;
    Fusions fusions; // --fuse: none by default
    TrainingConfig training; // mode (inference by default), optimizer, convolution workspace
    Calibration calibration; // none by default
    // The runtime profile (runtime.h); null: pytorch-cpu, unless the session's device is a GPU
    // (makeSession then picks pytorch-cuda). An AnalysisResult's config always names one.
    std::shared_ptr<const RuntimeProfile> runtime;
    // Set: a language model's generation is planned beside this analysis, which is then its
    // prefill step (generation.h).
    std::optional<GenerationConfig> generation;
};

} // namespace fp

#include "memory.h"

#include "exportcheck.h"
#include "runtime.h"
#include "saturating.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

namespace fp {

const char* categoryName(Category c)
{
    switch (c) {
    case Category::Weights: return "weights";
    case Category::Gradients: return "gradients";
    case Category::OptimizerState: return "optimizer_state";
    case Category::SavedActivations: return "saved_activations";
    case Category::Activations: return "activations";
    case Category::Workspace: return "workspace";
    case Category::Inputs: return "inputs";
    case Category::Runtime: return "runtime";
    }
    return "activations";
}

const char* phaseName(Phase p)
{
    switch (p) {
    case Phase::Forward: return "forward";
    case Phase::Backward: return "backward";
    case Phase::Optimizer: return "optimizer";
    case Phase::Recompute: return "recompute";
    }
    return "forward";
}

int elementBits(DType dtype, Precision precision)
{
    if (!isFloating(dtype))
        return dtypeBits(dtype);
    switch (precision) {
    case Precision::Model: return dtypeBits(dtype);
    case Precision::FP32: return 32;
    case Precision::FP16:
    case Precision::BF16: return 16;
    case Precision::INT8: return 8;
    case Precision::INT4: return 4;
    }
    return dtypeBits(dtype);
}

int elementBytes(DType dtype, Precision precision)
{
    const int bits = elementBits(dtype, precision);
    return bits == 0 ? 0 : std::max(1, bits / 8); // a 4-bit element is a byte where whole bytes are asked
}

int64_t tensorBytes(const TensorInfo& t, Precision p)
{
    const int64_t n = t.elements();
    if (n < 0)
        return 0;
    const int bits = elementBits(t.dtype, p);
    if (bits == 4)
        return n / 2 + n % 2; // two to a byte
    return satMul(n, bits / 8);
}

std::vector<Precision> valuePrecisions(const Graph& graph, const AnalysisConfig& config, std::vector<bool>* ruleMatched)
{
    if (ruleMatched)
        ruleMatched->assign(config.layerPrecisions.size(), false);
    if (config.layerPrecisions.empty())
        return {};
    std::vector<Precision> precisions(graph.values.size(), config.precision);
    std::vector<bool> set(graph.values.size(), false);
    // Patterns without a star name a node or a scope: looked up, not matched, so quantize-to-fit's
    // hundreds of one-layer rules stay cheap. The last matching rule wins.
    const std::vector<LayerPrecision>& rules = config.layerPrecisions;
    std::unordered_map<std::string, size_t> exact;
    std::vector<size_t> globs;
    for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].pattern.find('*') == std::string::npos)
            exact[rules[i].pattern] = i;
        else
            globs.push_back(i);
    }
    std::vector<std::string> pattern(1);
    for (const Node& node : graph.nodes) {
        std::optional<size_t> last;
        const auto consider = [&](size_t i) {
            last = last ? std::max(*last, i) : i;
            if (ruleMatched)
                (*ruleMatched)[i] = true;
        };
        if (!exact.empty()) {
            if (auto it = exact.find(node.name); it != exact.end())
                consider(it->second);
            std::string scope;
            for (const std::string& part : scopePath(node.name)) {
                scope += '/' + part;
                if (auto it = exact.find(scope); it != exact.end())
                    consider(it->second);
            }
        }
        for (size_t i : globs) {
            pattern[0] = rules[i].pattern;
            if (!matchedScope(pattern, node.name).empty())
                consider(i);
        }
        if (!last)
            continue;
        const Precision chosen = rules[*last].precision;
        for (int out : node.outputs)
            if (out >= 0)
                precisions[size_t(out)] = chosen;
        for (int in : node.inputs) {
            // A weight shared with an unmatched layer is stored at the first matched reader's.
            const Value& v = graph.values[size_t(in >= 0 ? in : 0)];
            if (in >= 0 && (v.isInitializer || v.isConstantNode) && !set[size_t(in)]) {
                precisions[size_t(in)] = chosen;
                set[size_t(in)] = true;
            }
        }
    }
    // A repeated exact pattern is looked up under its last rule: the earlier ones match with it.
    if (ruleMatched)
        for (size_t i = 0; i < rules.size(); ++i)
            if (auto it = exact.find(rules[i].pattern); it != exact.end())
                (*ruleMatched)[i] = (*ruleMatched)[it->second];
    return precisions;
}

bool isBufferInput(const Node& node, size_t inputIndex)
{
    if (node.opType == "BatchNormalization")
        return inputIndex >= 3;
    if (node.domain != "com.microsoft")
        return false;
    if (node.opType == "RotaryEmbedding")
        return inputIndex == 2 || inputIndex == 3;
    return node.opType == "GroupQueryAttention" && (inputIndex == 7 || inputIndex == 8);
}

bool isViewOp(const Node& node)
{
    // Called for every input and output of every analysis: a switch on the length, not a set.
    if (!node.domain.empty())
        return false;
    const std::string& op = node.opType;
    switch (op.size()) {
    case 7: return op == "Reshape" || op == "Flatten" || op == "Squeeze";
    case 8: return op == "Identity";
    case 9: return op == "Unsqueeze";
    default: return false;
    }
}

namespace {

int64_t roundUp(int64_t bytes, int64_t granularity)
{
    if (bytes <= 0 || granularity <= 1)
        return bytes;
    return satMul(bytes / granularity + (bytes % granularity != 0), granularity); // bytes may be saturated
}

// Initializers and Constant tensors inside If/Loop/Scan bodies (nested ones too): resident for
// the whole run like the main graph's, rounded per tensor.
int64_t bodyWeightBytes(const Graph& graph, const ShapeResult& shapes, Precision precision, int64_t granularity)
{
    int64_t total = 0;
    for (const Node& node : graph.nodes) {
        for (const Attribute& a : node.attributes) {
            for (const auto& body : a.graphs) {
                auto it = shapes.subgraphs.find(body.get());
                if (it == shapes.subgraphs.end())
                    continue;
                const ShapeResult& sub = *it->second;
                for (size_t v = 0; v < body->values.size() && v < sub.tensors.size(); ++v) {
                    const Value& value = body->values[v];
                    if ((value.isInitializer || value.isConstantNode) && !value.isOuterScope)
                        total = satAdd(total, roundUp(tensorBytes(sub.tensors[v], precision), granularity));
                }
                total = satAdd(total, bodyWeightBytes(*body, sub, precision, granularity));
            }
        }
    }
    return total;
}

int64_t ceilDiv(int64_t a, int64_t b)
{
    return b <= 0 || a <= 0 ? 0 : a / b + (a % b != 0);
}

int64_t nextPowerOfTwo(int64_t v)
{
    int64_t p = 1;
    while (p < v && p < (int64_t(1) << 40))
        p <<= 1;
    return p;
}

// Activations an operator keeps for its backward pass, as PyTorch's autograd does. Each rule
// names the inputs (by position) or outputs kept, given which inputs need a gradient. Anything
// else a rule keeps that is not a graph tensor (BatchNorm's batch statistics, max-pooling's
// indices, dropout's mask, whose bytes per element the runtime decides) is counted as extra
// bytes. This is the table the README documents.
struct SavedRule {
    std::vector<int> inputs;
    std::vector<int> outputs;
    int64_t extraBytes = 0;
};

bool isOneOf(const std::string& op, std::initializer_list<const char*> ops)
{
    for (const char* o : ops)
        if (op == o)
            return true;
    return false;
}

// Whether a convolution reads PyTorch's permute(0, 3, 1, 2) of an NHWC tensor: a view with
// channels-last strides, which PyTorch convolves in channels-last form.
bool readsChannelsLastView(const Graph& graph, const Node& node)
{
    const int x = node.input(0);
    if (node.opType != "Conv" || x < 0 || graph.values[size_t(x)].producer < 0)
        return false;
    const Node& producer = graph.nodes[size_t(graph.values[size_t(x)].producer)];
    return producer.opType == "Transpose" && producer.attrInts("perm") == std::vector<int64_t> { 0, 3, 1, 2 };
}

// Dropout with a ratio of 0 (ViT's and Swin's defaults, exported with training=TRAINING) hands its
// input back unchanged in PyTorch: no mask, no new tensor.
bool isZeroDropout(const Graph& graph, const Node& node)
{
    if (node.opType != "Dropout" || !node.domain.empty())
        return false;
    const int ratio = node.input(1);
    if (ratio >= 0) {
        const std::optional<std::vector<int64_t>>& data = graph.values[size_t(ratio)].intData;
        return data && data->size() == 1 && data->front() == 0; // whole-number float scalars are read
    }
    return node.attrFloat("ratio", 0.5f) == 0.0f;
}

// `dropoutMaskBytes`: the mask's bytes per element for this node (the runtime's, at most its
// input's element size: the CPU's noise tensor takes the input's type, 2 bytes under autocast).
SavedRule savedRule(const Graph& graph, const Node& node, const std::vector<bool>& inputNeedsGrad,
                    const std::vector<TensorInfo>& tensors, int dropoutMaskBytes)
{
    const std::string& op = node.opType;
    const auto needs = [&](size_t i) { return i < inputNeedsGrad.size() && inputNeedsGrad[i]; };
    const auto dims = [&](int value) -> const TensorInfo* { return value >= 0 ? &tensors[size_t(value)] : nullptr; };
    SavedRule r;
    // The gradient of one operand of a product needs the other operand.
    const auto product = [&] {
        if (needs(1))
            r.inputs.push_back(0);
        if (needs(0))
            r.inputs.push_back(1);
    };
    if (isOneOf(op, { "Conv", "ConvTranspose", "Gemm", "MatMul", "Mul", "Einsum" })) {
        product();
    } else if (op == "Div") {
        r.inputs.push_back(1); // d/da needs b; d/db needs a too
        if (needs(1))
            r.inputs.push_back(0);
    } else if (isOneOf(op, { "Relu", "Sigmoid", "Tanh", "Exp", "Softmax", "LogSoftmax", "Sqrt", "Reciprocal", "Elu" })) {
        r.outputs.push_back(0);
    } else if (isOneOf(op, { "Erf", "Gelu", "Clip", "LeakyRelu", "HardSwish", "HardSigmoid", "Softplus", "Log", "Sin",
                             "Cos", "Abs", "Celu", "Selu", "Mish", "Pow", "AveragePool", "GlobalAveragePool",
                             "LpPool", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceProd", "ReduceMean" })) {
        // ReduceMean: torch 1.13's mean over dims (MeanBackward1) keeps its input, not only the
        // sizes (torch 2.1 keeps the sizes: the safe side there). RMSNorm's x.pow(2).mean(-1).
        r.inputs.push_back(0);
    } else if (op == "PRelu") {
        r.inputs = { 0, 1 };
    } else if (op == "BatchNormalization") {
        r.inputs.push_back(0);
        const TensorInfo* x = dims(node.input(0));
        if (x && x->isKnown() && x->rank() >= 2)
            r.extraBytes = satMul(x->dims[1], 2 * 4); // batch mean and inverse std, in fp32
    } else if (isOneOf(op, { "LayerNormalization", "InstanceNormalization", "GroupNormalization" })) {
        r.inputs.push_back(0);
        const TensorInfo* x = dims(node.input(0));
        if (x && x->isKnown() && x->rank() >= 1) {
            int64_t rows = 1;
            const int64_t attr = node.attrInt("axis", -1); // from the file: adding the rank may overflow
            const int64_t axis = op != "LayerNormalization" ? 2 : attr < 0 ? attr + x->rank() : attr % x->rank();
            for (int64_t i = 0; i < std::min<int64_t>(axis, x->rank()); ++i)
                rows = satMul(rows, x->dims[size_t(i)]);
            r.extraBytes = satMul(rows, 2 * 4); // mean and inverse std per normalized row
        }
    } else if (isOneOf(op, { "MaxPool", "GlobalMaxPool" })) {
        r.inputs.push_back(0);
        const TensorInfo* y = dims(node.output(0));
        if (y && y->isKnown())
            r.extraBytes = satMul(y->elements(), 8); // int64 argmax indices
    } else if (op == "Dropout") {
        const TensorInfo* y = dims(node.output(0));
        if (y && y->isKnown() && !isZeroDropout(graph, node))
            r.extraBytes = satMul(y->elements(), dropoutMaskBytes);
    } else if (op == "Gather" || op == "GatherElements" || op == "GatherND") {
        r.inputs.push_back(1); // the indices
    } else if (op == "Where") {
        r.inputs.push_back(0); // the condition
    } else if (isOneOf(op, { "LSTM", "GRU", "RNN" })) {
        r.inputs.push_back(0);
        r.outputs.push_back(0);
        const TensorInfo* x = dims(node.input(0));
        const int64_t hidden = std::max<int64_t>(node.attrInt("hidden_size", 0), 0); // a negative one: none
        if (x && x->isKnown() && x->rank() == 3) {
            const int gates = op == "LSTM" ? 5 : op == "GRU" ? 4 : 1; // gate activations, LSTM cell state
            const int64_t dirs = node.attrString("direction", "forward") == "bidirectional" ? 2 : 1;
            r.extraBytes = satMul(satMul(satMul(x->dims[0], x->dims[1]), dirs), satMul(hidden, gates * 4));
        }
    } else if (isOneOf(op, { "Add", "Sub", "Neg", "Sum", "Mean", "ReduceSum", "Concat", "Split",
                             "Slice", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Cast",
                             "Expand", "Tile", "Pad", "GlobalLpPool", "Resize", "Upsample", "DepthToSpace",
                             "SpaceToDepth", "CumSum", "Trilu", "Max", "Min" })) {
        // Linear in their inputs, or pure data movement: nothing kept but sizes.
    } else {
        for (size_t i = 0; i < node.inputs.size(); ++i)
            r.inputs.push_back(int(i)); // no rule: keep every input, the safe side
    }
    return r;
}

// Operators whose gradient flows (floating outputs of differentiable functions).
bool isDifferentiable(const Node& node)
{
    return !isOneOf(node.opType, { "Shape", "Size", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And",
                                   "Or", "Xor", "Not", "ArgMax", "ArgMin", "NonZero", "Floor", "Ceil", "Round",
                                   "Sign", "ConstantOfShape", "Range", "IsNaN", "IsInf", "RandomNormal",
                                   "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Constant" });
}

// Convolution workspace of a chosen algorithm (the what-ifs of seed 003; the default is the
// runtime profile's). im2col unfolds the input into a (Cin/g*kh*kw) x (Hout*Wout) matrix per
// image; FFT transforms input, kernel and output to complex spectra of the padded size; Winograd
// F(2x2, 3x3) transforms 4x4 tiles (3x3, stride-1 kernels only, others fall back to direct).
int64_t convWorkspace(const Node& node, const std::vector<TensorInfo>& tensors, ConvAlgorithm algorithm, Precision p)
{
    if (node.opType != "Conv" || algorithm == ConvAlgorithm::Direct || algorithm == ConvAlgorithm::FrameworkDefault)
        return 0;
    const int x = node.input(0), w = node.input(1), y = node.output(0);
    if (x < 0 || w < 0 || y < 0)
        return 0;
    const TensorInfo &in = tensors[size_t(x)], &kernel = tensors[size_t(w)], &out = tensors[size_t(y)];
    // The output's rank too: where the Conv rule gave up, it is the declared one, of any rank.
    if (!in.isKnown() || !kernel.isKnown() || !out.isKnown() || in.rank() != 4 || kernel.rank() != 4 || out.rank() != 4)
        return 0;
    const int64_t elem = elementBytes(in.dtype, p);
    const int64_t n = in.dims[0], cin = in.dims[1], h = in.dims[2], wd = in.dims[3];
    const int64_t cout = kernel.dims[0], cinPerGroup = kernel.dims[1], kh = kernel.dims[2], kw = kernel.dims[3];
    const int64_t hout = out.dims[2], wout = out.dims[3];
    std::vector<int64_t> strides = node.attrInts("strides");
    strides.resize(2, 1);
    const bool pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1;
    const int64_t columnsPerImage = satMul(satMul(cinPerGroup, satMul(kh, kw)), satMul(hout, wout));
    switch (algorithm) {
    case ConvAlgorithm::Im2col:
        return pointwise ? 0 : satMul(satMul(n, columnsPerImage), elem);
    case ConvAlgorithm::FFT: {
        const int64_t fh = nextPowerOfTwo(satAdd(h, kh) - 1), fw = nextPowerOfTwo(satAdd(wd, kw) - 1);
        const int64_t spectrum = satMul(satMul(fh, fw / 2 + 1), 8); // complex64
        return satMul(spectrum, satAdd(satAdd(satMul(n, cin), satMul(cout, cinPerGroup)), satMul(n, cout)));
    }
    case ConvAlgorithm::Winograd: {
        if (kh != 3 || kw != 3 || strides[0] != 1 || strides[1] != 1)
            return 0;
        const int64_t tiles = satMul(ceilDiv(hout, 2), ceilDiv(wout, 2));
        const int64_t transformed = satAdd(satAdd(satMul(satMul(n, cin), tiles), satMul(cout, cinPerGroup)),
                                           satMul(satMul(n, cout), tiles));
        return satMul(transformed, 16 * elem);
    }
    case ConvAlgorithm::Direct:
    case ConvAlgorithm::FrameworkDefault:
        return 0;
    }
    return 0;
}

// PyTorch's fused LayerNorm, GELU, SiLU and Hardswish keep their input (plus LayerNorm's
// statistics), but exports before opset 17 (LayerNorm), 20 (GELU) and 14 (Hardswish), and every
// SiLU, write them as primitive operators which, taken one by one, would keep two to three times
// as much and materialise intermediates the fused kernel never writes. Those patterns are
// recognised and given the fused operator's rule: the first node keeps what the fused one keeps,
// the others nothing, and only the last node's output takes memory.
struct FusedRole {
    const char* op = nullptr; // the fused operator's ONNX type: its autocast class
    bool member = false;
    bool last = false; // writes the fused operator's output
    int first = -1; // the pattern's first node, which reads its input
    int source = -1; // the pattern's input: the fused operator's
    SavedRule rule;
    bool attention = false; // --fuse attention's kernel
    int end = -1; // its first node's: the pattern's last node, until which its inputs are held
    int64_t scratch = 0; // its last node's: what the kernel allocates besides its output
};

// --fuse attention: MatMul(q, k^T) [-> scale, mask: Div, Mul, Add, Sub, Where] -> Softmax
// [-> Dropout] -> MatMul(., v), one kernel as FlashAttention runs it. Its first node keeps q and
// k^T and the softmax statistics (4 bytes a row), its last v; the scores in between are never
// written, and a backward recomputes them.
void findFusedAttention(const Graph& graph, const std::vector<TensorInfo>& tensors, std::vector<FusedRole>& roles)
{
    const auto single = [&](int value) {
        return value >= 0 && graph.values[size_t(value)].consumers.size() == 1 && !graph.values[size_t(value)].isGraphOutput;
    };
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const Node& softmax = graph.nodes[i];
        if (softmax.opType != "Softmax" || !softmax.domain.empty() || roles[i].member)
            continue;
        const int scores = softmax.input(0);
        if (scores < 0 || !tensors[size_t(scores)].isKnown())
            continue;
        // Back to the QK^T product through single-consumer elementwise steps on the scores.
        std::vector<int> group { int(i) };
        int value = scores;
        int first = -1;
        while (single(value) && graph.values[size_t(value)].producer >= 0 && group.size() < 8) {
            const int producer = graph.values[size_t(value)].producer;
            const Node& node = graph.nodes[size_t(producer)];
            if (roles[size_t(producer)].member || !node.domain.empty())
                break;
            group.insert(group.begin(), producer);
            if (node.opType == "MatMul") {
                first = producer;
                break;
            }
            if (!isOneOf(node.opType, { "Div", "Mul", "Add", "Sub", "Where" }))
                break;
            // The scores are the input shaped like them (a mask or a scale broadcasts).
            int next = -1;
            for (int in : node.inputs)
                if (in >= 0 && next < 0 && tensors[size_t(in)].dims == tensors[size_t(scores)].dims
                    && graph.values[size_t(in)].producer >= 0)
                    next = in;
            value = next;
        }
        if (first < 0)
            continue;
        // Forward to the product with v.
        int probabilities = softmax.output(0);
        if (single(probabilities)) {
            const int c = graph.values[size_t(probabilities)].consumers.front();
            if (graph.nodes[size_t(c)].opType == "Dropout") {
                group.push_back(c);
                probabilities = graph.nodes[size_t(c)].output(0);
            }
        }
        if (!single(probabilities))
            continue;
        const int last = graph.values[size_t(probabilities)].consumers.front();
        if (graph.nodes[size_t(last)].opType != "MatMul" || graph.nodes[size_t(last)].input(0) != probabilities
            || roles[size_t(last)].member)
            continue;
        group.push_back(last);
        const TensorInfo& t = tensors[size_t(scores)];
        for (int n : group) {
            FusedRole& role = roles[size_t(n)];
            role.member = true;
            role.first = first;
            role.source = graph.nodes[size_t(first)].input(0);
            role.op = "MatMul";
            role.rule = {};
            role.attention = true;
        }
        roles[size_t(first)].rule.inputs = { 0, 1 };
        roles[size_t(first)].rule.extraBytes = t.rank() >= 1 ? satMul(t.elements() / std::max<int64_t>(t.dims.back(), 1), 4) : 0;
        roles[size_t(last)].rule.inputs = { 1 };
        roles[size_t(last)].last = true;
        roles[size_t(first)].end = last;
    }
}

void markLibraryModule(const LibraryModule& m, int64_t scratch, std::vector<FusedRole>& roles)
{
    for (int n : m.nodes) {
        FusedRole& role = roles[size_t(n)];
        role = FusedRole {};
        role.op = "MatMul"; // its autocast class (autocast turns PyTorch's fast paths off anyway)
        role.member = true;
        role.first = m.nodes.front();
        role.source = m.input;
        role.end = m.nodes.back(); // the input is read until the output is written
    }
    roles[size_t(m.nodes.back())].last = true;
    roles[size_t(m.nodes.back())].scratch = scratch;
}

// nn.MultiheadAttention and nn.TransformerEncoderLayer in inference (graph.attentionModules).
// An export writes their Python, but PyTorch runs them as library code whose allocations are
// known (torch 1.13's profiler; X is the input's size, S the attention scores', F the
// feed-forward's hidden size; the caller holds the input):
// - nn.TransformerEncoderLayer's fast path, one kernel (torch._transformer_encoder_layer_fwd):
//   qkv 3X and its per-head copy 3X together; the copy and the scores, 3X + S; the output
//   projection's transposed input and result beside the copy, 5X; the norms' and feed-forward's
//   outputs, 2X + F; with norm_first, norm1's output X beside all of them.
// - nn.MultiheadAttention's fast path (torch._native_multi_head_attention), dropout 0 assumed
//   (the default; eval exports drop it): 6X, 3X + S, 5X.
// - Otherwise its Python path, F.multi_head_attention_forward, which keeps its locals until it
//   returns: the in-projection 3X and the contiguous q, k and v 3X; then those, the scaled q X,
//   the scores S and their softmax S; then the softmax and the attention output's copy and
//   projection: max(6X, 4X + 2S, 6X + S).
// The fast paths need a batch-first input, no attention mask, an even number of heads and no
// autocast. The most of these, minus the output, is the kernel's scratch at its last node.
// --fuse attention takes S away from a fast path (PyTorch 2's flash attention inside it).
void findLibraryModules(const Graph& graph, const std::vector<TensorInfo>& tensors, bool autocast,
                        const std::function<int64_t(int)>& bytesOf, std::vector<FusedRole>& roles)
{
    for (const AttentionModule& a : graph.attentionModules) {
        // --fuse attention: a FlashAttention-style kernel, which never writes the scores
        const bool flash = roles[size_t(a.softmax)].attention;
        const int scores = graph.nodes[size_t(a.softmax)].input(0);
        const int product = scores >= 0 ? graph.values[size_t(scores)].producer : -1;
        const TensorInfo& x = tensors[size_t(a.attention.input)];
        if (product < 0 || !x.isKnown() || x.rank() != 3 || !tensors[size_t(scores)].isKnown()
            || tensors[size_t(scores)].rank() != 3)
            continue;
        const int64_t batch = x.dims[a.batchFirst ? 0 : 1], rows = tensors[size_t(scores)].dims[0];
        const bool evenHeads = batch > 0 && rows % batch == 0 && (rows / batch) % 2 == 0;
        const bool fastPath = a.batchFirst && evenHeads && !autocast && !a.masked
            && graph.nodes[size_t(product)].opType == "MatMul";
        if (flash && !fastPath)
            continue; // Python around a fused kernel: findFusedAttention's pattern, as it is
        const int64_t X = bytesOf(a.attention.input), S = flash ? 0 : bytesOf(scores);
        if (fastPath && a.layer) {
            const int64_t most = satAdd(a.normFirst ? X : 0, std::max({ satMul(6, X), satAdd(satMul(3, X), S), satMul(5, X),
                                                                       satAdd(satMul(2, X), bytesOf(a.feedForward)) }));
            markLibraryModule(*a.layer, std::max<int64_t>(most - bytesOf(a.layer->output), 0), roles);
            continue;
        }
        const int64_t most = fastPath ? std::max({ satMul(6, X), satAdd(satMul(3, X), S), satMul(5, X) })
                                      : std::max({ satMul(6, X), satAdd(satMul(4, X), satMul(2, S)), satAdd(satMul(6, X), S) });
        markLibraryModule(a.attention, std::max<int64_t>(most - bytesOf(a.attention.output), 0), roles);
    }
}

std::vector<FusedRole> findFusedPatterns(const Graph& graph, const std::vector<TensorInfo>& tensors)
{
    std::vector<FusedRole> roles(graph.nodes.size());
    const auto consumerOf = [&](int value, const char* op) -> int {
        if (value < 0)
            return -1;
        for (int c : graph.values[size_t(value)].consumers)
            if (graph.nodes[size_t(c)].opType == op)
                return c;
        return -1;
    };
    const auto out = [&](int n) { return n < 0 ? -1 : graph.nodes[size_t(n)].output(0); };
    const auto mark = [&](std::initializer_list<int> group, SavedRule first, const char* op) {
        for (int n : group)
            if (n < 0)
                return;
        bool start = true;
        const int head = *group.begin();
        for (int n : group) {
            roles[size_t(n)].first = head;
            roles[size_t(n)].source = graph.nodes[size_t(head)].input(0);
            roles[size_t(n)].member = true;
            roles[size_t(n)].op = op;
            roles[size_t(n)].rule = start ? first : SavedRule {};
            start = false;
        }
        roles[size_t(*(group.end() - 1))].last = true;
        roles[size_t(head)].end = *(group.end() - 1); // the kernel reads its input until it writes
    };
    using namespace std::string_view_literals; // compares the length first: this runs on each re-analysis
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const Node& node = graph.nodes[i];
        const int x = node.input(0);
        const std::string_view type = node.opType;
        if (type == "ReduceMean"sv && x >= 0) {
            // x -> ReduceMean -> Sub(x, mean) -> Pow -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, std)
            //   [-> Mul(gamma) -> Add(beta)]
            const int sub = consumerOf(out(int(i)), "Sub");
            if (sub < 0 || graph.nodes[size_t(sub)].input(0) != x)
                continue;
            const int pow = consumerOf(out(sub), "Pow");
            const int div = consumerOf(out(sub), "Div");
            const int mean2 = consumerOf(out(pow), "ReduceMean");
            const int eps = consumerOf(out(mean2), "Add");
            const int sqrt = consumerOf(out(eps), "Sqrt");
            if (div < 0 || sqrt < 0 || graph.nodes[size_t(div)].input(1) != out(sqrt))
                continue;
            SavedRule rule;
            rule.inputs = { 0 };
            const TensorInfo& t = tensors[size_t(x)];
            if (t.isKnown() && t.rank() >= 1)
                rule.extraBytes = satMul(t.elements() / std::max<int64_t>(t.dims.back(), 1), 2 * 4);
            // The affine part, Mul(gamma) then Add(beta), belongs to the fused kernel too.
            const int scale = consumerOf(out(div), "Mul");
            const int shift = consumerOf(out(scale), "Add");
            if (scale >= 0 && shift >= 0)
                mark({ int(i), sub, pow, mean2, eps, sqrt, div, scale, shift }, rule, "LayerNormalization");
            else
                mark({ int(i), sub, pow, mean2, eps, sqrt, div }, rule, "LayerNormalization");
        } else if (type == "Erf"sv) {
            // x -> Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x, .) [-> Mul(0.5)]: exact GELU
            const int div = graph.values[size_t(x)].producer;
            if (x < 0 || div < 0 || graph.nodes[size_t(div)].opType != "Div")
                continue;
            const int source = graph.nodes[size_t(div)].input(0);
            const int add = consumerOf(out(int(i)), "Add");
            const int mul = consumerOf(out(add), "Mul");
            if (mul < 0 || (graph.nodes[size_t(mul)].input(0) != source && graph.nodes[size_t(mul)].input(1) != source))
                continue;
            SavedRule rule;
            rule.inputs = { 0 }; // the Div's input: GELU's own input
            const int half = consumerOf(out(mul), "Mul");
            if (half >= 0)
                mark({ div, int(i), add, mul, half }, rule, "Gelu");
            else
                mark({ div, int(i), add, mul }, rule, "Gelu");
        } else if (type == "AveragePool"sv && node.domain.empty() && x >= 0) {
            // avg_pool2d(padding=p) counting the padding, as torch.onnx writes it: Pad(constant
            // zeros, spatial axes only) -> AveragePool(pads 0). PyTorch runs one kernel that keeps
            // the unpadded input (Inception's branch_pool); the padded copy is never written.
            const int pad = graph.values[size_t(x)].producer;
            if (pad < 0 || graph.values[size_t(x)].consumers.size() != 1 || graph.values[size_t(x)].isGraphOutput)
                continue;
            const Node& p = graph.nodes[size_t(pad)];
            if (p.opType != "Pad" || !p.domain.empty() || p.attrString("mode", "constant") != "constant")
                continue;
            const std::vector<int64_t>& pools = node.attrInts("pads");
            if (std::any_of(pools.begin(), pools.end(), [](int64_t v) { return v != 0; }))
                continue;
            const int padsValue = p.input(1); // opset 11 on; an attribute before
            const std::optional<std::vector<int64_t>> pads = padsValue >= 0 ? graph.values[size_t(padsValue)].intData
                                                                             : std::optional(p.attrInts("pads"));
            const int constant = p.input(2);
            const std::optional<std::vector<int64_t>>& fill = graph.values[size_t(std::max(constant, 0))].intData;
            const bool zeroFill = constant < 0 ? p.attrFloat("value", 0.0f) == 0.0f
                                               : fill && fill->size() == 1 && fill->front() == 0;
            const size_t rank = pads ? pads->size() / 2 : 0;
            if (!zeroFill || rank < 3 || (*pads)[0] != 0 || (*pads)[1] != 0 || (*pads)[rank] != 0 || (*pads)[rank + 1] != 0)
                continue; // padding the batch or the channels is not a pooling's
            SavedRule rule;
            rule.inputs = { 0 };
            mark({ pad, int(i) }, rule, "AveragePool");
        } else if (type == "Tanh"sv && node.domain.empty() && x >= 0) {
            // F.gelu(approximate="tanh") as torch.onnx writes it: x -> Mul(x, x) -> Mul(x, .)
            // -> Mul(kappa) -> Add(x, .) -> Mul(beta) -> Tanh -> Add(1) -> Mul(x, .) [-> Mul(0.5)].
            // The cube as two Muls tells the exporter's one GELU from Python code that spells the
            // formula out with Pow (HF's gelu_new), which runs, and saves, operator by operator.
            const auto producerOf = [&](int value, const char* op) {
                const int p = value < 0 ? -1 : graph.values[size_t(value)].producer;
                return p >= 0 && graph.nodes[size_t(p)].opType == op ? p : -1;
            };
            const auto other = [&](int n, int value) {
                const Node& m = graph.nodes[size_t(n)];
                return m.input(0) == value ? m.input(1) : m.input(1) == value ? m.input(0) : -2;
            };
            const int beta = producerOf(x, "Mul");
            int sum = -1;
            for (int k = 0; beta >= 0 && k < 2 && sum < 0; ++k)
                sum = producerOf(graph.nodes[size_t(beta)].input(k), "Add");
            if (sum < 0)
                continue;
            // Add(source, Mul(kappa, Mul(source, Mul(source, source)))), in either operand order
            int source = -1, kappa = -1, cube = -1, square = -1;
            for (int k = 0; k < 2 && square < 0; ++k) {
                source = graph.nodes[size_t(sum)].input(k);
                kappa = producerOf(other(sum, source), "Mul");
                for (int j = 0; kappa >= 0 && j < 2 && cube < 0; ++j)
                    cube = producerOf(graph.nodes[size_t(kappa)].input(j), "Mul");
                if (cube >= 0)
                    square = producerOf(other(cube, source), "Mul");
                if (square >= 0 && (graph.nodes[size_t(square)].input(0) != source
                                    || graph.nodes[size_t(square)].input(1) != source))
                    square = -1;
                if (square < 0)
                    cube = -1;
            }
            const int add = consumerOf(out(int(i)), "Add");
            const int mul = consumerOf(out(add), "Mul");
            if (square < 0 || mul < 0 || other(mul, source) < -1)
                continue;
            SavedRule rule;
            rule.inputs = { 0 }; // the first Mul's input: GELU's own input
            const int half = consumerOf(out(mul), "Mul");
            if (half >= 0)
                mark({ square, cube, kappa, sum, beta, int(i), add, mul, half }, rule, "Gelu");
            else
                mark({ square, cube, kappa, sum, beta, int(i), add, mul }, rule, "Gelu");
        } else if ((type == "Sigmoid"sv || type == "HardSigmoid"sv) && node.domain.empty() && x >= 0) {
            // x -> Sigmoid -> Mul(x, .): SiLU; x -> HardSigmoid -> Mul(x, .): Hardswish
            const int mul = consumerOf(out(int(i)), "Mul");
            if (mul < 0 || roles[size_t(i)].member)
                continue;
            const Node& product = graph.nodes[size_t(mul)];
            if (product.input(0) != x && product.input(1) != x)
                continue;
            SavedRule rule;
            rule.inputs = { 0 };
            mark({ int(i), mul }, rule, node.opType == "Sigmoid" ? "Silu" : "HardSwish");
        }
    }
    return roles;
}

// The runtime profile's allocator, or the user's own calibration where one was loaded.
AllocatorModel allocatorOf(const AnalysisConfig& config, const RuntimeProfile& runtime)
{
    const Calibration& c = config.calibration;
    if (c.name.empty() && c.contextBytes == 0 && c.allocationGranularity <= 1)
        return runtime.allocator;
    return { c.allocationGranularity, c.contextBytes };
}

struct Buffer {
    int64_t bytes = 0;
    Category category = Category::Activations;
    int birth = 0;
    int death = 0;
    int value = -1;
    const char* kind = nullptr; // "grad", "workspace", "saved" prefix for names; null for a tensor
    int node = -1;
};

// planMemory's phases, in the order plan() runs them: which values are weights and which
// activations, which carry a gradient, what each backward keeps, which values share storage,
// how the steps are numbered; then every buffer is placed on the steps (activations, resident
// state, saved extras and workspace, gradients), and the live bytes are added up per step.
class MemoryPlanner {
public:
    MemoryPlanner(const Graph& graph, const ShapeResult& shapes, const std::vector<int>& order,
                  const std::vector<int>& tiedCopies, const AnalysisConfig& config,
                  const std::vector<Precision>& valuePrecisions)
        : m_graph(graph)
        , m_valuePrecisions(valuePrecisions)
        , m_shapes(shapes)
        , m_tensors(shapes.tensors)
        , m_order(order)
        , m_tiedCopies(tiedCopies)
        , m_config(config)
        , m_runtime(config.runtime ? *config.runtime : *builtinRuntime(Runtime::PyTorchCpu))
        , m_allocator(allocatorOf(config, m_runtime))
        , m_precision(config.precision)
        , m_masterCopy(config.precision == Precision::FP16 || config.precision == Precision::BF16
                       || config.precision == Precision::INT8 || config.precision == Precision::INT4)
        , m_training(config.training.mode == Mode::Training)
        , m_recipe(config.training.recipe)
        , m_valueCount(graph.values.size())
        , m_forwardSteps(int(order.size()))
    {
    }

    MemoryPlan plan();

private:
    bool isWeight(int v) const
    {
        const Value& value = m_graph.values[size_t(v)];
        return value.isInitializer || value.isConstantNode;
    }
    // The bytes per element a node's kernel works in: its first output's (autocast's choice).
    int kernelElementBytes(const Node& node) const
    {
        const int out = node.output(0);
        if (out >= 0 && m_low[size_t(out)])
            return 2;
        return elementBytes(out >= 0 ? m_tensors[size_t(out)].dtype : DType::Float, m_precision);
    }
    bool isActivation(int v) const
    {
        const Value& value = m_graph.values[size_t(v)];
        return !isWeight(v) && !m_weightView[size_t(v)] && !m_fusedInterior[size_t(v)] && !value.isOuterScope
            && (value.isGraphInput || value.producer >= 0);
    }

    // The weight whose storage a weight view reads.
    int weightRoot(int v) const
    {
        while (v >= 0 && !isWeight(v) && m_weightView[size_t(v)])
            v = m_graph.nodes[size_t(m_graph.values[size_t(v)].producer)].input(0);
        return v;
    }
    int backwardStepOrEnd(int node) const
    {
        return m_backwardStep[size_t(node)] >= 0 ? m_backwardStep[size_t(node)] : m_forwardSteps - 1;
    }

    int linearProduct(const Node& node) const;
    bool afterLinear(int v) const;
    void findWeightViews();
    void findFusedKernels();
    void findTrainableWeights();
    void findPrecisions();
    void findGradients();
    void findCheckpointSegments();
    void findLayouts();
    void findSavedTensors();
    void shareStorage();
    bool foldsIntoConvolution(const Node& node) const;
    void numberSteps();
    void findLifetimes();
    void placeActivations();
    void placeCasts();
    void placeResidentState();
    void placeGatheredParameters();
    void placeSavedExtrasAndWorkspace();
    int64_t bodyTransientBytes(const Node& node) const;
    void placeFoldedBatchNorm(int n, int step, int rerun, int64_t convScratch);
    void placeGradients();
    void buildTimeline();
    void listLiveAtPeak();

    const Graph& m_graph;
    const std::vector<Precision>& m_valuePrecisions; // valuePrecisions(); empty without layer precisions
    const ShapeResult& m_shapes; // the subgraphs' shapes too
    const std::vector<TensorInfo>& m_tensors;
    const std::vector<int>& m_order; // node per forward step
    const std::vector<int>& m_tiedCopies;
    const AnalysisConfig& m_config;
    const RuntimeProfile& m_runtime;
    const AllocatorModel m_allocator;
    const Precision m_precision;
    const bool m_masterCopy; // pure 16- or 8-bit training: an fp32 master copy, fp32 optimizer state
    const bool m_training;
    const Recipe& m_recipe;
    const size_t m_valueCount;
    const int m_forwardSteps;

    MemoryPlan m_plan;
    std::vector<int> m_forwardStep; // per node: its forward step, -1 if it has none
    std::vector<bool> m_weightView; // per value: a view of a weight
    std::vector<bool> m_needsGrad; // per value
    std::vector<bool> m_nodeBackward; // per node: it has a backward step
    std::vector<int> m_savedUntilNode; // per value: the node whose backward frees it last, or -1
    std::vector<int64_t> m_extraSaved; // per node: saved state that is no graph tensor
    std::vector<FusedRole> m_fused; // per node: its part in a primitive-operator LayerNorm, GELU...
    std::vector<bool> m_fusedInterior; // per value: written and read only inside one fused kernel
    std::vector<int> m_root, m_gradRoot; // per value: the value whose storage (gradient's storage) holds it
    // PyTorch's strided views and the copies they cost (findLayouts).
    std::vector<bool> m_stridedView; // per value: a view of its first input's storage (permute, select, a view)
    std::vector<bool> m_layoutCopy; // per value: a reshape that cannot view its input, so copies
    std::vector<std::array<int64_t, 2>> m_operandCopy; // per node: bytes of the copies a MatMul makes of its operands
    std::vector<int> m_backwardStep; // per node, -1 if none
    int m_steps = 0;
    int m_lastStep = 0;
    std::vector<int> m_birth, m_death; // per storage owner: the steps between which it is held
    std::vector<bool> m_saved; // per storage owner: kept for the backward pass
    std::vector<Buffer> m_buffers;
    std::vector<Phase> m_stepPhase; // per step
    std::vector<int> m_stepNode; // per step: its node, -1 for the optimizer step

    // Frozen layers: which weights get a gradient (in inference: which require one).
    std::vector<bool> m_trainable; // per value
    // Autocast: each value's bytes, and the casts kernels make of inputs in the other precision.
    struct Cast {
        int node = -1; // the first kernel that reads it
        int source = -1; // the value cast (a weight view's weight)
        bool cachedWeight = false; // autocast's weight cache: one copy per autocast region
        int64_t bytes = 0;
        int savedUntil = -1; // the node whose backward frees it last, -1 if none keeps it
    };
    std::vector<int64_t> m_bytes; // per value: its bytes at its precision
    std::vector<bool> m_low; // per value: computed in autocast's low precision
    std::vector<Cast> m_casts;
    std::vector<std::vector<int>> m_castOfInput; // per node, per input: its cast in m_casts, or -1
    // Activation checkpointing: segments, their recomputation, and the recomputed copies' spans.
    std::vector<int> m_segment; // per node: its segment, -1 outside any
    std::vector<std::vector<int>> m_segmentNodes; // per segment: its nodes in forward order
    std::vector<int> m_segmentEnd; // per segment: its last backward step
    std::vector<int> m_recomputeStep; // per node, -1 if none
    std::vector<int> m_recomputeSavedUntil; // per value: as m_savedUntilNode, for the recomputed copy
    std::vector<int> m_rBirth, m_rDeath; // per storage owner: the recomputed copy's span
    std::vector<bool> m_rSaved;
};

MemoryPlan MemoryPlanner::plan()
{
    if (m_forwardSteps == 0)
        return std::move(m_plan);
    if (m_training && m_recipe.microBatch && *m_recipe.microBatch > 0) {
        const int64_t batch = m_config.shapes.batch.value_or(*m_recipe.microBatch);
        m_plan.accumulationSteps = int(std::min<int64_t>(ceilDiv(batch, *m_recipe.microBatch), 1 << 30));
    }
    m_forwardStep.assign(m_graph.nodes.size(), -1);
    for (int s = 0; s < m_forwardSteps; ++s)
        m_forwardStep[size_t(m_order[size_t(s)])] = s;
    findWeightViews();
    findFusedKernels();
    findTrainableWeights();
    findPrecisions();
    findGradients();
    findCheckpointSegments();
    findLayouts();
    findSavedTensors();
    m_plan.savedBytesByNode.assign(m_graph.nodes.size(), 0);
    shareStorage();
    numberSteps();
    findLifetimes();
    placeActivations();
    placeCasts();
    placeResidentState();
    placeGatheredParameters();
    placeSavedExtrasAndWorkspace();
    if (m_training)
        placeGradients();
    buildTimeline();
    listLiveAtPeak();
    return std::move(m_plan);
}

// A view of a weight (exporters hand one mask initializer to every layer through Identity)
// is the weight itself: no new memory. So is a transposed weight: a training export, which
// skips constant folding, computes Transpose(weight) before each MatMul where the framework
// reads the weight through a transposed view (GPT-2 small: 49 of them, 471 MiB). A quantized
// weight's DequantizeLinear feeding products is fused into them (ONNX Runtime's QDQ kernels,
// MatMulNBits for blockwise int4): the float weight never exists.
void MemoryPlanner::findWeightViews()
{
    m_weightView.assign(m_valueCount, false);
    const auto feedsProducts = [&](int value) {
        const std::vector<int>& consumers = m_graph.values[size_t(value)].consumers;
        return !consumers.empty() && std::all_of(consumers.begin(), consumers.end(), [&](int c) {
            const std::string& op = m_graph.nodes[size_t(c)].opType;
            return op == "MatMul" || op == "Gemm" || op == "Conv" || op == "ConvTranspose";
        });
    };
    for (int n : m_graph.order) {
        const Node& node = m_graph.nodes[size_t(n)];
        const int in = node.input(0), out = node.output(0);
        const bool dequantized = node.opType == "DequantizeLinear" && out >= 0 && feedsProducts(out);
        const bool view = isViewOp(node) || (node.opType == "Transpose" && node.domain.empty()) || dequantized;
        if (view && in >= 0 && out >= 0 && (isWeight(in) || m_weightView[size_t(in)]))
            m_weightView[size_t(out)] = true;
    }
}

// Primitive-operator patterns of fused kernels, and the values only their insides see.
void MemoryPlanner::findFusedKernels()
{
    m_fused = findFusedPatterns(m_graph, m_tensors);
    if (m_config.fusions.attention)
        findFusedAttention(m_graph, m_tensors, m_fused);
    if (!m_training && m_runtime.libraryModules) // after --fuse attention, which replaces them
        findLibraryModules(m_graph, m_tensors, m_recipe.autocast.has_value(),
                           [this](int v) { return tensorBytes(m_tensors[size_t(v)], m_precision); }, m_fused);
    if (m_config.fusions.any())
        m_plan.fusedAway.assign(m_valueCount, false);
    m_fusedInterior.assign(m_valueCount, false);
    for (size_t n = 0; n < m_fused.size(); ++n) {
        if (!m_fused[n].member || m_fused[n].last)
            continue;
        for (int out : m_graph.nodes[n].outputs) {
            if (out < 0 || m_graph.values[size_t(out)].isGraphOutput)
                continue;
            bool inside = true;
            for (int c : m_graph.values[size_t(out)].consumers)
                inside = inside && m_fused[size_t(c)].member;
            m_fusedInterior[size_t(out)] = inside;
            if (inside && m_fused[n].attention)
                m_plan.fusedAway[size_t(out)] = true; // the scores: never written
        }
    }
}

// Frozen layers: a weight is trained unless every node that reads it is frozen (matched by
// --freeze, or not by --train-only). A tied copy and its original are one parameter.
void MemoryPlanner::findTrainableWeights()
{
    m_trainable.assign(m_valueCount, false);
    std::vector<bool> frozen(m_graph.nodes.size(), false);
    if (m_recipe.freezes()) {
        for (size_t n = 0; n < m_graph.nodes.size(); ++n) {
            const std::string& name = m_graph.nodes[n].name;
            frozen[n] = (!m_recipe.trainOnly.empty() && matchedScope(m_recipe.trainOnly, name).empty())
                || !matchedScope(m_recipe.freeze, name).empty();
        }
    }
    std::vector<bool> runningStatistic(m_valueCount, false); // BatchNorm's mean and variance, rotary caches and tables
    for (const Node& node : m_graph.nodes) {
        if (node.domain.empty() && node.opType != "BatchNormalization")
            continue; // the common case, without a string compare per input
        for (size_t i = 0; i < node.inputs.size(); ++i)
            if (node.inputs[i] >= 0 && isBufferInput(node, i))
                runningStatistic[size_t(node.inputs[i])] = true;
    }
    for (size_t v = 0; v < m_graph.rotaryTables.size(); ++v)
        runningStatistic[v] = runningStatistic[v] || m_graph.rotaryTables[v];
    for (size_t v = 0; v < m_valueCount; ++v) {
        const Value& value = m_graph.values[v];
        if (!isWeight(int(v)) || !isFloating(value.dtype) || value.declaredShape.empty() || runningStatistic[v])
            continue;
        for (int c : value.consumers)
            m_trainable[v] = m_trainable[v] || !frozen[size_t(c)];
    }
    for (size_t v = 0; v < m_valueCount; ++v) {
        const int original = m_tiedCopies[v];
        if (original >= 0 && (m_trainable[v] || m_trainable[size_t(original)]))
            m_trainable[v] = m_trainable[size_t(original)] = true;
    }
}

// Bytes per value at the chosen precision. Under autocast (an fp32 model in torch.autocast) each
// kernel runs in the low precision or in fp32 by the runtime's policy, or else in its widest
// input's (type promotion), and an input in the other precision is cast first: a new tensor,
// which the backward keeps in the input's place. A weight that requires grad is cast once and
// the copy cached while the autocast region lasts.
void MemoryPlanner::findPrecisions()
{
    m_low.assign(m_valueCount, false);
    m_castOfInput.assign(m_graph.nodes.size(), {});
    if (const std::optional<Precision> autocast = m_recipe.autocast) {
        const AutocastPolicy& policy = m_runtime.autocast;
        std::unordered_map<int, int> weightCast; // weight -> its cached cast
        const auto cast = [&](int n, size_t i, int v, bool toLow) {
            const int w = weightRoot(v);
            const bool cached = w >= 0 && isWeight(w) && policy.weightCache && m_trainable[size_t(w)] && toLow;
            if (cached) {
                if (const auto it = weightCast.find(w); it != weightCast.end()) {
                    m_castOfInput[size_t(n)][i] = it->second;
                    return;
                }
                weightCast[w] = int(m_casts.size());
            }
            const int64_t elements = m_tensors[size_t(v)].isKnown() ? m_tensors[size_t(v)].elements() : 0;
            m_castOfInput[size_t(n)][i] = int(m_casts.size());
            m_casts.push_back({ n, w >= 0 && isWeight(w) ? w : v, cached, satMul(elements, toLow ? 2 : 4), -1 });
        };
        for (int n : m_graph.order) {
            const Node& node = m_graph.nodes[size_t(n)];
            const FusedRole& role = m_fused[size_t(n)];
            m_castOfInput[size_t(n)].assign(node.inputs.size(), -1);
            const bool floatingIn = [&] {
                for (int in : node.inputs)
                    if (in >= 0 && isFloating(m_tensors[size_t(in)].dtype))
                        return true;
                return false;
            }();
            bool outLow = false;
            if (role.member) {
                // A fused kernel: its class is the fused operator's; its first node reads the input.
                const AutocastPolicy::Class c = policy.classOf(role.op);
                const bool inLow = role.source >= 0 && m_low[size_t(role.source)];
                if (n == role.first && role.source >= 0 && node.input(0) == role.source
                    && ((c == AutocastPolicy::Class::Lower && !inLow) || (c == AutocastPolicy::Class::Fp32 && inLow)))
                    cast(n, 0, role.source, !inLow);
                outLow = c == AutocastPolicy::Class::Lower || (c == AutocastPolicy::Class::Promote && inLow);
            } else if (node.opType == "Cast" || !floatingIn) {
                outLow = false; // an explicit type, or no floating input to follow
            } else {
                const AutocastPolicy::Class c = policy.classOf(node.opType);
                if (c == AutocastPolicy::Class::Promote) {
                    // The widest input of rank 1 or more (a 0-d tensor does not promote). The
                    // parameters of a kernel that takes its activation's type do not count, nor
                    // a Linear's bias, which an export adds after the MatMul that PyTorch ran
                    // as one low-precision kernel with it.
                    const auto fromProduct = [&](int v) {
                        const int producer = v >= 0 ? m_graph.values[size_t(v)].producer : -1;
                        return producer >= 0 && isOneOf(m_graph.nodes[size_t(producer)].opType, { "MatMul", "Gemm" });
                    };
                    const bool linearBias =
                        node.opType == "Add" && (fromProduct(node.input(0)) || fromProduct(node.input(1)));
                    const bool ignoreWeights = linearBias || policy.followActivation.count(node.opType) > 0;
                    bool any = false, allLow = true;
                    for (int in : node.inputs) {
                        if (in < 0 || !isFloating(m_tensors[size_t(in)].dtype))
                            continue;
                        const TensorInfo& t = m_tensors[size_t(in)];
                        const int w = weightRoot(in);
                        if ((t.isKnown() && t.rank() == 0) || (ignoreWeights && w >= 0 && isWeight(w)))
                            continue;
                        any = true;
                        allLow = allLow && m_low[size_t(in)];
                    }
                    outLow = any && allLow;
                } else {
                    outLow = c == AutocastPolicy::Class::Lower;
                    for (size_t i = 0; i < node.inputs.size(); ++i) {
                        const int in = node.inputs[i];
                        if (in >= 0 && isFloating(m_tensors[size_t(in)].dtype) && m_low[size_t(in)] != outLow)
                            cast(n, i, in, outLow);
                    }
                }
            }
            for (int out : node.outputs)
                if (out >= 0 && isFloating(m_tensors[size_t(out)].dtype))
                    m_low[size_t(out)] = outLow;
        }
    }
    m_bytes.assign(m_valueCount, 0);
    for (size_t v = 0; v < m_valueCount; ++v) {
        const TensorInfo& t = m_tensors[v];
        const Precision p = m_valuePrecisions.empty() ? m_precision : m_valuePrecisions[v];
        m_bytes[v] = m_low[v] ? (t.isKnown() ? satMul(t.elements(), 2) : 0) : tensorBytes(t, p);
    }
}

// Which tensors carry a gradient: trainable weights, and what differentiable nodes compute from them.
void MemoryPlanner::findGradients()
{
    m_needsGrad.assign(m_valueCount, false);
    m_nodeBackward.assign(m_graph.nodes.size(), false);
    if (!m_training)
        return;
    for (size_t v = 0; v < m_valueCount; ++v)
        m_needsGrad[v] = m_trainable[v];
    for (int n : m_graph.order) {
        const Node& node = m_graph.nodes[size_t(n)];
        if (!isDifferentiable(node))
            continue;
        bool any = false;
        for (int in : node.inputs)
            any = any || (in >= 0 && m_needsGrad[size_t(in)]);
        m_nodeBackward[size_t(n)] = any;
        for (int out : node.outputs) {
            if (any && out >= 0 && isFloating(m_tensors[size_t(out)].dtype))
                m_needsGrad[size_t(out)] = true;
        }
    }
}

// Checkpoint segments: every outermost scope a --checkpoint pattern matches, whose forward has
// something to differentiate. The backward reruns it just before its gradients.
void MemoryPlanner::findCheckpointSegments()
{
    m_segment.assign(m_graph.nodes.size(), -1);
    m_plan.recomputed.assign(m_graph.nodes.size(), false);
    if (!m_training || m_recipe.checkpoint.empty())
        return;
    std::map<std::string, std::vector<int>> byScope;
    std::vector<std::string> scopes; // first seen first
    for (int n : m_order) {
        const std::string scope = matchedScope(m_recipe.checkpoint, m_graph.nodes[size_t(n)].name);
        if (scope.empty())
            continue;
        auto [it, inserted] = byScope.try_emplace(scope);
        if (inserted)
            scopes.push_back(scope);
        it->second.push_back(n);
    }
    for (const std::string& scope : scopes) {
        std::vector<int>& nodes = byScope[scope];
        if (std::none_of(nodes.begin(), nodes.end(), [&](int n) { return bool(m_nodeBackward[size_t(n)]); }))
            continue;
        for (int n : nodes) {
            m_segment[size_t(n)] = int(m_segmentNodes.size());
            m_plan.recomputed[size_t(n)] = true;
        }
        m_segmentNodes.push_back(std::move(nodes));
    }
    m_plan.checkpointSegments = int(m_segmentNodes.size());
}

// Saved tensors, and the node of each whose backward frees it last (the earliest in forward order).
// A checkpoint segment's forward keeps nothing of its own: what its nodes save is recomputed.
namespace {

std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& dims)
{
    std::vector<int64_t> strides(dims.size(), 1);
    for (size_t i = dims.size(); i-- > 1;)
        strides[i - 1] = satMul(strides[i], std::max<int64_t>(dims[i], 1));
    return strides;
}

// The strides of a view of `shape` (strides `stride`) as `target`, or none where no view can
// be (ATen's computeStride: a reshape of a permuted tensor copies unless the merged dims were
// adjacent in memory).
std::optional<std::vector<int64_t>> viewStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                                                const std::vector<int64_t>& target)
{
    if (shape.empty())
        return std::vector<int64_t>(target.size(), 1);
    std::vector<int64_t> out(target.size(), 0);
    int64_t view = int64_t(target.size()) - 1;
    int64_t base = stride.back(), tensorElements = 1, viewElements = 1;
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
        tensorElements = satMul(tensorElements, shape[size_t(d)]);
        if (d == 0 || (shape[size_t(d) - 1] != 1 && stride[size_t(d) - 1] != satMul(tensorElements, base))) {
            while (view >= 0 && (viewElements < tensorElements || target[size_t(view)] == 1)) {
                out[size_t(view)] = satMul(viewElements, base);
                viewElements = satMul(viewElements, target[size_t(view)]);
                --view;
            }
            if (viewElements != tensorElements)
                return std::nullopt;
            if (d > 0) {
                base = stride[size_t(d) - 1];
                tensorElements = viewElements = 1;
            }
        }
    }
    if (view != -1)
        return std::nullopt;
    return out;
}

// A dense tensor of `shape` laid out in the order of `stride`'s dims (the largest stride first).
std::vector<int64_t> stridesInOrder(const std::vector<int64_t>& shape, const std::vector<int64_t>& stride)
{
    std::vector<size_t> order(shape.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return stride[a] > stride[b]; });
    std::vector<int64_t> out(shape.size(), 1);
    int64_t next = 1;
    for (size_t k = order.size(); k-- > 0;) {
        out[order[k]] = next;
        next = satMul(next, std::max<int64_t>(shape[order[k]], 1));
    }
    return out;
}

bool isPointwise(const std::string& op)
{
    return isOneOf(op, { "Add", "Sub", "Mul", "Div", "Pow", "Where", "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Neg",
                         "Exp", "Cast", "Clip", "Max", "Min", "LeakyRelu", "HardSigmoid", "HardSwish", "Softplus",
                         "Abs", "Log", "Reciprocal", "Gelu", "Elu", "Dropout" });
}

} // namespace

// PyTorch's permute, select, slicing and view are views: no memory, and the view keeps its
// whole base storage alive. The copies come later, where a kernel cannot read the strides: a
// reshape of a permuted tensor (x.permute(...).contiguous().view(...) is written Transpose ->
// Reshape), and torch.matmul, which folds batch dims into one for bmm (attention's q @ k^T on
// permuted heads copies both operands at batch > 1, none at batch 1, measured). An exporter
// writes each of these views as an operator; taken as copies they over-count attention (timm's
// ViT +33%) and miss what a saved view keeps (GPT-NeoX's v, a permuted slice of the fused qkv,
// keeps all of it at batch 1: -10%).
void MemoryPlanner::findLayouts()
{
    m_stridedView.assign(m_valueCount, false);
    m_layoutCopy.assign(m_valueCount, false);
    m_operandCopy.assign(m_graph.nodes.size(), { 0, 0 });
    std::vector<std::vector<int64_t>> strides(m_valueCount); // empty: contiguous
    const auto known = [&](int v) { return v >= 0 && m_tensors[size_t(v)].isKnown() && isActivation(v); };
    const auto stridesOf = [&](int v) {
        return strides[size_t(v)].empty() ? contiguousStrides(m_tensors[size_t(v)].dims) : strides[size_t(v)];
    };
    const auto setStrides = [&](int v, std::vector<int64_t> st) {
        if (st != contiguousStrides(m_tensors[size_t(v)].dims))
            strides[size_t(v)] = std::move(st);
    };
    using namespace std::string_view_literals; // compares the length first: this runs on each re-analysis
    for (int n : m_order) {
        const Node& node = m_graph.nodes[size_t(n)];
        const int in = node.input(0), out = node.output(0);
        if (!node.domain.empty() || in < 0 || out < 0)
            continue;
        const std::string_view op = node.opType;
        const bool stridedInput = std::any_of(node.inputs.begin(), node.inputs.end(),
                                              [&](int i) { return i >= 0 && !strides[size_t(i)].empty(); });
        if (!stridedInput && op != "Transpose"sv && op != "Slice"sv && op != "Split"sv && op != "Gather"sv)
            continue; // the common case: contiguous in, contiguous out
        if (!known(in) || !m_tensors[size_t(out)].isKnown())
            continue;
        const std::vector<int64_t>& inDims = m_tensors[size_t(in)].dims;
        const std::vector<int64_t>& outDims = m_tensors[size_t(out)].dims;
        if (op == "Transpose"sv) {
            std::vector<int64_t> perm = node.attrInts("perm");
            if (perm.empty())
                for (size_t i = inDims.size(); i-- > 0;)
                    perm.push_back(int64_t(i));
            if (perm.size() != inDims.size())
                continue;
            const std::vector<int64_t> st = stridesOf(in);
            std::vector<int64_t> permuted;
            for (int64_t p : perm)
                permuted.push_back(p >= 0 && p < int64_t(st.size()) ? st[size_t(p)] : 1);
            m_stridedView[size_t(out)] = true;
            setStrides(out, std::move(permuted));
        } else if (isViewOp(node)) {
            if (strides[size_t(in)].empty())
                continue; // a view of a contiguous tensor, as before
            // Squeeze and Unsqueeze always view. A Reshape or Flatten of a strided tensor is
            // written x.contiguous().view(...) (nn.MultiheadAttention's chunked q, k, v; BERT's
            // context) or x.reshape(...), which copies unless the dims it merges are adjacent in
            // memory: taken as the copy.
            const std::optional<std::vector<int64_t>> st = viewStrides(inDims, strides[size_t(in)], outDims);
            if (st && (op == "Squeeze"sv || op == "Unsqueeze"sv || op == "Identity"sv))
                setStrides(out, *st);
            else
                m_layoutCopy[size_t(out)] = true;
        } else if (op == "Gather"sv) {
            // x[i] with a constant scalar index (Swin's q, k, v = qkv[0], qkv[1], qkv[2]) is
            // PyTorch's select: a view without the indexed dim
            const int index = node.input(1);
            const TensorInfo& indices = m_tensors[size_t(std::max(index, 0))];
            int64_t axis = node.attrInt("axis", 0);
            axis = axis < 0 ? axis + int64_t(inDims.size()) : axis;
            if (index < 0 || !indices.isKnown() || indices.rank() != 0 || axis < 0 || axis >= int64_t(inDims.size())
                || !(isWeight(index) || m_graph.values[size_t(index)].isConstantNode)
                || outDims.size() + 1 != inDims.size())
                continue;
            std::vector<int64_t> st = stridesOf(in);
            st.erase(st.begin() + axis);
            m_stridedView[size_t(out)] = true;
            setStrides(out, std::move(st));
        } else if (op == "Slice"sv || op == "Split"sv) {
            for (int part : node.outputs)
                if (part >= 0 && m_tensors[size_t(part)].rank() == int(inDims.size()) && m_tensors[size_t(part)].isKnown())
                    setStrides(part, stridesOf(in)); // a slice keeps its base's strides
        } else if (isPointwise(node.opType)) {
            // TensorIterator writes the output in the order of the strides of an input of the
            // output's shape, dense or not (Swin's q * scale of a strided q: a permuted output
            // that the next matmul must copy, as measured)
            for (int i : node.inputs)
                if (i >= 0 && !strides[size_t(i)].empty() && m_tensors[size_t(i)].dims == outDims) {
                    setStrides(out, stridesInOrder(outDims, strides[size_t(i)]));
                    break;
                }
        } else if (op == "MatMul"sv) {
            // torch.matmul of two batched operands: expand to the common batch, reshape to
            // [batch, n, k] (a copy where that is no view), then bmm, which reads either matrix
            // layout. A batched operand times a 2-D weight (a Linear) is read as it is.
            const int other = node.input(1);
            if (other < 0 || !m_tensors[size_t(other)].isKnown() || inDims.size() < 3
                || m_tensors[size_t(other)].dims.size() < 3)
                continue;
            for (int k = 0; k < 2; ++k) {
                const int v = node.input(size_t(k));
                if (!known(v) || strides[size_t(v)].empty())
                    continue;
                const std::vector<int64_t>& d = m_tensors[size_t(v)].dims;
                std::vector<int64_t> folded(1, 1);
                for (size_t i = 0; i + 2 < outDims.size(); ++i)
                    folded[0] = satMul(folded[0], outDims[i]);
                folded.push_back(d[d.size() - 2]);
                folded.push_back(d.back());
                const bool batchMatches = d.size() == outDims.size()
                    && std::equal(d.begin(), d.end() - 2, outDims.begin());
                const std::optional<std::vector<int64_t>> st
                    = batchMatches ? viewStrides(d, strides[size_t(v)], folded) : std::nullopt;
                if (!st || ((*st)[2] != 1 && (*st)[1] != 1))
                    m_operandCopy[size_t(n)][size_t(k)] = satMul(satMul(folded[0], satMul(folded[1], folded[2])),
                                                                 kernelElementBytes(node)); // autocast's cast, if any
            }
        }
    }
}

void MemoryPlanner::findSavedTensors()
{
    m_savedUntilNode.assign(m_valueCount, -1);
    m_recomputeSavedUntil.assign(m_valueCount, -1);
    m_extraSaved.assign(m_graph.nodes.size(), 0);
    if (!m_training)
        return;
    for (int s = m_forwardSteps - 1; s >= 0; --s) {
        const int n = m_order[size_t(s)];
        if (!m_nodeBackward[size_t(n)])
            continue;
        const Node& node = m_graph.nodes[size_t(n)];
        std::vector<bool> inputNeeds(node.inputs.size());
        for (size_t i = 0; i < node.inputs.size(); ++i)
            inputNeeds[i] = node.inputs[i] >= 0 && m_needsGrad[size_t(node.inputs[i])];
        const int x = node.input(0);
        const int inputBytes = x < 0 ? 4 : m_low[size_t(x)] ? 2 : elementBytes(m_tensors[size_t(x)].dtype, m_precision);
        SavedRule rule = savedRule(m_graph, node, inputNeeds, m_tensors,
                                   std::min(inputBytes, m_runtime.dropoutMaskBytesPerElement));
        if (m_fused[size_t(n)].member)
            rule = m_fused[size_t(n)].rule;
        const int segment = m_segment[size_t(n)];
        const auto keep = [&](int v) {
            if (v < 0 || !isActivation(v))
                return;
            const int producer = m_graph.values[size_t(v)].producer;
            const bool recomputed = segment >= 0 && producer >= 0 && m_segment[size_t(producer)] == segment;
            // later loop iterations are earlier nodes
            (recomputed ? m_recomputeSavedUntil : m_savedUntilNode)[size_t(v)] = n;
        };
        for (int i : rule.inputs) {
            if (i < 2 && m_operandCopy[size_t(n)][size_t(i)] > 0) {
                // bmm keeps the folded copy, not the view it was made from
                rule.extraBytes = satAdd(rule.extraBytes, m_operandCopy[size_t(n)][size_t(i)]);
                continue;
            }
            const std::vector<int>& casts = m_castOfInput[size_t(n)];
            if (size_t(i) < casts.size() && casts[size_t(i)] >= 0)
                m_casts[size_t(casts[size_t(i)])].savedUntil = n; // autocast keeps the cast copy
            else
                keep(node.input(size_t(i)));
        }
        for (int o : rule.outputs)
            keep(node.output(size_t(o)));
        m_extraSaved[size_t(n)] = rule.extraBytes;
    }
}

// --fuse conv-bn and conv-relu, in inference: a BatchNormalization reading a convolution's output,
// or a ReLU (Clip, LeakyRelu) reading a convolution's or such a folded BatchNormalization's,
// where nothing else reads it.
bool MemoryPlanner::foldsIntoConvolution(const Node& node) const
{
    if (m_training || !node.domain.empty() || !(m_config.fusions.convBn || m_config.fusions.convRelu))
        return false;
    const bool bn = m_config.fusions.convBn && node.opType == "BatchNormalization";
    const bool relu = m_config.fusions.convRelu && isOneOf(node.opType, { "Relu", "Clip", "LeakyRelu" });
    const int in = node.input(0);
    if ((!bn && !relu) || in < 0)
        return false;
    const Value& input = m_graph.values[size_t(in)];
    if (input.consumers.size() != 1 || input.isGraphOutput || input.producer < 0)
        return false;
    const Node& producer = m_graph.nodes[size_t(input.producer)];
    if (producer.opType == "Conv" && producer.domain.empty())
        return true;
    return relu && producer.opType == "BatchNormalization" && foldsIntoConvolution(producer);
}

// A Linear's bias, which an export adds after the MatMul: PyTorch's F.linear is one addmm, or a
// matmul and an in-place add_ (torch 1.13, Linear.cpp), so the sum is the product's storage.
// Returns the product, or -1 where `node` is not such an Add.
int MemoryPlanner::linearProduct(const Node& node) const
{
    if (node.opType != "Add" || !node.domain.empty() || node.inputs.size() != 2 || node.output(0) < 0)
        return -1;
    for (int k = 0; k < 2; ++k) {
        const int product = node.input(size_t(k)), bias = weightRoot(node.input(size_t(1 - k)));
        if (product < 0 || bias < 0 || !isWeight(bias) || !isActivation(product))
            continue;
        const Value& value = m_graph.values[size_t(product)];
        if (value.producer < 0 || value.consumers.size() != 1 || value.isGraphOutput || m_savedUntilNode[size_t(product)] >= 0)
            continue;
        const Node& matmul = m_graph.nodes[size_t(value.producer)];
        const int weight = weightRoot(matmul.input(1));
        if (matmul.opType == "MatMul" && matmul.domain.empty() && weight >= 0 && isWeight(weight)
            && m_tensors[size_t(weight)].rank() == 2 && m_tensors[size_t(product)].isKnown()
            && m_tensors[size_t(product)].dims == m_tensors[size_t(node.output(0))].dims
            && m_tensors[size_t(product)].dtype == m_tensors[size_t(node.output(0))].dtype)
            return product;
    }
    return -1;
}

// Whether `v` is a product's: a Gemm's or MatMul's output, or a Linear's bias sum. A ReLU on it
// is F.relu or nn.ReLU(), out of place (nn.TransformerEncoderLayer's feed-forward: the profiler
// shows linear1's output and the ReLU's together, -9% had they shared); torchvision's
// convolution blocks use ReLU(inplace=True).
bool MemoryPlanner::afterLinear(int v) const
{
    const int p = m_graph.values[size_t(v)].producer;
    if (p < 0)
        return false;
    const Node& node = m_graph.nodes[size_t(p)];
    if (node.opType == "Gemm" || node.opType == "MatMul")
        return node.domain.empty();
    return linearProduct(node) >= 0;
}

// Storage sharing: views look into their input, and an activation applied in place (as
// torchvision's ReLU(inplace=True)) overwrites an input nobody else reads or keeps.
void MemoryPlanner::shareStorage()
{
    m_root.resize(m_valueCount);
    for (size_t v = 0; v < m_valueCount; ++v)
        m_root[v] = int(v);
    m_gradRoot = m_root; // gradients of views are views; in-place ops make new gradients
    for (int n : m_graph.order) {
        const Node& node = m_graph.nodes[size_t(n)];
        if (node.opType == "GroupQueryAttention" && node.domain == "com.microsoft") {
            // onnxruntime-genai's shared-buffer mode (past_present_share_buffer): the past KV is
            // allocated at the maximum length, and the present KV is that same buffer, into
            // which the step writes its tokens. A present as long as its past is that buffer.
            for (int k = 1; k <= 2; ++k) {
                const int past = node.input(size_t(k) + 2), present = node.output(size_t(k));
                if (past >= 0 && present >= 0 && isActivation(past) && m_tensors[size_t(past)].isKnown()
                    && m_tensors[size_t(past)].dims == m_tensors[size_t(present)].dims)
                    m_root[size_t(present)] = m_root[size_t(past)];
            }
            continue;
        }
        if (const int product = linearProduct(node); product >= 0) {
            m_root[size_t(node.output(0))] = m_root[size_t(product)];
            continue;
        }
        const int in = node.input(0), out = node.output(0);
        if (in < 0 || out < 0 || !isActivation(in))
            continue;
        const Value& input = m_graph.values[size_t(in)];
        if (foldsIntoConvolution(node)) {
            // --fuse conv-bn, conv-relu: the convolution writes the folded result; what it
            // would have written first is never in memory.
            m_root[size_t(out)] = m_root[size_t(in)];
            m_plan.fusedAway[size_t(in)] = true;
            continue;
        }
        // x.float() or x.type_as(y) of a tensor already of that type returns x itself (T5's
        // norm and softmax, HF's .to(torch.float32)): a Cast to its input's own type is no copy.
        const bool sameTypeCast = node.opType == "Cast" && node.domain.empty() && m_tensors[size_t(in)].dtype == m_tensors[size_t(out)].dtype
            && m_tensors[size_t(in)].dtype != DType::Undefined && m_low[size_t(in)] == m_low[size_t(out)];
        if (((isViewOp(node) && !m_layoutCopy[size_t(out)]) || isZeroDropout(m_graph, node))
            || m_stridedView[size_t(out)] || sameTypeCast) {
            m_root[size_t(out)] = m_root[size_t(in)];
            if (node.opType != "Gather") // a select's gradient is a new tensor, zeros but the slice
                m_gradRoot[size_t(out)] = m_gradRoot[size_t(in)];
        } else if (isOneOf(node.opType, { "Split", "Slice" }) && node.domain.empty()) {
            // PyTorch's chunk, split and slicing return views: each part keeps its input's
            // whole storage alive, and a part saved for backward saves all of it. Their
            // gradients are new tensors (the backward scatters into zeros).
            for (int part : node.outputs)
                if (part >= 0)
                    m_root[size_t(part)] = m_root[size_t(in)];
        } else if (isOneOf(node.opType, { "Relu", "Clip", "LeakyRelu" }) && node.domain.empty()
                   && input.consumers.size() == 1 && !input.isGraphInput && !input.isGraphOutput
                   && m_savedUntilNode[size_t(in)] < 0 && m_recomputeSavedUntil[size_t(in)] < 0
                   && !afterLinear(in)) {
            m_root[size_t(out)] = m_root[size_t(in)];
        }
    }
}

// Step numbering: forward steps, then backward steps in reverse, then the optimizer step. A
// checkpoint segment's forward runs again when the backward reaches it.
void MemoryPlanner::numberSteps()
{
    m_backwardStep.assign(m_graph.nodes.size(), -1);
    m_recomputeStep.assign(m_graph.nodes.size(), -1);
    m_segmentEnd.assign(m_segmentNodes.size(), -1);
    m_stepPhase.assign(size_t(m_forwardSteps), Phase::Forward);
    m_stepNode = m_order;
    const auto step = [&](int node, Phase phase) {
        m_stepPhase.push_back(phase);
        m_stepNode.push_back(node);
        return m_steps++;
    };
    m_steps = m_forwardSteps;
    if (m_training) {
        std::vector<bool> rerun(m_segmentNodes.size(), false);
        for (int s = m_forwardSteps - 1; s >= 0; --s) {
            const int n = m_order[size_t(s)];
            const int segment = m_segment[size_t(n)];
            if (segment >= 0 && !rerun[size_t(segment)]) {
                rerun[size_t(segment)] = true;
                for (int k : m_segmentNodes[size_t(segment)])
                    m_recomputeStep[size_t(k)] = step(k, Phase::Recompute);
            }
            if (m_nodeBackward[size_t(n)])
                m_backwardStep[size_t(n)] = step(n, Phase::Backward);
            if (segment >= 0)
                m_segmentEnd[size_t(segment)] = std::max(m_segmentEnd[size_t(segment)], m_steps - 1);
        }
        step(-1, Phase::Optimizer);
    }
    m_lastStep = m_steps - 1;
}

// Forward tensors, one span per storage: from the first step that writes into it to the last
// that reads it, or its backward for a saved tensor, or the end for the graph's inputs and outputs.
void MemoryPlanner::findLifetimes()
{
    m_birth.assign(m_valueCount, -1);
    m_death.assign(m_valueCount, -1);
    m_saved.assign(m_valueCount, false);
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (!isActivation(int(v)))
            continue;
        const Value& value = m_graph.values[v];
        const int b = value.isGraphInput ? 0 : m_forwardStep[size_t(value.producer)];
        int d = b;
        for (int consumer : value.consumers)
            d = std::max(d, m_forwardStep[size_t(consumer)]);
        // A module's argument lives until the module returns (findModuleArguments).
        const int held = v < m_graph.heldUntilNode.size() ? m_graph.heldUntilNode[v] : -1;
        if (held >= 0)
            d = std::max(d, m_forwardStep[size_t(held)]);
        // A fused attention kernel reads q and k^T until it writes its output.
        for (int consumer : value.consumers)
            if (m_fused[size_t(consumer)].end >= 0)
                d = std::max(d, m_forwardStep[size_t(m_fused[size_t(consumer)].end)]);
        if (value.isGraphOutput || value.isGraphInput)
            d = m_lastStep; // the caller holds its inputs and receives the outputs
        if (m_savedUntilNode[v] >= 0) {
            d = std::max(d, m_backwardStep[size_t(m_savedUntilNode[v])]);
            m_saved[size_t(m_root[v])] = true;
        }
        // A checkpoint segment keeps its inputs until its backward is done.
        for (int consumer : value.consumers) {
            const int segment = m_segment[size_t(consumer)];
            if (segment >= 0 && (value.producer < 0 || m_segment[size_t(value.producer)] != segment)) {
                d = std::max(d, m_segmentEnd[size_t(segment)]);
                m_saved[size_t(m_root[v])] = true;
            }
        }
        const size_t owner = size_t(m_root[v]);
        m_birth[owner] = m_birth[owner] < 0 ? b : std::min(m_birth[owner], b);
        m_death[owner] = std::max(m_death[owner], d);
    }
    // The recomputed copies: from the rerun of their producer to their last reader in the rerun,
    // or the backward that keeps them. A storage made outside the segment is held already.
    m_rBirth.assign(m_valueCount, -1);
    m_rDeath.assign(m_valueCount, -1);
    m_rSaved.assign(m_valueCount, false);
    for (size_t v = 0; v < m_valueCount && !m_segmentNodes.empty(); ++v) {
        const Value& value = m_graph.values[v];
        const int owner = m_root[v];
        const int ownerProducer = m_graph.values[size_t(owner)].producer;
        if (!isActivation(int(v)) || value.producer < 0 || m_recomputeStep[size_t(value.producer)] < 0
            || ownerProducer < 0 || m_recomputeStep[size_t(ownerProducer)] < 0)
            continue;
        const int segment = m_segment[size_t(value.producer)];
        const int b = m_recomputeStep[size_t(value.producer)];
        int d = b;
        for (int consumer : value.consumers)
            if (m_segment[size_t(consumer)] == segment)
                d = std::max(d, m_recomputeStep[size_t(consumer)]);
        if (m_recomputeSavedUntil[v] >= 0) {
            d = std::max(d, backwardStepOrEnd(m_recomputeSavedUntil[v]));
            m_rSaved[size_t(owner)] = true;
        }
        m_rBirth[size_t(owner)] = m_rBirth[size_t(owner)] < 0 ? b : std::min(m_rBirth[size_t(owner)], b);
        m_rDeath[size_t(owner)] = std::max(m_rDeath[size_t(owner)], d);
    }
    m_plan.lifetimes.assign(m_valueCount, Lifetime {});
    for (size_t v = 0; v < m_valueCount; ++v) {
        const size_t owner = size_t(m_root[v]);
        if (isActivation(int(v)) && m_birth[owner] >= 0)
            m_plan.lifetimes[v] = Lifetime { m_birth[owner], m_death[owner], int(owner) };
    }
}

// One buffer per activation storage; a saved one is credited to the earliest node that keeps
// one of its views.
void MemoryPlanner::placeActivations()
{
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (m_birth[v] < 0 || m_root[v] != int(v))
            continue;
        const Value& value = m_graph.values[v];
        Buffer buf;
        buf.bytes = m_bytes[v];
        buf.category = value.isGraphInput ? Category::Inputs
            : m_saved[v]                  ? Category::SavedActivations
                                          : Category::Activations;
        buf.birth = m_birth[v];
        buf.death = m_death[v];
        buf.value = int(v);
        m_buffers.push_back(buf);
        if (!m_saved[v])
            continue;
        m_plan.savedActivationBytes = satAdd(m_plan.savedActivationBytes, buf.bytes);
        int saver = -1;
        for (size_t a = 0; a < m_valueCount; ++a) {
            if (m_root[a] == int(v) && m_savedUntilNode[a] >= 0
                && (saver < 0 || m_forwardStep[size_t(m_savedUntilNode[a])] < m_forwardStep[size_t(saver)]))
                saver = m_savedUntilNode[a];
        }
        if (saver >= 0)
            m_plan.savedBytesByNode[size_t(saver)] = satAdd(m_plan.savedBytesByNode[size_t(saver)], buf.bytes);
    }
    // In an accumulation loop (`out = model(x)`), the previous micro-batch's outputs stay
    // referenced until the next forward returns.
    if (m_plan.accumulationSteps > 1)
        for (int out : m_graph.outputs)
            if (out >= 0 && isActivation(out))
                m_buffers.push_back({ m_bytes[size_t(out)], Category::Activations, 0, m_forwardSteps - 1, out,
                                      "previous micro-batch", -1 });
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (m_rBirth[v] >= 0)
            m_buffers.push_back({ m_bytes[v], m_rSaved[v] ? Category::SavedActivations : Category::Activations,
                                  m_rBirth[v], m_rDeath[v], int(v), "recomputed", -1 });
    }
}

// Autocast's casts: a weight's cached copy lives from its first use until the autocast region
// ends with the forward (or, kept for backward, until that backward); an activation's cast lives
// for its kernel's step, or until the backward that keeps it (in a checkpoint segment, from the
// rerun).
void MemoryPlanner::placeCasts()
{
    for (const Cast& c : m_casts) {
        const int step = m_forwardStep[size_t(c.node)];
        if (step < 0)
            continue;
        const int until = c.savedUntil >= 0 ? backwardStepOrEnd(c.savedUntil) : -1;
        if (c.cachedWeight) {
            m_buffers.push_back({ c.bytes, Category::Weights, step, std::max(m_forwardSteps - 1, until), c.source,
                                  "autocast copy", -1 });
            m_plan.castCopyBytes = satAdd(m_plan.castCopyBytes, c.bytes);
            continue;
        }
        const int rerun = m_recomputeStep[size_t(c.node)];
        const bool keptFromForward = until >= 0 && rerun < 0;
        m_buffers.push_back({ c.bytes, keptFromForward ? Category::SavedActivations : Category::Activations, step,
                              keptFromForward ? until : step, c.source, "cast", -1 });
        if (rerun >= 0)
            m_buffers.push_back({ c.bytes, until >= 0 ? Category::SavedActivations : Category::Activations, rerun,
                                  std::max(rerun, until), c.source, "cast", -1 });
        if (keptFromForward) {
            m_plan.savedActivationBytes = satAdd(m_plan.savedActivationBytes, c.bytes);
            m_plan.savedBytesByNode[size_t(c.savedUntil)] = satAdd(m_plan.savedBytesByNode[size_t(c.savedUntil)], c.bytes);
        }
    }
}

// Resident state: weights (with an fp32 master copy when training in 16 or 8 bits), the
// runtime's context, and the optimizer's state. ZeRO shards them over the data-parallel GPUs
// (Rajbhandari et al. 2019): stage 1 the optimizer's state and the master copy, stage 3 the
// parameters too (stage 2's gradients are placeGradients'). CPU offload moves the sharded
// optimizer state (and with `params`, the parameters) to host memory.
void MemoryPlanner::placeResidentState()
{
    int64_t paramElements = 0, paramStateBytes = 0, largestParam = 0, mainWeights = 0;
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (!isWeight(int(v)) || m_graph.values[v].isOuterScope || m_tiedCopies[v] >= 0)
            continue; // a tied copy is one tensor in the framework that runs the model
        mainWeights = satAdd(mainWeights, roundUp(m_bytes[v], m_allocator.granularityBytes));
        const int64_t n = std::max<int64_t>(m_tensors[v].elements(), 0);
        if (m_trainable[v])
            m_plan.trainableParams = satAdd(m_plan.trainableParams, n);
        if (m_training && m_needsGrad[v]) {
            paramElements = satAdd(paramElements, n);
            paramStateBytes =
                satAdd(paramStateBytes, satMul(n, m_masterCopy ? 4 : elementBytes(m_tensors[v].dtype, m_precision)));
            largestParam = std::max(largestParam, satMul(n, 4));
        }
    }
    const int64_t gpus = m_training ? std::max(m_recipe.dataParallel, 1) : 1;
    const int stage = m_training ? m_recipe.zeroStage : 0;
    const auto shard = [&](int64_t bytes) { return ceilDiv(bytes, gpus); };
    const bool offloadState = m_training && m_recipe.offload != Offload::None;
    const bool offloadParams = m_training && m_recipe.offload == Offload::Params && stage == 3;
    if (stage >= 3)
        mainWeights = shard(mainWeights);
    int64_t master = m_training && m_masterCopy ? satMul(paramElements, 4) : 0;
    if (stage >= 1)
        master = shard(master);
    // Initializers and constants inside If/Loop/Scan bodies are resident too.
    m_plan.weightBytes = bodyWeightBytes(m_graph, m_shapes, m_precision, m_allocator.granularityBytes);
    const auto add = [](int64_t& into, int64_t bytes) { into = satAdd(into, bytes); };
    add(offloadParams ? m_plan.hostBytes : m_plan.weightBytes, mainWeights);
    add(offloadState ? m_plan.hostBytes : m_plan.weightBytes, master);
    m_buffers.push_back({ m_plan.weightBytes, Category::Weights, 0, m_lastStep, -1, "weights", -1 });
    const int64_t context = satAdd(m_allocator.contextBytes, m_allocator.libraryWorkspaceBytes);
    if (context > 0)
        m_buffers.push_back({ context, Category::Runtime, 0, m_lastStep, -1, "runtime context", -1 });
    if (!m_training)
        return;
    const Optimizer optimizer = m_config.training.optimizer;
    const int copies = optimizer == Optimizer::SGD ? 0 : optimizer == Optimizer::Momentum ? 1 : 2;
    int64_t state = satMul(paramStateBytes, copies);
    if (stage >= 1)
        state = shard(state);
    add(offloadState ? m_plan.hostBytes : m_plan.optimizerBytes, state);
    if (m_plan.optimizerBytes > 0)
        m_buffers.push_back(
            { m_plan.optimizerBytes, Category::OptimizerState, 0, m_lastStep, -1, "optimizer state", -1 });
    if (offloadState)
        return; // the optimizer steps on the host
    // Adam's update computes sqrt(v) and then its quotient by the bias correction, two
    // temporaries the size of the parameter being updated (measured: BERT, 2 x 29.8 MiB).
    // ZeRO's optimizer steps over flat fp32 partitions instead, which it makes of the gradients
    // first: DeepSpeed's step() converts the 16-bit gradient partition to fp32.
    if (copies == 2 && stage == 0)
        m_buffers.push_back({ satMul(largestParam, 2), Category::OptimizerState, m_lastStep, m_lastStep, -1,
                              "optimizer temporaries", -1 });
    if ((stage == 1 || stage == 2) && m_masterCopy)
        m_buffers.push_back({ shard(satMul(paramElements, 4)), Category::Gradients, m_lastStep, m_lastStep, -1,
                              "fp32 gradient partition", -1 });
}

// ZeRO-3 gathers a node's parameters from every GPU for its forward, its rerun and its
// backward, and frees them after (the layer DeepSpeed's largest_layer_params counts).
void MemoryPlanner::placeGatheredParameters()
{
    if (!m_training || m_recipe.zeroStage < 3 || m_recipe.dataParallel <= 1)
        return;
    for (int n : m_order) {
        std::set<int> weights;
        for (int in : m_graph.nodes[size_t(n)].inputs) {
            const int w = weightRoot(in);
            if (w >= 0 && isWeight(w) && !m_graph.values[size_t(w)].isOuterScope && m_tiedCopies[size_t(w)] < 0)
                weights.insert(w);
        }
        int64_t bytes = 0;
        for (int w : weights)
            bytes = satAdd(bytes, m_bytes[size_t(w)]);
        if (bytes <= 0)
            continue;
        for (int step : { m_forwardStep[size_t(n)], m_recomputeStep[size_t(n)], m_backwardStep[size_t(n)] })
            if (step >= 0)
                m_buffers.push_back({ bytes, Category::Weights, step, step, -1, "gathered parameters", n });
    }
}

// Extra saved state (batch statistics, pooling indices, dropout masks) and each kernel's
// scratch: the runtime profile's, or the chosen convolution algorithm's workspace.
void MemoryPlanner::placeSavedExtrasAndWorkspace()
{
    const ConvAlgorithm algorithm = m_config.training.workspace;
    for (int s = 0; s < m_forwardSteps; ++s) {
        const int n = m_order[size_t(s)];
        const int64_t extra = m_extraSaved[size_t(n)];
        // In a checkpoint segment, what the node keeps is made again by the rerun.
        const int rerun = m_recomputeStep[size_t(n)];
        if (extra > 0)
            m_buffers.push_back({ extra, Category::SavedActivations, rerun >= 0 ? rerun : s, m_backwardStep[size_t(n)],
                                  -1, "saved", n });
        if (rerun < 0) {
            m_plan.savedActivationBytes = satAdd(m_plan.savedActivationBytes, extra);
            m_plan.savedBytesByNode[size_t(n)] = satAdd(m_plan.savedBytesByNode[size_t(n)], extra);
        }
        const Node& node = m_graph.nodes[size_t(n)];
        KernelScratch scratch;
        if (node.opType == "If" || node.opType == "Loop" || node.opType == "Scan")
            scratch.forward = bodyTransientBytes(node);
        else if (node.opType == "Conv" && algorithm != ConvAlgorithm::FrameworkDefault)
            scratch.forward = scratch.backward = convWorkspace(node, m_tensors, algorithm, m_precision);
        else if (m_fused[size_t(n)].last && m_fused[size_t(n)].scratch > 0)
            scratch.forward = m_fused[size_t(n)].scratch; // a library module's (findLibraryModules)
        else if (!m_fused[size_t(n)].member) // inside a fused pattern the framework's one kernel runs
            scratch = m_runtime.scratch(node, m_tensors, kernelElementBytes(node),
                                        [this](int v) { return isWeight(v) || m_weightView[size_t(v)]; },
                                        readsChannelsLastView(m_graph, node));
        scratch.forward = satAdd(scratch.forward, satAdd(m_operandCopy[size_t(n)][0], m_operandCopy[size_t(n)][1]));
        // What a kernel keeps for its backward (max-pooling's indices) is the same allocation
        // its forward takes in inference: not twice.
        if (m_nodeBackward[size_t(n)])
            scratch.forward = std::max<int64_t>(scratch.forward - extra, 0);
        for (int step : { s, rerun })
            if (step >= 0 && scratch.forward > 0)
                m_buffers.push_back({ scratch.forward, Category::Workspace, step, step, -1, "workspace", n });
        if (m_runtime.runsFoldedBatchNorm && hasFoldedBatchNorm(m_graph, node))
            placeFoldedBatchNorm(n, s, rerun, scratch.forward);
        const int back = m_backwardStep[size_t(n)];
        if (back >= 0 && scratch.backward > 0)
            m_buffers.push_back({ scratch.backward, Category::Workspace, back, back, -1, "workspace", n });
        m_plan.workspaceBytes = std::max({ m_plan.workspaceBytes, scratch.forward, back >= 0 ? scratch.backward : 0 });
    }
}

// What an If, Loop or Scan node's body holds while it runs, beyond the weights and the values
// it reads from outside: the highest activations and scratch of its own plan (inference: the
// body's backward is not modelled). An If counts the branch its condition selects, or the larger
// one; a Loop's iterations reuse the same memory, so one iteration counts.
int64_t MemoryPlanner::bodyTransientBytes(const Node& node) const
{
    AnalysisConfig config = m_config;
    config.training.mode = Mode::Inference;
    int64_t most = 0;
    for (const Attribute& a : node.attributes) {
        for (const auto& body : a.graphs) {
            auto it = m_shapes.subgraphs.find(body.get());
            if (it == m_shapes.subgraphs.end() || m_shapes.untakenBranches.count(body.get()))
                continue;
            const std::vector<int> untied(body->values.size(), -1);
            // --layer-precision names the top graph's layers: a body keeps the chosen precision.
            const std::vector<Precision> chosen;
            const MemoryPlan plan = MemoryPlanner(*body, *it->second, body->order, untied, config, chosen).plan();
            // The body's outputs are the node's, which the plan holds already: not twice.
            std::vector<int64_t> returned(plan.timeline.size(), 0);
            for (size_t s = 0; s < body->order.size() && s < returned.size(); ++s) {
                for (int out : body->nodes[size_t(body->order[s])].outputs)
                    if (out >= 0 && body->values[size_t(out)].isGraphOutput)
                        returned[s] = satAdd(returned[s], tensorBytes(it->second->tensors[size_t(out)], m_precision));
                if (s > 0)
                    returned[s] = satAdd(returned[s], returned[s - 1]);
            }
            for (size_t s = 0; s < plan.timeline.size(); ++s) {
                const CategoryBytes& bytes = plan.timeline[s].byCategory;
                const int64_t transient = satAdd(bytes[size_t(Category::Activations)], bytes[size_t(Category::Workspace)]);
                most = std::max(most, transient - std::min(transient, returned[s]));
            }
        }
    }
    return most;
}

// The BatchNorm an eval export folded into convolution `n` runs in PyTorch as its own kernel
// after it: its output, the size of the convolution's, lives beside the convolution's until
// that is freed. In training the BatchNorm saves its input, one more saved tensor; in
// inference it is a transient, less the convolution's dead inputs and its scratch, which are
// freed by then.
void MemoryPlanner::placeFoldedBatchNorm(int n, int step, int rerun, int64_t convScratch)
{
    const Node& node = m_graph.nodes[size_t(n)];
    const int out = node.output(0);
    if (out < 0 || !isActivation(out))
        return;
    const int64_t bytes = m_bytes[size_t(out)];
    const int back = m_backwardStep[size_t(n)];
    if (back >= 0) {
        m_buffers.push_back({ bytes, Category::SavedActivations, rerun >= 0 ? rerun : step, back, -1,
                              "folded BatchNorm input", n });
        if (rerun >= 0)
            return;
        m_plan.savedActivationBytes = satAdd(m_plan.savedActivationBytes, bytes);
        m_plan.savedBytesByNode[size_t(n)] = satAdd(m_plan.savedBytesByNode[size_t(n)], bytes);
        return;
    }
    std::set<int> freed;
    for (int in : node.inputs)
        if (in >= 0 && isActivation(in) && m_death[size_t(m_root[size_t(in)])] == step)
            freed.insert(m_root[size_t(in)]);
    int64_t freedBytes = convScratch;
    for (int root : freed)
        freedBytes = satAdd(freedBytes, m_bytes[size_t(root)]);
    if (bytes > freedBytes)
        m_buffers.push_back({ bytes - freedBytes, Category::Activations, step, step, -1, "folded BatchNorm", n });
}

// Gradients. An activation's gradient is born at the backward step of its last forward
// consumer and dies once its producer's backward has used it; a parameter's lives until the
// optimizer step is done.
void MemoryPlanner::placeGradients()
{
    std::vector<int> gradBirth(m_valueCount, -1), gradDeath(m_valueCount, -1);
    // A weight read by several nodes (an embedding tied to the output projection) gets one
    // gradient from each backward: autograd keeps the first until the last arrives, and each
    // later one is a new tensor, summed with it into a third (measured: GPT-2's embedding
    // backward, aten::add).
    std::vector<std::vector<int>> contributions(m_valueCount);
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (!m_needsGrad[v] || m_fusedInterior[v]) // a fused kernel's backward has no inner gradients
            continue;
        const Value& value = m_graph.values[v];
        int first = value.isGraphOutput ? m_forwardSteps : -1; // the loss's gradient arrives first
        for (int consumer : value.consumers) {
            const int back = m_backwardStep[size_t(consumer)];
            if (back >= 0 && !isViewOp(m_graph.nodes[size_t(consumer)])) {
                first = first < 0 ? back : std::min(first, back);
                if (isWeight(int(v)))
                    contributions[v].push_back(back);
            }
        }
        std::sort(contributions[v].begin(), contributions[v].end());
        if (first < 0)
            continue;
        const size_t owner = size_t(m_gradRoot[v]);
        int last = m_lastStep;
        if (!isWeight(int(v))) {
            const int producer = m_graph.values[owner].producer;
            last = producer >= 0 && m_backwardStep[size_t(producer)] >= 0 ? m_backwardStep[size_t(producer)] : first;
        }
        gradBirth[owner] = gradBirth[owner] < 0 ? first : std::min(gradBirth[owner], first);
        gradDeath[owner] = std::max(gradDeath[owner], last);
    }
    // A tied copy's gradient waits for the original's; both are then summed into a new tensor
    // (PyTorch's gradient accumulation), so three copies are live at that backward step.
    for (size_t v = 0; v < m_valueCount; ++v) {
        const int original = m_tiedCopies[v];
        if (original < 0 || gradBirth[v] < 0 || gradBirth[size_t(original)] < 0)
            continue;
        const int meet = std::max(gradBirth[v], gradBirth[size_t(original)]);
        gradDeath[v] = meet;
        m_buffers.push_back(
            { m_bytes[v], Category::Gradients, meet, meet, int(v), "gradient sum", -1 });
    }
    // Gradient accumulation: from the second micro-batch on, the parameters' gradients are there
    // from the start, and each backward adds a new gradient into them. ZeRO-2 and 3 reduce-scatter
    // each gradient as it is made and keep only this GPU's shard.
    const bool accumulating = m_plan.accumulationSteps > 1;
    const bool sharded = m_recipe.zeroStage >= 2 && m_recipe.dataParallel > 1;
    int64_t paramGradients = 0, paramElements = 0;
    for (size_t v = 0; v < m_valueCount; ++v) {
        if (gradBirth[v] < 0)
            continue;
        const bool param = isWeight(int(v));
        const int64_t bytes = m_bytes[v];
        const int death = std::max(gradBirth[v], gradDeath[v]);
        if (!param) {
            m_buffers.push_back({ bytes, Category::Activations, gradBirth[v], death, int(v), "grad", -1 });
            continue;
        }
        if (m_tiedCopies[v] < 0) {
            paramGradients = satAdd(paramGradients, bytes);
            paramElements = satAdd(paramElements, std::max<int64_t>(m_tensors[v].elements(), 0));
        }
        const std::vector<int>& arrivals = contributions[v];
        for (size_t i = 1; i < arrivals.size(); ++i)
            m_buffers.push_back({ satMul(bytes, 2), Category::Gradients, arrivals[i], arrivals[i], int(v),
                                  "grad contribution and sum", -1 });
        const int summed = arrivals.empty() ? gradBirth[v] : std::max(gradBirth[v], arrivals.back());
        if (sharded || accumulating)
            m_buffers.push_back({ bytes, Category::Gradients, gradBirth[v], summed, int(v),
                                  sharded ? "grad before reduce-scatter" : "new grad", -1 });
        if (!sharded)
            m_buffers.push_back({ bytes, Category::Gradients, accumulating ? 0 : gradBirth[v], death, int(v), "grad", -1 });
    }
    m_plan.gradientBytes = paramGradients;
    if (sharded) {
        // DeepSpeed's ZeRO-3 reduces the gradients straight into fp32 partitions (its estimator's
        // 18 = 2 + 4 + 4 + 8 bytes per parameter); ZeRO-2 keeps them at 16 bits until step() converts.
        const int64_t kept = m_recipe.zeroStage >= 3 && m_masterCopy ? satMul(paramElements, 4) : paramGradients;
        const int64_t shard = ceilDiv(kept, std::max(m_recipe.dataParallel, 1));
        if (m_recipe.offload != Offload::None) {
            m_plan.hostBytes = satAdd(m_plan.hostBytes, shard);
            m_plan.gradientBytes = 0;
        } else {
            m_plan.gradientBytes = shard;
            m_buffers.push_back({ shard, Category::Gradients, 0, m_lastStep, -1, "gradient shard", -1 });
        }
    }
}

// Live bytes per step and category (buffers rounded to the allocator's granularity), and the peak.
void MemoryPlanner::buildTimeline()
{
    const CategoryBytes none {};
    std::vector<CategoryBytes> born(static_cast<size_t>(m_steps), none), freed(static_cast<size_t>(m_steps), none);
    for (Buffer& b : m_buffers) {
        if (b.category != Category::Weights && b.category != Category::Runtime)
            b.bytes = roundUp(b.bytes, m_allocator.granularityBytes); // weights are rounded per tensor
        if (b.bytes <= 0 || b.birth < 0 || b.death < b.birth)
            continue;
        const int c = int(b.category);
        born[size_t(b.birth)][size_t(c)] = satAdd(born[size_t(b.birth)][size_t(c)], b.bytes);
        freed[size_t(b.death)][size_t(c)] = satAdd(freed[size_t(b.death)][size_t(c)], b.bytes);
    }
    m_plan.timeline.resize(size_t(m_steps));
    CategoryBytes live {};
    live.fill(0);
    for (int s = 0; s < m_steps; ++s) {
        TimelineStep& step = m_plan.timeline[size_t(s)];
        step.phase = m_stepPhase[size_t(s)];
        step.node = m_stepNode[size_t(s)];
        for (int c = 0; c < kCategoryCount; ++c) {
            live[size_t(c)] = satAdd(live[size_t(c)], born[size_t(s)][size_t(c)]);
            step.byCategory[size_t(c)] = live[size_t(c)];
            step.liveBytes = satAdd(step.liveBytes, live[size_t(c)]);
        }
        for (int c = 0; c < kCategoryCount; ++c) {
            if (live[size_t(c)] != kSaturated)
                live[size_t(c)] -= std::min(live[size_t(c)], freed[size_t(s)][size_t(c)]);
        }
        if (step.liveBytes > m_plan.peakBytes || m_plan.peakStep < 0) {
            m_plan.peakBytes = step.liveBytes;
            m_plan.peakStep = s;
        }
    }
}

// The buffers live at the peak, named, largest first.
void MemoryPlanner::listLiveAtPeak()
{
    const int peak = m_plan.peakStep;
    for (const Buffer& b : m_buffers) {
        if (b.bytes <= 0 || b.birth > peak || b.death < peak)
            continue;
        LiveBuffer live;
        live.bytes = b.bytes;
        live.category = b.category;
        live.value = b.value;
        const std::string subject = b.value >= 0 ? m_graph.values[size_t(b.value)].name
            : b.node >= 0                        ? m_graph.nodes[size_t(b.node)].name
                                                 : std::string();
        if (!b.kind)
            live.name = subject;
        else if (subject.empty())
            live.name = b.kind;
        else
            live.name = std::string(b.kind) + "(" + subject + ")";
        m_plan.liveAtPeak.push_back(std::move(live));
    }
    std::stable_sort(m_plan.liveAtPeak.begin(), m_plan.liveAtPeak.end(),
                     [](const LiveBuffer& a, const LiveBuffer& b) { return a.bytes > b.bytes; });
}

} // namespace

MemoryPlan planMemory(const Graph& graph, const ShapeResult& shapes, const std::vector<int>& order,
                      const std::vector<int>& tiedCopies, const AnalysisConfig& config,
                      const std::vector<Precision>& valuePrecisions)
{
    return MemoryPlanner(graph, shapes, order, tiedCopies, config, valuePrecisions).plan();
}

} // namespace fp

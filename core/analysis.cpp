#include "analysis.h"
#include "exportcheck.h"
#include "runtime.h"

#include "saturating.h"

#include <algorithm>
#include <string_view>
#include <cmath>
#include <set>
#include <unordered_map>

namespace fp {

std::vector<int> tiedWeightCopies(const Graph& graph)
{
    std::vector<int> tied(graph.values.size(), -1);
    const auto usedAs = [&](const Value& v, const char* op, int input) {
        for (int c : v.consumers) {
            const Node& n = graph.nodes[size_t(c)];
            if (n.opType == op && n.input(size_t(input)) == graph.findValue(v.name))
                return true;
        }
        return false;
    };
    for (int e : graph.initializers) {
        const Value& embedding = graph.values[size_t(e)];
        const auto& d = embedding.declaredShape;
        if (d.size() != 2 || d[0].value == d[1].value || !usedAs(embedding, "Gather", 0))
            continue;
        for (int c : graph.initializers) {
            Value const& copy = graph.values[size_t(c)];
            const auto& t = copy.declaredShape;
            if (c == e || copy.name.rfind("onnx::", 0) != 0 || t.size() != 2 || t[0].value != d[1].value
                || t[1].value != d[0].value || copy.dtype != embedding.dtype
                || !(usedAs(copy, "MatMul", 1) || usedAs(copy, "Gemm", 1)))
                continue;
            // An untied head (LLaMA's lm_head) is exported the same way: where both weights' data
            // is there, the copy's first row must be the embedding's first column and back.
            const bool probed = !copy.firstRow.empty() && !embedding.firstRow.empty();
            if (probed && (copy.firstRow != embedding.firstColumn || copy.firstColumn != embedding.firstRow))
                continue;
            tied[size_t(c)] = e;
        }
    }
    return tied;
}

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t from = 0, size_t to = SIZE_MAX)
{
    int64_t n = 1;
    for (size_t i = from; i < std::min(to, dims.size()); ++i)
        n = satMul(n, dims[i]);
    return n;
}

// FLOPs per output element of elementwise and normalization operators. The numbers are
// conventional (one per arithmetic operation, transcendental functions counted once);
// MACs are counted only where a multiply feeds an accumulation (conv, matmul, recurrences).
const std::unordered_map<std::string, int>& flopsPerElement()
{
    static const std::unordered_map<std::string, int> table = [] {
        std::unordered_map<std::string, int> t;
        for (const char* op : { "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg",
                                "Abs", "Erf", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan",
                                "Softplus", "Softsign", "Elu", "Selu", "Celu", "HardSigmoid", "ThresholdedRelu",
                                "Clip", "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean",
                                "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
                                "Not", "Where", "IsNaN", "IsInf", "BitShift", "Asin", "Acos", "Atan", "Sinh", "Cosh",
                                "Asinh", "Acosh", "Atanh", "Shrink", "CumSum", "Dropout", "Cast", "Trilu",
                                "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot" })
            t[op] = 1;
        t["HardSwish"] = 3;
        t["Mish"] = 4;
        t["Gelu"] = 8;
        t["BatchNormalization"] = 2; // inference: one scale and one shift per element
        t["Softmax"] = 5; // max, subtract, exp, sum, divide
        t["LogSoftmax"] = 5;
        t["Hardmax"] = 2;
        t["LayerNormalization"] = 8; // mean, variance, normalize, scale, shift
        t["InstanceNormalization"] = 8;
        t["MeanVarianceNormalization"] = 6;
        t["LpNormalization"] = 3;
        t["LRN"] = 6;
        return t;
    }();
    return table;
}

// Operators that only move, index or describe data: no arithmetic, known to cost nothing.
const std::set<std::string>& dataMovementOps()
{
    static const std::set<std::string> ops { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Transpose",
                                             "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND",
                                             "Shape", "Size", "Expand", "Tile", "ConstantOfShape", "Constant", "Range",
                                             "Pad", "ScatterND", "ScatterElements", "Scatter", "NonZero", "OneHot",
                                             "DepthToSpace", "SpaceToDepth", "Compress", "ReverseSequence",
                                             "EyeLike", "CastLike", "Optional", "OptionalGetElement",
                                             "OptionalHasElement", "SequenceConstruct", "SequenceAt",
                                             "SequenceEmpty", "SequenceInsert", "SequenceErase", "SequenceLength",
                                             "SplitToSequence", "ConcatFromSequence", "RandomNormal", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
                                             "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                                             "Bernoulli", "Unique", "Det" };
    return ops;
}

struct OpCost {
    int64_t macs = 0;
    int64_t flops = 0;
    bool known = true;
};

// Einsum: every combination of index values is one multiply-add, so MACs are the product of
// all index sizes ("bij,bjk->bik": b*i*j*k). Equations with an ellipsis are not modelled.
OpCost einsumCost(const Node& node, const std::vector<const TensorInfo*>& in)
{
    OpCost c;
    std::string eq = node.attrString("equation");
    eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
    const std::string lhs = eq.substr(0, eq.find("->"));
    if (lhs.find("...") != std::string::npos) {
        c.known = false;
        return c;
    }
    std::unordered_map<char, int64_t> sizes;
    size_t operand = 0, axis = 0;
    for (char ch : lhs) {
        if (ch == ',') {
            ++operand;
            axis = 0;
            continue;
        }
        const TensorInfo* t = operand < in.size() ? in[operand] : nullptr;
        if (!t || !t->isKnown() || axis >= t->dims.size()) {
            c.known = false;
            return c;
        }
        sizes[ch] = std::max(sizes[ch], t->dims[axis++]);
    }
    int64_t all = 1;
    for (const auto& [ch, size] : sizes)
        all = satMul(all, size);
    if (operand == 0) {
        c.flops = all; // one operand: a sum or a transpose
    } else {
        c.macs = satMul(all, int64_t(operand)); // n operands: n-1 multiplies and one add per combination
        c.flops = satMul(c.macs, 2);
    }
    return c;
}

OpCost opCost(const Node& node, const std::vector<const TensorInfo*>& in, const std::vector<const TensorInfo*>& out)
{
    const std::string_view op = node.opType; // compares the length first: this runs for every node of every analysis
    const auto inDims = [&](size_t i) -> const std::vector<int64_t>* {
        return i < in.size() && in[i] && in[i]->isKnown() ? &in[i]->dims : nullptr;
    };
    const auto outElems = [&](size_t i) { return i < out.size() && out[i] ? out[i]->elements() : -1; };
    OpCost c;
    if (op == "Conv" || op == "ConvInteger" || op == "QLinearConv") {
        const auto* w = inDims(op == "QLinearConv" ? 3 : 1); // QLinearConv: x, x_scale, x_zero_point, w, ...
        const int64_t o = outElems(0);
        if (!w || o < 0 || w->size() < 2)
            return c;
        // N*Cout*spatial_out * (Cin/groups)*prod(kernel), and Cin/groups is W's dim 1.
        c.macs = satMul(o, product(*w, 1));
        c.flops = satAdd(satMul(c.macs, 2), node.input(op == "QLinearConv" ? 8 : 2) >= 0 ? o : 0); // the bias
    } else if (op == "ConvTranspose") {
        const auto* x = inDims(0);
        const auto* w = inDims(1);
        if (!x || !w || w->size() < 2)
            return c;
        // Every input element is scattered through (Cout/groups)*prod(kernel) weights.
        c.macs = satMul(product(*x), product(*w, 1));
        c.flops = satMul(c.macs, 2);
    } else if (op == "Gemm") {
        const auto* a = inDims(0);
        const int64_t o = outElems(0);
        if (!a || a->size() != 2 || o < 0)
            return c;
        const int64_t k = node.attrInt("transA", 0) ? (*a)[0] : (*a)[1];
        c.macs = satMul(o, k);
        c.flops = satAdd(satMul(c.macs, 2), node.input(2) >= 0 ? o : 0);
    } else if (op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul") {
        const auto* a = inDims(0);
        const int64_t o = outElems(0);
        if (!a || a->empty() || o < 0)
            return c;
        c.macs = satMul(o, a->back());
        c.flops = satMul(c.macs, 2);
    } else if (op == "LSTM" || op == "GRU" || op == "RNN") {
        const auto* x = inDims(0);
        const int64_t hidden = node.attrInt("hidden_size", -1);
        if (!x || x->size() != 3 || hidden < 0)
            return c;
        const int gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
        const int64_t dirs = node.attrString("direction", "forward") == "bidirectional" ? 2 : 1;
        const int64_t steps = satMul((*x)[0], (*x)[1]); // seq * batch in either layout
        const int64_t perStep = satMul(satMul(gates, hidden), satAdd((*x)[2], hidden));
        c.macs = satMul(satMul(steps, dirs), perStep);
        // Gate nonlinearities and the cell update: a few FLOPs per hidden unit per gate.
        c.flops = satAdd(satMul(c.macs, 2), satMul(satMul(steps, dirs), satMul(hidden, 3 * gates)));
    } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
        const int64_t o = outElems(0);
        const std::vector<int64_t> k = node.attrInts("kernel_shape");
        if (o < 0)
            return c;
        c.flops = satMul(o, product(k));
    } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool" || op.rfind("Reduce", 0) == 0
               || op == "ArgMax" || op == "ArgMin" || op == "TopK") {
        const auto* x = inDims(0);
        if (!x)
            return c;
        c.flops = product(*x);
    } else if (op == "Resize" || op == "Upsample") {
        const int64_t o = outElems(0);
        if (o < 0)
            return c;
        const std::string mode = node.attrString("mode", "nearest");
        c.flops = satMul(o, mode == "nearest" ? 1 : mode == "cubic" ? 16 : 4);
    } else if (op == "STFT" || op == "DFT") {
        // An FFT of length N takes about 5 N log2 N FLOPs (Cooley-Tukey's count; a real input
        // needs half, which is not credited). STFT: batch x frames transforms of the frame length
        // (the window's or frame_length) and the window's multiply; DFT: one transform per
        // position off its axis (the attribute, or input 2 from opset 20).
        const TensorInfo* y = out.empty() ? nullptr : out[0];
        if (!y || !y->isKnown() || y->rank() < 3)
            return c;
        const int64_t rank = y->rank();
        int64_t axis = 2;
        if (op == "DFT") {
            const auto* values = in.size() > 2 && in[2] ? &in[2]->values : nullptr;
            axis = node.attribute("axis") ? node.attrInt("axis", 1)
                : values && *values && (*values)->size() == 1 ? (*values)->front()
                                                              : 1;
            axis = axis < 0 ? axis + rank : axis;
        }
        if (axis <= 0 || axis >= rank - 1)
            return c;
        int64_t n = y->dims[size_t(axis)];
        if (op == "STFT" && in.size() > 2 && in[2] && in[2]->isKnown() && in[2]->rank() == 1)
            n = in[2]->dims[0];
        else if (op == "STFT" && in.size() > 3 && in[3] && in[3]->values && in[3]->values->size() == 1)
            n = in[3]->values->front();
        const int64_t transforms = product(y->dims) / std::max<int64_t>(satMul(y->dims[size_t(axis)], 2), 1);
        const double log2n = n > 1 ? std::log2(double(n)) : 1;
        c.flops = satAdd(satMul(transforms, int64_t(5 * double(n) * log2n)), op == "STFT" ? satMul(transforms, n) : 0);
    } else if (op == "Einsum") {
        c = einsumCost(node, in);
    } else if (op == "NegativeLogLikelihoodLoss" || op == "SoftmaxCrossEntropyLoss" || op == "GridSample") {
        const auto* x = inDims(0);
        if (!x)
            return c;
        c.flops = satMul(product(*x), op == "NegativeLogLikelihoodLoss" ? 1 : op == "GridSample" ? 8 : 6);
    } else if (auto it = flopsPerElement().find(node.opType); it != flopsPerElement().end()) {
        const int64_t o = outElems(0);
        if (o >= 0)
            c.flops = satMul(o, it->second);
    } else if (!dataMovementOps().count(node.opType)) {
        c.known = false;
    }
    return c;
}

// ONNX Runtime's operators that language-model exports use (shape_rules_contrib.cpp). Attention
// is two batched products, QK^T and the scores times V, over the present length; a packed
// MatMulNBits weight is a K x N product; norms, GELUs and rotary embeddings a few FLOPs per
// element.
OpCost contribCost(const Node& node, const std::vector<const TensorInfo*>& in, const std::vector<const TensorInfo*>& out)
{
    const std::string& op = node.opType;
    const auto known = [](const TensorInfo* t) { return t && t->isKnown(); };
    const TensorInfo* y = out.empty() ? nullptr : out[0];
    OpCost c;
    if (!known(y)) {
        c.known = false;
        return c;
    }
    const int64_t elements = y->elements();
    if (op == "MatMulNBits") {
        const int64_t k = node.attrInt("K", -1);
        if (k <= 0 || y->dims.empty())
            return c;
        c.macs = satMul(elements, k); // every output element is a K-long dot product
        c.flops = satMul(c.macs, 2);
    } else if (op == "GroupQueryAttention" || op == "MultiHeadAttention" || op == "Attention") {
        // QK^T and softmax(QK^T) V: B x N x S x L x (H + Hv) MACs, L the keys' length: the
        // present KV's where there is one, else the keys' (MultiHeadAttention), else the past's
        // plus the new tokens' (Attention).
        const TensorInfo* present = out.size() > 1 ? out[1] : nullptr;
        const int64_t heads = node.attrInt("num_heads", 0);
        if (heads <= 0 || y->rank() != 3) {
            c.known = false;
            return c;
        }
        const int64_t batch = y->dims[0], sequence = y->dims[1], valueHead = y->dims[2] / heads;
        int64_t length = -1, h = -1;
        const bool stacked = op == "Attention"; // present [2, B, N, L, H]
        if (known(present) && present->rank() == (stacked ? 5 : 4)) {
            length = present->dims[stacked ? 3 : 2];
            h = present->dims[stacked ? 4 : 3];
            // In the shared-buffer mode the present is the whole buffer; the tokens attended
            // are total_sequence_length's (input 6).
            const TensorInfo* total = op == "GroupQueryAttention" && in.size() > 6 ? in[6] : nullptr;
            if (total && total->values && total->values->size() == 1 && total->values->front() > 0)
                length = std::min(length, total->values->front());
        } else if (op == "MultiHeadAttention" && in.size() > 1 && known(in[0]) && in[0]->rank() == 3) {
            const TensorInfo* key = in[1];
            const TensorInfo* past = in.size() > 6 ? in[6] : nullptr;
            length = !known(key) ? sequence : key->rank() == 4 ? key->dims[2] : key->dims[1];
            h = known(key) && key->rank() == 4 ? key->dims[3] : in[0]->dims[2] / heads;
            if (known(past) && past->rank() == 4)
                length = satAdd(length, past->dims[2]);
        } else if (op == "Attention" && in.size() > 1 && known(in[1]) && in[1]->rank() == 2) {
            const std::vector<int64_t> sizes = node.attrInts("qkv_hidden_sizes");
            h = (sizes.size() == 3 ? sizes[0] : in[1]->dims[1] / 3) / heads;
            const TensorInfo* past = in.size() > 4 ? in[4] : nullptr;
            length = satAdd(sequence, known(past) && past->rank() == 5 ? past->dims[3] : 0);
        }
        if (length < 0 || h <= 0) {
            c.known = false;
            return c;
        }
        const int64_t scores = satMul(satMul(satMul(batch, heads), sequence), length);
        c.macs = satMul(scores, satAdd(h, valueHead));
        if (op == "Attention" && in.size() > 1 && known(in[1]) && in[1]->rank() == 2) // the QKV projection
            c.macs = satAdd(c.macs, satMul(satMul(batch, sequence), satMul(in[1]->dims[0], in[1]->dims[1])));
        c.flops = satAdd(satMul(c.macs, 2), satMul(scores, 5)); // softmax: max, sub, exp, sum, div
    } else if (op == "SimplifiedLayerNormalization" || op == "SkipSimplifiedLayerNormalization"
               || op == "SkipLayerNormalization" || op == "EmbedLayerNormalization") {
        c.flops = satMul(elements, 8);
    } else if (op == "FastGelu" || op == "BiasGelu" || op == "Gelu" || op == "QuickGelu") {
        c.flops = satMul(elements, 8);
    } else if (op == "GatherBlockQuantized" || op == "DequantizeLinear" || op == "QuantizeLinear") {
        c.flops = satMul(elements, 2); // a zero point and a scale per element
    } else if (op == "RotaryEmbedding" || op == "BiasAdd") {
        c.flops = satMul(elements, 3);
    } else {
        c.known = false;
    }
    return c;
}

// Whether a weight counts as a parameter: a floating-point initializer or Constant tensor that is
// not a scalar (exporters write scale factors, attention's sqrt(d) and a quantizer's scales as
// scalars; PyTorch has no 0-d parameters in its layers).
bool isParameter(const Value& weight)
{
    return isFloating(weight.dtype) && !weight.declaredShape.empty();
}

struct GraphCost {
    int64_t params = 0, buffers = 0, weightBytes = 0, macs = 0, flops = 0;
    bool known = true;
};

GraphCost analyzeGraph(const Graph& graph, const ShapeResult& shapes, const ShapeScope* outer, Precision precision,
                       AnalysisResult* top, std::set<std::string>& unsupported, std::vector<std::string>& unknown,
                       const std::string& prefix);

// The names a body reads from its enclosing graphs, its nested bodies' included (less what the
// body itself defines).
void outerNames(const Graph& body, std::set<std::string>& names)
{
    for (const Value& v : body.values) {
        if (v.isOuterScope)
            names.insert(v.name);
    }
    for (const Node& node : body.nodes) {
        for (const Attribute& a : node.attributes) {
            for (const auto& inner : a.graphs) {
                std::set<std::string> innerNames;
                outerNames(*inner, innerNames);
                for (const std::string& name : innerNames) {
                    const int index = body.findValue(name);
                    if (index < 0 || body.values[size_t(index)].isOuterScope)
                        names.insert(name);
                }
            }
        }
    }
}

// The cost of an If/Loop/Scan node's bodies: the larger If branch, a Loop body times its trip count.
GraphCost controlFlowCost(const Node& node, const ShapeResult& shapes, const ShapeScope& scope, Precision precision,
                          std::set<std::string>& unsupported, std::vector<std::string>& unknown,
                          std::vector<std::string>& warnings, const std::vector<const TensorInfo*>& in)
{
    GraphCost total;
    bool decided = false;
    for (const Attribute& a : node.attributes) {
        for (const auto& body : a.graphs) {
            auto it = shapes.subgraphs.find(body.get());
            if (it == shapes.subgraphs.end())
                continue;
            const bool untaken = shapes.untakenBranches.count(body.get()) > 0;
            decided = decided || untaken;
            std::vector<std::string> notRun; // a branch that does not run has no unknown tensors
            GraphCost g = analyzeGraph(*body, *it->second, &scope, precision, nullptr, unsupported,
                                       untaken ? notRun : unknown, node.name + "/" + a.name + "/");
            int64_t repeat = 1;
            if (node.opType == "Loop") {
                const TensorInfo* trip = in.empty() ? nullptr : in[0];
                if (trip && trip->values && trip->values->size() == 1 && trip->values->front() >= 0)
                    repeat = trip->values->front();
                else
                    warnings.push_back("loop '" + node.name + "' has no constant trip count; its body is counted once");
            } else if (node.opType == "Scan") {
                const int64_t scanInputs = node.attrInt("num_scan_inputs", 0); // from the file: any int64
                const int64_t inputs = int64_t(node.inputs.size());
                const int64_t stateCount = scanInputs >= 0 && scanInputs <= inputs ? inputs - scanInputs : -1;
                const TensorInfo* first = stateCount >= 0 && size_t(stateCount) < in.size() ? in[size_t(stateCount)]
                                                                                             : nullptr;
                if (first && first->isKnown() && !first->dims.empty())
                    repeat = first->dims[0];
            }
            total.params = satAdd(total.params, g.params);
            total.buffers = satAdd(total.buffers, g.buffers);
            total.weightBytes = satAdd(total.weightBytes, g.weightBytes);
            const int64_t macs = satMul(g.macs, repeat), flops = satMul(g.flops, repeat);
            if (node.opType == "If" && untaken) {
                // Its weights are stored all the same; its work is not done.
            } else if (node.opType == "If") {
                total.macs = std::max(total.macs, macs);
                total.flops = std::max(total.flops, flops);
            } else {
                total.macs = satAdd(total.macs, macs);
                total.flops = satAdd(total.flops, flops);
            }
            total.known = total.known && g.known;
        }
    }
    if (node.opType == "If" && warnings.size() < 20)
        warnings.push_back(decided ? "if '" + node.name + "': its condition is known, so only the branch it selects is counted"
                                   : "if '" + node.name + "': its condition depends on input values, so the larger branch is counted");
    return total;
}

GraphCost analyzeGraph(const Graph& graph, const ShapeResult& shapes, const ShapeScope* outer, Precision precision,
                       AnalysisResult* top, std::set<std::string>& unsupported, std::vector<std::string>& unknown,
                       const std::string& prefix)
{
    GraphCost total;
    const ShapeScope scope { &graph, &shapes.tensors, outer };
    const auto tensorFor = [&](int index) -> const TensorInfo* {
        if (index < 0)
            return nullptr;
        const Value& v = graph.values[size_t(index)];
        if (v.isOuterScope)
            return outer ? outer->lookup(v.name) : nullptr;
        return &shapes.tensors[size_t(index)];
    };
    // --layer-precision applies to the top graph's values (bodies keep the chosen precision).
    const auto precisionOf = [&](int index) { return top ? top->precisionOf(index) : precision; };
    std::vector<bool> weightSeen(graph.values.size(), false);
    std::vector<const TensorInfo*> in, out;
    for (int n : graph.order) {
        const Node& node = graph.nodes[size_t(n)];
        LayerResult layer;
        layer.node = n;
        in.clear();
        out.clear();
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int index = node.inputs[i];
            const TensorInfo* t = tensorFor(index);
            in.push_back(t);
            if (index < 0)
                continue;
            if (!t || !t->isKnown())
                layer.shapesKnown = false;
            const Value& v = graph.values[size_t(index)];
            const int64_t bytes = t ? tensorBytes(*t, precisionOf(index)) : 0;
            if (!isViewOp(node))
                layer.readBytes = satAdd(layer.readBytes, bytes);
            if ((v.isInitializer || v.isConstantNode) && !weightSeen[size_t(index)]) {
                weightSeen[size_t(index)] = true;
                layer.weightBytes = satAdd(layer.weightBytes, bytes);
                const int64_t count = t ? std::max<int64_t>(t->elements(), 0) : 0;
                const QuantizedInput q = quantizedInput(node, i, t);
                if (q.role == QuantizedInput::Role::Weight) {
                    layer.params = satAdd(layer.params, q.params); // its logical elements
                } else if (q.role == QuantizedInput::Role::QuantParam) {
                    layer.buffers = satAdd(layer.buffers, count); // stored, but not parameters
                } else if (isParameter(v) && !(top && top->tiedCopies[size_t(index)] >= 0)) {
                    int64_t& total = isBufferInput(node, i) ? layer.buffers : layer.params;
                    total = satAdd(total, count);
                }
            }
        }
        for (int index : node.outputs) {
            const TensorInfo* t = tensorFor(index);
            out.push_back(t);
            if (index < 0)
                continue;
            if (!t || !t->isKnown()) {
                layer.shapesKnown = false;
                unknown.push_back(prefix + graph.values[size_t(index)].name);
            }
            const int64_t bytes = t ? tensorBytes(*t, precisionOf(index)) : 0;
            layer.outputBytes = satAdd(layer.outputBytes, bytes);
            if (!isViewOp(node))
                layer.writeBytes = satAdd(layer.writeBytes, bytes);
        }
        // A Constant node's tensor (paddle2onnx stores weights so) is a weight like an initializer:
        // resident, not an activation, and charged to the layer that first reads it. Only one that
        // no node reads (a graph output) stays on the Constant.
        if (node.opType == "Constant" && node.domain.empty() && !out.empty() && out[0]) {
            const Value& v = graph.values[size_t(node.outputs[0])];
            if (v.consumers.empty()) {
                weightSeen[size_t(node.outputs[0])] = true;
                layer.weightBytes = layer.outputBytes;
                if (isParameter(v))
                    layer.params = satAdd(layer.params, std::max<int64_t>(out[0]->elements(), 0));
            }
            layer.outputBytes = layer.writeBytes = 0;
        }

        OpCost cost;
        if (node.opType == "If" || node.opType == "Loop" || node.opType == "Scan") {
            std::vector<std::string> warnings;
            GraphCost g = controlFlowCost(node, shapes, scope, precision, unsupported, unknown,
                                          top ? top->warnings : warnings, in);
            cost = { g.macs, g.flops, g.known };
            layer.params = satAdd(layer.params, g.params);
            layer.buffers = satAdd(layer.buffers, g.buffers);
            layer.weightBytes = satAdd(layer.weightBytes, g.weightBytes);
            // This graph's initializers that only the bodies read (an If branch's MatMul on an
            // outer weight): the control-flow node is their first consumer.
            std::set<std::string> names;
            for (const Attribute& a : node.attributes) {
                for (const auto& body : a.graphs)
                    outerNames(*body, names);
            }
            for (const std::string& name : names) {
                const int index = graph.findValue(name);
                if (index < 0 || weightSeen[size_t(index)])
                    continue;
                const Value& v = graph.values[size_t(index)];
                if (!(v.isInitializer || v.isConstantNode) || v.isOuterScope)
                    continue;
                weightSeen[size_t(index)] = true;
                const TensorInfo* t = tensorFor(index);
                layer.weightBytes = satAdd(layer.weightBytes, t ? tensorBytes(*t, precisionOf(index)) : 0);
                if (isParameter(v) && !(top && top->tiedCopies[size_t(index)] >= 0))
                    layer.params = satAdd(layer.params, t ? std::max<int64_t>(t->elements(), 0) : 0);
            }
        } else if (node.domain == "com.microsoft" || (node.domain.empty() && node.opType == "SimplifiedLayerNormalization")) {
            cost = contribCost(node, in, out);
        } else if (!node.domain.empty() && node.domain != "ai.onnx.ml") {
            cost.known = false;
        } else {
            cost = opCost(node, in, out);
        }
        layer.macs = cost.macs;
        layer.flops = cost.flops;
        layer.costKnown = cost.known;
        if (!cost.known)
            unsupported.insert(node.domain.empty() ? node.opType : node.domain + "::" + node.opType);

        total.params = satAdd(total.params, layer.params);
        total.buffers = satAdd(total.buffers, layer.buffers);
        total.weightBytes = satAdd(total.weightBytes, layer.weightBytes);
        total.macs = satAdd(total.macs, layer.macs);
        total.flops = satAdd(total.flops, layer.flops);
        total.known = total.known && cost.known;
        if (top)
            top->layers.push_back(layer);
    }
    // Initializers no node reads still occupy storage.
    for (int init : graph.initializers) {
        if (!weightSeen[size_t(init)])
            total.weightBytes = satAdd(total.weightBytes, tensorBytes(shapes.tensors[size_t(init)], precisionOf(init)));
    }
    return total;
}

} // namespace

namespace {

TorchsummaryEstimate estimateTorchsummary(const Graph& graph, const AnalysisResult& r, Precision precision)
{
    TorchsummaryEstimate e;
    int64_t moduleOutputs = 0;
    for (const int v : graph.moduleOutputs)
        moduleOutputs = satAdd(moduleOutputs, tensorBytes(r.shapes.tensors[size_t(v)], precision));
    if (graph.moduleCalls > 0) {
        e.rule = TorchsummaryEstimate::Rule::ModuleOutputs;
        e.modules = graph.moduleCalls;
        e.forwardBytes = moduleOutputs;
    } else {
        e.forwardBytes = r.totals.activationBytes;
    }
    e.inputBytes = r.totals.inputBytes;
    // torchsummary counts each hooked module's weight and bias: the trainable parameters, at the
    // bytes of a floating-point tensor under the chosen precision (4 for a float32 model).
    e.paramBytes = satMul(r.totals.params, elementBytes(DType::Float, precision));
    e.totalBytes = satAdd(satAdd(e.inputBytes, satMul(e.forwardBytes, 2)), e.paramBytes);
    return e;
}

} // namespace

std::string torchsummaryRuleText(const TorchsummaryEstimate& e)
{
    if (e.rule == TorchsummaryEstimate::Rule::ModuleOutputs)
        return "the outputs of " + std::to_string(e.modules) + " module calls, as torchsummary's hooks see them";
    return "every node's output: the graph's names carry no module scopes";
}

namespace {

// What a training recipe asked for that the model or the runtime cannot give: a pattern that
// matches no node, an autocast dtype or backward the runtime lacks.
void addRecipeWarnings(const Graph& graph, AnalysisResult& r)
{
    const Recipe& recipe = r.config.training.recipe;
    const bool training = r.config.training.mode == Mode::Training;
    const auto unmatched = [&](const char* option, const std::vector<std::string>& patterns) {
        for (const std::string& p : patterns) {
            const bool any = std::any_of(graph.nodes.begin(), graph.nodes.end(),
                                         [&](const Node& n) { return !matchedScope({ p }, n.name).empty(); });
            if (!any)
                r.warnings.push_back(std::string("--") + option + " '" + p
                                     + "' matches no node's name or scope: it changes nothing");
        }
    };
    unmatched("checkpoint", recipe.checkpoint);
    unmatched("freeze", recipe.freeze);
    unmatched("train-only", recipe.trainOnly);
    if (training && !recipe.checkpoint.empty() && r.memory.checkpointSegments == 0)
        r.warnings.push_back("no checkpoint segment has anything to differentiate: nothing is recomputed");
    if (training && recipe.microBatch && !r.config.shapes.batch)
        r.warnings.push_back("--micro-batch without --batch: the model's batch is one micro-batch");
    if (!recipe.autocast)
        return;
    const RuntimeProfile& runtime = *r.config.runtime;
    const AutocastPolicy& policy = runtime.autocast;
    const std::string dtype = precisionName(*recipe.autocast);
    if (policy.dtypes.empty())
        r.warnings.push_back(runtime.name() + " has no autocast policy: every kernel is taken to run in fp32");
    else if (!policy.accepts(*recipe.autocast))
        r.warnings.push_back(runtime.name() + "'s autocast does not take " + dtype
                             + " (PyTorch refuses it): the estimate uses its operator lists all the same");
    if (!policy.dtypes.empty() && !policy.measured)
        r.warnings.push_back(runtime.name() + "'s autocast lists are documented, not measured");
    if (training) {
        std::set<std::string> missing;
        for (const Node& n : graph.nodes)
            if (policy.noLowPrecisionBackward.count(n.opType))
                missing.insert(n.opType);
        for (const std::string& op : missing)
            r.warnings.push_back(runtime.name() + " has no " + dtype + " backward for " + op
                                 + (op == "Clip" ? " (ReLU6)" : "") + ": PyTorch cannot run this training step");
    }
}

} // namespace

QuantizedInput quantizedInput(const Node& node, size_t inputIndex, const TensorInfo* t)
{
    using Role = QuantizedInput::Role;
    const std::string& op = node.opType;
    const bool onnx = node.domain.empty(), ms = node.domain == "com.microsoft";
    if (!onnx && !ms)
        return {};
    const int64_t elements = t ? std::max<int64_t>(t->elements(), 0) : 0;
    const int dtypeBitCount = t ? dtypeBits(t->dtype) : 8;
    const auto weight = [&](int64_t params, int bits, int64_t block) {
        return QuantizedInput { Role::Weight, params, bits, std::max<int64_t>(block, 0) };
    };
    const QuantizedInput param { Role::QuantParam, 0, 0, 0 };
    // Inputs: the weight's index, then the index range of scales and zero points.
    const auto roles = [&](size_t weightIndex, size_t firstParam, size_t lastParam, QuantizedInput w) {
        if (inputIndex == weightIndex)
            return w;
        return inputIndex >= firstParam && inputIndex <= lastParam ? param : QuantizedInput {};
    };
    if (ms && op == "MatMulNBits") {
        // Packed [N, K / block, block x bits / 8]; the logical weight is K x N.
        const int64_t k = std::max<int64_t>(node.attrInt("K", 0), 0), n = std::max<int64_t>(node.attrInt("N", 0), 0);
        return roles(1, 2, 4, weight(satMul(k, n), int(node.attrInt("bits", 4)), node.attrInt("block_size", 0)));
    }
    if (ms && op == "GatherBlockQuantized") {
        // uint8 data packs 8 / bits elements to a byte along its last axis; int4 data is logical.
        const int64_t bits = node.attrInt("bits", 4);
        const int64_t perByte = t && t->dtype == DType::UInt8 && bits > 0 && bits < 8 ? 8 / bits : 1;
        return roles(0, 2, 3, weight(satMul(elements, perByte), t && t->dtype == DType::UInt8 ? int(bits) : dtypeBitCount,
                                     node.attrInt("block_size", 128)));
    }
    if (op == "DequantizeLinear")
        return roles(0, 1, 2, weight(elements, dtypeBitCount, node.attrInt("block_size", 0)));
    if (onnx && op == "QLinearConv") // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias
        return inputIndex == 8 ? weight(elements, dtypeBitCount, 0) : roles(3, 1, 7, weight(elements, dtypeBitCount, 0));
    if (onnx && op == "QLinearMatMul") // a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
        return roles(3, 1, 7, weight(elements, dtypeBitCount, 0));
    if (onnx && (op == "MatMulInteger" || op == "ConvInteger")) // x, w, x_zp, w_zp
        return roles(1, 2, 3, weight(elements, dtypeBitCount, 0));
    if (ms && op == "DynamicQuantizeMatMul") // A, B, b_scale, b_zp, bias
        return inputIndex == 4 ? weight(elements, dtypeBitCount, 0) : roles(1, 2, 3, weight(elements, dtypeBitCount, 0));
    if (ms && op == "MatMulIntegerToFloat") // A, B, a_scale, b_scale, a_zp, b_zp, bias
        return inputIndex == 6 ? weight(elements, dtypeBitCount, 0) : roles(1, 2, 5, weight(elements, dtypeBitCount, 0));
    return {};
}

AnalysisResult analyze(const Model& model, const AnalysisConfig& config)
{
    AnalysisResult r;
    r.config = config;
    if (!r.config.runtime)
        r.config.runtime = builtinRuntime(Runtime::PyTorchCpu);
    const Graph& graph = model.graph;
    r.tiedCopies = tiedWeightCopies(graph);
    // Gradient accumulation: the plan is of one micro-batch (the last may be smaller).
    ShapeConfig shapes = config.shapes;
    const std::optional<int64_t> micro = config.training.recipe.microBatch;
    if (config.training.mode == Mode::Training && micro && *micro > 0)
        shapes.batch = std::min(*micro, shapes.batch.value_or(*micro));
    r.shapes = resolveInputs(graph, shapes);
    inferShapes(graph, model.opsetVersion(), r.shapes);
    r.warnings = model.warnings;
    if (config.training.mode == Mode::Training) {
        r.evalExportCaveat = evalExportCaveat(evalExportSigns(model));
        if (!r.evalExportCaveat.empty())
            r.warnings.insert(r.warnings.begin(), r.evalExportCaveat);
    }
    r.warnings.insert(r.warnings.end(), r.shapes.warnings.begin(), r.shapes.warnings.end());
    for (const std::string& s : r.shapes.assumedSymbols)
        r.warnings.push_back("dimension '" + s + "' was not set and is taken as " + std::to_string(r.shapes.symbols[s]));
    for (const std::string& s : r.shapes.ignoredSymbols)
        r.warnings.push_back("dimension '" + s + "' is not one of the model's and was ignored");
    for (size_t c = 0; c < r.tiedCopies.size(); ++c) {
        const Value& copy = graph.values[c];
        if (r.tiedCopies[c] >= 0 && copy.firstRow.empty())
            r.warnings.push_back("'" + copy.name + "' is taken for a transposed copy of '"
                                 + graph.values[size_t(r.tiedCopies[c])].name
                                 + "' (tied weights, counted once): their data is not in the file to check");
    }

    std::set<std::string> unsupported;
    r.layers.reserve(graph.nodes.size());
    std::vector<bool> ruleMatched;
    r.valuePrecisions = valuePrecisions(graph, config, &ruleMatched);
    for (size_t i = 0; i < ruleMatched.size(); ++i)
        if (!ruleMatched[i])
            r.warnings.push_back("--layer-precision '" + config.layerPrecisions[i].pattern + "' matches no layer");
    const GraphCost cost = analyzeGraph(graph, r.shapes, nullptr, config.precision, &r, unsupported,
                                        r.unknownShapes, {});
    r.unsupportedOps.assign(unsupported.begin(), unsupported.end());

    Totals& t = r.totals;
    t.params = cost.params;
    // The weights' own floating-point type, by bytes.
    int64_t byType[3] = { 0, 0, 0 }; // fp32 (and wider), fp16, bf16
    for (int init : graph.initializers) {
        const TensorInfo& w = r.shapes.tensors[size_t(init)];
        const int64_t bytes = std::max<int64_t>(w.elements(), 0);
        if (w.dtype == DType::Float16)
            byType[1] = satAdd(byType[1], bytes);
        else if (w.dtype == DType::BFloat16)
            byType[2] = satAdd(byType[2], bytes);
        else if (isFloating(w.dtype))
            byType[0] = satAdd(byType[0], bytes);
    }
    r.storedPrecision = byType[1] > byType[0] && byType[1] >= byType[2] ? Precision::FP16
        : byType[2] > byType[0]                                        ? Precision::BF16
                                                                       : Precision::FP32;
    t.buffers = cost.buffers;
    t.paramBytes = cost.weightBytes;
    t.macs = cost.macs;
    t.flops = cost.flops;
    for (const LayerResult& l : r.layers) {
        t.activationBytes = satAdd(t.activationBytes, l.outputBytes);
        t.readBytes = satAdd(t.readBytes, l.readBytes);
        t.writeBytes = satAdd(t.writeBytes, l.writeBytes);
    }
    for (int in : graph.inputs) {
        const TensorInfo& info = r.shapes.tensors[size_t(in)];
        t.inputBytes = satAdd(t.inputBytes, tensorBytes(info, config.precision));
        if (!info.isKnown())
            r.unknownShapes.insert(r.unknownShapes.begin(), graph.values[size_t(in)].name);
    }
    r.torchsummary = estimateTorchsummary(graph, r, config.precision);
    std::vector<int> order; // the node of each forward step
    order.reserve(r.layers.size());
    for (const LayerResult& l : r.layers)
        order.push_back(l.node);
    r.memory = planMemory(graph, r.shapes, order, r.tiedCopies, r.config, r.valuePrecisions);
    addRecipeWarnings(graph, r);
    if (!r.memory.fusedAway.empty()) {
        // --fuse: a value a fused kernel keeps out of memory is neither written by its producer
        // nor read by its consumers.
        std::vector<int> stepOf(graph.nodes.size(), -1);
        for (size_t s = 0; s < r.layers.size(); ++s)
            stepOf[size_t(r.layers[s].node)] = int(s);
        for (size_t v = 0; v < r.memory.fusedAway.size(); ++v) {
            if (!r.memory.fusedAway[v])
                continue;
            const int64_t bytes = tensorBytes(r.shapes.tensors[v], r.precisionOf(int(v)));
            const Value& value = graph.values[v];
            const auto less = [&](int node, int64_t LayerResult::*field) {
                if (node >= 0 && stepOf[size_t(node)] >= 0) {
                    int64_t& figure = r.layers[size_t(stepOf[size_t(node)])].*field;
                    figure = std::max<int64_t>(figure - bytes, 0);
                }
            };
            less(value.producer, &LayerResult::writeBytes);
            for (int consumer : value.consumers)
                less(consumer, &LayerResult::readBytes);
        }
        t.readBytes = t.writeBytes = 0;
        for (const LayerResult& l : r.layers) {
            t.readBytes = satAdd(t.readBytes, l.readBytes);
            t.writeBytes = satAdd(t.writeBytes, l.writeBytes);
        }
    }
    if (config.training.mode == Mode::Training && (config.fusions.convBn || config.fusions.convRelu))
        r.warnings.push_back("--fuse conv-bn and conv-relu fold only for inference, as an inference engine does; "
                             "a training step keeps every tensor");
    t.peakBytes = r.memory.peakBytes;
    t.peakStep = r.memory.peakStep;
    if (t.peakStep >= 0) {
        // The peak's other categories, added up: peak - weights - optimizer state would go negative
        // once the peak and the weights both saturate.
        const CategoryBytes& at = r.memory.timeline[size_t(t.peakStep)].byCategory;
        t.peakActivationBytes = 0;
        for (int c = 0; c < kCategoryCount; ++c)
            if (c != int(Category::Weights) && c != int(Category::OptimizerState))
                t.peakActivationBytes = satAdd(t.peakActivationBytes, at[size_t(c)]);
    }
    return r;
}

} // namespace fp

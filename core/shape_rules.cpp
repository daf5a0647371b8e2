#include "shape_rules.h"

#include "saturating.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace fp {

namespace rules {

// ceil(n / d) for n >= 0 and d > 0, without the n + d - 1 that overflows for huge n or d.
int64_t ceilDiv(int64_t n, int64_t d)
{
    return n / d + (n % d != 0);
}

// Row-major strides of known dims; they saturate (a 0 dim elsewhere leaves the others unbounded),
// and only index tensors of at most kMaxValues elements, where nothing saturates.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& dims)
{
    std::vector<int64_t> stride(dims.size(), 1);
    for (size_t k = dims.size(); k-- > 1;)
        stride[k - 1] = satMul(stride[k], dims[k]);
    return stride;
}

int64_t normAxis(int64_t axis, int64_t rank)
{
    return axis < 0 ? axis + rank : axis;
}

bool validAxis(int64_t axis, int64_t rank)
{
    return axis >= 0 && axis < rank;
}

std::optional<int64_t> axisOf(const Ctx& c, const TensorInfo& x, int64_t fallback)
{
    if (!x.rankKnown)
        return std::nullopt;
    const int64_t axis = normAxis(c.node.attrInt("axis", fallback), x.rank());
    if (!validAxis(axis, x.rank()))
        return std::nullopt;
    return axis;
}

// Multidirectional (numpy) broadcasting; unknown dims stay unknown unless the other is > 1.
std::optional<std::vector<int64_t>> broadcast(const std::vector<const TensorInfo*>& inputs)
{
    size_t rank = 0;
    for (const TensorInfo* t : inputs) {
        if (!t->rankKnown)
            return std::nullopt;
        rank = std::max(rank, t->dims.size());
    }
    std::vector<int64_t> out(rank, 1);
    for (size_t i = 0; i < rank; ++i) {
        int64_t dim = 1;
        bool unknown = false;
        for (const TensorInfo* t : inputs) {
            const size_t offset = rank - t->dims.size();
            if (i < offset)
                continue;
            const int64_t d = t->dims[i - offset];
            if (d < 0)
                unknown = true;
            else if (d != 1) {
                if (dim != 1 && dim != d)
                    return std::nullopt; // incompatible: leave it to the declared shape
                dim = d;
            }
        }
        out[i] = (unknown && dim == 1) ? -1 : dim;
    }
    return out;
}

// Spatial output size shared by Conv, pooling (floor or ceil) and ConvTranspose.
int64_t windowOut(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t padBegin, int64_t padEnd,
                  bool ceilMode)
{
    // ONNX allows no negative pads on Conv or pooling ("greater than or equal to 0").
    if (in < 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || padBegin < 0 || padEnd < 0)
        return -1;
    const Checked padded = Checked(in) + padBegin + padEnd;
    const Checked spanOrNone = padded - (Checked(dilation) * (kernel - 1) + 1);
    if (!spanOrNone || *spanOrNone < 0)
        return -1; // kernel larger than the padded input
    const int64_t span = *spanOrNone;
    int64_t out = (ceilMode ? ceilDiv(span, stride) : span / stride) + 1;
    if (ceilMode) {
        // The last window must start inside the input or left padding; its start may overflow.
        const Checked lastStart = Checked(out - 1) * stride;
        if (!lastStart || *lastStart >= *padded - padEnd)
            --out;
    }
    return out;
}

void inferWindowed(Ctx& c, bool isConv, bool isTranspose)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown || x.rank() < 3)
        return;
    const int spatial = x.rank() - 2;
    std::vector<int64_t> kernel = c.node.attrInts("kernel_shape");
    const TensorInfo& w = c.in(1);
    if (kernel.empty() && isConv && w.rankKnown && w.rank() == x.rank())
        kernel.assign(w.dims.begin() + 2, w.dims.end());
    if (int(kernel.size()) != spatial)
        return;
    std::vector<int64_t> strides = c.node.attrInts("strides");
    std::vector<int64_t> dilations = c.node.attrInts("dilations");
    std::vector<int64_t> pads = c.node.attrInts("pads");
    strides.resize(size_t(spatial), 1);
    dilations.resize(size_t(spatial), 1);
    pads.resize(size_t(2 * spatial), 0);
    const std::string autoPad = c.node.attrString("auto_pad", "NOTSET");
    const bool ceilMode = c.node.attrInt("ceil_mode", 0) != 0;

    std::vector<int64_t> out { x.dims[0] };
    int64_t channels = x.dims[1];
    if (isConv) {
        const int64_t group = c.node.attrInt("group", 1);
        if (group <= 0)
            return;
        // Conv's W is M x C/group x k...: ONNX requires X.shape[1] == W.shape[1] * group and
        // W.shape[0] divisible by group. A node breaking that cannot run; its output stays unknown.
        if (!isTranspose && w.rankKnown && w.rank() >= 2) {
            const Checked inputChannels = Checked(w.dims[1]) * group;
            if (x.dims[1] >= 0 && w.dims[1] >= 0 && (!inputChannels || *inputChannels != x.dims[1]))
                return;
            if (w.dims[0] >= 0 && w.dims[0] % group != 0)
                return;
        }
        channels = w.rankKnown && w.rank() >= 2 ? (isTranspose ? satMul(w.dims[1], group) : w.dims[0]) : -1;
    }
    out.push_back(channels);
    std::vector<int64_t> outputShape = c.node.attrInts("output_shape");
    for (int i = 0; i < spatial; ++i) {
        const int64_t in = x.dims[size_t(2 + i)];
        const int64_t s = strides[size_t(i)];
        int64_t o;
        if (isTranspose) {
            if (int(outputShape.size()) == spatial) {
                o = outputShape[size_t(i)];
            } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
                o = satMul(in, s);
            } else {
                std::vector<int64_t> outPad = c.node.attrInts("output_padding");
                outPad.resize(size_t(spatial), 0);
                const Checked trimmed = Checked(s) * (Checked(in) - 1) + outPad[size_t(i)]
                    + ((Checked(kernel[size_t(i)]) - 1) * dilations[size_t(i)] + 1) - pads[size_t(i)]
                    - pads[size_t(i + spatial)];
                o = in < 0 || !trimmed ? -1 : *trimmed;
            }
        } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            o = in < 0 || s <= 0 ? -1 : ceilDiv(in, s);
        } else if (autoPad == "VALID") {
            o = windowOut(in, kernel[size_t(i)], s, dilations[size_t(i)], 0, 0, ceilMode);
        } else {
            o = windowOut(in, kernel[size_t(i)], s, dilations[size_t(i)], pads[size_t(i)], pads[size_t(i + spatial)],
                          ceilMode);
        }
        out.push_back(o < 0 ? -1 : o);
    }
    c.setOut(0, x.dtype, out);
    if (c.node.opType == "MaxPool" && c.out(1))
        c.setOut(1, DType::Int64, out);
}

// MaxUnpool: (in - 1) * stride + kernel - pads per spatial axis, or the output_shape input.
void maxUnpool(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown || x.rank() < 3)
        return;
    if (c.hasIn(2)) {
        if (const auto& shape = c.vals(2); shape && int64_t(shape->size()) == x.rank())
            c.setOut(0, x.dtype, *shape);
        return;
    }
    const size_t spatial = size_t(x.rank() - 2);
    std::vector<int64_t> kernel = c.node.attrInts("kernel_shape"), strides = c.node.attrInts("strides"),
                         pads = c.node.attrInts("pads");
    if (kernel.size() != spatial)
        return;
    strides.resize(spatial, 1);
    pads.resize(2 * spatial, 0);
    std::vector<int64_t> out { x.dims[0], x.dims[1] };
    for (size_t i = 0; i < spatial; ++i) {
        const int64_t in = x.dims[2 + i];
        const Checked trimmed = in < 1 ? Checked(std::nullopt)
                                       : Checked(in - 1) * strides[i] + kernel[i] - pads[i] - pads[i + spatial];
        const int64_t o = trimmed ? *trimmed : -1;
        out.push_back(o < 0 ? -1 : o);
    }
    c.setOut(0, x.dtype, out);
}


void sameAsInput(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (TensorInfo* o = c.out(0)) {
        o->dtype = x.dtype;
        o->rankKnown = x.rankKnown;
        o->dims = x.dims;
    }
}

DType elementwiseType(const Ctx& c)
{
    static const char* boolOps[] = { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
                                      "Xor", "Not", "IsNaN", "IsInf" };
    for (const char* op : boolOps) {
        if (c.node.opType == op)
            return DType::Bool;
    }
    if (c.node.opType == "Where")
        return c.in(1).dtype;
    return c.in(0).dtype;
}

// Integer arithmetic on propagated values, for the shape-computing parts of a graph.
bool evaluateElementwise(Ctx& c, const std::vector<int64_t>& outDims)
{
    const std::string& op = c.node.opType;
    int64_t count = 1;
    for (int64_t d : outDims)
        count = satMul(count, d);
    if (count < 0 || count > kMaxValues)
        return false;
    const size_t n = c.node.inputs.size();
    std::vector<const std::vector<int64_t>*> args;
    for (size_t i = 0; i < n; ++i) {
        if (!c.vals(i) || !c.in(i).isKnown() || int64_t(c.vals(i)->size()) != c.in(i).elements())
            return false;
        args.push_back(&*c.vals(i));
    }
    // Element i of an input broadcast to outDims.
    const auto at = [&](size_t arg, int64_t flat) {
        const TensorInfo& t = c.in(arg);
        int64_t index = 0, stride = 1, rest = flat;
        std::vector<int64_t> coord(outDims.size());
        for (size_t k = outDims.size(); k-- > 0;) {
            coord[k] = rest % std::max<int64_t>(outDims[k], 1);
            rest /= std::max<int64_t>(outDims[k], 1);
        }
        const size_t offset = outDims.size() - t.dims.size();
        for (size_t k = t.dims.size(); k-- > 0;) {
            const int64_t d = t.dims[k];
            index += (d == 1 ? 0 : coord[k + offset]) * stride;
            stride = satMul(stride, d); // at most the input's element count once the loop is over
        }
        return (*args[arg])[size_t(index)];
    };
    std::vector<int64_t> out(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t a = at(0, i);
        const int64_t b = n > 1 ? at(1, i) : 0;
        int64_t r;
        if (op == "Add" || op == "Sub" || op == "Mul") {
            const Checked checked = op == "Add" ? Checked(a) + b : op == "Sub" ? Checked(a) - b : Checked(a) * b;
            if (!checked)
                return false;
            r = *checked;
        } else if (op == "Div") {
            if (b == 0 || (a == INT64_MIN && b == -1))
                return false;
            r = a / b;
        } else if (op == "Mod") {
            if (b == 0 || b == -1)
                return false;
            r = a % b;
        } else if (op == "Equal")
            r = a == b;
        else if (op == "Less")
            r = a < b;
        else if (op == "Greater")
            r = a > b;
        else if (op == "LessOrEqual")
            r = a <= b;
        else if (op == "GreaterOrEqual")
            r = a >= b;
        else if (op == "And")
            r = a && b;
        else if (op == "Or")
            r = a || b;
        else if (op == "Max")
            r = std::max(a, b);
        else if (op == "Min")
            r = std::min(a, b);
        else if (op == "Where")
            r = a ? b : at(2, i);
        else
            return false;
        out[size_t(i)] = r;
    }
    c.setValues(0, std::move(out));
    return true;
}

void elementwise(Ctx& c)
{
    std::vector<const TensorInfo*> inputs;
    for (size_t i = 0; i < c.node.inputs.size(); ++i) {
        if (c.hasIn(i))
            inputs.push_back(&c.in(i));
    }
    if (inputs.empty())
        return;
    auto dims = broadcast(inputs);
    if (!dims)
        return;
    c.setOut(0, elementwiseType(c), *dims);
    evaluateElementwise(c, *dims);
}

void unaryWithValues(Ctx& c)
{
    sameAsInput(c);
    const auto& v = c.vals(0);
    if (!v)
        return;
    const std::string& op = c.node.opType;
    std::vector<int64_t> out = *v;
    for (int64_t& x : out) {
        if ((op == "Neg" || op == "Abs") && x == INT64_MIN)
            return; // no int64 negation
        if (op == "Neg")
            x = -x;
        else if (op == "Abs")
            x = std::abs(x);
        else if (op == "Not")
            x = !x;
        else if (op != "Identity" && op != "Floor" && op != "Ceil" && op != "Round")
            return;
    }
    c.setValues(0, std::move(out));
}

void cast(Ctx& c)
{
    sameAsInput(c);
    if (TensorInfo* o = c.out(0)) {
        o->dtype = DType(c.node.attrInt("to", int64_t(c.in(0).dtype)));
        if (c.vals(0) && !isFloating(o->dtype)) {
            std::vector<int64_t> v = *c.vals(0);
            if (o->dtype == DType::Bool)
                for (int64_t& x : v)
                    x = x != 0;
            o->values = std::move(v);
        } else if (c.vals(0)) {
            o->values = c.vals(0); // whole numbers stay whole through a float cast
        }
    }
}

void dropout(Ctx& c)
{
    sameAsInput(c);
    if (c.out(1))
        c.setOut(1, DType::Bool, c.in(0).dims);
}

void batchNorm(Ctx& c)
{
    sameAsInput(c);
    const TensorInfo& x = c.in(0);
    const int64_t channels = x.rankKnown && x.rank() >= 2 ? x.dims[1] : -1;
    for (size_t i = 1; i < c.node.outputs.size(); ++i)
        c.setOut(i, x.dtype, { channels });
}

void layerNorm(Ctx& c)
{
    sameAsInput(c);
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", -1), x.rank());
    std::vector<int64_t> stats = x.dims;
    for (int64_t i = std::max<int64_t>(axis, 0); i < x.rank(); ++i)
        stats[size_t(i)] = 1;
    for (size_t i = 1; i < c.node.outputs.size(); ++i)
        c.setOut(i, DType::Float, stats);
}

void conv(Ctx& c) { inferWindowed(c, true, false); }
void convTranspose(Ctx& c) { inferWindowed(c, true, true); }
void pool(Ctx& c) { inferWindowed(c, false, false); }

void globalPool(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown || x.rank() < 2)
        return;
    std::vector<int64_t> out = x.dims;
    std::fill(out.begin() + 2, out.end(), 1);
    c.setOut(0, x.dtype, out);
}

void gemm(Ctx& c)
{
    const TensorInfo& a = c.in(0);
    const TensorInfo& b = c.in(1);
    if (!a.rankKnown || !b.rankKnown || a.rank() != 2 || b.rank() != 2)
        return;
    const bool ta = c.node.attrInt("transA", 0) != 0;
    const bool tb = c.node.attrInt("transB", 0) != 0;
    c.setOut(0, a.dtype, { ta ? a.dims[1] : a.dims[0], tb ? b.dims[0] : b.dims[1] });
}

void matmul(Ctx& c)
{
    TensorInfo a = c.in(0);
    TensorInfo b = c.in(1);
    if (!a.rankKnown || !b.rankKnown || a.rank() == 0 || b.rank() == 0)
        return;
    const bool aVector = a.rank() == 1, bVector = b.rank() == 1;
    if (aVector)
        a.dims.insert(a.dims.begin(), 1);
    if (bVector)
        b.dims.push_back(1);
    TensorInfo batchA = a, batchB = b;
    batchA.dims.resize(a.dims.size() - 2);
    batchB.dims.resize(b.dims.size() - 2);
    auto batch = broadcast({ &batchA, &batchB });
    if (!batch)
        return;
    std::vector<int64_t> out = *batch;
    if (!aVector)
        out.push_back(a.dims[a.dims.size() - 2]);
    if (!bVector)
        out.push_back(b.dims.back());
    c.setOut(0, c.in(0).dtype, out);
}

void reduce(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    // axes moved from an attribute to an input: ReduceSum at opset 13, the others at 18.
    std::optional<std::vector<int64_t>> axes = c.intsFrom("axes", 1);
    if (!axes && c.hasIn(1))
        return;
    const bool keep = c.node.attrInt("keepdims", 1) != 0;
    std::vector<bool> reduced(x.dims.size(), !axes || axes->empty());
    if (axes && axes->empty() && c.node.attrInt("noop_with_empty_axes", 0) != 0) {
        sameAsInput(c);
        return;
    }
    if (axes) {
        for (int64_t a : *axes) {
            a = normAxis(a, x.rank());
            if (!validAxis(a, x.rank()))
                return;
            reduced[size_t(a)] = true;
        }
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i) {
        if (!reduced[i])
            out.push_back(x.dims[i]);
        else if (keep)
            out.push_back(1);
    }
    c.setOut(0, x.dtype, out);
    if (c.node.opType == "ReduceProd" && x.values && x.rank() == 1 && !keep) {
        Checked p = 1;
        for (int64_t v : *x.values)
            p = p * v;
        if (p)
            c.setValues(0, { *p });
    }
}

void argReduce(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const std::optional<int64_t> axis = axisOf(c, x, 0);
    if (!axis)
        return;
    std::vector<int64_t> out = x.dims;
    if (c.node.attrInt("keepdims", 1) != 0)
        out[size_t(*axis)] = 1;
    else
        out.erase(out.begin() + *axis);
    c.setOut(0, DType::Int64, out);
}

void topK(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const std::optional<int64_t> axis = axisOf(c, x, -1);
    if (!axis)
        return;
    std::vector<int64_t> out = x.dims;
    const auto& k = c.opset < 10 ? std::optional<std::vector<int64_t>>(std::vector<int64_t> { c.node.attrInt("k", -1) })
                                 : c.vals(1);
    out[size_t(*axis)] = k && k->size() == 1 ? k->front() : -1;
    c.setOut(0, x.dtype, out);
    c.setOut(1, DType::Int64, out);
}

void nonZero(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (x.rankKnown)
        c.setOut(0, DType::Int64, { x.rank(), -1 }); // the count depends on the data
}

// LSTM, GRU and RNN with the default layout (0): X is [seq, batch, input].
void recurrent(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown || x.rank() != 3)
        return;
    const int64_t hidden = c.node.attrInt("hidden_size", -1);
    const int64_t dirs = c.node.attrString("direction", "forward") == "bidirectional" ? 2 : 1;
    const bool batchFirst = c.node.attrInt("layout", 0) != 0;
    const int64_t seq = x.dims[batchFirst ? 1 : 0], batch = x.dims[batchFirst ? 0 : 1];
    if (batchFirst)
        c.setOut(0, x.dtype, { batch, seq, dirs, hidden });
    else
        c.setOut(0, x.dtype, { seq, dirs, batch, hidden });
    for (size_t i = 1; i < c.node.outputs.size(); ++i)
        c.setOut(i, x.dtype, batchFirst ? std::vector<int64_t> { batch, dirs, hidden }
                                         : std::vector<int64_t> { dirs, batch, hidden });
}

// Einsum: each output index takes its size from the inputs ("bij,bjk->bik"; letters of either
// case, spaces allowed; "..." broadcasts the dims no letter names). Without "->", the output is
// every index used once, in alphabetical order.
void einsum(Ctx& c)
{
    std::string eq = c.node.attrString("equation");
    eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
    const size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    std::vector<std::string> terms;
    size_t start = 0;
    while (true) {
        const size_t comma = lhs.find(',', start);
        terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    if (terms.size() != c.node.inputs.size())
        return;
    std::unordered_map<char, int64_t> size;
    std::unordered_map<char, int> uses;
    std::vector<const TensorInfo*> ellipses;
    std::vector<TensorInfo> ellipsisParts(terms.size());
    for (size_t t = 0; t < terms.size(); ++t) {
        const TensorInfo& in = c.in(t);
        if (!in.rankKnown)
            return;
        std::string term = terms[t];
        const size_t dots = term.find("...");
        const int64_t letters = int64_t(term.size()) - (dots == std::string::npos ? 0 : 3);
        const int64_t covered = in.rank() - letters;
        if (covered < 0 || (dots == std::string::npos && covered != 0))
            return;
        int64_t axis = 0;
        for (size_t i = 0; i < term.size(); ++i) {
            if (term.compare(i, 3, "...") == 0) {
                ellipsisParts[t].rankKnown = true;
                ellipsisParts[t].dims.assign(in.dims.begin() + axis, in.dims.begin() + axis + covered);
                ellipses.push_back(&ellipsisParts[t]);
                axis += covered;
                i += 2;
                continue;
            }
            const char ch = term[i];
            const int64_t d = in.dims[size_t(axis++)];
            auto it = size.find(ch);
            if (it == size.end() || it->second == 1 || it->second < 0)
                size[ch] = d;
            ++uses[ch];
        }
    }
    std::vector<int64_t> broadcastDims;
    if (!ellipses.empty()) {
        auto b = broadcast(ellipses);
        if (!b)
            return;
        broadcastDims = *b;
    }
    std::string rhs;
    if (arrow != std::string::npos) {
        rhs = eq.substr(arrow + 2);
    } else {
        if (!ellipses.empty())
            rhs = "...";
        std::vector<char> once;
        for (const auto& [ch, n] : uses)
            if (n == 1)
                once.push_back(ch);
        std::sort(once.begin(), once.end());
        rhs.append(once.begin(), once.end());
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < rhs.size(); ++i) {
        if (rhs.compare(i, 3, "...") == 0) {
            out.insert(out.end(), broadcastDims.begin(), broadcastDims.end());
            i += 2;
            continue;
        }
        auto it = size.find(rhs[i]);
        if (it == size.end())
            return;
        out.push_back(it->second);
    }
    c.setOut(0, c.in(0).dtype, out);
}

// STFT (opset 17): signal [batch, length, 1 or 2], frame_step, window [N] and/or frame_length N.
// ONNX Runtime and torch.stft(center=False) take 1 + (length - N) / step frames (ONNX 1.12's own
// inference says one more); each frame gives N / 2 + 1 bins when onesided, else N.
void stft(Ctx& c)
{
    const TensorInfo& signal = c.in(0);
    const auto& step = c.vals(1);
    int64_t n = -1;
    if (c.vals(3) && c.vals(3)->size() == 1)
        n = c.vals(3)->front();
    else if (c.in(2).isKnown() && c.in(2).rank() == 1)
        n = c.in(2).dims[0];
    if (!signal.isKnown() || signal.rank() != 3 || !step || step->size() != 1 || step->front() <= 0 || n <= 0
        || signal.dims[1] < n)
        return; // a signal shorter than one frame has no STFT: its output stays unknown
    const int64_t frames = 1 + (signal.dims[1] - n) / step->front();
    const int64_t bins = c.node.attrInt("onesided", 1) != 0 ? n / 2 + 1 : n;
    c.setOut(0, signal.dtype, { signal.dims[0], frames, bins, 2 });
}

} // namespace rules

const std::unordered_map<std::string, Rule>& shapeRules()
{
    using namespace rules;
    static const std::unordered_map<std::string, Rule> table = [] {
        std::unordered_map<std::string, Rule> t;
        for (const char* op : { "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Erf",
                                "Sign", "Sin", "Cos", "Tan", "Softplus", "Softsign", "Elu", "Selu", "Celu",
                                "HardSigmoid", "HardSwish", "Gelu", "Mish", "ThresholdedRelu", "Clip", "Softmax",
                                "LogSoftmax", "Hardmax", "IsNaN", "IsInf", "LRN", "CumSum", "Trilu", "Shrink",
                                "InstanceNormalization", "MeanVarianceNormalization", "Asin", "Acos", "Atan",
                                "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "ScatterND", "ScatterElements",
                                "Scatter", "BitwiseNot", "LpNormalization" })
            t[op] = sameAsInput;
        for (const char* op : { "Neg", "Abs", "Not", "Identity", "Floor", "Ceil", "Round" })
            t[op] = unaryWithValues;
        for (const char* op : { "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "And", "Or", "Xor", "Equal",
                                "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Max", "Min", "Sum", "Mean",
                                "Where", "PRelu", "BitwiseAnd", "BitwiseOr", "BitwiseXor" })
            t[op] = elementwise;
        t["Cast"] = cast;
        t["Dropout"] = dropout;
        t["BatchNormalization"] = batchNorm;
        t["LayerNormalization"] = layerNorm;
        t["Conv"] = conv;
        t["ConvInteger"] = conv;
        t["ConvTranspose"] = convTranspose;
        for (const char* op : { "MaxPool", "AveragePool", "LpPool" })
            t[op] = pool;
        for (const char* op : { "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" })
            t[op] = globalPool;
        t["Gemm"] = gemm;
        t["MatMul"] = matmul;
        t["MatMulInteger"] = matmul;
        t["Einsum"] = einsum;
        t["MaxUnpool"] = maxUnpool;
        t["Flatten"] = flatten;
        t["Reshape"] = reshape;
        t["Transpose"] = transpose;
        t["Squeeze"] = squeeze;
        t["Unsqueeze"] = unsqueeze;
        t["Concat"] = concat;
        t["Split"] = split;
        t["Slice"] = slice;
        t["Gather"] = gather;
        t["GatherElements"] = gatherElements;
        t["Shape"] = shape;
        t["Size"] = size;
        t["Expand"] = expand;
        t["Tile"] = tile;
        t["ConstantOfShape"] = constantOfShape;
        t["Constant"] = constant;
        t["Range"] = range;
        t["Pad"] = pad;
        for (const char* op : { "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare" })
            t[op] = reduce;
        t["ArgMax"] = argReduce;
        t["ArgMin"] = argReduce;
        t["TopK"] = topK;
        t["NonZero"] = nonZero;
        for (const char* op : { "LSTM", "GRU", "RNN" })
            t[op] = recurrent;
        t["STFT"] = stft;
        t["DequantizeLinear"] = dequantizeLinear;
        t["QuantizeLinear"] = quantizeLinear;
        return t;
    }();
    return table;
}

} // namespace fp

#include "shapes.h"

#include "onnx_fallback.h"
#include "saturating.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <unordered_map>

namespace fp {

namespace {

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

} // namespace

bool TensorInfo::isKnown() const
{
    return rankKnown && std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0; });
}

int64_t TensorInfo::elements() const
{
    if (!isKnown())
        return -1;
    int64_t n = 1;
    for (int64_t d : dims)
        n = satMul(n, d);
    return n;
}

const TensorInfo* ShapeScope::lookup(const std::string& name) const
{
    for (const ShapeScope* s = this; s; s = s->parent) {
        const int index = s->graph->findValue(name);
        if (index >= 0 && !s->graph->values[size_t(index)].isOuterScope)
            return &(*s->tensors)[size_t(index)];
    }
    return nullptr;
}

TensorInfo declaredInfo(const Value& value, const std::map<std::string, int64_t>& symbols)
{
    TensorInfo t;
    t.dtype = value.dtype;
    if (!value.hasDeclaredShape)
        return t;
    t.rankKnown = true;
    t.dims.reserve(value.declaredShape.size());
    for (const Dim& d : value.declaredShape) {
        if (d.isKnown()) {
            t.dims.push_back(d.value);
        } else {
            auto it = symbols.find(d.symbol);
            t.dims.push_back(it != symbols.end() && !d.symbol.empty() ? it->second : -1);
        }
    }
    if (value.intData)
        t.values = value.intData;
    return t;
}

namespace {

constexpr int64_t kMaxValues = 64; // propagate values only for small integer tensors
constexpr int64_t kDefaultImageSize = 224;
// A shape tensor of unknown values still gives the output's rank, its length; a longer one than
// this is taken as malformed rather than allocated (a declared dim of 2^40 would be 8 TiB of dims).
constexpr int64_t kMaxRank = 1024;

} // namespace

bool isImageInput(const Value& v)
{
    return isFloating(v.dtype) && v.declaredShape.size() == 4;
}

bool isChannelsLast(const Value& v)
{
    const auto& d = v.declaredShape;
    const auto isChannels = [](const Dim& dim) { return dim.isKnown() && dim.value >= 1 && dim.value <= 4; };
    return d.size() == 4 && isChannels(d[3]) && !isChannels(d[1]);
}

int batchAxis(const Graph& graph, int input)
{
    // An LSTM, GRU or RNN reads X as [sequence, batch, features] unless its layout is 1 (PyTorch
    // exports batch_first=False so, and batch_first=True as a Transpose in front).
    const Value& v = graph.values[size_t(input)];
    if (v.declaredShape.size() != 3)
        return 0;
    for (const int c : v.consumers) {
        const Node& n = graph.nodes[size_t(c)];
        if ((n.opType == "LSTM" || n.opType == "GRU" || n.opType == "RNN") && n.domain.empty() && n.input(0) == input
            && n.attrInt("layout", 0) == 0)
            return 1;
    }
    return 0;
}

ShapeResult resolveInputs(const Graph& graph, const ShapeConfig& config)
{
    ShapeResult r;
    r.tensors.resize(graph.values.size());
    r.symbols = config.dims;

    // Symbols that the batch and resolution settings name, so every input sharing them agrees.
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (v.declaredShape.empty())
            continue;
        const Dim& batch = v.declaredShape[size_t(batchAxis(graph, in))];
        if (config.batch && !batch.symbol.empty())
            r.symbols[batch.symbol] = *config.batch;
        if (isImageInput(v) && (config.height || config.width)) {
            const bool last = isChannelsLast(v);
            const Dim& h = v.declaredShape[last ? 1 : 2];
            const Dim& w = v.declaredShape[last ? 2 : 3];
            if (config.height && !h.symbol.empty())
                r.symbols[h.symbol] = *config.height;
            if (config.width && !w.symbol.empty())
                r.symbols[w.symbol] = *config.width;
        }
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (!v.declaredShape.empty()) {
            const Dim& batch = v.declaredShape[size_t(batchAxis(graph, in))];
            if (!batch.symbol.empty() && !r.symbols.count(batch.symbol))
                r.symbols[batch.symbol] = 1; // the batch: 1 unless set, which needs no warning
        }
        if (isImageInput(v)) {
            // Symbolic image sizes default to ImageNet's 224 x 224, the size such models are quoted at.
            const bool last = isChannelsLast(v);
            for (const Dim* d : { &v.declaredShape[last ? 1 : 2], &v.declaredShape[last ? 2 : 3] }) {
                if (!d->isKnown() && !d->symbol.empty() && !r.symbols.count(d->symbol)) {
                    r.symbols[d->symbol] = kDefaultImageSize;
                    r.assumedSymbols.push_back(d->symbol);
                }
            }
        }
        for (const Dim& d : v.declaredShape) {
            if (!d.isKnown() && !d.symbol.empty() && !r.symbols.count(d.symbol)) {
                r.symbols[d.symbol] = 1;
                r.assumedSymbols.push_back(d.symbol);
            }
        }
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        TensorInfo t = declaredInfo(v, r.symbols);
        if (!t.dims.empty()) {
            const size_t axis = size_t(batchAxis(graph, in));
            if (config.batch) {
                r.batchOverridden
                    = r.batchOverridden || (v.declaredShape[axis].isKnown() && t.dims[axis] != *config.batch);
                t.dims[axis] = *config.batch;
            }
            else if (t.dims[axis] < 0)
                t.dims[axis] = 1; // an anonymous batch dim
            if (isImageInput(v)) {
                const bool last = isChannelsLast(v);
                if (config.height)
                    t.dims[last ? 1 : 2] = *config.height;
                if (config.width)
                    t.dims[last ? 2 : 3] = *config.width;
            }
        }
        r.tensors[size_t(in)] = std::move(t);
    }
    return r;
}

namespace {

struct Ctx {
    const Graph& graph;
    const Node& node;
    int64_t opset;
    std::vector<TensorInfo>& tensors;
    const ShapeScope* outer;

    const TensorInfo& in(size_t i) const
    {
        static const TensorInfo none;
        const int index = node.input(i);
        if (index < 0)
            return none;
        const Value& v = graph.values[size_t(index)];
        if (v.isOuterScope && outer) {
            const TensorInfo* t = outer->lookup(v.name);
            return t ? *t : none;
        }
        return tensors[size_t(index)];
    }
    bool hasIn(size_t i) const { return node.input(i) >= 0; }
    const std::optional<std::vector<int64_t>>& vals(size_t i) const { return in(i).values; }
    TensorInfo* out(size_t i)
    {
        const int index = node.output(i);
        return index < 0 ? nullptr : &tensors[size_t(index)];
    }
    void setOut(size_t i, DType dtype, std::vector<int64_t> dims)
    {
        if (TensorInfo* t = out(i)) {
            t->dtype = dtype;
            t->rankKnown = true;
            t->dims = std::move(dims);
        }
    }
    void setValues(size_t i, std::vector<int64_t> values)
    {
        if (TensorInfo* t = out(i); t && int64_t(values.size()) <= kMaxValues)
            t->values = std::move(values);
    }
    // Attribute ints, or (from some opset on) the values of an input.
    std::optional<std::vector<int64_t>> intsFrom(const char* attr, size_t inputIndex) const
    {
        if (const Attribute* a = node.attribute(attr); a && a->kind == Attribute::Kind::Ints)
            return a->ints;
        if (hasIn(inputIndex))
            return vals(inputIndex);
        return std::nullopt;
    }
};

int64_t normAxis(int64_t axis, int64_t rank)
{
    return axis < 0 ? axis + rank : axis;
}

bool validAxis(int64_t axis, int64_t rank)
{
    return axis >= 0 && axis < rank;
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

using Rule = void (*)(Ctx&);

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

void flatten(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", 1), x.rank());
    if (axis < 0 || axis > x.rank())
        return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < x.rank(); ++i)
        (i < axis ? outer : inner) = satMul(i < axis ? outer : inner, x.dims[size_t(i)]);
    c.setOut(0, x.dtype, { outer, inner });
}

void reshape(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    std::optional<std::vector<int64_t>> shape = c.vals(1);
    if (!shape && c.node.attribute("shape"))
        shape = c.node.attrInts("shape"); // opset < 5
    if (!shape) {
        // The rank is known from the shape input's length even when its values are not.
        const TensorInfo& s = c.in(1);
        if (s.isKnown() && s.rank() == 1 && s.dims[0] <= kMaxRank)
            c.setOut(0, x.dtype, std::vector<int64_t>(size_t(s.dims[0]), -1));
        return;
    }
    const bool allowZero = c.node.attrInt("allowzero", 0) != 0;
    std::vector<int64_t> out = *shape;
    int inferred = -1;
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0 && !allowZero)
            out[i] = x.rankKnown && i < x.dims.size() ? x.dims[i] : -1;
        if (out[i] == -1 && (*shape)[i] == -1) {
            if (inferred >= 0)
                return; // two -1s: malformed
            inferred = int(i);
            continue;
        }
        if (out[i] < -1)
            return;
        known = satMul(known, out[i]);
    }
    if (inferred >= 0) {
        const int64_t total = x.elements();
        out[size_t(inferred)] = (total >= 0 && known > 0 && total % known == 0) ? total / known : -1;
    }
    c.setOut(0, x.dtype, out);
    if (const TensorInfo* result = c.out(0); result && x.values && result->elements() == int64_t(x.values->size()))
        c.setValues(0, *x.values);
}

void transpose(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    std::vector<int64_t> perm = c.node.attrInts("perm");
    if (perm.empty()) {
        perm.resize(x.dims.size());
        std::iota(perm.rbegin(), perm.rend(), 0);
    }
    if (perm.size() != x.dims.size())
        return;
    std::vector<int64_t> out;
    for (int64_t p : perm) {
        if (!validAxis(p, x.rank()))
            return;
        out.push_back(x.dims[size_t(p)]);
    }
    c.setOut(0, x.dtype, out);
    // Values move with their elements (torch.onnx transposes computed pad amounts, for one).
    if (x.values && x.isKnown() && int64_t(x.values->size()) == x.elements()) {
        // With no elements (a 0 dim) the other dims are unbounded: the strides saturate (found by fuzzing).
        const size_t rank = x.dims.size();
        const std::vector<int64_t> inStride = rowMajorStrides(x.dims);
        std::vector<int64_t> values(x.values->size());
        for (size_t flat = 0; flat < values.size(); ++flat) {
            int64_t rest = int64_t(flat), source = 0;
            for (size_t k = rank; k-- > 0;) {
                const int64_t coord = rest % out[k];
                rest /= out[k];
                source += coord * inStride[size_t(perm[k])];
            }
            values[flat] = (*x.values)[size_t(source)];
        }
        c.setValues(0, std::move(values));
    }
}

void squeeze(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    std::optional<std::vector<int64_t>> axes = c.intsFrom("axes", 1);
    if (!axes && c.hasIn(1))
        return; // axes computed at run time and not known
    std::vector<bool> drop(x.dims.size(), false);
    if (axes) {
        for (int64_t a : *axes) {
            a = normAxis(a, x.rank());
            if (!validAxis(a, x.rank()))
                return;
            drop[size_t(a)] = true;
        }
    } else {
        for (size_t i = 0; i < x.dims.size(); ++i) {
            if (x.dims[i] < 0)
                return; // cannot tell which dims are 1
            drop[i] = x.dims[i] == 1;
        }
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i) {
        if (!drop[i])
            out.push_back(x.dims[i]);
    }
    c.setOut(0, x.dtype, out);
    if (x.values)
        c.setValues(0, *x.values);
}

void unsqueeze(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    std::optional<std::vector<int64_t>> axes = c.intsFrom("axes", 1);
    if (!x.rankKnown || !axes)
        return;
    const int64_t rank = x.rank() + int64_t(axes->size());
    std::vector<int64_t> out(size_t(rank), -2);
    for (int64_t a : *axes) {
        a = normAxis(a, rank);
        if (!validAxis(a, rank) || out[size_t(a)] == 1)
            return;
        out[size_t(a)] = 1;
    }
    size_t next = 0;
    for (int64_t& d : out) {
        if (d == -2)
            d = x.dims[next++];
    }
    c.setOut(0, x.dtype, out);
    if (x.values)
        c.setValues(0, *x.values);
}

void concat(Ctx& c)
{
    const TensorInfo& first = c.in(0);
    if (!first.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", 0), first.rank());
    if (!validAxis(axis, first.rank()))
        return;
    std::vector<int64_t> out = first.dims;
    out[size_t(axis)] = 0;
    std::vector<int64_t> values;
    bool haveValues = first.rank() == 1;
    for (size_t i = 0; i < c.node.inputs.size(); ++i) {
        const TensorInfo& t = c.in(i);
        if (!t.rankKnown || t.rank() != first.rank())
            return;
        out[size_t(axis)] = satAdd(out[size_t(axis)], t.dims[size_t(axis)]);
        for (int64_t k = 0; k < first.rank(); ++k) {
            if (k != axis && out[size_t(k)] < 0)
                out[size_t(k)] = t.dims[size_t(k)];
        }
        if (haveValues && t.values)
            values.insert(values.end(), t.values->begin(), t.values->end());
        else
            haveValues = false;
    }
    c.setOut(0, first.dtype, out);
    if (haveValues)
        c.setValues(0, std::move(values));
}

void split(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", 0), x.rank());
    if (!validAxis(axis, x.rank()))
        return;
    const size_t parts = c.node.outputs.size();
    std::optional<std::vector<int64_t>> sizes = c.intsFrom("split", 1);
    const int64_t total = x.dims[size_t(axis)];
    if (!sizes) {
        if (c.hasIn(1))
            return;
        if (total < 0 || parts == 0)
            return;
        const int64_t each = ceilDiv(total, int64_t(parts));
        sizes = std::vector<int64_t>(parts, each);
        const Checked last = Checked(total) - Checked(each) * int64_t(parts - 1);
        sizes->back() = last ? *last : -1;
    }
    if (sizes->size() != parts)
        return;
    for (size_t i = 0; i < parts; ++i) {
        std::vector<int64_t> out = x.dims;
        out[size_t(axis)] = (*sizes)[i];
        c.setOut(i, x.dtype, out);
    }
}

void slice(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    std::optional<std::vector<int64_t>> starts, ends, axes, steps;
    if (c.opset < 10) {
        starts = c.node.attrInts("starts");
        ends = c.node.attrInts("ends");
        if (c.node.attribute("axes"))
            axes = c.node.attrInts("axes");
    } else {
        starts = c.vals(1);
        ends = c.vals(2);
        if (c.hasIn(3))
            axes = c.vals(3);
        if (c.hasIn(4))
            steps = c.vals(4);
        if ((c.hasIn(3) && !axes) || (c.hasIn(4) && !steps))
            starts.reset();
    }
    std::vector<int64_t> out = x.dims;
    if (!starts || !ends || starts->size() != ends->size()) {
        // Which axes change is unknown without the values; only the rank survives.
        if (!axes)
            std::fill(out.begin(), out.end(), -1);
        else
            for (int64_t a : *axes) {
                a = normAxis(a, x.rank());
                if (validAxis(a, x.rank()))
                    out[size_t(a)] = -1;
            }
        c.setOut(0, x.dtype, out);
        return;
    }
    if (!axes) {
        axes = std::vector<int64_t>(starts->size());
        std::iota(axes->begin(), axes->end(), 0);
    }
    if (!steps)
        steps = std::vector<int64_t>(starts->size(), 1);
    if (axes->size() != starts->size() || steps->size() != starts->size())
        return;
    std::vector<int64_t> first(x.dims.size(), 0), step(x.dims.size(), 1);
    for (size_t i = 0; i < starts->size(); ++i) {
        const int64_t a = normAxis((*axes)[i], x.rank());
        const int64_t s = (*steps)[i];
        if (!validAxis(a, x.rank()) || s == 0)
            return;
        const int64_t dim = x.dims[size_t(a)];
        if (dim < 0) {
            out[size_t(a)] = -1;
            continue;
        }
        int64_t b = (*starts)[i], e = (*ends)[i];
        if (s > 0) {
            b = b < 0 ? std::max<int64_t>(b + dim, 0) : std::min(b, dim);
            e = e < 0 ? std::max<int64_t>(e + dim, 0) : std::min(e, dim);
            out[size_t(a)] = e > b ? ceilDiv(e - b, s) : 0;
        } else {
            b = b < 0 ? std::max<int64_t>(b + dim, -1) : std::min(b, dim - 1);
            e = e < 0 ? std::max<int64_t>(e + dim, -1) : std::min(e, dim - 1);
            out[size_t(a)] = b > e ? 1 - (b - e - 1) / s : 0; // ceil((b - e) / -s); -s overflows for INT64_MIN
        }
        first[size_t(a)] = b;
        step[size_t(a)] = s;
    }
    c.setOut(0, x.dtype, out);
    TensorInfo* result = c.out(0);
    if (!x.values || !x.isKnown() || !result || !result->isKnown() || int64_t(x.values->size()) != x.elements())
        return;
    // Element k of the output comes from first + k * step along every axis.
    const size_t rank = x.dims.size();
    const std::vector<int64_t> inStride = rowMajorStrides(x.dims);
    std::vector<int64_t> v(size_t(result->elements()));
    for (size_t flat = 0; flat < v.size(); ++flat) {
        int64_t rest = int64_t(flat), source = 0;
        for (size_t k = rank; k-- > 0;) {
            const int64_t idx = first[k] + (rest % out[k]) * step[k];
            rest /= out[k];
            if (idx < 0 || idx >= x.dims[k])
                return;
            source += idx * inStride[k];
        }
        v[flat] = (*x.values)[size_t(source)];
    }
    c.setValues(0, std::move(v));
}

void gather(Ctx& c)
{
    const TensorInfo& data = c.in(0);
    const TensorInfo& idx = c.in(1);
    if (!data.rankKnown || !idx.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", 0), data.rank());
    if (!validAxis(axis, data.rank()))
        return;
    std::vector<int64_t> out(data.dims.begin(), data.dims.begin() + axis);
    out.insert(out.end(), idx.dims.begin(), idx.dims.end());
    out.insert(out.end(), data.dims.begin() + axis + 1, data.dims.end());
    c.setOut(0, data.dtype, out);
    if (data.values && idx.values && data.rank() == 1) {
        std::vector<int64_t> v;
        const int64_t n = int64_t(data.values->size());
        for (int64_t i : *idx.values) {
            if (i < 0)
                i += n;
            if (i < 0 || i >= n)
                return;
            v.push_back((*data.values)[size_t(i)]);
        }
        c.setValues(0, std::move(v));
    }
}

void gatherElements(Ctx& c)
{
    const TensorInfo& idx = c.in(1);
    if (idx.rankKnown)
        c.setOut(0, c.in(0).dtype, idx.dims);
}

void shape(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    const int64_t rank = x.rank();
    int64_t start = c.node.attrInt("start", 0), end = c.node.attrInt("end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
    const int64_t n = std::max<int64_t>(end - start, 0);
    c.setOut(0, DType::Int64, { n });
    std::vector<int64_t> v(x.dims.begin() + start, x.dims.begin() + start + n);
    if (std::all_of(v.begin(), v.end(), [](int64_t d) { return d >= 0; }))
        c.setValues(0, std::move(v));
}

void size(Ctx& c)
{
    c.setOut(0, DType::Int64, {});
    if (const int64_t n = c.in(0).elements(); n >= 0)
        c.setValues(0, { n });
}

void expand(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const auto& target = c.vals(1);
    if (!target) {
        const TensorInfo& s = c.in(1);
        if (s.isKnown() && s.rank() == 1 && x.rankKnown && s.dims[0] <= kMaxRank)
            c.setOut(0, x.dtype, std::vector<int64_t>(size_t(std::max<int64_t>(s.dims[0], x.rank())), -1));
        return;
    }
    TensorInfo t;
    t.rankKnown = true;
    t.dims = *target;
    auto dims = broadcast({ &x, &t });
    if (dims)
        c.setOut(0, x.dtype, *dims);
}

void tile(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const auto& repeats = c.vals(1);
    if (!x.rankKnown || !repeats || int64_t(repeats->size()) != x.rank())
        return;
    std::vector<int64_t> out;
    for (size_t i = 0; i < x.dims.size(); ++i)
        out.push_back(satMul(x.dims[i], (*repeats)[i]));
    c.setOut(0, x.dtype, out);
}

void constantOfShape(Ctx& c)
{
    const auto& shapeValues = c.vals(0);
    const Attribute* value = c.node.attribute("value");
    const DType dtype = value && value->tensor ? value->tensor->dtype : DType::Float;
    if (!shapeValues) {
        const TensorInfo& s = c.in(0);
        if (s.isKnown() && s.rank() == 1 && s.dims[0] <= kMaxRank)
            c.setOut(0, dtype, std::vector<int64_t>(size_t(s.dims[0]), -1));
        return;
    }
    for (int64_t d : *shapeValues) {
        if (d < 0)
            return;
    }
    c.setOut(0, dtype, *shapeValues);
    int64_t count = 1;
    for (int64_t d : *shapeValues)
        count = satMul(count, d);
    if (value && value->tensor && value->tensor->intData && value->tensor->intData->size() == 1
        && count <= kMaxValues)
        c.setValues(0, std::vector<int64_t>(size_t(count), value->tensor->intData->front()));
    else if (!value && count <= kMaxValues)
        c.setValues(0, std::vector<int64_t>(size_t(count), 0));
}

void constant(Ctx& c)
{
    // The reader filled the declared dims of a Constant's output; keep them.
    const int out = c.node.output(0);
    if (out < 0)
        return;
    const Value& v = c.graph.values[size_t(out)];
    TensorInfo t = declaredInfo(v, {});
    c.tensors[size_t(out)] = std::move(t);
}

void range(Ctx& c)
{
    const auto &start = c.vals(0), &limit = c.vals(1), &delta = c.vals(2);
    if (!start || !limit || !delta || start->size() != 1 || limit->size() != 1 || delta->size() != 1
        || delta->front() == 0) {
        c.setOut(0, c.in(0).dtype, { -1 });
        return;
    }
    const int64_t s = start->front(), l = limit->front(), d = delta->front();
    const Checked rounded = Checked(l) - s + (Checked(d) + (d > 0 ? -1 : 1));
    if (!rounded) {
        c.setOut(0, c.in(0).dtype, { -1 });
        return;
    }
    const int64_t n = std::max<int64_t>(*rounded / d, 0);
    c.setOut(0, c.in(0).dtype, { n });
    if (n <= kMaxValues) {
        std::vector<int64_t> v;
        for (int64_t i = 0; i < n; ++i)
            v.push_back(s + i * d);
        c.setValues(0, std::move(v));
    }
}

void pad(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const std::optional<std::vector<int64_t>> pads = c.opset < 11 ? c.node.attrInts("pads") : c.vals(1);
    if (!x.rankKnown || !pads)
        return;
    std::vector<int64_t> axes(x.dims.size());
    std::iota(axes.begin(), axes.end(), 0);
    if (c.hasIn(3)) {
        if (!c.vals(3))
            return;
        axes = *c.vals(3);
    }
    if (pads->size() != 2 * axes.size())
        return;
    std::vector<int64_t> out = x.dims;
    for (size_t i = 0; i < axes.size(); ++i) {
        const int64_t a = normAxis(axes[i], x.rank());
        if (!validAxis(a, x.rank()))
            return;
        if (out[size_t(a)] >= 0) {
            const Checked padded = Checked(out[size_t(a)]) + (*pads)[i] + (*pads)[i + axes.size()];
            out[size_t(a)] = padded ? std::max<int64_t>(*padded, 0) : -1;
        }
    }
    c.setOut(0, x.dtype, out);
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
    if (!x.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", 0), x.rank());
    if (!validAxis(axis, x.rank()))
        return;
    std::vector<int64_t> out = x.dims;
    if (c.node.attrInt("keepdims", 1) != 0)
        out[size_t(axis)] = 1;
    else
        out.erase(out.begin() + axis);
    c.setOut(0, DType::Int64, out);
}

void topK(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    const int64_t axis = normAxis(c.node.attrInt("axis", -1), x.rank());
    if (!validAxis(axis, x.rank()))
        return;
    std::vector<int64_t> out = x.dims;
    const auto& k = c.opset < 10 ? std::optional<std::vector<int64_t>>(std::vector<int64_t> { c.node.attrInt("k", -1) })
                                 : c.vals(1);
    out[size_t(axis)] = k && k->size() == 1 ? k->front() : -1;
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

const std::unordered_map<std::string, Rule>& rules()
{
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
        return t;
    }();
    return table;
}

// Fills outputs still unknown from their declared value_info, and notes disagreements.
void applyDeclared(const Graph& graph, const Node& node, ShapeResult& result)
{
    for (int out : node.outputs) {
        if (out < 0)
            continue;
        const Value& v = graph.values[size_t(out)];
        TensorInfo& t = result.tensors[size_t(out)];
        if (!v.hasDeclaredShape) {
            if (t.dtype == DType::Undefined)
                t.dtype = v.dtype;
            continue;
        }
        const TensorInfo declared = declaredInfo(v, result.symbols);
        if (!t.rankKnown) {
            t.rankKnown = true;
            t.dims = declared.dims;
            if (t.dtype == DType::Undefined)
                t.dtype = declared.dtype;
            continue;
        }
        if (t.rank() != declared.rank()) {
            result.warnings.push_back("tensor '" + v.name + "': inferred rank " + std::to_string(t.rank())
                                      + " differs from the declared rank " + std::to_string(declared.rank()));
            continue;
        }
        for (size_t i = 0; i < t.dims.size(); ++i) {
            if (t.dims[i] < 0)
                t.dims[i] = declared.dims[i];
            else if (declared.dims[i] >= 0 && declared.dims[i] != t.dims[i] && v.declaredShape[i].isKnown()
                     && !(i == 0 && result.batchOverridden)) {
                result.warnings.push_back("tensor '" + v.name + "': inferred dim " + std::to_string(i) + " = "
                                          + std::to_string(t.dims[i]) + " differs from the declared "
                                          + std::to_string(declared.dims[i]));
                break;
            }
        }
    }
}

void inferControlFlow(const Graph& graph, const Node& node, int64_t opset, ShapeResult& result,
                      const ShapeScope& scope)
{
    Ctx c { graph, node, opset, result.tensors, scope.parent };
    for (const Attribute& a : node.attributes) {
        for (const auto& body : a.graphs) {
            auto sub = std::make_shared<ShapeResult>();
            sub->tensors.resize(body->values.size());
            sub->symbols = result.symbols;
            // Body inputs: Loop (iteration, condition, carried...), Scan (state..., slices...).
            for (size_t i = 0; i < body->inputs.size(); ++i) {
                const Value& bv = body->values[size_t(body->inputs[i])];
                TensorInfo t = declaredInfo(bv, result.symbols);
                if (node.opType == "Loop" && i >= 2 && c.in(i).rankKnown)
                    t = c.in(i);
                sub->tensors[size_t(body->inputs[i])] = t;
            }
            for (int init : body->initializers)
                sub->tensors[size_t(init)] = declaredInfo(body->values[size_t(init)], result.symbols);
            inferShapes(*body, opset, *sub, &scope);
            if (a.name == "then_branch" || (a.name == "body" && node.opType == "Loop")) {
                // If: the then-branch decides the outputs. Loop: carried values come out as they went in,
                // scan outputs gain a leading iteration axis.
                const size_t first = node.opType == "Loop" ? 1 : 0;
                const size_t carried = node.opType == "Loop" && node.inputs.size() > 2 ? node.inputs.size() - 2 : 0;
                const auto& trip = c.vals(0);
                for (size_t o = 0; o < node.outputs.size() && o + first < body->outputs.size(); ++o) {
                    TensorInfo t = sub->tensors[size_t(body->outputs[o + first])];
                    if (node.opType == "Loop" && o >= carried && t.rankKnown) {
                        t.dims.insert(t.dims.begin(), trip && trip->size() == 1 ? trip->front() : -1);
                        t.values.reset();
                    }
                    if (TensorInfo* out = c.out(o))
                        *out = t;
                }
            }
            result.subgraphs[body.get()] = std::move(sub);
        }
    }
}

} // namespace

void inferShapes(const Graph& graph, int64_t opset, ShapeResult& result, const ShapeScope* outer)
{
    if (result.tensors.size() != graph.values.size())
        result.tensors.resize(graph.values.size());
    for (int init : graph.initializers)
        result.tensors[size_t(init)] = declaredInfo(graph.values[size_t(init)], {});
    const ShapeScope scope { &graph, &result.tensors, outer };
    const auto& table = rules();
    for (int n : graph.order) {
        const Node& node = graph.nodes[size_t(n)];
        if (!node.domain.empty() && node.domain != "ai.onnx.ml") {
            applyDeclared(graph, node, result); // custom domains: only declared shapes are known
            continue;
        }
        if (node.opType == "If" || node.opType == "Loop" || node.opType == "Scan") {
            inferControlFlow(graph, node, opset, result, scope);
            if (node.opType == "Scan")
                fallbackInfer(graph, node, opset, result.tensors, outer);
        } else if (auto it = table.find(node.opType); it != table.end() && node.domain.empty()) {
            Ctx c { graph, node, opset, result.tensors, outer };
            it->second(c);
        } else {
            fallbackInfer(graph, node, opset, result.tensors, outer);
        }
        applyDeclared(graph, node, result);
    }
}

} // namespace fp

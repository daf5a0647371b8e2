#include "shape_rules.h"

#include "saturating.h"

#include <algorithm>
#include <numeric>

// The rules of operators that move, index and reshape data (Reshape, Transpose, Slice, Gather,
// Concat, Expand, ...). Their small integer values are propagated, so shape arithmetic
// (Shape -> Gather -> Concat -> Reshape) resolves.

namespace fp::rules {

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
    // The target shape: the second input's values, or the attribute before opset 5. A plain
    // vector and a flag rather than an optional, which GCC 12 wrongly thinks may be read unset.
    const bool fromInput = c.vals(1).has_value();
    const bool fromAttribute = !fromInput && c.node.attribute("shape");
    const std::vector<int64_t> target
        = fromInput ? *c.vals(1) : fromAttribute ? c.node.attrInts("shape") : std::vector<int64_t> {};
    if (!fromInput && !fromAttribute) {
        // The rank is known from the shape input's length even when its values are not.
        const TensorInfo& s = c.in(1);
        if (s.isKnown() && s.rank() == 1 && s.dims[0] <= kMaxRank)
            c.setOut(0, x.dtype, std::vector<int64_t>(size_t(s.dims[0]), -1));
        return;
    }
    const bool allowZero = c.node.attrInt("allowzero", 0) != 0;
    std::vector<int64_t> out = target;
    int inferred = -1;
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0 && !allowZero)
            out[i] = x.rankKnown && i < x.dims.size() ? x.dims[i] : -1;
        if (out[i] == -1 && target[i] == -1) {
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
    const std::optional<int64_t> axis = axisOf(c, first, 0);
    if (!axis)
        return;
    std::vector<int64_t> out = first.dims;
    out[size_t(*axis)] = 0;
    std::vector<int64_t> values;
    bool haveValues = first.rank() == 1;
    for (size_t i = 0; i < c.node.inputs.size(); ++i) {
        const TensorInfo& t = c.in(i);
        if (!t.rankKnown || t.rank() != first.rank())
            return;
        out[size_t(*axis)] = satAdd(out[size_t(*axis)], t.dims[size_t(*axis)]);
        for (int64_t k = 0; k < first.rank(); ++k) {
            if (k != *axis && out[size_t(k)] < 0)
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
    const std::optional<int64_t> axis = axisOf(c, x, 0);
    if (!axis)
        return;
    const size_t parts = c.node.outputs.size();
    std::optional<std::vector<int64_t>> sizes = c.intsFrom("split", 1);
    const int64_t total = x.dims[size_t(*axis)];
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
        out[size_t(*axis)] = (*sizes)[i];
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
    const std::optional<int64_t> axis = axisOf(c, data, 0);
    if (!axis || !idx.rankKnown)
        return;
    std::vector<int64_t> out(data.dims.begin(), data.dims.begin() + *axis);
    out.insert(out.end(), idx.dims.begin(), idx.dims.end());
    out.insert(out.end(), data.dims.begin() + *axis + 1, data.dims.end());
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

} // namespace fp::rules

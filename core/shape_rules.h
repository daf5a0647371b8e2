#pragma once

// The per-operator shape rules, private to core/: shapes.cpp (the driver) looks an operator up
// in shapeRules() and runs its rule on a ShapeContext. A new operator's rule goes in
// shape_rules.cpp and one line of its table; without one, ONNX's own inference runs.

#include "shapes.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fp {

constexpr int64_t kMaxValues = 64; // propagate values only for small integer tensors
// A shape tensor of unknown values still gives the output's rank, its length; a longer one than
// this is taken as malformed rather than allocated (a declared dim of 2^40 would be 8 TiB of dims).
constexpr int64_t kMaxRank = 1024;

// What a rule sees: the node, its inputs' shapes (values of the enclosing graphs included) and
// the outputs it fills.
struct Ctx {
    const Graph& graph;
    const Node& node;
    int64_t opset;
    std::vector<TensorInfo>& tensors;
    const ShapeScope* outer;
    // Where a rule says what about the node it cannot accept (an absurd attribute, a packed
    // weight that disagrees with it); null where nobody listens.
    std::vector<std::string>* problems = nullptr;

    // "'name' (Op): text"; the list stops growing at 40.
    void problem(const std::string& text) const
    {
        if (problems && problems->size() < 40)
            problems->push_back("'" + node.name + "' (" + node.opType + "): " + text);
    }
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

// The rules and the helpers they share, in two files: shape_rules.cpp (elementwise, convolution
// and pooling, products, norms, reductions, recurrent, einsum) and shape_rules_layout.cpp
// (data movement and indexing).
namespace rules {

int64_t ceilDiv(int64_t n, int64_t d); // for n >= 0 and d > 0, without n + d - 1 overflowing
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& dims); // saturating
int64_t normAxis(int64_t axis, int64_t rank);
bool validAxis(int64_t axis, int64_t rank);
// The node's "axis" attribute (`fallback` when absent), normalized against `x`; nullopt when x's
// rank is unknown or the axis falls outside it, where a rule leaves its outputs unknown.
std::optional<int64_t> axisOf(const Ctx& c, const TensorInfo& x, int64_t fallback);
// Multidirectional (numpy) broadcasting; unknown dims stay unknown unless the other is > 1.
std::optional<std::vector<int64_t>> broadcast(const std::vector<const TensorInfo*>& inputs);

void flatten(Ctx& c);
void reshape(Ctx& c);
void transpose(Ctx& c);
void squeeze(Ctx& c);
void unsqueeze(Ctx& c);
void concat(Ctx& c);
void split(Ctx& c);
void slice(Ctx& c);
void gather(Ctx& c);
void gatherElements(Ctx& c);
void shape(Ctx& c);
void size(Ctx& c);
void expand(Ctx& c);
void tile(Ctx& c);
void constantOfShape(Ctx& c);
void constant(Ctx& c);
void range(Ctx& c);
void pad(Ctx& c);

} // namespace rules

using Rule = void (*)(Ctx&);
// Operator type (default domain) -> rule.
const std::unordered_map<std::string, Rule>& shapeRules();
// ONNX Runtime's operators (com.microsoft, and SimplifiedLayerNormalization in the default
// domain), in shape_rules_contrib.cpp.
namespace rules {
const std::unordered_map<std::string, Rule>& contribShapeRules();
// Also in ONNX's own domain (shape_rules_contrib.cpp).
void dequantizeLinear(Ctx& c);
void quantizeLinear(Ctx& c);
}

} // namespace fp

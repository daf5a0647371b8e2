#pragma once

// Shape resolution for one configuration: every tensor gets concrete dims (or is marked
// unknown), and small integer tensors get their values so that shape-computing subgraphs
// (Shape -> Gather -> Concat -> Reshape) resolve.

#include "config.h"
#include "graph.h"
#include "saturating.h"

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fp {

struct TensorInfo {
    DType dtype = DType::Undefined;
    bool rankKnown = false;
    std::vector<int64_t> dims; // -1 for an unknown dim
    std::optional<std::vector<int64_t>> values; // small integer tensors only

    bool isKnown() const; // rank and every dim known
    int64_t elements() const; // -1 if not known; saturates
    int rank() const { return int(dims.size()); }
};

// The axis of a graph input that --batch sets: 0, or 1 for the [sequence, batch, features]
// input X of an LSTM, GRU or RNN of layout 0.
int batchAxis(const Graph& graph, int input);

struct ShapeResult {
    std::vector<TensorInfo> tensors; // one per value of the graph
    std::map<std::string, int64_t> symbols; // every symbol's value as used
    std::vector<std::string> assumedSymbols; // symbols nobody set (taken as 1, images as 224)
    std::vector<std::string> ignoredSymbols; // set, but the model declares no such dimension
    std::vector<std::string> warnings;
    int uncomputable = 0; // nodes whose known inputs gave no output shape (named in warnings)
    bool batchOverridden = false; // a fixed batch dim was changed: declared dim 0s will disagree
    // Results for the bodies of If/Loop/Scan nodes, keyed by the body graph.
    std::map<const Graph*, std::shared_ptr<ShapeResult>> subgraphs;
    // If branches that the configuration decides are not run (the condition's value is known).
    std::set<const Graph*> untakenBranches;
};

// Scope of enclosing graphs for subgraph inference (outer-scope names).
struct ShapeScope {
    const Graph* graph = nullptr;
    const std::vector<TensorInfo>* tensors = nullptr;
    const ShapeScope* parent = nullptr;

    const TensorInfo* lookup(const std::string& name) const;
};

// An image input: floating point with four dims, which --resolution resizes. Its height and
// width are dims 2 and 3, or 1 and 2 when it is channels-last (NHWC, as tf2onnx writes): the last
// dim a channel count of 1 to 4 and dim 1 not. A language model's KV cache input ([batch, heads,
// past_sequence_length, head_dim], named past_key_values.N.key or so) is never one.
bool isImageInput(const Value& value);
bool isChannelsLast(const Value& value);

// The symbols a dim written as an expression names (Optimum's "past_sequence_length +
// sequence_length" -> past_sequence_length, sequence_length); empty for a plain symbol.
std::vector<std::string> dimExpressionSymbols(const std::string& symbol);
// Such a dim's value from its parts' (+ - * / as floor division, %, parentheses); nullopt for a
// plain symbol, a malformed expression or one naming a symbol without a value.
std::optional<int64_t> evaluateDimExpression(const std::string& text, const std::map<std::string, int64_t>& symbols);

// Resolves the input shapes for a configuration (graph inputs only).
ShapeResult resolveInputs(const Graph& graph, const ShapeConfig& config);

// Infers every node's outputs, in execution order, given the inputs already set in `result`.
// `opset` is the model's default-domain opset version.
void inferShapes(const Graph& graph, int64_t opset, ShapeResult& result, const ShapeScope* outer = nullptr);

// The declared shape of a value with symbols substituted; rankKnown false if none declared.
TensorInfo declaredInfo(const Value& value, const std::map<std::string, int64_t>& symbols);

} // namespace fp

#pragma once

#include "shapes.h"

namespace fp {

// Infers one node's outputs with ONNX's own per-operator shape inference, for operators that
// have no native rule here. Leaves the outputs untouched when ONNX cannot infer them.
void fallbackInfer(const Graph& graph, const Node& node, int64_t opset, std::vector<TensorInfo>& tensors,
                   const ShapeScope* outer);

} // namespace fp

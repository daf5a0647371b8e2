#pragma once

// Whether a graph was exported for inference, which matters when training is asked of it. Most
// ONNX files in the wild are eval-mode exports: BatchNorm folded into the convolutions, Dropout
// removed, weight transposes folded into constants. A training plan of such a graph leaves out
// what those layers keep for the backward pass, so it is low, and the user must be told.

#include "graph.h"

#include <string>
#include <vector>

namespace fp {

// The signs that `model` is an eval-mode PyTorch export, in words; empty when it is not from
// PyTorch or shows a sign of a training export (a BatchNormalization or Dropout node, or a
// weight transpose left unfolded).
std::vector<std::string> evalExportSigns(const Model& model);

// Whether PyTorch's constant folding folded a BatchNorm into this convolution: it renames the
// folded weight "onnx::Conv_N", where an unfolded one keeps its parameter's name. PyTorch itself
// runs the BatchNorm as a second kernel with its own output.
bool hasFoldedBatchNorm(const Graph& graph, const Node& node);

// The caveat a training estimate of such a graph carries: what it leaves out and how to export
// for training. Empty when `signs` is.
std::string evalExportCaveat(const std::vector<std::string>& signs);

} // namespace fp

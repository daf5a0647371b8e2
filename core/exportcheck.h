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

// The caveat a training estimate of such a graph carries: what it leaves out and how to export
// for training. Empty when `signs` is.
std::string evalExportCaveat(const std::vector<std::string>& signs);

} // namespace fp

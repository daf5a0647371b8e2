#pragma once

// Figures as Footprint writes them, in one place for the command line, the exports and the
// window (widgets/formatting.h wraps these for the views), so that a figure reads the same
// wherever it is shown.

#include <cstdint>
#include <string>

namespace fp {

struct BatchFit;
struct TensorInfo;

// "12.3 MiB", "1.50 GiB": binary units, as torchsummary and nvidia-smi report.
std::string formatBytes(int64_t bytes);
// "4.09 G", "308.87 M": decimal units for counts such as MACs.
std::string formatCount(int64_t count);
// "[1, 3, 224, 224]", "?" for an unknown dim or rank.
std::string formatShape(const TensorInfo& t);

// The peak against a memory budget: "fits, 1.50 GiB to spare" or "exceeds by 48 B". The words
// of footprint-cli analyze's "Budget:" line, which scripts read; the window and the report say
// the same.
// With `peakIsLowerBound` (tensors of unknown shape left out) a fit is only possible ("may fit:
// …") and an excess is "at least".
std::string budgetVerdict(int64_t budgetBytes, int64_t peakBytes, bool peakIsLowerBound = false);

// The largest batch that fits in words: "25 (peak 9.64 GiB)", "none: batch 1 does not fit",
// with " (the search limit)" or, on peaks missing unknown tensors, "at most 25".
std::string batchFitText(const BatchFit& fit);

} // namespace fp

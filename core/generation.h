#pragma once

// A language model generating text (issue 18): a prefill step that reads the prompt (sequence P,
// past 0), then one decode step per new token (sequence 1, past P, P + 1, ...). The steps are
// analyses of the model's own graph at those dims; the KV cache is what its present.N.key and
// present.N.value outputs hold.

#include "analysis.h"
#include "performance.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fp {

struct GenerationPlan {
    int64_t prompt = 0;
    int64_t newTokens = 0;
    std::string sequenceSymbol; // the dims each step sets: the new tokens'
    std::string pastSymbol; // the cache's length before the step
    std::string totalSymbol; // past + new, where the model names it (genai's total_sequence_length)
    int64_t kvCacheBytes = 0; // the present KV after the last token (P + T long)
    bool sharedBuffer = false; // the KV allocated once at P + T (GenerationConfig::sharedBuffer)
    int64_t prefillPeakBytes = 0;
    int64_t decodePeakBytes = 0; // the highest decode step's (the last one's: the cache grows)
    int64_t peakBytes = 0;
    // Step 0 is the prefill, step t (1..T) the decode of token t. A decode step's peak grows
    // linearly with the past length, so the steps between the first and last are interpolated,
    // not analysed: four analyses plan any number of tokens.
    std::vector<int64_t> stepPeakBytes;
    int analyses = 0;
    bool peakIsLowerBound = false; // an analysis left tensors of unknown shape out
    // With a device that has roofs: the roofline's time for the prefill and for one decode step
    // (the first token's and the last's: a step reads the weights and the cache, which grows),
    // and for the whole generation (the steps between interpolated as their peaks are).
    bool hasLatency = false;
    double prefillSeconds = 0;
    double firstDecodeSeconds = 0;
    double lastDecodeSeconds = 0;
    double totalSeconds = 0;
};

// The dims a generation step sets, from the model's inputs: the past length is dim 2 of a
// past_key_values / past input ([batch, heads, past, head_dim]); the new tokens' is dim 1 of
// input_ids (or of the first 2-D integer input); a total length, where the model has one, is
// named so (total_sequence_length) or is an attention mask's dim 1 that is neither. Empty where
// the model has none.
struct StepSymbols {
    std::string sequence, past, total;
};
StepSymbols stepSymbols(const Graph& graph);

// Why the model cannot generate (no past KV input, no sequence dim to step through), in the
// words planGeneration throws; empty when it can.
std::string generationObstacle(const Graph& graph);
inline bool canGenerate(const Graph& graph)
{
    return generationObstacle(graph).empty();
}

// `config` with the dims of the prefill step (the prompt's tokens, an empty past) set: the
// analysis a generation's session shows. Unchanged for a model without a past KV input.
AnalysisConfig prefillConfig(const Model& model, AnalysisConfig config, int64_t prompt);

// Plans `prompt` + `newTokens` at `config` (its batch and other dims). Throws std::runtime_error
// with the reason when the model has no past KV input or no sequence dim to step through, or
// when P < 1 or T < 1.
GenerationPlan planGeneration(const Model& model, const AnalysisConfig& config, int64_t prompt, int64_t newTokens,
                              const PerformanceConfig* performance = nullptr);

// With a budget: the largest batch whose generation peak fits (0: not even batch 1), and the
// longest context (prompt + new tokens, the prompt as given) that fits at the configured batch
// (0: not even one new token). Each is searched over the plans' peaks.
struct GenerationFit {
    int64_t maxBatch = 0;
    int64_t maxContext = 0;
    int analyses = 0;
};
GenerationFit fitGeneration(const Model& model, const AnalysisConfig& config, int64_t prompt, int64_t newTokens,
                            int64_t budgetBytes);

} // namespace fp

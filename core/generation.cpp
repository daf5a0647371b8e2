#include "generation.h"

#include "memory.h"
#include "saturating.h"
#include "shapes.h"

#include <algorithm>
#include <stdexcept>

namespace fp {

namespace {

bool contains(const std::string& text, const char* word)
{
    return text.find(word) != std::string::npos;
}

} // namespace

StepSymbols stepSymbols(const Graph& graph)
{
    StepSymbols s;
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (s.past.empty() && v.declaredShape.size() == 4 && contains(v.name, "past")
            && dimExpressionSymbols(v.declaredShape[2].symbol).empty())
            s.past = v.declaredShape[2].symbol;
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (v.declaredShape.size() == 2 && !isFloating(v.dtype) && (v.name == "input_ids" || s.sequence.empty())
            && !v.declaredShape[1].symbol.empty() && v.declaredShape[1].symbol != s.past
            && dimExpressionSymbols(v.declaredShape[1].symbol).empty() && !contains(v.name, "mask"))
            s.sequence = v.declaredShape[1].symbol;
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        for (const Dim& d : v.declaredShape) {
            const bool named = contains(d.symbol, "total");
            const bool mask = contains(v.name, "mask") && v.declaredShape.size() == 2 && &d == &v.declaredShape[1];
            if ((named || mask) && !d.symbol.empty() && d.symbol != s.past && d.symbol != s.sequence
                && dimExpressionSymbols(d.symbol).empty())
                s.total = d.symbol;
        }
    }
    return s;
}

std::string generationObstacle(const Graph& graph)
{
    const StepSymbols s = stepSymbols(graph);
    if (s.past.empty())
        return "the model has no past KV input (past_key_values.N.key, [batch, heads, past_sequence_length, "
               "head_dim]) to generate with";
    if (s.sequence.empty())
        return "the model has no input_ids whose dim 1 names the new tokens' length";
    return {};
}

namespace {

struct Step {
    int64_t peak = 0;
    int64_t kv = 0;
    bool lowerBound = false;
    bool timed = false;
    double seconds = 0;
};

// `buffer` > 0: the shared-buffer mode, whose past input is the whole buffer, `buffer` tokens
// long, of which the step attends `past` + `sequence` (total_sequence_length).
Step analyzeStep(const Model& model, AnalysisConfig config, const StepSymbols& s, int64_t sequence, int64_t past,
                 const PerformanceConfig* performance, int64_t buffer = 0)
{
    config.shapes.dims[s.sequence] = sequence;
    config.shapes.dims[s.past] = buffer > 0 ? buffer : past;
    if (!s.total.empty())
        config.shapes.dims[s.total] = satAdd(past, sequence);
    const AnalysisResult r = analyze(model, config);
    Step step { r.totals.peakBytes, 0, !r.unknownShapes.empty(), false, 0 };
    if (performance) {
        const PerformanceEstimate estimate = estimatePerformance(r, config, *performance);
        step.timed = estimate.hasRoofline();
        step.seconds = estimate.seconds;
    }
    for (int out : model.graph.outputs) {
        if (contains(model.graph.values[size_t(out)].name, "present"))
            step.kv = satAdd(step.kv, tensorBytes(r.shapes.tensors[size_t(out)], r.precisionOf(out)));
    }
    return step;
}

} // namespace

AnalysisConfig prefillConfig(const Model& model, AnalysisConfig config, int64_t prompt)
{
    const StepSymbols s = stepSymbols(model.graph);
    if (s.past.empty() || s.sequence.empty())
        return config;
    config.shapes.dims[s.sequence] = prompt;
    config.shapes.dims[s.past] = 0;
    if (config.generation && config.generation->sharedBuffer && !s.total.empty()) // the whole buffer, from the start
        config.shapes.dims[s.past] = satAdd(prompt, config.generation->newTokens);
    if (!s.total.empty())
        config.shapes.dims[s.total] = prompt;
    return config;
}

GenerationPlan planGeneration(const Model& model, const AnalysisConfig& config, int64_t prompt, int64_t newTokens,
                              const PerformanceConfig* performance)
{
    if (prompt < 1 || newTokens < 1)
        throw std::runtime_error("generation needs a prompt of at least 1 token and at least 1 new token");
    if (const std::string obstacle = generationObstacle(model.graph); !obstacle.empty())
        throw std::runtime_error(obstacle);
    const StepSymbols s = stepSymbols(model.graph);
    GenerationPlan plan;
    plan.prompt = prompt;
    plan.newTokens = newTokens;
    plan.sequenceSymbol = s.sequence;
    plan.pastSymbol = s.past;
    plan.totalSymbol = s.total;
    const bool shared = config.generation && config.generation->sharedBuffer;
    if (shared && s.total.empty())
        throw std::runtime_error("the shared KV buffer needs a total_sequence_length input (or an attention mask) "
                                 "to say how much of the buffer a step attends");
    const int64_t buffer = shared ? satAdd(prompt, newTokens) : 0;
    plan.sharedBuffer = shared;
    const Step prefill = analyzeStep(model, config, s, prompt, 0, performance, buffer);
    const Step first = analyzeStep(model, config, s, 1, prompt, performance, buffer);
    const Step last = newTokens > 1 ? analyzeStep(model, config, s, 1, satAdd(prompt, newTokens - 1), performance, buffer)
                                    : first;
    plan.hasLatency = prefill.timed && first.timed && last.timed;
    if (plan.hasLatency) {
        plan.prefillSeconds = prefill.seconds;
        plan.firstDecodeSeconds = first.seconds;
        plan.lastDecodeSeconds = last.seconds;
        plan.totalSeconds = prefill.seconds + double(newTokens) * (first.seconds + last.seconds) / 2;
    }
    plan.analyses = newTokens > 1 ? 3 : 2;
    plan.prefillPeakBytes = prefill.peak;
    plan.decodePeakBytes = std::max(first.peak, last.peak);
    plan.peakBytes = std::max(plan.prefillPeakBytes, plan.decodePeakBytes);
    plan.kvCacheBytes = last.kv;
    plan.peakIsLowerBound = prefill.lowerBound || first.lowerBound || last.lowerBound;
    plan.stepPeakBytes.reserve(size_t(std::min<int64_t>(newTokens, int64_t(1) << 24)) + 1);
    plan.stepPeakBytes.push_back(prefill.peak);
    for (int64_t t = 1; t <= newTokens && plan.stepPeakBytes.size() <= size_t(1) << 24; ++t) {
        const double along = newTokens > 1 ? double(t - 1) / double(newTokens - 1) : 0;
        plan.stepPeakBytes.push_back(first.peak + int64_t(double(last.peak - first.peak) * along + 0.5));
    }
    return plan;
}

namespace {

// The largest n in [1, limit] with fits(n), for a fits that holds up to some n and fails after.
template<typename Fits>
int64_t largestThatFits(int64_t limit, Fits fits)
{
    if (!fits(1))
        return 0;
    int64_t lo = 1, hi = -1;
    while (hi < 0 && lo < limit) {
        const int64_t next = std::min(satMul(lo, 2), limit);
        if (fits(next))
            lo = next;
        else
            hi = next;
    }
    while (hi >= 0 && hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        (fits(mid) ? lo : hi) = mid;
    }
    return lo;
}

} // namespace

GenerationFit fitGeneration(const Model& model, const AnalysisConfig& config, int64_t prompt, int64_t newTokens,
                            int64_t budgetBytes)
{
    GenerationFit fit;
    constexpr int64_t kLimit = int64_t(1) << 20;
    fit.maxBatch = largestThatFits(kLimit, [&](int64_t batch) {
        AnalysisConfig c = config;
        c.shapes.batch = batch;
        const GenerationPlan plan = planGeneration(model, c, prompt, newTokens);
        fit.analyses += plan.analyses;
        return plan.peakBytes <= budgetBytes;
    });
    const int64_t tokens = largestThatFits(kLimit, [&](int64_t t) {
        const GenerationPlan plan = planGeneration(model, config, prompt, t);
        fit.analyses += plan.analyses;
        return plan.peakBytes <= budgetBytes;
    });
    fit.maxContext = tokens > 0 ? satAdd(prompt, tokens) : 0;
    return fit;
}

} // namespace fp

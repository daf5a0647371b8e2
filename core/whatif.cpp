#include "whatif.h"

#include <algorithm>

namespace fp {

const char* quantizeOrderName(QuantizeOrder order)
{
    return order == QuantizeOrder::Weights ? "weights" : "activations";
}

std::optional<QuantizeOrder> parseQuantizeOrder(const std::string& name)
{
    if (name == "activations")
        return QuantizeOrder::Activations;
    if (name == "weights")
        return QuantizeOrder::Weights;
    return std::nullopt;
}

QuantizationPlan quantizeToFit(const Model& model, const AnalysisConfig& config, int64_t budgetBytes,
                               QuantizeOrder order, Precision target)
{
    QuantizationPlan plan;
    plan.order = order;
    plan.budgetBytes = budgetBytes;
    plan.config = config;
    const AnalysisResult start = analyze(model, config);
    plan.analyses = 1;
    plan.startPeakBytes = start.totals.peakBytes;
    if (start.totals.peakBytes <= budgetBytes) {
        plan.fits = true;
        return plan;
    }
    // The candidates, largest first: a layer whose outputs have storage of their own (not a
    // view) in a floating type above the target, or that reads weights (Weights order).
    const Graph& graph = model.graph;
    struct Candidate {
        int layer;
        int64_t bytes;
    };
    std::vector<Candidate> candidates;
    for (size_t s = 0; s < start.layers.size(); ++s) {
        const LayerResult& layer = start.layers[s];
        const Node& node = graph.nodes[size_t(layer.node)];
        if (node.name.empty() || isViewOp(node))
            continue;
        const int out = node.output(0);
        const bool lowerable = out >= 0 && isFloating(start.shapes.tensors[size_t(out)].dtype)
            && elementBits(start.shapes.tensors[size_t(out)].dtype, start.precisionOf(out)) > elementBits(DType::Float, target);
        const int64_t bytes = order == QuantizeOrder::Weights ? layer.weightBytes : layer.outputBytes;
        if (lowerable && bytes > 0)
            candidates.push_back({ int(s), bytes });
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.bytes > b.bytes; });
    plan.candidates = int(candidates.size());
    const auto lowered = [&](size_t count) {
        AnalysisConfig c = config;
        for (size_t i = 0; i < count; ++i)
            c.layerPrecisions.push_back({ graph.nodes[size_t(start.layers[size_t(candidates[i].layer)].node)].name, target });
        return c;
    };
    const auto peakWith = [&](size_t count) {
        ++plan.analyses;
        return analyze(model, lowered(count)).totals.peakBytes;
    };
    plan.allLoweredPeakBytes = peakWith(candidates.size());
    if (plan.allLoweredPeakBytes > budgetBytes)
        return plan; // not even every layer at the target fits
    // One layer more each step, until the peak fits.
    for (size_t i = 1; i <= candidates.size() && !plan.fits; ++i) {
        const int64_t peak = peakWith(i);
        const Node& node = graph.nodes[size_t(start.layers[size_t(candidates[i - 1].layer)].node)];
        plan.steps.push_back({ node.name, target, peak });
        plan.fits = peak <= budgetBytes;
    }
    plan.config = lowered(plan.steps.size());
    return plan;
}

} // namespace fp

#include "exportcheck.h"

#include <algorithm>

namespace fp {

namespace {

bool fromPyTorch(const Model& model)
{
    return asciiLower(model.producerName).find("pytorch") != std::string::npos;
}

// A node computed from weights alone (a Transpose of a weight before its MatMul): constant
// folding, which eval exports run, would have replaced it with the result.
bool foldableFromWeights(const Graph& graph, const Node& node)
{
    // Identity is how exporters alias a shared weight under a second name, folded or not.
    if (node.opType == "Constant" || node.opType == "Identity" || node.inputs.empty())
        return false;
    return std::all_of(node.inputs.begin(), node.inputs.end(), [&](int in) {
        return in < 0 || (graph.values[size_t(in)].isInitializer && !graph.values[size_t(in)].isConstantNode);
    });
}

// A node only a training export writes: BatchNorm updating its running statistics (extra
// outputs before opset 14, training_mode=1 after), or Dropout told it is training.
bool isTrainingNode(const Graph& graph, const Node& node)
{
    if (node.opType == "BatchNormalization")
        return node.outputs.size() > 1 || node.attrInt("training_mode", 0) == 1;
    if (node.opType == "Dropout" && node.input(2) >= 0) {
        // A ratio of 0 in training mode says nothing: torchvision's Swin calls F.dropout(p=0.0)
        // with training left at its default, True, in eval exports too.
        const int ratio = node.input(1);
        const std::optional<std::vector<int64_t>>& p = ratio >= 0 ? graph.values[size_t(ratio)].intData : std::nullopt;
        if (p && p->size() == 1 && p->front() == 0)
            return false;
        const std::optional<std::vector<int64_t>>& mode = graph.values[size_t(node.input(2))].intData;
        return mode && mode->size() == 1 && mode->front() != 0;
    }
    return false;
}

} // namespace

bool hasFoldedBatchNorm(const Graph& graph, const Node& node)
{
    if (node.opType != "Conv" || !node.domain.empty() || node.input(1) < 0)
        return false;
    const Value& weight = graph.values[size_t(node.input(1))];
    return weight.isInitializer && weight.name.rfind("onnx::Conv_", 0) == 0;
}

std::vector<std::string> evalExportSigns(const Model& model)
{
    const Graph& graph = model.graph;
    if (!fromPyTorch(model))
        return {};
    int convolutions = 0, withBias = 0, folded = 0, inferenceNorms = 0, dropouts = 0;
    for (const Node& node : graph.nodes) {
        if (isTrainingNode(graph, node) || foldableFromWeights(graph, node))
            return {}; // kept by a training export (or an inference one without folding)
        if (node.opType == "BatchNormalization")
            ++inferenceNorms;
        dropouts += node.opType == "Dropout" ? 1 : 0;
        if (node.opType == "Conv") {
            ++convolutions;
            withBias += node.input(2) >= 0 ? 1 : 0;
            folded += hasFoldedBatchNorm(graph, node) ? 1 : 0;
        }
    }
    std::vector<std::string> signs { "exported by PyTorch" };
    if (inferenceNorms > 0)
        signs.push_back(std::to_string(inferenceNorms)
                        + " BatchNormalization nodes in inference form (one output, no training_mode), none "
                          "folded where no convolution precedes them");
    else if (dropouts > 0)
        signs.push_back(std::to_string(dropouts) + " Dropout nodes that drop nothing (not in training mode, or a ratio of 0), no BatchNormalization node");
    else
        signs.push_back("no BatchNormalization node, no Dropout node and no unfolded weight transpose");
    if (withBias > 0)
        signs.push_back(std::to_string(withBias) + " of " + std::to_string(convolutions)
                        + " convolutions carry a bias, as a BatchNorm folded into them leaves");
    if (folded > 0)
        signs.push_back(std::to_string(folded) + " weights renamed by constant folding (onnx::Conv_N)");
    return signs;
}

std::string evalExportCaveat(const std::vector<std::string>& signs)
{
    if (signs.empty())
        return {};
    std::string text = "this graph looks like an eval-mode export (";
    for (size_t i = 0; i < signs.size(); ++i)
        text += (i ? "; " : "") + signs[i];
    return text + "): the training estimate adds back the input each folded BatchNorm keeps where its "
                  "weight was renamed, but leaves out what Dropout keeps for the backward pass and any layer the "
                  "export folded away without a trace, so it may be low. Export for training with "
                  "torch.onnx.export(..., training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)";
}

} // namespace fp

#pragma once

#include "analysis.h"
#include "dump_model.h"
#include "onnx_reader.h"

#include <QString>

namespace fp::test {

inline std::string modelPath(const char* file)
{
    return std::string(FOOTPRINT_TEST_MODELS) + "/" + file;
}

// Reads a model built in memory by a test (ModelBuilder::bytes()).
inline Model readBytes(const std::string& bytes)
{
    dumpForFuzzing(bytes);
    return readOnnxBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.onnx");
}

inline Model loadModel(const char* file)
{
    return readOnnxFile(modelPath(file));
}

inline AnalysisResult analyzeFile(const char* file, AnalysisConfig config = {})
{
    return analyze(loadModel(file), config);
}

// The message `read` refuses its input with (a ModelError), or empty when it reads it: the refusal
// tests of each reader entry point (bytes, a file, the registry's front door) compare these.
template <typename Read>
QString refusalOf(Read&& read)
{
    try {
        read();
    } catch (const ModelError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// The analysed nodes whose operator is `op`, in the analysis's order.
inline std::vector<const Node*> layerNodesOfType(const Model& model, const AnalysisResult& r, const std::string& op)
{
    std::vector<const Node*> nodes;
    for (const LayerResult& l : r.layers) {
        const Node& n = model.graph.nodes[size_t(l.node)];
        if (n.opType == op)
            nodes.push_back(&n);
    }
    return nodes;
}

inline const LayerResult* layerByName(const Model& model, const AnalysisResult& r, const std::string& name)
{
    for (const LayerResult& l : r.layers) {
        if (model.graph.nodes[size_t(l.node)].name == name)
            return &l;
    }
    return nullptr;
}

} // namespace fp::test

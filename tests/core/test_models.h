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

inline const LayerResult* layerByName(const Model& model, const AnalysisResult& r, const std::string& name)
{
    for (const LayerResult& l : r.layers) {
        if (model.graph.nodes[size_t(l.node)].name == name)
            return &l;
    }
    return nullptr;
}

} // namespace fp::test

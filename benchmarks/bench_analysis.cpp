// Speed of what the user waits for: opening a model (with its weights in the file) plus the
// first analysis, and re-analysis for a new configuration (a slider move).
//
// The committed test models carry no weights, so the benchmark first writes full-size copies
// with every weight's bytes inline: ResNet-50 (about 100 MB) and a 12-layer GPT-2 export padded
// with one unused 400 MB tensor (about 1.06 GB).

#include "analysis.h"
#include "devices.h"
#include "generation.h"
#include "model_reader.h"

#include <onnx/onnx_pb.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

std::string sourceModel(const char* file)
{
    return std::string(FOOTPRINT_TEST_MODELS) + "/" + file;
}

// Writes `file` with every external initializer's bytes inline (zeros), plus `padBytes` more.
std::string writeWithWeights(const char* file, int64_t padBytes)
{
    const std::string out = (std::filesystem::temp_directory_path() / (std::string("footprint-bench-") + file)).string();
    onnx::ModelProto model;
    {
        std::ifstream in(sourceModel(file), std::ios::binary);
        if (!model.ParseFromIstream(&in))
            return {};
    }
    for (auto& t : *model.mutable_graph()->mutable_initializer()) {
        if (t.data_location() != onnx::TensorProto::EXTERNAL)
            continue;
        int64_t n = 1;
        for (int64_t d : t.dims())
            n *= d;
        const int size = t.data_type() == onnx::TensorProto::INT64 ? 8 : 4;
        t.clear_external_data();
        t.clear_data_location();
        t.set_raw_data(std::string(size_t(n * size), '\0'));
    }
    if (padBytes > 0) {
        auto* pad = model.mutable_graph()->add_initializer();
        pad->set_name("unused_padding");
        pad->set_data_type(onnx::TensorProto::FLOAT);
        pad->add_dims(padBytes / 4);
        pad->set_raw_data(std::string(size_t(padBytes), '\0'));
    }
    std::ofstream o(out, std::ios::binary);
    model.SerializeToOstream(&o);
    return out;
}

const std::string& resnet50File()
{
    static const std::string path = writeWithWeights("resnet50_train.onnx", 0);
    return path;
}

const std::string& gpt2File()
{
    static const std::string path = writeWithWeights("gpt2_12l.onnx", int64_t(400) << 20);
    return path;
}

fp::AnalysisConfig configFor(int64_t batch, bool text, fp::Mode mode = fp::Mode::Inference)
{
    fp::AnalysisConfig config;
    config.training.mode = mode;
    config.shapes.batch = batch;
    if (text)
        config.shapes.dims["sequence"] = 128 + (batch % 7) * 64;
    return config;
}

void openAndAnalyze(benchmark::State& state, const std::string& path, bool text)
{
    if (path.empty()) {
        state.SkipWithError("could not write the benchmark model");
        return;
    }
    state.counters["file_MB"] = double(std::filesystem::file_size(path)) / 1e6;
    for (auto _ : state) {
        const fp::Model model = fp::readModel(path);
        benchmark::DoNotOptimize(fp::analyze(model, configFor(1, text)));
    }
}

void reanalyze(benchmark::State& state, const char* file, bool text, fp::Mode mode = fp::Mode::Inference)
{
    const fp::Model model = fp::readModel(sourceModel(file));
    int64_t batch = 1;
    for (auto _ : state) {
        batch = batch % 64 + 1; // every iteration is a new configuration, as a slider drag
        benchmark::DoNotOptimize(fp::analyze(model, configFor(batch, text, mode)));
    }
    state.counters["nodes"] = double(model.graph.nodes.size());
}

void BM_OpenAndAnalyze_ResNet50_100MB(benchmark::State& state) { openAndAnalyze(state, resnet50File(), false); }
void BM_OpenAndAnalyze_GPT2_12L_1GB(benchmark::State& state) { openAndAnalyze(state, gpt2File(), true); }
// The same graph without weights: the 1 GB file should cost no more than this.
void BM_OpenAndAnalyze_GPT2_12L_GraphOnly(benchmark::State& state)
{
    openAndAnalyze(state, sourceModel("gpt2_12l.onnx"), true);
}
void BM_Reanalyze_ResNet50(benchmark::State& state) { reanalyze(state, "resnet50_train.onnx", false); }
void BM_Reanalyze_GPT2_12L(benchmark::State& state) { reanalyze(state, "gpt2_12l.onnx", true); }
void BM_Reanalyze_ResNet50_Training(benchmark::State& state)
{
    reanalyze(state, "resnet50_train.onnx", false, fp::Mode::Training);
}
void BM_Reanalyze_GPT2_12L_Training(benchmark::State& state)
{
    reanalyze(state, "gpt2_12l.onnx", true, fp::Mode::Training);
}

// The largest batch whose training peak fits an 80 GiB device.
void BM_LargestBatch_ResNet50_Training(benchmark::State& state)
{
    const fp::Model model = fp::readModel(sourceModel("resnet50_train.onnx"));
    int analyses = 0;
    for (auto _ : state) {
        const fp::BatchFit fit = fp::largestBatchThatFits(model, configFor(1, false, fp::Mode::Training), int64_t(80) << 30);
        analyses = fit.analyses;
        benchmark::DoNotOptimize(fit);
    }
    state.counters["analyses"] = analyses;
}

// Re-planning a generation after a slider move (issue 18): LLaMA-7B's shapes, a 4,096-token
// prompt and 32,768 new tokens, each iteration a new batch; the target is under 50 ms.
void BM_Generation_Llama7B_4kPrompt_32kTokens(benchmark::State& state)
{
    const fp::Model model = fp::readModel(sourceModel("llama7b_genai.onnx"));
    int64_t batch = 0;
    for (auto _ : state) {
        fp::AnalysisConfig config;
        batch = batch % 8 + 1;
        config.shapes.batch = batch;
        benchmark::DoNotOptimize(fp::planGeneration(model, config, 4096, 32768));
    }
    state.counters["nodes"] = double(model.graph.nodes.size());
}

// Opening a 7B int4 model (issue 18: "well under a second", never touching a weight byte):
// LLaMA-7B in genai's int4 layout beside its 4.2 GB weights file, written sparse (the reader only
// checks that each tensor's offset fits in it), then the first analysis.
void BM_OpenAndAnalyze_Llama7B_Int4(benchmark::State& state)
{
    const std::filesystem::path folder = std::filesystem::temp_directory_path() / "footprint-bench-llama7b-int4";
    std::filesystem::create_directories(folder);
    const std::filesystem::path model = folder / "llama7b_int4_genai.onnx";
    std::filesystem::copy_file(sourceModel("llama7b_int4_genai.onnx"), model,
                               std::filesystem::copy_options::overwrite_existing);
    {
        std::ofstream weights(folder / "llama7b_int4_genai.weights", std::ios::binary);
    }
    std::filesystem::resize_file(folder / "llama7b_int4_genai.weights", uint64_t(4167573504));
    for (auto _ : state) {
        const fp::Model m = fp::readModel(model.string());
        benchmark::DoNotOptimize(fp::analyze(m, configFor(1, false)));
    }
    state.counters["weights_GB"] = 4.167573504;
    std::filesystem::remove_all(folder);
}

} // namespace

BENCHMARK(BM_OpenAndAnalyze_Llama7B_Int4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenAndAnalyze_ResNet50_100MB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenAndAnalyze_GPT2_12L_1GB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenAndAnalyze_GPT2_12L_GraphOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Reanalyze_ResNet50)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Reanalyze_GPT2_12L)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Reanalyze_ResNet50_Training)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Reanalyze_GPT2_12L_Training)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LargestBatch_ResNet50_Training)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Generation_Llama7B_4kPrompt_32kTokens)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

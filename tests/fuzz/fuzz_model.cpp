// The fuzz target: bytes -> load -> analyse in a few configurations. Anything but a clean
// ModelError (or success) is a bug: a crash, a sanitizer report, a hang, or another exception.

#include "analysis.h"
#include "devices.h"
#include "onnx_reader.h"
#include "performance.h"
#include "report.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const fp::Model model = fp::readOnnxBytes(data, size, "fuzz.onnx");
        fp::AnalysisConfig config;
        (void)fp::analyze(model, config);
        config.shapes.batch = 3;
        config.precision = fp::Precision::FP16;
        config.shapes.dims["sequence"] = 7;
        (void)fp::analyze(model, config);
        config.training.mode = fp::Mode::Training;
        config.training.workspace = fp::ConvAlgorithm::FFT;
        const fp::AnalysisResult r = fp::analyze(model, config);
        fp::PerformanceConfig performance;
        performance.device = fp::builtinDevices().front();
        (void)fp::estimatePerformance(r, config, performance);
        (void)fp::formatTable(model, r);
        (void)fp::largestBatchThatFits(model, config, int64_t(1) << 30, 64);
    } catch (const fp::ModelError&) {
        // refused cleanly: the expected outcome for most inputs
    } catch (const std::exception& e) {
        std::fprintf(stderr, "unexpected exception: %s\n", e.what());
        std::abort();
    }
    return 0;
}

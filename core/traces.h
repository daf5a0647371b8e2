#pragma once

// Measured memory traces, to set beside an estimate: an nvidia-smi log (seed 003's
// `nvidia-smi --query-gpu=memory.used --format=csv -lms 10`), an onnxruntime profile (per-node
// output sizes), and Footprint's own JSON trace written by resources/scripts/torch_memory_trace.py
// from a PyTorch run.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fp {

class TraceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MemoryTrace {
    enum class Format { NvidiaSmi, OnnxRuntime, Footprint };
    Format format = Format::Footprint;
    std::string source; // what produced it, as the file says
    std::vector<double> seconds; // sample times
    std::vector<int64_t> bytes; // memory in use at each sample
    int64_t peakBytes = 0;
    int64_t baselineBytes = 0; // the first sample: what was in use before the model ran
    struct NodeSize {
        std::string node;
        std::string op;
        int64_t outputBytes = 0;
    };
    std::vector<NodeSize> nodes; // onnxruntime: per-node output sizes
};

const char* traceFormatName(MemoryTrace::Format format);

// An estimate set beside a measurement at the peak (footprint-cli compare and the timeline's
// overlay): the difference is estimate - measurement, the percentage relative to the measurement.
struct PeakComparison {
    int64_t estimatedBytes = 0;
    int64_t measuredBytes = 0;
    int64_t differenceBytes = 0;
    double differencePercent = 0;
};
PeakComparison comparePeaks(int64_t estimatedPeakBytes, const MemoryTrace& trace);
// "+1.50 MiB (+2.3%)", "-352 B (-0.0%)": the difference as footprint-cli compare prints it.
std::string formatDifference(const PeakComparison& comparison);

// Reads a trace, telling the format by its content. `sampleInterval` is the time between
// nvidia-smi samples when the log has no timestamps (-lms 10: 0.01 s). Throws TraceError.
MemoryTrace readMemoryTrace(const std::string& path, double sampleInterval = 0.01);
MemoryTrace parseMemoryTrace(const std::string& text, double sampleInterval = 0.01);

} // namespace fp

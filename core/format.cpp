#include "format.h"

#include "devices.h"
#include "shapes.h"

#include <cstdio>

namespace fp {

namespace {

// `value` in the largest of the seven `units` (each `base` times the one before) that keeps it
// at least 1: a whole number in the first unit, two decimals in the others.
std::string scaled(int64_t value, double base, const char* const (&units)[7])
{
    double v = double(value);
    int u = 0;
    while (v >= base && u < 6) {
        v /= base;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.2f%s", v, units[u]);
    return buf;
}

} // namespace

std::string formatBytes(int64_t bytes)
{
    static const char* const units[] = { " B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB" };
    return scaled(bytes, 1024.0, units);
}

std::string formatCount(int64_t count)
{
    static const char* const units[] = { "", " k", " M", " G", " T", " P", " E" };
    return scaled(count, 1000.0, units);
}

std::string formatShape(const TensorInfo& t)
{
    if (!t.rankKnown)
        return "?";
    std::string s = "[";
    for (size_t i = 0; i < t.dims.size(); ++i) {
        if (i)
            s += ", ";
        s += t.dims[i] < 0 ? "?" : std::to_string(t.dims[i]);
    }
    return s + "]";
}

std::string budgetVerdict(int64_t budgetBytes, int64_t peakBytes, bool peakIsLowerBound)
{
    if (peakIsLowerBound) // what is unknown can only add: an excess is certain, a fit is not
        return peakBytes <= budgetBytes ? "may fit: " + formatBytes(budgetBytes - peakBytes)
                                              + " to spare without the tensors of unknown shape"
                                        : "exceeds by at least " + formatBytes(peakBytes - budgetBytes);
    return peakBytes <= budgetBytes ? "fits, " + formatBytes(budgetBytes - peakBytes) + " to spare"
                                    : "exceeds by " + formatBytes(peakBytes - budgetBytes);
}

std::string batchFitText(const BatchFit& fit)
{
    if (fit.maxBatch == 0)
        return fit.peakIsLowerBound ? "none: batch 1 exceeds it even without the tensors of unknown shape"
                                    : "none: batch 1 does not fit";
    return (fit.peakIsLowerBound ? "at most " : "") + std::to_string(fit.maxBatch)
        + (fit.hitLimit ? " (the search limit)" : "") + " (peak " + (fit.peakIsLowerBound ? "at least " : "")
        + formatBytes(fit.peakAtMax) + ")";
}

} // namespace fp

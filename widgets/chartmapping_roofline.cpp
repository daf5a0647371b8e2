#include "chartmapping_roofline.h"

#include <algorithm>
#include <cmath>

namespace fp {

std::vector<RooflinePoint> rooflinePoints(const AnalysisResult& result, const PerformanceEstimate& performance,
                                          int* skipped)
{
    std::vector<RooflinePoint> points;
    int without = 0;
    const size_t n = std::min(result.layers.size(), performance.layers.size());
    for (size_t i = 0; i < n; ++i) {
        const LayerPerformance& p = performance.layers[i];
        if (!(p.intensity > 0) || !(p.attainedFlops > 0)) {
            ++without;
            continue;
        }
        points.push_back({ int(i), result.layers[i].node, p.intensity, p.attainedFlops, p.computeBound });
    }
    if (skipped)
        *skipped = without;
    return points;
}

LogRange logRange(double low, double high)
{
    if (!(low > 0) || !(high > 0))
        return {};
    // A point within a fifth of a decade of the frame is pushed inside by one more decade.
    const double margin = std::log10(1.6);
    LogRange range;
    range.minimum = std::pow(10.0, std::floor(std::log10(low) - margin));
    range.maximum = std::pow(10.0, std::ceil(std::log10(high) + margin));
    return range;
}

} // namespace fp

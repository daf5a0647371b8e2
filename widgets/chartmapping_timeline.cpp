#include "chartmapping_timeline.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fp {

std::vector<TimelineBucket> downsampleTimeline(const std::vector<TimelineStep>& steps, int maxBuckets)
{
    std::vector<TimelineBucket> buckets;
    const int n = int(steps.size());
    if (n == 0)
        return buckets;
    const int count = std::clamp(maxBuckets, 1, n);
    buckets.reserve(size_t(count));
    for (int b = 0; b < count; ++b) {
        // Integer boundaries: bucket b covers [b * n / count, (b + 1) * n / count).
        TimelineBucket bucket;
        bucket.firstStep = int(int64_t(b) * n / count);
        bucket.lastStep = int(int64_t(b + 1) * n / count) - 1;
        bucket.maxStep = bucket.firstStep;
        for (int s = bucket.firstStep + 1; s <= bucket.lastStep; ++s) {
            if (steps[size_t(s)].liveBytes > steps[size_t(bucket.maxStep)].liveBytes)
                bucket.maxStep = s;
        }
        buckets.push_back(bucket);
    }
    return buckets;
}

std::vector<int> decimateSteps(const std::vector<int64_t>& values, int maxPoints)
{
    const int n = int(std::min<size_t>(values.size(), size_t(std::numeric_limits<int>::max())));
    std::vector<int> steps;
    if (n == 0)
        return steps;
    if (maxPoints <= 0 || n <= maxPoints) {
        steps.resize(size_t(n));
        std::iota(steps.begin(), steps.end(), 0);
        return steps;
    }
    // The steps between the first and the last, in slots of integer bounds.
    const int inner = n - 2;
    const int slotCount = std::max(1, (maxPoints - 2) / 2);
    steps.reserve(size_t(2 * slotCount + 2));
    steps.push_back(0);
    for (int k = 0; k < slotCount; ++k) {
        const int begin = 1 + int(int64_t(k) * inner / slotCount);
        const int end = 1 + int(int64_t(k + 1) * inner / slotCount);
        if (begin >= end)
            continue;
        int low = begin, high = begin;
        for (int s = begin + 1; s < end; ++s) {
            if (values[size_t(s)] < values[size_t(low)])
                low = s;
            if (values[size_t(s)] > values[size_t(high)])
                high = s;
        }
        steps.push_back(std::min(low, high));
        if (high != low)
            steps.push_back(std::max(low, high));
    }
    steps.push_back(n - 1);
    return steps;
}

std::vector<PhaseBand> phaseBands(const std::vector<TimelineStep>& steps)
{
    std::vector<PhaseBand> bands;
    for (int s = 0; s < int(steps.size()); ++s) {
        const Phase phase = steps[size_t(s)].phase;
        if (bands.empty() || bands.back().phase != phase)
            bands.push_back({ phase, s, s + 1 });
        else
            bands.back().endStep = s + 1;
    }
    return bands;
}

int stepAtX(double x, int stepCount)
{
    if (!(x >= 0) || x >= double(stepCount)) // !(x >= 0) also refuses NaN
        return -1;
    return int(x);
}

int generationStepAtX(double x, int stepCount)
{
    if (std::isnan(x) || stepCount <= 0)
        return -1;
    if (x < 0.5)
        return 0;
    const double step = std::floor(x + 0.5);
    return step < double(stepCount) ? int(step) : -1;
}

std::vector<TracePoint> traceOnSteps(const MemoryTrace& trace, int stepCount, int maxPoints)
{
    std::vector<TracePoint> points;
    const size_t n = std::min(trace.seconds.size(), trace.bytes.size());
    if (n == 0 || stepCount <= 0)
        return points;
    const double first = trace.seconds.front();
    const double span = trace.seconds[n - 1] - first;
    const auto xOf = [&](size_t i) {
        // Samples without a usable clock are spread evenly instead.
        if (!(span > 0))
            return n == 1 ? 0.5 * stepCount : double(i) * stepCount / double(n - 1);
        return std::clamp((trace.seconds[i] - first) / span, 0.0, 1.0) * stepCount;
    };
    if (maxPoints <= 0 || int64_t(n) <= int64_t(maxPoints)) {
        points.reserve(n);
        for (size_t i = 0; i < n; ++i)
            points.push_back({ xOf(i), trace.bytes[i] });
        return points;
    }
    // Slots of equal width in x; each keeps its lowest and highest sample, in time order.
    const int slotCount = std::max(1, maxPoints / 2);
    size_t i = 0;
    while (i < n) {
        const int slot = std::min(slotCount - 1, int(xOf(i) / stepCount * slotCount));
        size_t low = i, high = i;
        size_t j = i + 1;
        for (; j < n && std::min(slotCount - 1, int(xOf(j) / stepCount * slotCount)) == slot; ++j) {
            if (trace.bytes[j] < trace.bytes[low])
                low = j;
            if (trace.bytes[j] > trace.bytes[high])
                high = j;
        }
        const size_t a = std::min(low, high), b = std::max(low, high);
        points.push_back({ xOf(a), trace.bytes[a] });
        if (b != a)
            points.push_back({ xOf(b), trace.bytes[b] });
        i = j;
    }
    return points;
}

} // namespace fp

#pragma once

// The per-layer bar chart's arithmetic (chartmapping.h gathers it with the other charts'): what
// a bar measures and the ranking of layers into bars.

#include "analysis.h"

#include <QColor>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace fp {

// What the per-layer bar chart ranks layers by.
enum class LayerMetric {
    Memory, // weights, activations, saved activations and gradients, stacked
    ActivationBytes, // the layer's outputs
    WeightBytes, // its weights (with their gradients in training)
    SavedBytes, // what its backward pass keeps (memory.savedBytesByNode)
    Macs,
    ReadWriteBytes, // bytes read (inputs and weights) plus bytes written
};
constexpr int kLayerMetricCount = 6;
QString layerMetricLabel(LayerMetric metric);
// Whether the metric is in bytes (the axis then uses binary units).
bool layerMetricIsBytes(LayerMetric metric);

// One stacked part of every bar: a memory category, or "read"/"written" for the traffic metric.
struct BarSegment {
    QString label;
    QColor color;
};

// One bar: a layer, or the rest of them summed ("other").
struct LayerBar {
    int layer = -1; // index into AnalysisResult::layers; -1 for the "other" bar
    int node = -1; // graph node; -1 for "other"
    int layerCount = 1; // layers summed into this bar
    std::vector<double> values; // one per segment
    double total = 0;
};

enum class BarOrder { Largest, Execution };

struct LayerRanking {
    std::vector<BarSegment> segments;
    std::vector<LayerBar> bars; // top N in the chosen order, then "other" if any layer is left
    double maximum = 0; // the longest bar (for the axis)
};

// The top `count` layers by `metric` (the sum of its segments), in `order`, with every other
// layer summed in a last "other" bar (left out when it is zero). Segments that would be zero
// for every layer in this mode (gradients and saved activations in inference) are left out,
// so the legend names only what is drawn. Ties keep execution order, so equal bars do not
// swap places from one slider step to the next.
LayerRanking rankLayers(const AnalysisResult& result, LayerMetric metric, int count, BarOrder order = BarOrder::Largest);

// The names shortened to `maxWidth` (as `width` measures them) so that names that differ still
// differ: a name is cut at its '/' parts, keeping its last part (the operator) and each part
// where it first differs from another name (/encoder/layers.7/... keeps "layers.7"), and "…"
// stands for the parts left out. A middle-elided text would cut exactly the part that differs.
QStringList elideDistinct(const QStringList& names, double maxWidth, const std::function<double(const QString&)>& width);

} // namespace fp

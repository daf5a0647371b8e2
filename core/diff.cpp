#include "diff.h"

#include "format.h"
#include "report.h"

#include <algorithm>
#include <unordered_map>

namespace fp {

const char* layerDiffStatusName(LayerDiff::Status status)
{
    switch (status) {
    case LayerDiff::Status::Same: return "same";
    case LayerDiff::Status::Changed: return "changed";
    case LayerDiff::Status::Added: return "added";
    case LayerDiff::Status::Removed: return "removed";
    }
    return "same";
}

namespace {

// Either formatter with the sign in front; the magnitude as an unsigned number, so that no
// difference overflows on negation.
template <typename Format>
std::string signedChange(int64_t change, Format format)
{
    if (change == 0)
        return "0";
    const uint64_t size = change > 0 ? uint64_t(change) : uint64_t(0) - uint64_t(change);
    return (change > 0 ? "+" : "-") + format(int64_t(std::min<uint64_t>(size, uint64_t(INT64_MAX))));
}

} // namespace

std::string formatBytesChange(int64_t change)
{
    return signedChange(change, formatBytes);
}

std::string formatCountChange(int64_t change)
{
    return signedChange(change, formatCount);
}

namespace {

LayerSide sideOf(const Model& model, const AnalysisResult& r, size_t step)
{
    const LayerResult& l = r.layers[step];
    LayerSide s;
    s.present = true;
    s.step = int(step);
    s.op = model.graph.nodes[size_t(l.node)].opType;
    s.memoryBytes = layerMemoryBytes(r, step);
    s.weightBytes = l.weightBytes;
    s.outputBytes = l.outputBytes;
    s.params = l.params;
    s.macs = l.macs;
    return s;
}

} // namespace

std::vector<LayerDiff> diffLayers(const Model& a, const AnalysisResult& ra, const Model& b, const AnalysisResult& rb)
{
    std::vector<LayerDiff> diffs;
    std::unordered_map<std::string, size_t> index; // name -> its entry in diffs
    // A name one side has: A's layers are removed until B names them too.
    const auto entry = [&](const std::string& name, LayerDiff::Status status) -> LayerDiff& {
        index[name] = diffs.size();
        LayerDiff& d = diffs.emplace_back();
        d.name = name;
        d.status = status;
        return d;
    };
    for (size_t s = 0; s < ra.layers.size(); ++s) {
        const std::string& name = a.graph.nodes[size_t(ra.layers[s].node)].name;
        if (name.empty() || index.count(name))
            continue; // an unnamed or repeated name cannot be matched
        entry(name, LayerDiff::Status::Removed).a = sideOf(a, ra, s);
    }
    for (size_t s = 0; s < rb.layers.size(); ++s) {
        const std::string& name = b.graph.nodes[size_t(rb.layers[s].node)].name;
        if (name.empty())
            continue;
        const auto it = index.find(name);
        if (it == index.end()) {
            entry(name, LayerDiff::Status::Added).b = sideOf(b, rb, s);
            continue;
        }
        LayerDiff& d = diffs[it->second];
        if (d.b.present)
            continue; // B repeats the name
        d.b = sideOf(b, rb, s);
        const bool same = d.a.op == d.b.op && d.a.memoryBytes == d.b.memoryBytes && d.a.weightBytes == d.b.weightBytes
            && d.a.outputBytes == d.b.outputBytes && d.a.params == d.b.params && d.a.macs == d.b.macs;
        d.status = same ? LayerDiff::Status::Same : LayerDiff::Status::Changed;
    }
    std::stable_sort(diffs.begin(), diffs.end(), [](const LayerDiff& x, const LayerDiff& y) {
        const auto size = [](int64_t change) { return change < 0 ? -change : change; };
        return size(x.memoryChange()) > size(y.memoryChange());
    });
    return diffs;
}

} // namespace fp

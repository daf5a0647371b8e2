#include "report.h"

#include "runtime.h"
#include "saturating.h"

#include <QJsonArray>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace fp {

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QJsonArray shapeJson(const TensorInfo& t)
{
    QJsonArray a;
    for (int64_t d : t.dims)
        a.append(d < 0 ? QJsonValue() : QJsonValue(qint64(d)));
    return a;
}

std::string layerName(const Model& model, const LayerResult& l)
{
    const Node& n = model.graph.nodes[size_t(l.node)];
    return n.name.empty() ? n.opType + "_" + std::to_string(l.node) : n.name;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string outputShapes(const Model& model, const AnalysisResult& r, const LayerResult& l)
{
    std::string s;
    for (int out : model.graph.nodes[size_t(l.node)].outputs) {
        if (out < 0)
            continue;
        if (!s.empty())
            s += " ";
        s += formatShape(r.shapes.tensors[size_t(out)]);
    }
    return s;
}

} // namespace

namespace {

std::string stepNodeName(const Model& model, const TimelineStep& step)
{
    if (step.node < 0)
        return "optimizer step";
    const Node& n = model.graph.nodes[size_t(step.node)];
    return n.name.empty() ? n.opType + "_" + std::to_string(step.node) : n.name;
}

QJsonArray layerPrecisionsJson(const std::vector<LayerPrecision>& rules)
{
    QJsonArray a;
    for (const LayerPrecision& rule : rules)
        a.append(QJsonObject { { "pattern", QString::fromStdString(rule.pattern) }, { "precision", precisionName(rule.precision) } });
    return a;
}

QJsonObject recipeJson(const Recipe& recipe)
{
    const auto list = [](const std::vector<std::string>& items) {
        QJsonArray a;
        for (const std::string& i : items)
            a.append(QString::fromStdString(i));
        return a;
    };
    QJsonObject o { { "autocast", recipe.autocast ? QJsonValue(precisionName(*recipe.autocast)) : QJsonValue() },
                    { "checkpoint", list(recipe.checkpoint) },
                    { "freeze", list(recipe.freeze) },
                    { "train_only", list(recipe.trainOnly) },
                    { "micro_batch", recipe.microBatch ? QJsonValue(qint64(*recipe.microBatch)) : QJsonValue() },
                    { "data_parallel", recipe.dataParallel },
                    { "zero", recipe.zeroStage },
                    { "offload", offloadName(recipe.offload) } };
    return o;
}

QJsonObject categoriesJson(const CategoryBytes& bytes)
{
    QJsonObject o;
    for (int c = 0; c < kCategoryCount; ++c)
        o.insert(QLatin1String(categoryName(Category(c))), qint64(bytes[size_t(c)]));
    return o;
}

} // namespace

std::string runtimeText(const AnalysisResult& r)
{
    const RuntimeProfile& p = *runtimeOf(r);
    std::string text = p.name() + (p.measured ? " (measured: " : " (documented behaviour, not yet measured: ") + p.source + ")";
    if (!r.config.calibration.name.empty())
        text += "; allocator and context from the calibration";
    return text;
}

std::shared_ptr<const RuntimeProfile> runtimeOf(const AnalysisResult& r)
{
    return r.config.runtime ? r.config.runtime : builtinRuntime(Runtime::PyTorchCpu);
}

QJsonObject toJson(const Model& model, const AnalysisConfig& config, const AnalysisResult& r, bool timeline,
                   const PerformanceEstimate* performance)
{
    const Totals& t = r.totals;
    const RuntimeProfile& runtime = *runtimeOf(r);
    QJsonObject totals {
        { "params", qint64(t.params) },
        { "buffers", qint64(t.buffers) },
        { "param_bytes", qint64(t.paramBytes) },
        { "macs", qint64(t.macs) },
        { "flops", qint64(t.flops) },
        { "activation_bytes", qint64(t.activationBytes) },
        { "input_bytes", qint64(t.inputBytes) },
        { "read_bytes", qint64(t.readBytes) },
        { "write_bytes", qint64(t.writeBytes) },
        { "peak_bytes", qint64(t.peakBytes) },
        // Tensors of unknown shape (unknown_shapes) are not in the peak: the true one is larger.
        { "peak_is_lower_bound", !r.unknownShapes.empty() },
        { "peak_step", t.peakStep },
        { "peak_activation_bytes", qint64(t.peakActivationBytes) },
    };
    QJsonArray layers;
    for (size_t s = 0; s < r.layers.size(); ++s) {
        const LayerResult& l = r.layers[s];
        const Node& node = model.graph.nodes[size_t(l.node)];
        QJsonArray shapes;
        for (int out : node.outputs) {
            if (out >= 0)
                shapes.append(shapeJson(r.shapes.tensors[size_t(out)]));
        }
        QJsonObject layer {
            { "step", int(s) },
            { "name", q(layerName(model, l)) },
            { "op", q(node.opType) },
            { "output_shapes", shapes },
            { "params", qint64(l.params) },
            { "buffers", qint64(l.buffers) },
            { "weight_bytes", qint64(l.weightBytes) },
            { "macs", qint64(l.macs) },
            { "flops", qint64(l.flops) },
            { "read_bytes", qint64(l.readBytes) },
            { "write_bytes", qint64(l.writeBytes) },
            { "output_bytes", qint64(l.outputBytes) },
            { "saved_bytes",
              qint64(size_t(l.node) < r.memory.savedBytesByNode.size() ? r.memory.savedBytesByNode[size_t(l.node)] : 0) },
            { "live_bytes", qint64(s < r.memory.timeline.size() ? r.memory.timeline[s].liveBytes : 0) },
            { "cost_known", l.costKnown },
            { "shapes_known", l.shapesKnown },
        };
        if (!r.valuePrecisions.empty() && node.output(0) >= 0) // --layer-precision: the layer's own
            layer.insert("precision", precisionName(r.precisionOf(node.output(0))));
        if (performance && s < performance->layers.size()) {
            // Energy needs no device; times, intensities and bounds need its roofs.
            const LayerPerformance& p = performance->layers[s];
            if (performance->hasRoofline()) {
                layer.insert("latency_s", p.seconds);
                layer.insert("time_share", performance->timeShare(s));
            }
            layer.insert("energy_j", p.joules);
            if (performance->hasRoofline()) {
                layer.insert("intensity", p.intensity);
                layer.insert("bound", p.seconds <= 0 ? "none" : p.computeBound ? "compute" : "memory");
            }
        }
        layers.append(layer);
    }
    const auto strings = [](const std::vector<std::string>& v) {
        QJsonArray a;
        for (const std::string& s : v)
            a.append(q(s));
        return a;
    };
    QJsonObject dims;
    for (const auto& [name, value] : r.shapes.symbols)
        dims.insert(q(name), qint64(value));
    QJsonArray inputs;
    for (int in : model.graph.inputs) {
        const TensorInfo& info = r.shapes.tensors[size_t(in)];
        inputs.append(QJsonObject { { "name", q(model.graph.values[size_t(in)].name) },
                                    { "dtype", dtypeName(info.dtype) },
                                    { "shape", shapeJson(info) } });
    }
    QJsonArray livePeak;
    for (const LiveBuffer& b : r.memory.liveAtPeak)
        livePeak.append(QJsonObject { { "name", q(b.name) },
                                      { "category", categoryName(b.category) },
                                      { "bytes", qint64(b.bytes) } });
    // Weights stored in 8 bits or fewer (quantizedInput): their logical parameters and what they
    // store with their scales and zero points.
    QJsonArray quantized;
    for (const LayerResult& layer : r.layers) {
        const Node& node = model.graph.nodes[size_t(layer.node)];
        int64_t paramBytes = 0;
        std::vector<QuantizedInput> roles(node.inputs.size());
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int index = node.inputs[i];
            if (index < 0)
                continue;
            roles[i] = quantizedInput(node, i, &r.shapes.tensors[size_t(index)]);
            if (roles[i].role == QuantizedInput::Role::QuantParam)
                paramBytes = satAdd(paramBytes, tensorBytes(r.shapes.tensors[size_t(index)], config.precision));
        }
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int index = node.inputs[i];
            if (index < 0)
                continue;
            const Value& v = model.graph.values[size_t(index)];
            const TensorInfo& t = r.shapes.tensors[size_t(index)];
            const QuantizedInput& qi = roles[i];
            if (!(v.isInitializer || v.isConstantNode) || qi.role != QuantizedInput::Role::Weight || qi.bits > 8)
                continue;
            quantized.append(QJsonObject { { "name", q(v.name) },
                                           { "layer", q(node.name) },
                                           { "op", q(node.opType) },
                                           { "bits", qi.bits },
                                           { "block_size", qint64(qi.blockSize) },
                                           { "params", qint64(qi.params) },
                                           { "stored_bytes", qint64(satAdd(tensorBytes(t, config.precision), paramBytes)) } });
        }
    }
    QJsonObject root {
        { "model",
          QJsonObject { { "path", q(model.path) },
                        { "ir_version", qint64(model.irVersion) },
                        { "opset", qint64(model.opsetVersion()) },
                        { "producer", q(model.producerName + (model.producerVersion.empty() ? "" : " " + model.producerVersion)) },
                        { "nodes", int(model.graph.nodes.size()) },
                        { "inputs", inputs } } },
        { "config",
          QJsonObject { { "precision", precisionName(config.precision) },
                        { "dims", dims },
                        { "mode", modeName(config.training.mode) },
                        { "optimizer", optimizerName(config.training.optimizer) },
                        { "workspace", convAlgorithmName(config.training.workspace) },
                        { "runtime", q(runtime.name()) },
                        { "recipe", recipeJson(config.training.recipe) },
                        { "layer_precisions", layerPrecisionsJson(config.layerPrecisions) },
                        { "fusions", QJsonArray::fromStringList(QString::fromStdString(fusionsText(config.fusions))
                                                                     .split(QLatin1Char(','), Qt::SkipEmptyParts)) },
                        { "calibration",
                          QJsonObject { { "name", q(config.calibration.name) },
                                        { "context_bytes", qint64(config.calibration.contextBytes) },
                                        { "allocation_granularity_bytes",
                                          qint64(config.calibration.allocationGranularity) } } } } },
        { "runtime",
          QJsonObject { { "name", q(runtime.name()) },
                        { "measured", runtime.measured },
                        { "source", q(runtime.source) },
                        { "dropout_mask_bytes_per_element", runtime.dropoutMaskBytesPerElement },
                        { "allocation_granularity_bytes", qint64(runtime.allocator.granularityBytes) },
                        { "context_bytes", qint64(runtime.allocator.contextBytes) } } },
        { "totals", totals },
        { "torchsummary",
          QJsonObject { { "rule",
                          r.torchsummary.rule == TorchsummaryEstimate::Rule::ModuleOutputs ? "module_outputs"
                                                                                            : "every_node_output" },
                        { "modules", r.torchsummary.modules },
                        { "input_bytes", qint64(r.torchsummary.inputBytes) },
                        { "forward_bytes", qint64(r.torchsummary.forwardBytes) },
                        { "param_bytes", qint64(r.torchsummary.paramBytes) },
                        { "total_bytes", qint64(r.torchsummary.totalBytes) } } },
        { "layers", layers },
        { "live_at_peak", livePeak },
        { "unknown_shapes", strings(r.unknownShapes) },
        { "quantized_weights", quantized },
        { "unsupported_ops", strings(r.unsupportedOps) },
        { "warnings", strings(r.warnings) },
    };
    if (config.training.mode == Mode::Training) {
        const MemoryPlan& m = r.memory;
        root.insert("training", QJsonObject { { "weights_bytes", qint64(m.weightBytes) },
                                              { "gradient_bytes", qint64(m.gradientBytes) },
                                              { "optimizer_bytes", qint64(m.optimizerBytes) },
                                              { "saved_activation_bytes", qint64(m.savedActivationBytes) },
                                              { "workspace_bytes", qint64(m.workspaceBytes) },
                                              { "peak_bytes", qint64(m.peakBytes) },
                                              { "trainable_params", qint64(m.trainableParams) },
                                              { "host_bytes", qint64(m.hostBytes) },
                                              { "autocast_copy_bytes", qint64(m.castCopyBytes) },
                                              { "accumulation_steps", m.accumulationSteps },
                                              { "checkpoint_segments", m.checkpointSegments } });
    }
    if (performance) {
        if (performance->hasRoofline())
            totals.insert("latency_s", performance->seconds);
        totals.insert("energy_j", performance->joules);
        root.insert("totals", totals);
        if (performance->hasRoofline())
            root.insert("roofline", QJsonObject { { "peak_flops", performance->peakFlops },
                                                  { "bandwidth_bytes_per_s", performance->bandwidth } });
    }
    if (r.memory.peakStep >= 0)
        root.insert("peak", QJsonObject { { "step", r.memory.peakStep },
                                          { "node", q(stepNodeName(model, r.memory.timeline[size_t(r.memory.peakStep)])) },
                                          { "phase", phaseName(r.memory.timeline[size_t(r.memory.peakStep)].phase) },
                                          { "by_category", categoriesJson(r.memory.timeline[size_t(r.memory.peakStep)].byCategory) } });
    if (timeline) {
        QJsonArray steps;
        for (size_t s = 0; s < r.memory.timeline.size(); ++s) {
            const TimelineStep& step = r.memory.timeline[s];
            steps.append(QJsonObject { { "step", int(s) },
                                       { "node", q(stepNodeName(model, step)) },
                                       { "phase", phaseName(step.phase) },
                                       { "live_bytes", qint64(step.liveBytes) },
                                       { "by_category", categoriesJson(step.byCategory) } });
        }
        root.insert("timeline", steps);
    }
    return root;
}

void addBudgetJson(QJsonObject& root, int64_t budgetBytes, int64_t peakBytes, const BatchFit& fit,
                   const std::string& deviceName)
{
    root.insert("budget_bytes", qint64(budgetBytes));
    root.insert("fits", peakBytes <= budgetBytes);
    root.insert("max_batch", qint64(fit.maxBatch));
    // The search stops at its limit (2^20) before the budget: max_batch is then a lower bound.
    root.insert("max_batch_is_search_limit", fit.hitLimit);
    // Peaks that leave tensors of unknown shape out: the largest batch that truly fits is at most this.
    root.insert("max_batch_is_upper_bound", fit.peakIsLowerBound);
    if (!deviceName.empty())
        root.insert("device", q(deviceName));
}

std::string formatTimeline(const Model& model, const AnalysisResult& r)
{
    std::ostringstream out;
    char line[256];
    std::snprintf(line, sizeof line, "%6s %-9s %-40s %12s", "step", "phase", "node", "live (MiB)");
    out << line;
    for (int c = 0; c < kCategoryCount; ++c) {
        std::snprintf(line, sizeof line, " %17s", categoryName(Category(c)));
        out << line;
    }
    out << '\n';
    for (size_t s = 0; s < r.memory.timeline.size(); ++s) {
        const TimelineStep& step = r.memory.timeline[s];
        std::string name = stepNodeName(model, step);
        if (name.size() > 40)
            name = "..." + name.substr(name.size() - 37);
        std::snprintf(line, sizeof line, "%6zu %-9s %-40s %12.3f", s, phaseName(step.phase), name.c_str(),
                      double(step.liveBytes) / (1024.0 * 1024.0));
        out << line;
        for (int c = 0; c < kCategoryCount; ++c) {
            std::snprintf(line, sizeof line, " %17.3f", double(step.byCategory[size_t(c)]) / (1024.0 * 1024.0));
            out << line;
        }
        out << (int(s) == r.memory.peakStep ? "  <- peak\n" : "\n");
    }
    return out.str();
}

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string clipped(std::string text, size_t width, bool keepEnd)
{
    if (text.size() <= width)
        return text;
    return keepEnd ? "..." + text.substr(text.size() - (width - 3)) : text.substr(0, width - 3) + "...";
}

// One row of the layer table: the DNN-analyzer's columns (seed 001), then the time share.
std::string layerRow(const Model& model, const AnalysisResult& r, const PerformanceEstimate* performance, size_t step)
{
    const LayerResult& l = r.layers[step];
    char share[32] = "";
    if (performance && performance->seconds > 0)
        std::snprintf(share, sizeof share, " %8.2f%%", 100.0 * performance->timeShare(step));
    char line[512];
    std::snprintf(line, sizeof line, "%-40s %-20s %-22s %12lld %12.3f %12.3f %12.3f %12.3f %12.3f%s%s\n",
                  clipped(layerName(model, l), 40, true).c_str(), model.graph.nodes[size_t(l.node)].opType.c_str(),
                  clipped(outputShapes(model, r, l), 22, false).c_str(), (long long)l.params,
                  double(l.readBytes) / kMiB, double(l.writeBytes) / kMiB, double(l.weightBytes) / kMiB,
                  double(l.outputBytes) / kMiB, double(l.macs) / 1e6, share, l.costKnown ? "" : "  (no cost formula)");
    return line;
}

std::string layerHeader(const PerformanceEstimate* performance, const char* prefix)
{
    char line[512];
    std::snprintf(line, sizeof line, "%s%-40s %-20s %-22s %12s %12s %12s %12s %12s %12s%s\n", prefix, "layer", "op",
                  "output shape", "params", "read (MiB)", "write (MiB)", "storage(MiB)", "infer (MiB)", "MACs (M)",
                  performance ? "   time %" : "");
    return line;
}

std::string rule(const PerformanceEstimate* performance, size_t prefix)
{
    return std::string((performance ? 171 : 162) + prefix, '-') + '\n';
}

} // namespace

int64_t layerMemoryBytes(const AnalysisResult& r, size_t layer)
{
    const LayerResult& l = r.layers[layer];
    const MemoryPlan& m = r.memory;
    int64_t bytes = satAdd(l.weightBytes, l.outputBytes);
    if (size_t(l.node) < m.savedBytesByNode.size())
        bytes = satAdd(bytes, m.savedBytesByNode[size_t(l.node)]);
    // Parameter gradients are stored at the gradient precision, known as a total: a layer gets
    // the share its parameters make of all of them.
    if (m.gradientBytes > 0 && r.totals.params > 0)
        bytes = satAdd(bytes, satFromDouble(double(l.params) / double(r.totals.params) * double(m.gradientBytes)));
    return bytes;
}

std::string formatSummary(const Model& model, const AnalysisResult& r, const PerformanceEstimate* performance,
                          const Calibration* calibration, size_t liveRows)
{
    std::ostringstream out;
    out << "Model:                    " << model.path << '\n';
    out << "                          ";
    if (!model.producerName.empty())
        out << model.producerName << (model.producerVersion.empty() ? "" : " " + model.producerVersion) << ", ";
    out << "opset " << model.opsetVersion() << ", IR " << model.irVersion << ", " << model.graph.nodes.size()
        << " nodes\n";
    for (int in : model.graph.inputs) {
        const TensorInfo& info = r.shapes.tensors[size_t(in)];
        out << "Input:                    " << model.graph.values[size_t(in)].name << ' ' << formatShape(info) << ' '
            << dtypeName(info.dtype) << '\n';
    }
    out << '\n';

    const Totals& t = r.totals;
    out << "Total parameters:         " << t.params << " (" << formatCount(t.params) << ")";
    if (t.buffers)
        out << ", plus " << t.buffers << " non-trainable buffer elements";
    out << '\n';
    out << "Total storage:            " << formatBytes(t.paramBytes) << '\n';
    out << "Total MACs:               " << formatCount(t.macs) << "MAC (" << formatCount(t.flops) << "FLOP)\n";
    out << "Input size:               " << formatBytes(t.inputBytes) << '\n';
    out << "Sum of activations:       " << formatBytes(t.activationBytes) << '\n';
    out << "Memory read + write:      " << formatBytes(satAdd(t.readBytes, t.writeBytes)) << '\n';
    // torchsummary's familiar estimate, in its own units (MiB, two decimals), for comparison: it
    // doubles the forward pass for the backward one and adds input and parameters. The peak
    // below is what runs need.
    const TorchsummaryEstimate& ts = r.torchsummary;
    char torchsummary[256];
    std::snprintf(torchsummary, sizeof torchsummary,
                  "%.2f MiB = input %.2f + forward/backward pass 2 x %.2f + params %.2f MiB\n", double(ts.totalBytes) / kMiB,
                  double(ts.inputBytes) / kMiB, double(ts.forwardBytes) / kMiB, double(ts.paramBytes) / kMiB);
    out << "torchsummary-style total: " << torchsummary << "                          (forward pass: "
        << torchsummaryRuleText(ts) << ")\n";
    // Layers of unknown shape or without a cost formula add time and energy that is not counted.
    const char* atLeast = r.unknownShapes.empty() && r.unsupportedOps.empty() ? "" : "at least ";
    if (performance && !performance->hasRoofline()) {
        char text[160];
        std::snprintf(text, sizeof text, "%s%.4g J (no device: no time)", atLeast, performance->joules);
        out << "Estimated energy:         " << text << '\n';
    } else if (performance) {
        char text[200];
        std::snprintf(text, sizeof text, "%s%.3f ms, %.3f J (roofline at %.1f TFLOP/s and %.0f GB/s attainable)",
                      atLeast, performance->seconds * 1e3, performance->joules, performance->peakFlops / 1e12,
                      performance->bandwidth / 1e9);
        out << "Estimated time, energy:   " << text << '\n';
    }
    out << "Runtime:                  " << runtimeText(r) << '\n';
    if (calibration && (calibration->contextBytes > 0 || calibration->allocationGranularity > 1))
        out << "Calibration:              " << calibration->name << ": runtime context "
            << formatBytes(calibration->contextBytes) << ", buffers rounded up to "
            << formatBytes(calibration->allocationGranularity) << '\n';
    const MemoryPlan& m = r.memory;
    const bool training = r.config.training.mode == Mode::Training;
    if (training) {
        out << "Training:                 weights " << formatBytes(m.weightBytes) << ", gradients "
            << formatBytes(m.gradientBytes) << ", optimizer state " << formatBytes(m.optimizerBytes)
            << ", saved activations " << formatBytes(m.savedActivationBytes) << ", workspace "
            << formatBytes(m.workspaceBytes) << '\n';
        out << "Trainable parameters:     " << m.trainableParams << " (" << formatCount(m.trainableParams) << ")";
        if (m.accumulationSteps > 1)
            out << ", " << m.accumulationSteps << " micro-batches per step (the figures are one micro-batch's)";
        if (m.checkpointSegments > 0)
            out << ", " << m.checkpointSegments << " checkpoint segments recomputed in the backward pass";
        if (m.castCopyBytes > 0)
            out << ", autocast's weight copies " << formatBytes(m.castCopyBytes);
        out << '\n';
        if (m.hostBytes > 0)
            out << "Host memory (offloaded):  " << formatBytes(m.hostBytes) << " per GPU\n";
    }
    out << (training ? "Training peak memory:     " : "Inference peak memory:    ")
        << (r.unknownShapes.empty() ? "" : "at least ") << formatBytes(t.peakBytes);
    if (t.peakStep >= 0) {
        const TimelineStep& step = m.timeline[size_t(t.peakStep)];
        // Counted from 1, as the window does.
        out << " at step " << t.peakStep + 1 << " of " << m.timeline.size() << " (" << phaseName(step.phase) << ", "
            << stepNodeName(model, step) << "):";
        const char* sep = " ";
        for (int c = 0; c < kCategoryCount; ++c) {
            if (step.byCategory[size_t(c)] > 0) {
                out << sep << categoryName(Category(c)) << " " << formatBytes(step.byCategory[size_t(c)]);
                sep = ", ";
            }
        }
    }
    out << '\n';
    if (!m.liveAtPeak.empty() && liveRows > 0) {
        const size_t shown = std::min(liveRows, m.liveAtPeak.size());
        out << "Live at the peak:         the largest " << shown << " of " << m.liveAtPeak.size() << " buffers\n";
        for (size_t i = 0; i < shown; ++i) {
            const LiveBuffer& b = m.liveAtPeak[i];
            char line[256];
            std::snprintf(line, sizeof line, "  %12s  %-17s %s\n", formatBytes(b.bytes).c_str(),
                          categoryName(b.category), clipped(b.name, 100, true).c_str());
            out << line;
        }
    }
    return out.str();
}

std::string formatLayers(const Model& model, const AnalysisResult& r, const PerformanceEstimate* performance,
                         int rows)
{
    if (performance && !performance->hasRoofline())
        performance = nullptr; // the time % column needs a device's roofs
    std::ostringstream out;
    if (rows < 0) { // every layer, in execution order
        out << layerHeader(performance, "") << rule(performance, 0);
        for (size_t step = 0; step < r.layers.size(); ++step)
            out << layerRow(model, r, performance, step);
        out << rule(performance, 0);
        return out.str();
    }
    std::vector<std::pair<int64_t, size_t>> ranked; // memory, step
    ranked.reserve(r.layers.size());
    for (size_t step = 0; step < r.layers.size(); ++step)
        ranked.emplace_back(layerMemoryBytes(r, step), step);
    const size_t shown = std::min(size_t(rows), ranked.size());
    // Largest first; ties keep execution order.
    std::partial_sort(ranked.begin(), ranked.begin() + std::ptrdiff_t(shown), ranked.end(),
                      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    const bool training = r.memory.gradientBytes > 0 || r.memory.savedActivationBytes > 0;
    out << "Top " << shown << " of " << r.layers.size() << " layers by memory (weights + outputs"
        << (training ? " + saved for backward + weight gradients" : "") << "; --layers all lists every layer):\n";
    out << layerHeader(performance, "  step  memory (MiB)  ") << rule(performance, 22);
    for (size_t i = 0; i < shown; ++i) {
        char prefix[64];
        std::snprintf(prefix, sizeof prefix, "%6zu  %12.3f  ", ranked[i].second, double(ranked[i].first) / kMiB);
        out << prefix << layerRow(model, r, performance, ranked[i].second);
    }
    return out.str();
}

std::string formatQuantizationPlan(const QuantizationPlan& plan)
{
    std::ostringstream out;
    const char* order = plan.order == QuantizeOrder::Weights ? "largest weights first" : "largest activations first";
    out << "Quantize to fit " << formatBytes(plan.budgetBytes) << " (" << order << "), from a "
        << formatBytes(plan.startPeakBytes) << " peak:\n";
    if (plan.steps.empty() && plan.fits) {
        out << "  it fits already; nothing to lower\n";
        return out.str();
    }
    if (plan.steps.empty()) {
        out << "  even all " << plan.candidates << " layers at int8 peak at " << formatBytes(plan.allLoweredPeakBytes)
            << ": no quantization plan fits " << formatBytes(plan.budgetBytes) << '\n';
        return out.str();
    }
    for (size_t i = 0; i < plan.steps.size(); ++i)
        out << "  " << i + 1 << ". " << plan.steps[i].layer << " -> " << precisionName(plan.steps[i].precision)
            << ": peak " << formatBytes(plan.steps[i].peakBytes) << '\n';
    out << "  " << (plan.fits ? "fits" : "does not fit") << " after " << plan.steps.size() << " of " << plan.candidates
        << " layers\n";
    return out.str();
}

std::string formatNotes(const AnalysisResult& r)
{
    std::ostringstream out;
    if (!r.unknownShapes.empty()) {
        out << "Unknown shapes (" << r.unknownShapes.size() << "):";
        for (size_t i = 0; i < r.unknownShapes.size() && i < 10; ++i)
            out << ' ' << r.unknownShapes[i];
        out << (r.unknownShapes.size() > 10 ? " ...\n" : "\n");
    }
    if (!r.unsupportedOps.empty()) {
        out << "Operators without a cost formula:";
        for (const std::string& op : r.unsupportedOps)
            out << ' ' << op;
        out << '\n';
    }
    for (const std::string& w : r.warnings)
        out << "warning: " << w << '\n';
    return out.str();
}

std::string formatTable(const Model& model, const AnalysisResult& r, const PerformanceEstimate* performance,
                        const Calibration* calibration, int layerRows)
{
    return formatSummary(model, r, performance, calibration) + '\n' + formatLayers(model, r, performance, layerRows)
        + formatNotes(r);
}

std::string formatCsv(const Model& model, const AnalysisResult& r, const PerformanceEstimate* performance)
{
    std::ostringstream out;
    out << "step,name,op,output_shapes,params,buffers,weight_bytes,macs,flops,read_bytes,write_bytes,output_bytes,"
           "live_bytes"
        << (!performance ? "" : performance->hasRoofline() ? ",latency_s,energy_j,bound" : ",energy_j") << "\n";
    for (size_t s = 0; s < r.layers.size(); ++s) {
        const LayerResult& l = r.layers[s];
        out << s << ',' << csvField(layerName(model, l)) << ',' << csvField(model.graph.nodes[size_t(l.node)].opType)
            << ',' << csvField(outputShapes(model, r, l)) << ',' << l.params << ',' << l.buffers << ','
            << l.weightBytes << ',' << l.macs << ',' << l.flops << ',' << l.readBytes << ',' << l.writeBytes << ','
            << l.outputBytes << ',' << (s < r.memory.timeline.size() ? r.memory.timeline[s].liveBytes : 0);
        if (performance && !performance->hasRoofline()) {
            out << ',' << performance->layers[s].joules;
        } else if (performance) {
            const LayerPerformance& p = performance->layers[s];
            out << ',' << p.seconds << ',' << p.joules << ','
                << (p.seconds <= 0 ? "none" : p.computeBound ? "compute" : "memory");
        }
        out << '\n';
    }
    return out.str();
}

} // namespace fp

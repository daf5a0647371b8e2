#include "report.h"

#include <QJsonArray>

#include <cstdio>
#include <sstream>

namespace fp {

std::string formatBytes(int64_t bytes)
{
    static const char* units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

std::string formatCount(int64_t count)
{
    static const char* units[] = { "", " k", " M", " G", " T", " P", " E" };
    double v = double(count);
    int u = 0;
    while (v >= 1000.0 && u < 6) {
        v /= 1000.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.2f%s", v, units[u]);
    return buf;
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

QJsonObject toJson(const Model& model, const AnalysisConfig& config, const AnalysisResult& r)
{
    const Totals& t = r.totals;
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
        layers.append(QJsonObject {
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
            { "live_bytes", qint64(s < r.liveBytes.size() ? r.liveBytes[s] : 0) },
            { "cost_known", l.costKnown },
            { "shapes_known", l.shapesKnown },
        });
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
    for (int v : r.liveAtPeak)
        livePeak.append(q(model.graph.values[size_t(v)].name));
    return QJsonObject {
        { "model",
          QJsonObject { { "path", q(model.path) },
                        { "ir_version", qint64(model.irVersion) },
                        { "opset", qint64(model.opsetVersion()) },
                        { "producer", q(model.producerName + (model.producerVersion.empty() ? "" : " " + model.producerVersion)) },
                        { "nodes", int(model.graph.nodes.size()) },
                        { "inputs", inputs } } },
        { "config",
          QJsonObject { { "precision", precisionName(config.precision) }, { "dims", dims } } },
        { "totals", totals },
        { "layers", layers },
        { "live_at_peak", livePeak },
        { "unknown_shapes", strings(r.unknownShapes) },
        { "unsupported_ops", strings(r.unsupportedOps) },
        { "warnings", strings(r.warnings) },
    };
}

std::string formatTable(const Model& model, const AnalysisResult& r)
{
    constexpr double MiB = 1024.0 * 1024.0;
    std::ostringstream out;
    char line[512];
    std::snprintf(line, sizeof line, "%-40s %-20s %-22s %12s %12s %12s %12s %12s %12s\n", "layer", "op",
                  "output shape", "params", "read (MiB)", "write (MiB)", "storage(MiB)", "infer (MiB)", "MACs (M)");
    out << line << std::string(162, '-') << '\n';
    for (const LayerResult& l : r.layers) {
        std::string name = layerName(model, l);
        if (name.size() > 40)
            name = "..." + name.substr(name.size() - 37);
        std::string shape = outputShapes(model, r, l);
        if (shape.size() > 22)
            shape = shape.substr(0, 19) + "...";
        std::snprintf(line, sizeof line, "%-40s %-20s %-22s %12lld %12.3f %12.3f %12.3f %12.3f %12.3f%s\n",
                      name.c_str(), model.graph.nodes[size_t(l.node)].opType.c_str(), shape.c_str(),
                      (long long)l.params, double(l.readBytes) / MiB, double(l.writeBytes) / MiB,
                      double(l.weightBytes) / MiB, double(l.outputBytes) / MiB, double(l.macs) / 1e6,
                      l.costKnown ? "" : "  (no cost formula)");
        out << line;
    }
    const Totals& t = r.totals;
    out << std::string(162, '-') << '\n';
    out << "Total parameters:         " << t.params << " (" << formatCount(t.params) << ")";
    if (t.buffers)
        out << ", plus " << t.buffers << " non-trainable buffer elements";
    out << '\n';
    out << "Total storage:            " << formatBytes(t.paramBytes) << '\n';
    out << "Total MACs:               " << formatCount(t.macs) << "MAC (" << formatCount(t.flops) << "FLOP)\n";
    out << "Input size:               " << formatBytes(t.inputBytes) << '\n';
    out << "Sum of activations:       " << formatBytes(t.activationBytes) << '\n';
    out << "Memory read + write:      " << formatBytes(satAdd(t.readBytes, t.writeBytes)) << '\n';
    // torchsummary's familiar estimate, shown for comparison: it doubles the activations for the
    // backward pass and adds input and parameters. The inference peak below is what runs need.
    const int64_t forwardBackward = satMul(t.activationBytes, 2);
    out << "torchsummary-style total: " << formatBytes(satAdd(satAdd(t.inputBytes, forwardBackward), t.paramBytes))
        << " (input + 2 x activations " << formatBytes(forwardBackward) << " + parameters)\n";
    out << "Inference peak memory:    " << formatBytes(t.peakBytes) << " (weights " << formatBytes(t.paramBytes)
        << " + live activations " << formatBytes(t.peakActivationBytes);
    if (t.peakStep >= 0)
        out << " at step " << t.peakStep << ", " << layerName(model, r.layers[size_t(t.peakStep)]);
    out << ")\n";
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

std::string formatCsv(const Model& model, const AnalysisResult& r)
{
    std::ostringstream out;
    out << "step,name,op,output_shapes,params,buffers,weight_bytes,macs,flops,read_bytes,write_bytes,output_bytes,"
           "live_bytes\n";
    for (size_t s = 0; s < r.layers.size(); ++s) {
        const LayerResult& l = r.layers[s];
        out << s << ',' << csvField(layerName(model, l)) << ',' << csvField(model.graph.nodes[size_t(l.node)].opType)
            << ',' << csvField(outputShapes(model, r, l)) << ',' << l.params << ',' << l.buffers << ','
            << l.weightBytes << ',' << l.macs << ',' << l.flops << ',' << l.readBytes << ',' << l.writeBytes << ','
            << l.outputBytes << ',' << (s < r.liveBytes.size() ? r.liveBytes[s] : 0) << '\n';
    }
    return out.str();
}

} // namespace fp

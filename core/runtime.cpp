#include "runtime.h"

#include "footprintjson.h"
#include "saturating.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fp {

extern const char* const kBuiltinPytorchCpuJson;
extern const char* const kBuiltinPytorchCudaJson;

const char* runtimeName(Runtime r)
{
    return r == Runtime::PyTorchCuda ? "pytorch-cuda" : "pytorch-cpu";
}

std::optional<Runtime> parseRuntime(const std::string& name)
{
    for (Runtime r : { Runtime::PyTorchCpu, Runtime::PyTorchCuda })
        if (name == runtimeName(r))
            return r;
    return std::nullopt;
}

int64_t applyScratch(const ScratchFormula& f, const KernelSizes& s)
{
    // Coefficients come from a file: a product beyond int64 saturates, as every size does.
    const double bytes = f.input * double(s.input) + f.output * double(s.output) + f.weight * double(s.weight)
        + f.columnsImage * double(s.columnsImage) + f.columnsBatch * double(s.columnsBatch) + double(f.constant);
    int64_t largest = 0;
    for (const ScratchFormula& alternative : f.maxOf)
        largest = std::max(largest, applyScratch(alternative, s));
    return satAdd(satFromDouble(std::ceil(bytes)), largest);
}

namespace {

struct ConvShape {
    int rank = 0;
    int64_t batch = 0, inChannels = 0, group = 1;
    int64_t inputElements = 0, outputElements = 0;
    bool pointwise = true, strided = false, dilated = false, square = true, unitHeight = false, asymmetricStride = false;
    bool channelsLast = false;
    int64_t kernelExtent = 1;
    KernelSizes sizes; // in elements until scaled
};

// The shape facts a convolution rule tests; empty where a shape is unknown.
std::optional<ConvShape> convShape(const Node& node, const std::vector<TensorInfo>& tensors)
{
    if (node.opType != "Conv" && node.opType != "ConvTranspose")
        return std::nullopt;
    const int x = node.input(0), w = node.input(1), y = node.output(0);
    if (x < 0 || w < 0 || y < 0)
        return std::nullopt;
    const TensorInfo &in = tensors[size_t(x)], &kernel = tensors[size_t(w)], &out = tensors[size_t(y)];
    if (!in.isKnown() || !kernel.isKnown() || !out.isKnown() || in.rank() < 3 || in.rank() > 4
        || kernel.rank() != in.rank() || out.rank() != in.rank())
        return std::nullopt;
    ConvShape c;
    c.rank = int(in.rank());
    c.batch = in.dims[0];
    c.inChannels = in.dims[1];
    c.group = std::max<int64_t>(node.attrInt("group", 1), 1);
    c.inputElements = in.elements();
    c.outputElements = out.elements();
    const bool transposed = node.opType == "ConvTranspose";
    int64_t kernelElements = 1, outPixels = 1;
    for (size_t i = 2; i < kernel.dims.size(); ++i) {
        kernelElements = satMul(kernelElements, kernel.dims[i]);
        c.pointwise = c.pointwise && kernel.dims[i] == 1;
        c.kernelExtent = std::max(c.kernelExtent, kernel.dims[i]);
        outPixels = satMul(outPixels, (transposed ? in : out).dims[i]);
    }
    c.square = kernel.dims.size() == 4 ? kernel.dims[2] == kernel.dims[3] : false;
    c.unitHeight = in.rank() == 3 || in.dims[2] == 1;
    const std::vector<int64_t> strides = node.attrInts("strides");
    for (int64_t s : strides)
        c.strided = c.strided || s > 1;
    c.asymmetricStride = c.strided && (c.rank == 3 || (strides.size() == 2 && strides[0] != strides[1]));
    for (int64_t d : node.attrInts("dilations"))
        c.dilated = c.dilated || d > 1;
    // The weight's dim 1 is Cin/g, or Cout/g for a transposed convolution, which unfolds
    // Cout/g x kernel columns per input pixel.
    const int64_t perGroupChannels = kernel.dims[1];
    c.sizes.input = c.inputElements;
    c.sizes.output = c.outputElements;
    c.sizes.weight = kernel.elements();
    c.sizes.columnsImage = satMul(satMul(perGroupChannels, kernelElements), outPixels);
    c.sizes.columnsBatch = satMul(c.sizes.columnsImage, c.batch);
    return c;
}

bool matches(const ConvRule& r, const ConvShape& c)
{
    const bool depthwise = c.group > 1 && c.group == c.inChannels;
    const bool grouped = c.group > 1 && c.group < c.inChannels;
    const auto is = [](const std::optional<bool>& want, bool have) { return !want || *want == have; };
    return (!r.rank || *r.rank == c.rank) && is(r.pointwise, c.pointwise) && is(r.strided, c.strided)
        && is(r.dilated, c.dilated) && is(r.depthwise, depthwise) && is(r.grouped, grouped)
        && is(r.square, c.square) && is(r.unitHeight, c.unitHeight) && is(r.channelsLast, c.channelsLast)
        && is(r.asymmetricStride, c.asymmetricStride)
        && (!r.kernelExtentMin || c.kernelExtent >= *r.kernelExtentMin)
        && (!r.kernelExtentMax || c.kernelExtent <= *r.kernelExtentMax) && (!r.batchMin || c.batch >= *r.batchMin)
        && (!r.batchMax || c.batch <= *r.batchMax) && (!r.inChannelsMin || c.inChannels >= *r.inChannelsMin)
        && (!r.inChannelsMax || c.inChannels <= *r.inChannelsMax)
        && (!r.outputElementsMax || c.outputElements <= *r.outputElementsMax)
        && (!r.inputElementsMax || c.inputElements <= *r.inputElementsMax);
}

KernelSizes scaled(KernelSizes s, int64_t elementBytes)
{
    s.input = satMul(s.input, elementBytes);
    s.output = satMul(s.output, elementBytes);
    s.weight = satMul(s.weight, elementBytes);
    s.columnsImage = satMul(s.columnsImage, elementBytes);
    s.columnsBatch = satMul(s.columnsBatch, elementBytes);
    return s;
}

// --- the JSON table ---------------------------------------------------------------------------

int64_t bytesField(const QJsonObject& o, const char* key, int64_t fallback, int64_t max)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return fallback;
    const double d = v.toDouble(-1);
    if (!(d >= 0 && d <= double(max)))
        throw std::runtime_error(std::string("the profile's \"") + key + "\" is out of range");
    return int64_t(d);
}

double coefficient(const QJsonObject& o, const char* key)
{
    const double v = o.value(QLatin1String(key)).toDouble(0);
    if (!std::isfinite(v) || v < 0 || v > 1e6)
        throw std::runtime_error(std::string("a scratch coefficient \"") + key + "\" is out of range");
    return v;
}

ScratchFormula parseFormula(const QJsonValue& value)
{
    const QJsonObject o = value.toObject();
    ScratchFormula f;
    f.input = coefficient(o, "input");
    f.output = coefficient(o, "output");
    f.weight = coefficient(o, "weight");
    f.columnsImage = coefficient(o, "columns_image");
    f.columnsBatch = coefficient(o, "columns_batch");
    f.constant = bytesField(o, "const", 0, int64_t(1) << 50);
    const QJsonArray alternatives = o.value("max").toArray();
    if (alternatives.size() > 8)
        throw std::runtime_error("a scratch formula's \"max\" has more than 8 alternatives");
    for (const QJsonValue& alternative : alternatives) {
        if (alternative.toObject().contains("max"))
            throw std::runtime_error("a scratch formula's \"max\" alternatives cannot nest");
        f.maxOf.push_back(parseFormula(alternative));
    }
    return f;
}

ConvRule parseConvRule(const QJsonObject& o)
{
    ConvRule r;
    r.name = o.value("name").toString().toStdString();
    const QJsonObject m = o.value("match").toObject();
    const auto flag = [&](const char* key, std::optional<bool>& out) {
        if (m.contains(QLatin1String(key)))
            out = m.value(QLatin1String(key)).toBool();
    };
    const auto bound = [&](const char* key, std::optional<int64_t>& out) {
        if (m.contains(QLatin1String(key)))
            out = bytesField(m, key, 0, int64_t(1) << 60);
    };
    if (m.contains("rank"))
        r.rank = m.value("rank").toInt();
    flag("pointwise", r.pointwise);
    flag("strided", r.strided);
    flag("dilated", r.dilated);
    flag("depthwise", r.depthwise);
    flag("grouped", r.grouped);
    flag("square", r.square);
    flag("unit_height", r.unitHeight);
    flag("asymmetric_stride", r.asymmetricStride);
    flag("channels_last", r.channelsLast);
    bound("kernel_extent_min", r.kernelExtentMin);
    bound("kernel_extent_max", r.kernelExtentMax);
    bound("batch_min", r.batchMin);
    bound("batch_max", r.batchMax);
    bound("in_channels_min", r.inChannelsMin);
    bound("in_channels_max", r.inChannelsMax);
    bound("output_elements_max", r.outputElementsMax);
    bound("input_elements_max", r.inputElementsMax);
    r.forward = parseFormula(o.value("forward"));
    r.backward = parseFormula(o.value("backward"));
    return r;
}

std::shared_ptr<const RuntimeProfile> parseBuiltin(const char* json)
{
    return std::make_shared<const RuntimeProfile>(parseRuntimeProfile(json));
}

} // namespace

KernelScratch RuntimeProfile::scratch(const Node& node, const std::vector<TensorInfo>& tensors, int elementBytes,
                                      const std::function<bool(int)>& isWeight, bool channelsLastInput) const
{
    KernelScratch s;
    std::optional<ConvShape> c = convShape(node, tensors);
    if (c)
        c->channelsLast = channelsLastInput;
    // Convolutions by their rules; a transposed one runs one algorithm (PyTorch's CPU: im2col
    // always), so its operator entry holds, with the columns known.
    if (c && node.opType == "Conv") {
        for (const ConvRule& r : conv) {
            if (!matches(r, *c))
                continue;
            const KernelSizes sizes = scaled(c->sizes, elementBytes);
            return { applyScratch(r.forward, sizes), applyScratch(r.backward, sizes) };
        }
        return s;
    }
    const auto it = node.domain.empty() || node.domain == "ai.onnx" ? ops.find(node.opType) : ops.end();
    if (it == ops.end())
        return s;
    const int x = node.input(0), y = node.output(0), w = node.input(1);
    const auto bytes = [&](int v) {
        const int64_t n = v >= 0 ? tensors[size_t(v)].elements() : -1;
        return n < 0 ? int64_t(0) : satMul(n, elementBytes);
    };
    if (it->second.weightOperand && (w >= 0 && isWeight(w)) != *it->second.weightOperand)
        return s;
    if (it->second.broadcast && (w >= 0 && bytes(x) != bytes(w)) != *it->second.broadcast)
        return s;
    KernelSizes sizes = c ? scaled(c->sizes, elementBytes) : KernelSizes {};
    sizes.input = bytes(x);
    sizes.output = bytes(y);
    sizes.weight = bytes(w);
    return { applyScratch(it->second.forward, sizes), applyScratch(it->second.backward, sizes) };
}

bool AutocastPolicy::accepts(Precision p) const
{
    return std::find(dtypes.begin(), dtypes.end(), p) != dtypes.end();
}

namespace {

AutocastPolicy parseAutocast(const QJsonObject& o)
{
    AutocastPolicy a;
    a.measured = o.value("measured").toBool(false);
    a.source = o.value("source").toString().toStdString();
    a.weightCache = o.value("weight_cache").toBool(true);
    for (const QJsonValue& d : o.value("dtypes").toArray()) {
        const std::optional<Precision> p = parsePrecision(d.toString().toStdString());
        if (!p || (*p != Precision::FP16 && *p != Precision::BF16))
            throw std::runtime_error("the autocast \"dtypes\" may name fp16 and bf16 only");
        a.dtypes.push_back(*p);
    }
    const auto names = [&](const char* key, std::set<std::string>& into) {
        for (const QJsonValue& v : o.value(QLatin1String(key)).toArray())
            into.insert(v.toString().toStdString());
    };
    names("lower_precision", a.lowerPrecision);
    names("fp32", a.fp32);
    names("no_backward_in_low_precision", a.noLowPrecisionBackward);
    names("follow_activation", a.followActivation);
    return a;
}

} // namespace

RuntimeProfile parseRuntimeProfile(const std::string& json)
{
    const QJsonObject o = parseFootprintJson(json, "footprint-runtime", "runtime profile");
    RuntimeProfile p;
    const std::optional<Runtime> runtime = parseRuntime(o.value("runtime").toString().toStdString());
    if (!runtime)
        throw std::runtime_error("the profile's \"runtime\" must be pytorch-cpu or pytorch-cuda");
    p.runtime = *runtime;
    p.measured = o.value("measured").toBool(false);
    p.source = o.value("source").toString().toStdString();
    const QJsonObject allocator = o.value("allocator").toObject();
    p.allocator.granularityBytes = std::max<int64_t>(bytesField(allocator, "granularity_bytes", 1, int64_t(1) << 30), 1);
    p.allocator.contextBytes = bytesField(allocator, "context_bytes", 0, int64_t(1) << 50);
    p.allocator.libraryWorkspaceBytes = bytesField(allocator, "cublas_workspace_bytes", 0, int64_t(1) << 40);
    p.dropoutMaskBytesPerElement = int(bytesField(o, "dropout_mask_bytes_per_element", 1, 16));
    p.runsFoldedBatchNorm = o.value("runs_folded_batchnorm").toBool(false);
    p.libraryModules = o.value("library_modules").toBool(false);
    for (const QJsonValue& rule : o.value("conv").toArray())
        p.conv.push_back(parseConvRule(rule.toObject()));
    const QJsonObject ops = o.value("ops").toObject();
    for (auto it = ops.begin(); it != ops.end(); ++it) {
        const QJsonObject op = it.value().toObject();
        OpScratch entry;
        entry.forward = parseFormula(op.value("forward"));
        entry.backward = parseFormula(op.value("backward"));
        const QJsonObject match = op.value("match").toObject();
        if (match.value("weight_operand").isBool())
            entry.weightOperand = match.value("weight_operand").toBool();
        if (match.value("broadcast").isBool())
            entry.broadcast = match.value("broadcast").toBool();
        p.ops[it.key().toStdString()] = entry;
    }
    p.autocast = parseAutocast(o.value("autocast").toObject());
    return p;
}

std::shared_ptr<const RuntimeProfile> builtinRuntime(Runtime runtime)
{
    static const std::shared_ptr<const RuntimeProfile> cpu = parseBuiltin(kBuiltinPytorchCpuJson);
    static const std::shared_ptr<const RuntimeProfile> cuda = parseBuiltin(kBuiltinPytorchCudaJson);
    return runtime == Runtime::PyTorchCuda ? cuda : cpu;
}

} // namespace fp

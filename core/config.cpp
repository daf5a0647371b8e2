#include "config.h"

#include "footprintjson.h"

#include <algorithm>
#include <stdexcept>

namespace fp {

const char* precisionName(Precision p)
{
    switch (p) {
    case Precision::Model: return "model";
    case Precision::FP32: return "fp32";
    case Precision::FP16: return "fp16";
    case Precision::BF16: return "bf16";
    case Precision::INT8: return "int8";
    case Precision::INT4: return "int4";
    }
    return "model";
}

std::optional<Precision> parsePrecision(const std::string& name)
{
    for (Precision p : { Precision::Model, Precision::FP32, Precision::FP16, Precision::BF16, Precision::INT8,
                         Precision::INT4 }) {
        if (name == precisionName(p))
            return p;
    }
    return std::nullopt;
}

std::string fusionsText(const Fusions& fusions)
{
    std::string text;
    for (const auto& [on, name] : { std::pair { fusions.convBn, "conv-bn" }, std::pair { fusions.convRelu, "conv-relu" },
                                    std::pair { fusions.attention, "attention" } })
        if (on)
            text += (text.empty() ? "" : ",") + std::string(name);
    return text;
}

std::optional<Fusions> parseFusions(const std::string& text)
{
    Fusions fusions;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string word = text.substr(start, comma - start);
        if (word == "conv-bn")
            fusions.convBn = true;
        else if (word == "conv-relu")
            fusions.convRelu = true;
        else if (word == "attention")
            fusions.attention = true;
        else
            return std::nullopt;
        start = comma + 1;
    }
    return fusions;
}

const char* modeName(Mode m)
{
    return m == Mode::Training ? "training" : "inference";
}

const char* optimizerName(Optimizer o)
{
    switch (o) {
    case Optimizer::SGD: return "sgd";
    case Optimizer::Momentum: return "momentum";
    case Optimizer::Adam: return "adam";
    case Optimizer::AdamW: return "adamw";
    }
    return "sgd";
}

const char* convAlgorithmName(ConvAlgorithm a)
{
    switch (a) {
    case ConvAlgorithm::Direct: return "direct";
    case ConvAlgorithm::Im2col: return "im2col";
    case ConvAlgorithm::FFT: return "fft";
    case ConvAlgorithm::Winograd: return "winograd";
    case ConvAlgorithm::FrameworkDefault: return "default";
    }
    return "default";
}

std::optional<Mode> parseMode(const std::string& name)
{
    for (Mode m : { Mode::Inference, Mode::Training })
        if (name == modeName(m))
            return m;
    return std::nullopt;
}

std::optional<Optimizer> parseOptimizer(const std::string& name)
{
    for (Optimizer o : { Optimizer::SGD, Optimizer::Momentum, Optimizer::Adam, Optimizer::AdamW })
        if (name == optimizerName(o))
            return o;
    return std::nullopt;
}

std::optional<ConvAlgorithm> parseConvAlgorithm(const std::string& name)
{
    for (ConvAlgorithm a : { ConvAlgorithm::Direct, ConvAlgorithm::Im2col, ConvAlgorithm::FFT, ConvAlgorithm::Winograd,
                             ConvAlgorithm::FrameworkDefault })
        if (name == convAlgorithmName(a))
            return a;
    return std::nullopt;
}

const char* offloadName(Offload o)
{
    switch (o) {
    case Offload::None: return "none";
    case Offload::Optimizer: return "optimizer";
    case Offload::Params: return "params";
    }
    return "none";
}

std::optional<Offload> parseOffload(const std::string& name)
{
    for (Offload o : { Offload::None, Offload::Optimizer, Offload::Params })
        if (name == offloadName(o))
            return o;
    return std::nullopt;
}

Calibration parseCalibration(const std::string& json)
{
    const QJsonObject o = parseFootprintJson(json, "footprint-calibration", "calibration");
    Calibration c;
    c.name = o.value("name").toString().toStdString();
    c.contextBytes = o.value("context_bytes").toInteger(0);
    c.allocationGranularity = o.value("allocation_granularity_bytes").toInteger(1);
    if (c.contextBytes < 0 || c.contextBytes > (int64_t(1) << 50) || c.allocationGranularity < 1
        || c.allocationGranularity > (int64_t(1) << 30))
        throw std::runtime_error("the calibration's context_bytes or allocation_granularity_bytes is out of range");
    return c;
}

} // namespace fp

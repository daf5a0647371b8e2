#include "analysis_options.h"

#include "runtime.h"

#include <QFile>
#include <QRegularExpression>

#include <stdexcept>

namespace fp {

namespace {

// Dims beyond this are refused: byte counts would be meaningless, and a typo is likelier.
constexpr qint64 kMaxDim = qint64(1) << 40;

bool parseDim(const QString& text, qint64& value)
{
    bool ok = false;
    value = text.toLongLong(&ok);
    return ok && value > 0 && value <= kMaxDim;
}

} // namespace

void addAnalysisOptions(QCommandLineParser& parser)
{
    parser.addOptions(analysisOptions());
}

QList<QCommandLineOption> analysisOptions()
{
    return {
        { "batch", "Batch size: dim 0 of every graph input.", "N" },
        { "dim", "Value of a named symbolic dimension, e.g. sequence=512 (repeatable).", "NAME=V" },
        { "resolution", "Height x width of 4-D image inputs, e.g. 512x512.", "HxW" },
        { "precision", "Precision of weights and activations: model (default), fp32, fp16, bf16, int8 or int4.", "P" },
        { "layer-precision", "The precision of the layers matching GLOB: fp32, fp16, bf16, int8 or int4; their outputs "
                             "and weights are stored so (repeatable, the last match wins; * crosses /, e.g. "
                             "'/layer4/*=int8').",
          "GLOB=P" },
        { "fuse", "Fusion what-ifs, comma-separated: conv-bn and conv-relu (folded into the convolution, as an "
                  "inference engine does) and attention (softmax(QK^T)V as one FlashAttention-style kernel).",
          "LIST" },
        { "mode", "inference (default), training (forward, backward and optimizer step) or generate (a language "
                  "model's prefill and decode steps: --prompt, --new-tokens).",
          "MODE" },
        { "prompt", "--mode generate: the prompt's tokens (the prefill step).", "P" },
        { "new-tokens", "--mode generate: the tokens generated after the prompt, one decode step each.", "T" },
        { "kv-shared-buffer", "--mode generate: the KV cache is allocated once at prompt + new tokens and each step "
                              "writes into it (onnxruntime-genai's past_present_share_buffer)." },
        { "optimizer", "Training optimizer: sgd, momentum, adam (default) or adamw.", "OPT" },
        { "workspace", "Convolution workspace: default (the runtime's choice per shape), direct, im2col, fft or winograd.",
          "POLICY" },
        { "runtime", "The runtime whose kernels, allocator and context are modelled: pytorch-cpu or pytorch-cuda "
                     "(default: pytorch-cuda with a GPU --device, pytorch-cpu otherwise).",
          "NAME" },
        { "calibration", "A calibration file (resources/scripts/calibrate.py): adds the measured runtime context "
                         "and rounds buffers as the device's allocator does.",
          "FILE" },
        { "autocast", "Mixed precision as torch.autocast runs it: fp16 or bf16 (fp32 weights, gradients and optimizer "
                      "state; the runtime's operator lists pick each kernel's precision). --precision is pure "
                      "low-precision training with an fp32 master copy instead.",
          "P" },
        { "checkpoint", "Activation checkpointing: each outermost scope or node matching GLOB is one segment, "
                        "recomputed in the backward pass (repeatable; * crosses /, e.g. '/h.*').",
          "GLOB" },
        { "freeze", "Frozen layers: the weights that only nodes matching GLOB use get no gradient (repeatable).", "GLOB" },
        { "train-only", "Train only the weights that nodes matching GLOB use; freeze the rest (repeatable).", "GLOB" },
        { "micro-batch", "Gradient accumulation: run the batch in micro-batches of N.", "N" },
        { "data-parallel", "Data-parallel GPUs (per-GPU figures; --batch is each GPU's).", "N" },
        { "zero", "ZeRO stage over the data-parallel GPUs: 0 (default), 1 (optimizer state), 2 (+ gradients), "
                  "3 (+ parameters).",
          "STAGE" },
        { "offload", "ZeRO CPU offload: none (default), optimizer, or params (ZeRO-3).", "WHAT" },
        { "fsdp", "PyTorch FSDP: full (ZeRO-3) or grad-op (ZeRO-2).", "STRATEGY" },
        { "device", "A device preset (e.g. A100-80GB, RTX-4090, Jetson-Orin-Nano-8GB): its memory is the budget.",
          "NAME" },
        { "fit-memory", "A memory budget such as 24GiB or 512MB; reports the largest batch that fits.", "SIZE" },
        { "quantize-to-fit", "Lower layers to int8 one at a time, the largest activation first (seed 004), until the "
                             "peak fits SIZE (e.g. 2GiB); prints the plan.",
          "SIZE" },
        { "quantize-order", "--quantize-to-fit's order: activations (default, largest outputs first) or weights.",
          "ORDER" },
        { "devices", "Read device presets from this JSON file instead of the built-in list.", "FILE" },
        { "efficiency", "Share of the device's peak compute and bandwidth a kernel attains (default 0.75).", "F" },
        { "energy-scale", "Multiplies the 45 nm energy costs, for another process node (default 1).", "S" },
    };
}

QString readAnalysisOptions(const QCommandLineParser& parser, AnalysisConfig& config)
{
    if (parser.isSet("batch")) {
        qint64 batch = 0;
        if (!parseDim(parser.value("batch"), batch))
            return QStringLiteral("--batch needs a positive whole number, not '%1'").arg(parser.value("batch"));
        config.shapes.batch = batch;
    }
    for (const QString& d : parser.values("dim")) {
        const qsizetype eq = d.indexOf(u'=');
        qint64 value = 0;
        if (eq <= 0 || !parseDim(d.mid(eq + 1), value))
            return QStringLiteral("--dim needs NAME=VALUE with a positive value, not '%1'").arg(d);
        config.shapes.dims[d.left(eq).toStdString()] = value;
    }
    if (parser.isSet("resolution")) {
        static const QRegularExpression re(QStringLiteral("^(\\d+)[xX](\\d+)$"));
        const auto m = re.match(parser.value("resolution"));
        qint64 h = 0, w = 0;
        if (!m.hasMatch() || !parseDim(m.captured(1), h) || !parseDim(m.captured(2), w))
            return QStringLiteral("--resolution needs HEIGHTxWIDTH, e.g. 224x224, not '%1'")
                .arg(parser.value("resolution"));
        config.shapes.height = h;
        config.shapes.width = w;
    }
    if (parser.isSet("precision")) {
        const auto p = parsePrecision(parser.value("precision").toLower().toStdString());
        if (!p)
            return QStringLiteral("--precision must be model, fp32, fp16, bf16, int8 or int4, not '%1'")
                .arg(parser.value("precision"));
        config.precision = *p;
    }
    for (const QString& rule : parser.values(QStringLiteral("layer-precision"))) {
        const qsizetype eq = rule.lastIndexOf(QLatin1Char('='));
        const auto p = eq > 0 ? parsePrecision(rule.mid(eq + 1).trimmed().toLower().toStdString()) : std::nullopt;
        if (eq <= 0 || rule.left(eq).trimmed().isEmpty() || !p || *p == Precision::Model)
            return QStringLiteral("--layer-precision needs GLOB=P, P one of fp32, fp16, bf16, int8 or int4, not '%1'")
                .arg(rule);
        config.layerPrecisions.push_back({ rule.left(eq).trimmed().toStdString(), *p });
    }
    if (parser.isSet("fuse")) {
        const auto fusions = parseFusions(parser.value("fuse").toLower().toStdString());
        if (!fusions)
            return QStringLiteral("--fuse takes conv-bn, conv-relu and attention, comma-separated, not '%1'")
                .arg(parser.value("fuse"));
        config.fusions = *fusions;
    }
    const bool generate = parser.isSet("mode") && parser.value("mode").toLower() == QLatin1String("generate");
    if (parser.isSet("mode") && !generate) {
        const auto m = parseMode(parser.value("mode").toLower().toStdString());
        if (!m)
            return QStringLiteral("--mode must be inference, training or generate, not '%1'").arg(parser.value("mode"));
        config.training.mode = *m;
        config.generation.reset(); // the window's saved generation gives way to the mode asked for
    }
    if (generate) {
        GenerationConfig g;
        qint64 prompt = 0, tokens = 0;
        if (!parser.isSet("prompt") || !parseDim(parser.value("prompt"), prompt))
            return QStringLiteral("--mode generate needs --prompt P, a positive number of tokens");
        if (!parser.isSet("new-tokens") || !parseDim(parser.value("new-tokens"), tokens))
            return QStringLiteral("--mode generate needs --new-tokens T, a positive number of tokens");
        g.prompt = prompt;
        g.newTokens = tokens;
        g.sharedBuffer = parser.isSet("kv-shared-buffer");
        config.training.mode = Mode::Inference;
        config.generation = g;
    } else if (parser.isSet("prompt") || parser.isSet("new-tokens") || parser.isSet("kv-shared-buffer")) {
        return QStringLiteral("--prompt, --new-tokens and --kv-shared-buffer plan a generation: add --mode generate");
    }
    if (parser.isSet("optimizer")) {
        const auto o = parseOptimizer(parser.value("optimizer").toLower().toStdString());
        if (!o)
            return QStringLiteral("--optimizer must be sgd, momentum, adam or adamw, not '%1'")
                .arg(parser.value("optimizer"));
        config.training.optimizer = *o;
    }
    if (parser.isSet("calibration")) {
        if (QString error = readCalibrationFile(parser.value("calibration"), config.calibration); !error.isEmpty())
            return error;
    }
    if (parser.isSet("runtime")) {
        const auto r = parseRuntime(parser.value("runtime").toLower().toStdString());
        if (!r)
            return QStringLiteral("--runtime must be pytorch-cpu or pytorch-cuda, not '%1'").arg(parser.value("runtime"));
        config.runtime = builtinRuntime(*r);
    }
    if (parser.isSet("workspace")) {
        const auto w = parseConvAlgorithm(parser.value("workspace").toLower().toStdString());
        if (!w)
            return QStringLiteral("--workspace must be default, direct, im2col, fft or winograd, not '%1'")
                .arg(parser.value("workspace"));
        config.training.workspace = *w;
    }
    return readRecipeOptions(parser, config);
}

QString readRecipeOptions(const QCommandLineParser& parser, AnalysisConfig& config)
{
    Recipe& recipe = config.training.recipe;
    if (parser.isSet("autocast")) {
        const auto p = parsePrecision(parser.value("autocast").toLower().toStdString());
        if (!p || (*p != Precision::FP16 && *p != Precision::BF16))
            return QStringLiteral("--autocast must be fp16 or bf16, not '%1'").arg(parser.value("autocast"));
        if (config.precision != Precision::Model && config.precision != Precision::FP32)
            return QStringLiteral("--autocast runs an fp32 model in mixed precision: leave --precision at model or fp32");
        recipe.autocast = *p;
    }
    const auto globs = [&](const char* option, std::vector<std::string>& into) -> QString {
        for (const QString& g : parser.values(QLatin1String(option))) {
            if (g.trimmed().isEmpty())
                return QStringLiteral("--%1 needs a pattern").arg(QLatin1String(option));
            into.push_back(g.toStdString());
        }
        return {};
    };
    for (const auto& [option, into] : { std::pair { "checkpoint", &recipe.checkpoint },
                                        std::pair { "freeze", &recipe.freeze },
                                        std::pair { "train-only", &recipe.trainOnly } })
        if (QString error = globs(option, *into); !error.isEmpty())
            return error;
    if (parser.isSet("micro-batch")) {
        qint64 micro = 0;
        if (!parseDim(parser.value("micro-batch"), micro))
            return QStringLiteral("--micro-batch needs a positive whole number, not '%1'").arg(parser.value("micro-batch"));
        recipe.microBatch = micro;
    }
    if (parser.isSet("data-parallel")) {
        bool ok = false;
        const int gpus = parser.value("data-parallel").toInt(&ok);
        if (!ok || gpus < 1 || gpus > 1 << 20)
            return QStringLiteral("--data-parallel needs a number of GPUs from 1, not '%1'").arg(parser.value("data-parallel"));
        recipe.dataParallel = gpus;
    }
    if (parser.isSet("zero") && parser.isSet("fsdp"))
        return QStringLiteral("--fsdp names a ZeRO stage itself: give --zero or --fsdp, not both");
    if (parser.isSet("zero")) {
        bool ok = false;
        const int stage = parser.value("zero").toInt(&ok);
        if (!ok || stage < 0 || stage > 3)
            return QStringLiteral("--zero must be 0, 1, 2 or 3, not '%1'").arg(parser.value("zero"));
        recipe.zeroStage = stage;
    }
    if (parser.isSet("fsdp")) {
        const QString s = parser.value("fsdp").toLower();
        if (s != QLatin1String("full") && s != QLatin1String("grad-op"))
            return QStringLiteral("--fsdp must be full or grad-op, not '%1'").arg(parser.value("fsdp"));
        recipe.zeroStage = s == QLatin1String("full") ? 3 : 2;
    }
    if (parser.isSet("offload")) {
        const auto o = parseOffload(parser.value("offload").toLower().toStdString());
        if (!o)
            return QStringLiteral("--offload must be none, optimizer or params, not '%1'").arg(parser.value("offload"));
        if (*o == Offload::Params && recipe.zeroStage != 3)
            return QStringLiteral("--offload params needs --zero 3 (or --fsdp full): only ZeRO-3 shards the parameters");
        if (*o != Offload::None && recipe.zeroStage == 0)
            return QStringLiteral("--offload moves ZeRO's shards to the host: give --zero 1, 2 or 3 too");
        recipe.offload = *o;
    }
    if (config.training.mode != Mode::Training) {
        for (const char* option : { "checkpoint", "freeze", "train-only", "micro-batch", "data-parallel", "zero",
                                    "offload", "fsdp" })
            if (parser.isSet(QLatin1String(option)))
                return QStringLiteral("--%1 is a training recipe: add --mode training").arg(QLatin1String(option));
    }
    return {};
}

QString readCalibrationFile(const QString& path, Calibration& calibration)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read calibration '%1': %2").arg(f.fileName(), f.errorString());
    try {
        calibration = parseCalibration(f.read(1 << 20).toStdString());
    } catch (const std::exception& e) {
        return QStringLiteral("%1: %2").arg(f.fileName(), QString::fromStdString(e.what()));
    }
    if (calibration.name.empty())
        calibration.name = f.fileName().toStdString();
    return {};
}

QString readBudgetOptions(const QCommandLineParser& parser, BudgetChoice& budget)
{
    if (parser.isSet("devices")) {
        QFile f(parser.value("devices"));
        if (!f.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read device presets '%1': %2").arg(f.fileName(), f.errorString());
        try {
            budget.devices = parseDevices(f.readAll().toStdString());
        } catch (const std::exception& e) {
            return QStringLiteral("%1: %2").arg(f.fileName(), QString::fromStdString(e.what()));
        }
    }
    if (parser.isSet("device")) {
        const Device* d = findDevice(budget.devices, parser.value("device").toStdString());
        if (!d) {
            QStringList names;
            for (const Device& known : budget.devices)
                names << QString::fromStdString(known.name);
            return QStringLiteral("unknown device '%1'; known: %2").arg(parser.value("device"), names.join(", "));
        }
        budget.device = *d;
        budget.bytes = d->memoryBytes;
        budget.name = d->name;
    }
    const auto fraction = [&](const char* option, double& value, double max) -> QString {
        if (!parser.isSet(QLatin1String(option)))
            return {};
        bool ok = false;
        value = parser.value(QLatin1String(option)).toDouble(&ok);
        if (!ok || !(value > 0) || value > max)
            return QStringLiteral("--%1 needs a number above 0 and at most %2, not '%3'")
                .arg(QLatin1String(option))
                .arg(max)
                .arg(parser.value(QLatin1String(option)));
        return {};
    };
    if (QString error = fraction("efficiency", budget.efficiency, 1.0); !error.isEmpty())
        return error;
    if (QString error = fraction("energy-scale", budget.energyScale, 100.0); !error.isEmpty())
        return error;
    if (parser.isSet("fit-memory")) {
        const auto bytes = parseByteSize(parser.value("fit-memory").toStdString());
        if (!bytes)
            return QStringLiteral("--fit-memory needs a size such as 24GiB or 512MB, not '%1'").arg(parser.value("fit-memory"));
        budget.bytes = *bytes;
    }
    if (parser.isSet("quantize-to-fit")) {
        const auto bytes = parseByteSize(parser.value("quantize-to-fit").toStdString());
        if (!bytes || *bytes <= 0)
            return QStringLiteral("--quantize-to-fit needs a size such as 2GiB or 512MB, not '%1'")
                .arg(parser.value("quantize-to-fit"));
        budget.quantizeToFit = *bytes;
    }
    if (parser.isSet("quantize-order")) {
        const auto order = parseQuantizeOrder(parser.value("quantize-order").toLower().toStdString());
        if (!order)
            return QStringLiteral("--quantize-order must be activations or weights, not '%1'").arg(parser.value("quantize-order"));
        if (!parser.isSet("quantize-to-fit"))
            return QStringLiteral("--quantize-order orders --quantize-to-fit: add --quantize-to-fit SIZE");
        budget.quantizeOrder = *order;
    }
    return {};
}

} // namespace fp

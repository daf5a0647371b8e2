#include "controlpanel.h"

#include "runtime.h"
#include "shapes.h"

#include "formatting.h"
#include "layerprecision.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QStandardItemModel>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>
#include <set>

namespace fp {

namespace {

constexpr int64_t kMaxBatch = 4096;
constexpr int64_t kMaxResolution = 4096;
constexpr int64_t kMinResolution = 8;
// A sequence of 8192 tokens is where today's long-context training starts; longer ones (one
// second of 16 kHz audio, a 32k context) are typed into the spin box, which extends the slider.
constexpr int64_t kMaxDimension = 8192;
// QSpinBox holds an int: the window's limit for any value (the command line takes up to 2^40).
constexpr int64_t kSpinBoxLimit = std::numeric_limits<int>::max();

// A generation's prompt and new tokens: the slider reaches a 128k context, typing goes beyond.
constexpr int64_t kMaxTokens = 131072;
constexpr int64_t kDefaultPrompt = 512;
constexpr int64_t kDefaultNewTokens = 128;
// The mode box's item for generation, beside Mode's own values (inference, training).
constexpr int kGenerationMode = 100;

constexpr int kNoDevice = -1;
constexpr int kCustomDevice = -2;

} // namespace

LogSliderBox::LogSliderBox(const QString& objectName, int64_t minimum, int64_t maximum, QWidget* parent)
    : QWidget(parent)
{
    setObjectName(objectName);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(objectName + QStringLiteral("Slider"));
    m_slider->setMinimumWidth(60);
    m_spinBox = new QSpinBox(this);
    m_spinBox->setObjectName(objectName + QStringLiteral("SpinBox"));
    m_spinBox->setAccelerated(true);
    m_spinBox->setAlignment(Qt::AlignRight);
    // Room for five digits, whatever the range: the column of spin boxes lines up.
    m_spinBox->setMinimumWidth(m_spinBox->fontMetrics().horizontalAdvance(QStringLiteral("888888")) + 28);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_spinBox);
    setFocusProxy(m_spinBox);
    setRange(minimum, maximum);
    setValue(minimum);

    connect(m_slider, &QSlider::valueChanged, this, [this](int position) {
        const int64_t v = m_scale.value(position);
        const QSignalBlocker blocker(m_spinBox);
        m_spinBox->setValue(int(v));
        emit valueChanged(v);
    });
    connect(m_spinBox, &QSpinBox::valueChanged, this, [this](int v) {
        extendTo(v); // a typed value past the slider's end moves the end, not the value
        const QSignalBlocker blocker(m_slider);
        m_slider->setValue(m_scale.position(v));
        emit valueChanged(v);
    });
    // A keystroke the spin box refuses (a digit past its limit) is said, not dropped silently.
    if (auto* edit = m_spinBox->findChild<QLineEdit*>()) {
        connect(edit, &QLineEdit::inputRejected, this, [this]() {
            QToolTip::showText(m_spinBox->mapToGlobal(QPoint(0, m_spinBox->height())),
                               tr("%1 to %2").arg(QLocale().toString(m_spinBox->minimum()),
                                                  QLocale().toString(m_spinBox->maximum())),
                               m_spinBox);
        });
    }
}

LogSliderBox::~LogSliderBox() = default;

void LogSliderBox::setRange(int64_t minimum, int64_t maximum)
{
    m_scale = LogScale(minimum, maximum);
    const QSignalBlocker sliderBlocker(m_slider);
    const QSignalBlocker spinBlocker(m_spinBox);
    m_slider->setRange(0, m_scale.positionCount() - 1);
    // One page is a doubling: PageUp/PageDown and clicks beside the handle double or halve.
    m_slider->setPageStep(8);
    // Typing takes any value the analysis takes; the slider covers the common range.
    m_spinBox->setRange(int(m_scale.minimum()), int(kSpinBoxLimit));
}

void LogSliderBox::extendTo(int64_t value)
{
    if (value <= m_scale.maximum())
        return;
    int64_t end = m_scale.maximum();
    while (end < value && end < kSpinBoxLimit / 2 + 1)
        end *= 2;
    setRange(m_scale.minimum(), std::min(end, kSpinBoxLimit));
}

int64_t LogSliderBox::value() const
{
    return m_spinBox->value();
}

void LogSliderBox::setValue(int64_t value)
{
    extendTo(std::min(value, kSpinBoxLimit));
    value = std::clamp(value, m_scale.minimum(), m_scale.maximum());
    const QSignalBlocker sliderBlocker(m_slider);
    const QSignalBlocker spinBlocker(m_spinBox);
    m_spinBox->setValue(int(value));
    m_slider->setValue(m_scale.position(value));
}

ControlPanel::ControlPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(10);
    createShapeControls();
    createComputeControls();
    createWhatIfControls();
    createRecipeControls();
    createDeviceControls();
    layout->addStretch(1);
    setModel(nullptr);
    syncComputeControls();
}

ControlPanel::~ControlPanel() = default;

namespace {

// Combo boxes as narrow as the dock: a device name longer than the field is elided, and
// the popup still shows it whole.
QComboBox* newComboBox(const QString& objectName, QWidget* parent)
{
    auto* box = new QComboBox(parent);
    box->setObjectName(objectName);
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(8);
    return box;
}

} // namespace

QGroupBox* ControlPanel::addGroup(const QString& title, QFormLayout** form)
{
    auto* group = new QGroupBox(title, this);
    *form = new QFormLayout(group);
    (*form)->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    (*form)->setLabelAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    (*form)->setContentsMargins(8, 6, 8, 8);
    static_cast<QVBoxLayout*>(layout())->addWidget(group);
    return group;
}

void ControlPanel::createShapeControls()
{
    QFormLayout* form = nullptr;
    addGroup(tr("Input"), &form);
    m_batch = new LogSliderBox(QStringLiteral("batch"), 1, kMaxBatch, this);
    m_batch->setToolTip(tr("Batch size: dim 0 of every graph input (1 to %1, in log steps; type any value)")
                            .arg(kMaxBatch));
    form->addRow(tr("&Batch"), m_batch);
    connect(m_batch, &LogSliderBox::valueChanged, this, [this](qint64 v) {
        m_config.shapes.batch = v;
        edited(/*batchOnly=*/true);
    });

    QFormLayout* resolution = nullptr;
    // A language model's generation (issue 18): the prompt read in the prefill, then one decode
    // step per new token. They set the model's sequence and past dims, whose sliders step aside.
    QFormLayout* generation = nullptr;
    m_generationGroup = addGroup(tr("Generation"), &generation);
    m_generationGroup->setObjectName(QStringLiteral("generationGroup"));
    m_generationGroup->setToolTip(tr("A prefill step reads the prompt (sequence P, past 0); then one decode step "
                                     "per new token (sequence 1, past P, P + 1, …) while the KV cache grows"));
    m_prompt = new LogSliderBox(QStringLiteral("prompt"), 1, kMaxTokens, this);
    m_prompt->setToolTip(tr("Tokens in the prompt, read in one prefill step (--prompt P)"));
    m_prompt->setValue(kDefaultPrompt);
    m_newTokens = new LogSliderBox(QStringLiteral("newTokens"), 1, kMaxTokens, this);
    m_newTokens->setToolTip(tr("Tokens generated, one decode step each (--new-tokens T)"));
    m_newTokens->setValue(kDefaultNewTokens);
    generation->addRow(tr("P&rompt"), m_prompt);
    generation->addRow(tr("&New tokens"), m_newTokens);
    connect(m_prompt, &LogSliderBox::valueChanged, this, [this](qint64 v) {
        if (!m_config.generation)
            return;
        m_config.generation->prompt = v;
        edited(false);
    });
    connect(m_newTokens, &LogSliderBox::valueChanged, this, [this](qint64 v) {
        if (!m_config.generation)
            return;
        m_config.generation->newTokens = v;
        edited(false);
    });

    m_resolutionGroup = addGroup(tr("Image resolution"), &resolution);
    m_resolutionGroup->setObjectName(QStringLiteral("resolutionGroup"));
    m_resolutionGroup->setToolTip(tr("Height and width of the model's 4-D image inputs"));
    m_height = new LogSliderBox(QStringLiteral("height"), kMinResolution, kMaxResolution, this);
    m_width = new LogSliderBox(QStringLiteral("width"), kMinResolution, kMaxResolution, this);
    resolution->addRow(tr("&Height"), m_height);
    resolution->addRow(tr("&Width"), m_width);
    connect(m_height, &LogSliderBox::valueChanged, this, [this](qint64 v) {
        m_config.shapes.height = v;
        edited(false);
    });
    connect(m_width, &LogSliderBox::valueChanged, this, [this](qint64 v) {
        m_config.shapes.width = v;
        edited(false);
    });

    m_dimensionGroup = addGroup(tr("Dimensions"), &m_dimensionForm);
    m_dimensionGroup->setObjectName(QStringLiteral("dimensionGroup"));
    m_dimensionGroup->setToolTip(tr("The model's named symbolic input dimensions, such as a sequence length"));
}

void ControlPanel::createComputeControls()
{
    QFormLayout* form = nullptr;
    addGroup(tr("Computation"), &form);

    m_precision = newComboBox(QStringLiteral("precisionComboBox"), this);
    m_precision->setToolTip(tr("Precision of floating-point weights and activations; integer tensors keep their size"));
    m_precision->addItem(tr("As stored"), int(Precision::Model));
    m_precision->addItem(QStringLiteral("FP32"), int(Precision::FP32));
    m_precision->addItem(QStringLiteral("FP16"), int(Precision::FP16));
    m_precision->addItem(QStringLiteral("BF16"), int(Precision::BF16));
    m_precision->addItem(QStringLiteral("INT8"), int(Precision::INT8));
    form->addRow(tr("&Precision"), m_precision);
    connect(m_precision, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.precision = Precision(m_precision->currentData().toInt());
        if (m_config.precision != Precision::Model && m_config.precision != Precision::FP32)
            m_config.training.recipe.autocast.reset(); // pure low precision, not autocast
        syncRecipeControls();
        edited(false);
    });

    m_mode = newComboBox(QStringLiteral("modeComboBox"), this);
    m_mode->addItem(tr("Inference"), int(Mode::Inference));
    m_mode->addItem(tr("Training"), int(Mode::Training));
    m_mode->addItem(tr("Generation"), kGenerationMode);
    form->addRow(tr("&Mode"), m_mode);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this]() {
        const int mode = m_mode->currentData().toInt();
        if (mode == kGenerationMode) {
            m_config.training.mode = Mode::Inference; // a generation's steps are inferences
            m_config.generation = GenerationConfig { m_prompt->value(), m_newTokens->value() };
        } else {
            m_config.training.mode = Mode(mode);
            m_config.generation.reset();
        }
        syncComputeControls();
        edited(false);
    });

    m_optimizer = newComboBox(QStringLiteral("optimizerComboBox"), this);
    m_optimizer->setToolTip(tr("The optimizer whose state training keeps: none for SGD, one copy of the "
                               "weights for momentum, two for Adam and AdamW"));
    m_optimizer->addItem(QStringLiteral("SGD"), int(Optimizer::SGD));
    m_optimizer->addItem(tr("Momentum"), int(Optimizer::Momentum));
    m_optimizer->addItem(QStringLiteral("Adam"), int(Optimizer::Adam));
    m_optimizer->addItem(QStringLiteral("AdamW"), int(Optimizer::AdamW));
    form->addRow(tr("&Optimizer"), m_optimizer);
    connect(m_optimizer, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.training.optimizer = Optimizer(m_optimizer->currentData().toInt());
        edited(false);
    });

    m_workspace = newComboBox(QStringLiteral("workspaceComboBox"), this);
    m_workspace->setToolTip(tr("How convolutions are computed, which decides their scratch memory"));
    const std::pair<ConvAlgorithm, QString> algorithms[] = {
        { ConvAlgorithm::FrameworkDefault, tr("By runtime") },
        { ConvAlgorithm::Direct, tr("Direct (none)") },
        { ConvAlgorithm::Im2col, tr("im2col") },
        { ConvAlgorithm::FFT, tr("FFT") },
        { ConvAlgorithm::Winograd, tr("Winograd") },
    };
    for (const auto& [algorithm, label] : algorithms)
        m_workspace->addItem(label, int(algorithm));
    form->addRow(tr("&Workspace"), m_workspace);
    connect(m_workspace, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.training.workspace = ConvAlgorithm(m_workspace->currentData().toInt());
        edited(false);
    });

    m_runtime = newComboBox(QStringLiteral("runtimeComboBox"), this);
    m_runtime->setToolTip(tr("The framework whose kernels' scratch, dropout masks, allocator and context "
                             "are modelled; by device: PyTorch CUDA on a GPU, PyTorch CPU otherwise"));
    m_runtime->addItem(tr("By device"), -1);
    m_runtime->addItem(tr("PyTorch CPU"), int(Runtime::PyTorchCpu));
    m_runtime->addItem(tr("PyTorch CUDA"), int(Runtime::PyTorchCuda));
    form->addRow(tr("&Runtime"), m_runtime);
    connect(m_runtime, &QComboBox::currentIndexChanged, this, [this]() {
        const int data = m_runtime->currentData().toInt();
        m_config.runtime = data < 0 ? nullptr : builtinRuntime(Runtime(data));
        edited(false);
    });
}

void ControlPanel::createWhatIfControls()
{
    QFormLayout* form = nullptr;
    m_whatIfGroup = addGroup(tr("What-ifs"), &form);
    m_whatIfGroup->setObjectName(QStringLiteral("whatIfGroup"));
    const auto toggle = [&](QCheckBox*& box, const char* name, const QString& text, const QString& tip, bool Fusions::*field) {
        box = new QCheckBox(text, this);
        box->setObjectName(QLatin1String(name));
        box->setToolTip(tip);
        form->addRow(box);
        connect(box, &QCheckBox::toggled, this, [this, field](bool on) {
            if (m_config.fusions.*field == on)
                return;
            m_config.fusions.*field = on;
            edited(false);
        });
    };
    toggle(m_fuseConvBn, "fuseConvBnCheckBox", tr("Fuse Conv+BN"),
           tr("Fold each BatchNormalization into the convolution before it, as an inference engine does: the "
              "convolution's output is never written on its own (--fuse conv-bn; inference only)"),
           &Fusions::convBn);
    toggle(m_fuseConvRelu, "fuseConvReluCheckBox", tr("Fuse Conv+ReLU"),
           tr("Run each ReLU (Clip, LeakyRelu) in the convolution before it: no separate activation tensor "
              "(--fuse conv-relu; inference only)"),
           &Fusions::convRelu);
    toggle(m_fuseAttention, "fuseAttentionCheckBox", tr("Fused attention"),
           tr("Each softmax(QK^T)V as one FlashAttention-style kernel: the sequence x sequence scores are never "
              "stored, and training recomputes them in the backward pass (--fuse attention)"),
           &Fusions::attention);

    // The per-layer precisions: set from the layer table's and the graph's context menus
    // (Precision), counted here, listed in the tooltip and cleared in one click.
    auto* row = new QWidget(this);
    auto* rowLayout = new QHBoxLayout(row);
    rowLayout->setContentsMargins(0, 0, 0, 0);
    m_layerPrecisions = new QLabel(row);
    m_layerPrecisions->setObjectName(QStringLiteral("layerPrecisionsLabel"));
    m_layerPrecisions->setWordWrap(true);
    m_clearLayerPrecisions = new QToolButton(row);
    m_clearLayerPrecisions->setObjectName(QStringLiteral("clearLayerPrecisions"));
    m_clearLayerPrecisions->setText(tr("Clear"));
    m_clearLayerPrecisions->setToolTip(tr("Back to one precision for every layer"));
    rowLayout->addWidget(m_layerPrecisions, 1);
    rowLayout->addWidget(m_clearLayerPrecisions, 0, Qt::AlignTop);
    form->addRow(row);
    connect(m_clearLayerPrecisions, &QToolButton::clicked, this, [this]() {
        if (m_config.layerPrecisions.empty())
            return;
        m_config.layerPrecisions.clear();
        syncWhatIfControls();
        edited(false);
    });
    syncWhatIfControls();
}

void ControlPanel::syncWhatIfControls()
{
    if (!m_whatIfGroup)
        return; // not built yet
    for (auto [box, on] : { std::pair { m_fuseConvBn, m_config.fusions.convBn },
                            std::pair { m_fuseConvRelu, m_config.fusions.convRelu },
                            std::pair { m_fuseAttention, m_config.fusions.attention } }) {
        const QSignalBlocker blocker(box);
        box->setChecked(on);
    }
    const std::vector<LayerPrecision>& rules = m_config.layerPrecisions;
    m_layerPrecisions->setText(rules.empty() ? tr("Layer precisions: none")
                               : rules.size() == 1 ? tr("Layer precisions: 1 rule")
                                                   : tr("Layer precisions: %1 rules").arg(rules.size()));
    QStringList lines;
    constexpr size_t kListed = 20;
    for (size_t i = 0; i < rules.size() && i < kListed; ++i)
        lines << QStringLiteral("%1 = %2").arg(QString::fromStdString(rules[i].pattern),
                                               QString::fromLatin1(precisionName(rules[i].precision)));
    if (rules.size() > kListed)
        lines << tr("… and %1 more").arg(rules.size() - kListed);
    m_layerPrecisions->setToolTip(rules.empty()
                                      ? tr("Set a layer's or a group's precision from the layer table's or the graph's "
                                           "context menu (--layer-precision PATTERN=P)")
                                      : tr("The last rule matching a layer wins:\n%1").arg(lines.join(u'\n')));
    m_clearLayerPrecisions->setEnabled(!rules.empty());
}

namespace {

// "/h.*, /ln_f*" <-> {"/h.*", "/ln_f*"}
std::vector<std::string> patternsOf(const QString& text)
{
    std::vector<std::string> patterns;
    for (const QString& p : text.split(u',', Qt::SkipEmptyParts))
        if (!p.trimmed().isEmpty())
            patterns.push_back(p.trimmed().toStdString());
    return patterns;
}

QString patternsText(const std::vector<std::string>& patterns)
{
    QStringList parts;
    for (const std::string& p : patterns)
        parts << QString::fromStdString(p);
    return parts.join(QStringLiteral(", "));
}

} // namespace

// The training recipe: mixed precision as torch.autocast runs it, checkpointing, frozen
// layers, gradient accumulation and ZeRO sharding. All but autocast apply to training only.
void ControlPanel::createRecipeControls()
{
    QFormLayout* form = nullptr;
    m_recipeGroup = addGroup(tr("Recipe"), &form);
    m_recipeGroup->setObjectName(QStringLiteral("recipeGroup"));

    m_autocast = newComboBox(QStringLiteral("autocastComboBox"), this);
    m_autocast->setToolTip(tr("Mixed precision as torch.autocast runs it: fp32 weights, gradients and optimizer "
                              "state, each kernel in the precision the runtime's autocast lists give it, and a "
                              "cached low-precision copy of each weight.\nPrecision instead models pure "
                              "low-precision training with an fp32 master copy (DeepSpeed, Megatron)."));
    m_autocast->addItem(tr("Off"), int(Precision::Model));
    m_autocast->addItem(QStringLiteral("AMP FP16"), int(Precision::FP16));
    m_autocast->addItem(QStringLiteral("AMP BF16"), int(Precision::BF16));
    form->addRow(tr("&Autocast"), m_autocast);
    connect(m_autocast, &QComboBox::currentIndexChanged, this, [this]() {
        const Precision p = Precision(m_autocast->currentData().toInt());
        m_config.training.recipe.autocast = p == Precision::Model ? std::nullopt : std::optional<Precision>(p);
        if (m_config.training.recipe.autocast && m_config.precision != Precision::FP32)
            m_config.precision = Precision::Model; // autocast runs an fp32 model
        syncComputeControls();
        edited(false);
    });

    const auto patterns = [&](QLineEdit*& edit, const char* name, const QString& label, const QString& tip,
                              std::vector<std::string> Recipe::*field) {
        edit = new QLineEdit(this);
        edit->setObjectName(QLatin1String(name));
        edit->setPlaceholderText(tr("e.g. /h.*, /layer4*"));
        edit->setClearButtonEnabled(true);
        edit->setToolTip(tip);
        form->addRow(label, edit);
        connect(edit, &QLineEdit::editingFinished, this, [this, edit, field]() {
            std::vector<std::string> value = patternsOf(edit->text());
            if (value == m_config.training.recipe.*field)
                return;
            m_config.training.recipe.*field = std::move(value);
            edited(false);
        });
    };
    patterns(m_checkpoint, "checkpointEdit", tr("&Checkpoint"),
             tr("Activation checkpointing: each outermost scope matching a pattern is one segment; only its "
                "inputs are kept, and its forward runs again in the backward pass.\n"
                "Patterns match a node's name or any enclosing scope; * crosses /. Separate them with commas."),
             &Recipe::checkpoint);
    patterns(m_freeze, "freezeEdit", tr("&Freeze"),
             tr("Frozen layers: weights used only by matching nodes get no gradient and no optimizer state"),
             &Recipe::freeze);
    patterns(m_trainOnly, "trainOnlyEdit", tr("&Train only"),
             tr("Train only the weights that matching nodes use; everything else is frozen"), &Recipe::trainOnly);

    m_microBatch = new QSpinBox(this);
    m_microBatch->setObjectName(QStringLiteral("microBatchSpinBox"));
    m_microBatch->setRange(0, 1 << 20);
    m_microBatch->setSpecialValueText(tr("Off"));
    m_microBatch->setToolTip(tr("Gradient accumulation: the batch runs in micro-batches of this size; the "
                                "activations are one micro-batch's, the gradients accumulate"));
    form->addRow(tr("&Micro-batch"), m_microBatch);
    connect(m_microBatch, &QSpinBox::valueChanged, this, [this](int v) {
        m_config.training.recipe.microBatch = v > 0 ? std::optional<int64_t>(v) : std::nullopt;
        edited(false);
    });

    m_dataParallel = new QSpinBox(this);
    m_dataParallel->setObjectName(QStringLiteral("dataParallelSpinBox"));
    m_dataParallel->setRange(1, 1 << 16);
    m_dataParallel->setSuffix(tr(" GPU"));
    m_dataParallel->setToolTip(tr("Data-parallel GPUs: with ZeRO the state is sharded over them, and every figure "
                                  "is per GPU (the batch is each GPU's)"));
    form->addRow(tr("&Data parallel"), m_dataParallel);
    connect(m_dataParallel, &QSpinBox::valueChanged, this, [this](int v) {
        m_dataParallel->setSuffix(v == 1 ? tr(" GPU") : tr(" GPUs"));
        m_config.training.recipe.dataParallel = v;
        edited(false);
    });

    m_zero = newComboBox(QStringLiteral("zeroComboBox"), this);
    m_zero->setToolTip(tr("ZeRO (DeepSpeed) or FSDP sharding over the data-parallel GPUs"));
    const std::pair<QString, QString> stages[] = {
        { tr("Off"), tr("Every GPU holds the whole model state (plain data parallel)") },
        { tr("ZeRO-1"), tr("The optimizer state and the fp32 master copy are sharded") },
        { tr("ZeRO-2"), tr("ZeRO-1, and the gradients are sharded too (FSDP SHARD_GRAD_OP)") },
        { tr("ZeRO-3"), tr("ZeRO-2, and the parameters too, gathered one layer at a time (FSDP FULL_SHARD)") },
    };
    for (int stage = 0; stage < 4; ++stage) {
        m_zero->addItem(stages[stage].first, stage);
        m_zero->setItemData(stage, stages[stage].second, Qt::ToolTipRole);
    }
    form->addRow(tr("&ZeRO"), m_zero);
    connect(m_zero, &QComboBox::currentIndexChanged, this, [this]() {
        Recipe& recipe = m_config.training.recipe;
        recipe.zeroStage = m_zero->currentData().toInt();
        if (recipe.zeroStage == 0)
            recipe.offload = Offload::None;
        else if (recipe.offload == Offload::Params && recipe.zeroStage != 3)
            recipe.offload = Offload::Optimizer;
        syncRecipeControls();
        edited(false);
    });

    m_offload = newComboBox(QStringLiteral("offloadComboBox"), this);
    m_offload->setToolTip(tr("ZeRO's CPU offload: the sharded optimizer state (with the fp32 master copy and the "
                             "gradients), and with ZeRO-3 the parameters too, kept in host memory"));
    m_offload->addItem(tr("None"), int(Offload::None));
    m_offload->addItem(tr("Optimizer"), int(Offload::Optimizer));
    m_offload->addItem(tr("Optimizer + params"), int(Offload::Params));
    form->addRow(tr("&Offload"), m_offload);
    connect(m_offload, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.training.recipe.offload = Offload(m_offload->currentData().toInt());
        edited(false);
    });
}

void ControlPanel::syncRecipeControls()
{
    if (!m_autocast)
        return; // not built yet
    const Recipe& recipe = m_config.training.recipe;
    const bool training = m_config.training.mode == Mode::Training;
    const QSignalBlocker autocastBlocker(m_autocast);
    m_autocast->setCurrentIndex(std::max(0, m_autocast->findData(int(recipe.autocast.value_or(Precision::Model)))));
    for (auto [edit, patterns] : { std::pair { m_checkpoint, &recipe.checkpoint }, std::pair { m_freeze, &recipe.freeze },
                                   std::pair { m_trainOnly, &recipe.trainOnly } }) {
        if (patternsOf(edit->text()) != *patterns)
            edit->setText(patternsText(*patterns));
        edit->setEnabled(training);
    }
    const QSignalBlocker microBlocker(m_microBatch);
    m_microBatch->setValue(int(std::min<int64_t>(recipe.microBatch.value_or(0), m_microBatch->maximum())));
    const QSignalBlocker parallelBlocker(m_dataParallel);
    m_dataParallel->setValue(recipe.dataParallel);
    m_dataParallel->setSuffix(recipe.dataParallel == 1 ? tr(" GPU") : tr(" GPUs"));
    const QSignalBlocker zeroBlocker(m_zero);
    m_zero->setCurrentIndex(std::max(0, m_zero->findData(recipe.zeroStage)));
    const QSignalBlocker offloadBlocker(m_offload);
    m_offload->setCurrentIndex(std::max(0, m_offload->findData(int(recipe.offload))));
    for (QWidget* w : std::initializer_list<QWidget*> { m_microBatch, m_dataParallel, m_zero })
        w->setEnabled(training);
    m_offload->setEnabled(training && recipe.zeroStage > 0);
    // Only ZeRO-3 shards the parameters, so only it can offload them.
    if (auto* model = qobject_cast<QStandardItemModel*>(m_offload->model()))
        model->item(m_offload->findData(int(Offload::Params)))->setEnabled(recipe.zeroStage == 3);
}

void ControlPanel::createDeviceControls()
{
    QFormLayout* form = nullptr;
    addGroup(tr("Device"), &form);
    m_device = newComboBox(QStringLiteral("deviceComboBox"), this);
    m_device->setToolTip(tr("Compare the peak with a device's memory and find the largest batch that fits"));
    m_device->setMaxVisibleItems(30);
    form->addRow(tr("&Device"), m_device);

    m_customSize = new QLineEdit(this);
    m_customSize->setObjectName(QStringLiteral("customBudgetEdit"));
    m_customSize->setPlaceholderText(tr("e.g. 24 GiB, 512 MiB"));
    m_customSize->setToolTip(tr("A memory budget of your own: a size such as 24 GiB, 80 GB or 512 MiB"));
    m_customLabel = new QLabel(tr("Memory"), this);
    m_customLabel->setBuddy(m_customSize);
    form->addRow(m_customLabel, m_customSize);

    m_deviceInfo = new QLabel(this);
    m_deviceInfo->setObjectName(QStringLiteral("deviceInfo"));
    m_deviceInfo->setForegroundRole(QPalette::PlaceholderText);
    m_deviceInfo->setWordWrap(true);
    form->addRow(m_deviceInfo);

    populateDevices();
    connect(m_device, &QComboBox::currentIndexChanged, this, [this]() {
        if (m_device->currentData().toInt() == kCustomDevice && !m_customBytes) {
            // A first pick of "custom" starts from the size typed, or 16 GiB as a prompt.
            m_customBytes = parseByteSize(m_customSize->text().toStdString())
                                .value_or(int64_t(16) << 30);
            m_customSize->setText(bytesText(*m_customBytes));
        }
        updateDeviceInfo();
        emit budgetChanged();
    });
    connect(m_customSize, &QLineEdit::editingFinished, this, [this]() {
        const std::optional<int64_t> bytes = parseByteSize(m_customSize->text().toStdString());
        if (!bytes || *bytes <= 0) {
            m_customSize->setToolTip(tr("Not a size: write it as 24 GiB, 80 GB or 512 MiB"));
            m_customSize->setStyleSheet(QStringLiteral("QLineEdit { color: #c62828; }"));
            return;
        }
        m_customSize->setStyleSheet({});
        m_customSize->setToolTip(tr("A memory budget of your own: a size such as 24 GiB, 80 GB or 512 MiB"));
        if (bytes == m_customBytes && m_device->currentData().toInt() == kCustomDevice)
            return;
        m_customBytes = bytes;
        const QSignalBlocker blocker(m_device);
        m_device->setCurrentIndex(m_device->findData(kCustomDevice));
        updateDeviceInfo();
        emit budgetChanged();
    });
}

void ControlPanel::populateDevices()
{
    const QSignalBlocker blocker(m_device);
    m_device->clear();
    m_device->addItem(tr("None"), kNoDevice);
    std::string kind;
    for (size_t i = 0; i < m_devices.size(); ++i) {
        const Device& device = m_devices[i];
        // Separators between datacenter, workstation, consumer and edge devices.
        if (device.kind != kind)
            m_device->insertSeparator(m_device->count());
        kind = device.kind;
        m_device->addItem(QStringLiteral("%1  (%2)").arg(QString::fromStdString(device.name),
                                                         bytesText(device.memoryBytes)),
                          int(i));
    }
    m_device->insertSeparator(m_device->count());
    m_device->addItem(tr("Custom size…"), kCustomDevice);
    m_device->setCurrentIndex(0);
    updateDeviceInfo();
}

void ControlPanel::setDevices(const std::vector<Device>& devices)
{
    m_devices = devices;
    populateDevices();
}

void ControlPanel::setBudget(const std::optional<Device>& device, const std::optional<int64_t>& bytes)
{
    const QSignalBlocker blocker(m_device);
    const bool custom = bytes && (!device || device->memoryBytes != *bytes);
    int data = kNoDevice;
    if (custom) {
        m_customBytes = bytes;
        m_customSize->setText(bytesText(*bytes));
        data = kCustomDevice;
    } else if (device) {
        if (const Device* match = findDevice(m_devices, device->name))
            data = int(match - m_devices.data());
    }
    m_device->setCurrentIndex(std::max(0, m_device->findData(data)));
    updateDeviceInfo();
}

BudgetChoice ControlPanel::budgetChoice(BudgetChoice choice) const
{
    const Device* d = device();
    choice.device = d ? std::optional<Device>(*d) : std::nullopt;
    const std::optional<Selection> selected = budget();
    choice.bytes = selected ? std::optional<int64_t>(selected->bytes) : std::nullopt;
    choice.name = selected ? selected->name.toStdString() : std::string();
    return choice;
}

std::optional<ControlPanel::Selection> ControlPanel::budget() const
{
    const int data = m_device->currentData().toInt();
    Selection budget;
    if (data == kCustomDevice && m_customBytes) {
        budget.bytes = *m_customBytes;
    } else if (const Device* d = device()) {
        budget.name = QString::fromStdString(d->name);
        budget.bytes = d->memoryBytes;
    } else {
        return std::nullopt;
    }
    return budget;
}

const Device* ControlPanel::device() const
{
    const int data = m_device->currentData().toInt();
    return data >= 0 && size_t(data) < m_devices.size() ? &m_devices[size_t(data)] : nullptr;
}

void ControlPanel::updateDeviceInfo()
{
    const bool custom = m_device->currentData().toInt() == kCustomDevice;
    m_customSize->setVisible(custom);
    m_customLabel->setVisible(custom);
    const Device* d = device();
    if (!d) {
        m_deviceInfo->setText(custom ? tr("Compared with this size; no speed figures, so the time column "
                                          "shows each layer's share of FLOPs.")
                                     : tr("No device: nothing to compare the peak with."));
        return;
    }
    m_deviceInfo->setText(tr("%1 memory · %2 GB/s · %3 TFLOP/s FP32, %4 FP16")
                              .arg(bytesText(d->memoryBytes))
                              .arg(d->bandwidthBytesPerSecond / 1e9, 0, 'f', 0)
                              .arg(d->peakFlops[0] / 1e12, 0, 'g', 3)
                              .arg(d->peakFlops[1] / 1e12, 0, 'g', 4));
}

void ControlPanel::setConfig(const AnalysisConfig& config)
{
    m_config = config;
    if (m_config.generation && m_model && !m_generationObstacle.isEmpty())
        m_config.generation.reset(); // the model open cannot generate
    syncComputeControls();
    if (config.shapes.batch)
        m_batch->setValue(*config.shapes.batch);
    if (config.shapes.height)
        m_height->setValue(*config.shapes.height);
    if (config.shapes.width)
        m_width->setValue(*config.shapes.width);
    for (const auto& [name, slider] : m_dimensionSliders) {
        if (const auto it = config.shapes.dims.find(name); it != config.shapes.dims.end())
            slider->setValue(it->second);
    }
}

void ControlPanel::syncComputeControls()
{
    const QSignalBlocker precisionBlocker(m_precision);
    m_precision->setCurrentIndex(std::max(0, m_precision->findData(int(m_config.precision))));
    const QSignalBlocker modeBlocker(m_mode);
    m_mode->setCurrentIndex(
        std::max(0, m_mode->findData(m_config.generation ? kGenerationMode : int(m_config.training.mode))));
    const QSignalBlocker optimizerBlocker(m_optimizer);
    m_optimizer->setCurrentIndex(std::max(0, m_optimizer->findData(int(m_config.training.optimizer))));
    m_optimizer->setEnabled(m_config.training.mode == Mode::Training);
    const QSignalBlocker workspaceBlocker(m_workspace);
    m_workspace->setCurrentIndex(std::max(0, m_workspace->findData(int(m_config.training.workspace))));
    const QSignalBlocker runtimeBlocker(m_runtime);
    m_runtime->setCurrentIndex(std::max(0, m_runtime->findData(m_config.runtime ? int(m_config.runtime->runtime) : -1)));
    syncRecipeControls();
    syncGenerationControls();
    syncWhatIfControls();
}

void ControlPanel::syncGenerationControls()
{
    if (!m_generationGroup || !m_mode)
        return; // not built yet
    const bool generating = bool(m_config.generation);
    QString modeTip = tr("Inference runs the forward pass; training adds the backward pass, the gradients, "
                         "the optimizer state and the activations kept for backward; generation runs a language "
                         "model's prefill and one decode step per new token, with its KV cache");
    QString generationTip = tr("A prefill of the prompt, then one decode step per new token (--mode generate)");
    if (!m_generationObstacle.isEmpty()) {
        generationTip = tr("Not for this model: %1").arg(m_generationObstacle);
        modeTip += u'\n' + generationTip;
    }
    m_mode->setToolTip(modeTip);
    if (auto* model = qobject_cast<QStandardItemModel*>(m_mode->model())) {
        QStandardItem* item = model->item(m_mode->findData(kGenerationMode));
        item->setEnabled(m_generationObstacle.isEmpty() || generating);
        item->setToolTip(generationTip);
    }
    m_generationGroup->setVisible(generating);
    if (generating) {
        m_prompt->setValue(m_config.generation->prompt);
        m_newTokens->setValue(m_config.generation->newTokens);
    }
    // The dims a generation sets itself, step by step, have no slider of their own then.
    int shown = 0;
    for (const auto& [symbol, slider] : m_dimensionSliders) {
        const bool stepDim = generating
            && (symbol == m_stepSymbols.sequence || symbol == m_stepSymbols.past || symbol == m_stepSymbols.total);
        m_dimensionForm->setRowVisible(slider, !stepDim);
        shown += stepDim ? 0 : 1;
    }
    m_dimensionGroup->setVisible(shown > 0);
}

void ControlPanel::setModel(const Model* model)
{
    m_model = model;
    m_stepSymbols = model ? stepSymbols(model->graph) : StepSymbols {};
    m_generationObstacle = model ? QString::fromStdString(generationObstacle(model->graph))
                                 : tr("open a decoder language model (one with a past KV input) first");
    m_imageInputs.clear();
    m_dimensionNames.clear();
    m_covered.clear();
    for (auto& [name, slider] : m_dimensionSliders) {
        m_dimensionForm->removeRow(slider); // deletes the slider and its label
    }
    m_dimensionSliders.clear();

    bool hasConv = false;
    if (model) {
        const Graph& graph = model->graph;
        // Symbols the batch and resolution controls already set.
        std::set<std::string>& covered = m_covered;
        for (int in : graph.inputs) {
            const Value& v = graph.values[size_t(in)];
            if (v.declaredShape.empty())
                continue;
            covered.insert(v.declaredShape[size_t(batchAxis(graph, in))].symbol);
            if (isImageInput(v)) {
                const bool last = isChannelsLast(v);
                m_imageInputs.push_back({ in, last });
                covered.insert(v.declaredShape[last ? 1 : 2].symbol);
                covered.insert(v.declaredShape[last ? 2 : 3].symbol);
            }
        }
        covered.erase(std::string());
        for (int in : graph.inputs) {
            const Value& v = graph.values[size_t(in)];
            for (size_t d = 0; d < v.declaredShape.size(); ++d) { // the batch axis is covered
                if (v.declaredShape[d].isKnown() || v.declaredShape[d].symbol.empty())
                    continue;
                // An expression ("past_sequence_length + sequence_length") is set through its parts.
                std::vector<std::string> parts = dimExpressionSymbols(v.declaredShape[d].symbol);
                if (parts.empty())
                    parts = { v.declaredShape[d].symbol };
                for (const std::string& symbol : parts) {
                    if (!covered.count(symbol)
                        && std::find(m_dimensionNames.begin(), m_dimensionNames.end(), symbol) == m_dimensionNames.end())
                        m_dimensionNames.push_back(symbol);
                }
            }
        }
        hasConv = std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const Node& node) {
            return node.opType == "Conv" || node.opType == "ConvTranspose";
        });
    }

    // Settings made for the previous model that this one does not have are dropped, so that no
    // figure, title or export describes a set-up this model cannot have.
    for (auto it = m_config.shapes.dims.begin(); it != m_config.shapes.dims.end();) {
        const bool declared = std::find(m_dimensionNames.begin(), m_dimensionNames.end(), it->first)
            != m_dimensionNames.end();
        it = declared ? std::next(it) : m_config.shapes.dims.erase(it);
    }
    if (m_imageInputs.empty()) {
        m_config.shapes.height.reset();
        m_config.shapes.width.reset();
    }
    // Layer precisions name one model's layers and scopes: those matching none of this one's go.
    if (model && !m_config.layerPrecisions.empty()) {
        std::vector<char> used(m_config.layerPrecisions.size(), 0);
        for (int rule : matchingPrecisionRules(model->graph, m_config.layerPrecisions))
            if (rule >= 0)
                used[size_t(rule)] = 1;
        std::vector<LayerPrecision> kept;
        for (size_t i = 0; i < used.size(); ++i)
            if (used[i])
                kept.push_back(m_config.layerPrecisions[i]);
        m_config.layerPrecisions = std::move(kept);
    }
    for (const std::string& symbol : m_dimensionNames)
        addDimensionSlider(symbol);
    m_resolutionGroup->setVisible(!m_imageInputs.empty());
    // A generation set for a model that has no KV cache: back to inference, a mode it has.
    if (model && m_config.generation && !m_generationObstacle.isEmpty()) {
        m_config.generation.reset();
        m_config.training.mode = Mode::Inference;
    }
    syncComputeControls(); // the mode, and with it the generation controls and dim sliders
    m_workspace->setEnabled(hasConv || !model);
    m_workspace->setToolTip(hasConv || !model
                                ? tr("How convolutions are computed, which decides their scratch memory")
                                : tr("The model has no convolutions, so the workspace policy changes nothing"));
}

void ControlPanel::addDimensionSlider(const std::string& symbol)
{
    const QString name = QString::fromStdString(symbol);
    auto* slider = new LogSliderBox(QStringLiteral("dim_") + name, 1, kMaxDimension, this);
    slider->setToolTip(tr("The symbolic dimension \"%1\" of the model's inputs (--dim %1=N)").arg(name));
    if (const auto it = m_config.shapes.dims.find(symbol); it != m_config.shapes.dims.end())
        slider->setValue(it->second);
    // The symbol itself is the label: it is the name --dim takes and the model's exporter chose.
    // A long one (Optimum's "past_sequence_length + sequence_length") is cut in the middle, whole
    // in the tooltip, so that the slider and its spin box keep their room in the panel.
    auto* label = new QLabel(this);
    const int room = label->fontMetrics().horizontalAdvance(QStringLiteral("sequence_length__"));
    label->setText(label->fontMetrics().elidedText(name, Qt::ElideMiddle, room));
    label->setToolTip(slider->toolTip());
    label->setObjectName(QStringLiteral("dimLabel_") + name);
    m_dimensionForm->addRow(label, slider);
    m_dimensionSliders[symbol] = slider;
    connect(slider, &LogSliderBox::valueChanged, this, [this, symbol](qint64 v) {
        m_config.shapes.dims[symbol] = v;
        edited(false);
    });
}

QStringList ControlPanel::dimensionNames() const
{
    QStringList names;
    for (const std::string& name : m_dimensionNames)
        names << QString::fromStdString(name);
    return names;
}

LogSliderBox* ControlPanel::dimensionSlider(const QString& name) const
{
    const auto it = m_dimensionSliders.find(name.toStdString());
    return it == m_dimensionSliders.end() ? nullptr : it->second;
}

void ControlPanel::showResolved(const AnalysisResult& result)
{
    if (!m_model)
        return;
    const Graph& graph = m_model->graph;
    const auto dims = [&result](int value) -> const std::vector<int64_t>& {
        return result.shapes.tensors[size_t(value)].dims;
    };
    // The batch the analysis used: the user's, or the model's own while none is set.
    int64_t batch = m_config.shapes.batch.value_or(1);
    if (!m_config.shapes.batch) {
        for (int in : graph.inputs) {
            if (size_t(in) < result.shapes.tensors.size() && !dims(in).empty() && dims(in)[0] > 0) {
                batch = dims(in)[0];
                break;
            }
        }
    }
    m_batch->setValue(batch);
    for (const ImageInput& image : m_imageInputs) {
        if (size_t(image.value) >= result.shapes.tensors.size() || dims(image.value).size() != 4)
            continue;
        const std::vector<int64_t>& d = dims(image.value);
        const int64_t h = d[image.channelsLast ? 1 : 2];
        const int64_t w = d[image.channelsLast ? 2 : 3];
        if (h > 0)
            m_height->setValue(h);
        if (w > 0)
            m_width->setValue(w);
        break;
    }
    // A symbol the analysis had to assume that no control sets yet (the declared shapes above
    // give the same list today; this keeps the two from drifting apart) gets a slider too.
    for (const std::string& symbol : result.shapes.assumedSymbols) {
        if (!m_covered.count(symbol) && !m_dimensionSliders.count(symbol)) {
            m_dimensionNames.push_back(symbol);
            addDimensionSlider(symbol);
            syncGenerationControls();
        }
    }
    for (const auto& [name, slider] : m_dimensionSliders) {
        if (const auto it = result.shapes.symbols.find(name); it != result.shapes.symbols.end())
            slider->setValue(it->second);
    }
}

void ControlPanel::edited(bool batchOnly)
{
    emit configChanged(batchOnly);
}

} // namespace fp

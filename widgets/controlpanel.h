#pragma once

#include "analysis.h"
#include "chartmapping.h"
#include "devices.h"
#include "generation.h"
#include "session.h"

#include <QWidget>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;
class QToolButton;

namespace fp {

// A slider on a log scale (LogScale) with a spin box beside it for exact values: dragging
// covers 1 to 4096 in one sweep, typing gives any value up to 2^31 - 1 and lengthens the slider. The spin box's object
// name is the box's with "SpinBox" appended, the slider's with "Slider", so tests and
// style sheets find them.
class LogSliderBox : public QWidget {
    Q_OBJECT
public:
    LogSliderBox(const QString& objectName, int64_t minimum, int64_t maximum, QWidget* parent = nullptr);
    ~LogSliderBox() override;

    int64_t value() const;
    // Sets the value shown without emitting valueChanged: the program moved it, not the user.
    // A value beyond the maximum extends the range, so what the analysis used is always shown.
    void setValue(int64_t value);
    int64_t minimum() const { return m_scale.minimum(); }
    int64_t maximum() const { return m_scale.maximum(); }
    // Lengthens the slider, by doublings, so that it reaches `value` (the largest batch that
    // fits, a typed value); never shortens it.
    void extendTo(int64_t value);

    QSlider* slider() const { return m_slider; }
    QSpinBox* spinBox() const { return m_spinBox; }

signals:
    // The user moved the slider (emitted on every step while dragging) or edited the number.
    void valueChanged(qint64 value);

private:
    void setRange(int64_t minimum, int64_t maximum);

    LogScale m_scale;
    QSlider* m_slider = nullptr;
    QSpinBox* m_spinBox = nullptr;
};

// Everything that shapes the analysis, in one dock: batch, image resolution, the model's other
// symbolic dimensions (a sequence length...), precision, inference, training with its optimizer
// or a language model's generation with its prompt and new tokens, the convolution workspace
// policy, the what-ifs (fusions, and the per-layer precisions that the layer table's and the
// graph's context menus set), and the device whose memory is the budget.
// It edits a copy of the configuration and says what changed; the window re-runs the analysis.
// Controls that do not apply are hidden (resolution without an image input) or disabled (the
// optimizer in inference), and values the model leaves open are shown as the analysis
// resolved them (showResolved) without becoming settings.
class ControlPanel : public QWidget {
    Q_OBJECT
public:
    explicit ControlPanel(QWidget* parent = nullptr);
    ~ControlPanel() override;

    // The settings to show; emits nothing.
    void setConfig(const AnalysisConfig& config);
    const AnalysisConfig& config() const { return m_config; }

    // Builds the controls that depend on the model: height and width when it has a 4-D
    // floating-point input, one slider per other symbolic input dimension (dim 0, the batch,
    // has its own). nullptr removes them.
    void setModel(const Model* model);
    // The symbolic dimensions that have a slider, in the order shown.
    QStringList dimensionNames() const;
    // The slider of a symbolic dimension; nullptr if the model has none by that name.
    LogSliderBox* dimensionSlider(const QString& name) const;
    LogSliderBox* batchSlider() const { return m_batch; }
    // Generation mode's prompt and new-token sliders (shown in that mode only).
    LogSliderBox* promptSlider() const { return m_prompt; }
    LogSliderBox* newTokensSlider() const { return m_newTokens; }
    // Whether the model open can generate (it has a past KV input): the mode offers it then.
    bool canGenerate() const { return m_generationObstacle.isEmpty(); }

    // Moves every control to the value `result` used: the batch, resolution and dimensions the
    // model declares are shown as resolved while the configuration leaves them unset.
    void showResolved(const AnalysisResult& result);

    // The device presets offered, and the budget to select: a preset (`device`) or a size of
    // one's own (`bytes` without a device, or differing from the device's memory, as
    // --fit-memory gives it). Emits nothing.
    void setDevices(const std::vector<Device>& devices);
    void setBudget(const std::optional<Device>& device, const std::optional<int64_t>& bytes);
    // The budget selected, if any: the preset's memory, named, or a size of one's own.
    struct Selection {
        QString name; // the preset; empty for a size of one's own
        int64_t bytes = 0;
    };
    std::optional<Selection> budget() const;
    // `choice` (devices, efficiency, energy scale) with the device and budget selected here.
    BudgetChoice budgetChoice(BudgetChoice choice) const;
    // The preset chosen; nullptr for none or a size of one's own.
    const Device* device() const;

signals:
    // The user changed the configuration. `batchOnly`: only the batch moved, so the largest
    // batch that fits the budget cannot have changed.
    void configChanged(bool batchOnly);
    void budgetChanged();

private:
    QGroupBox* addGroup(const QString& title, QFormLayout** form);
    void createShapeControls();
    void createComputeControls();
    void createRecipeControls();
    // Issue 19's what-ifs: the fusion toggles and the per-layer precisions' rules.
    void createWhatIfControls();
    void syncWhatIfControls();
    void createDeviceControls();
    void populateDevices();
    void updateDeviceInfo();
    void syncComputeControls();
    void syncRecipeControls();
    // The mode's generation item enabled or not (with the reason), the prompt and new tokens
    // shown in generation mode, and the dims generation sets hidden there.
    void syncGenerationControls();
    void edited(bool batchOnly);
    void addDimensionSlider(const std::string& symbol);

    AnalysisConfig m_config;
    std::vector<Device> m_devices = builtinDevices();
    std::optional<int64_t> m_customBytes;
    const Model* m_model = nullptr;

    // Image inputs: the values whose dims 2 and 3 (or 1 and 2, channels last) are H and W.
    struct ImageInput {
        int value = -1;
        bool channelsLast = false;
    };
    std::vector<ImageInput> m_imageInputs;
    std::vector<std::string> m_dimensionNames;
    std::set<std::string> m_covered; // symbols the batch and resolution controls set
    StepSymbols m_stepSymbols; // the dims a generation sets (the model's sequence, past, total)
    QString m_generationObstacle; // why the model cannot generate; empty if it can

    LogSliderBox* m_batch = nullptr;
    QGroupBox* m_resolutionGroup = nullptr;
    LogSliderBox* m_height = nullptr;
    LogSliderBox* m_width = nullptr;
    QGroupBox* m_dimensionGroup = nullptr;
    QFormLayout* m_dimensionForm = nullptr;
    std::map<std::string, LogSliderBox*> m_dimensionSliders;
    QGroupBox* m_generationGroup = nullptr;
    LogSliderBox* m_prompt = nullptr;
    LogSliderBox* m_newTokens = nullptr;
    QComboBox* m_precision = nullptr;
    QComboBox* m_mode = nullptr;
    QComboBox* m_optimizer = nullptr;
    QComboBox* m_workspace = nullptr;
    QComboBox* m_runtime = nullptr;
    QGroupBox* m_whatIfGroup = nullptr;
    QCheckBox* m_fuseConvBn = nullptr;
    QCheckBox* m_fuseConvRelu = nullptr;
    QCheckBox* m_fuseAttention = nullptr;
    QLabel* m_layerPrecisions = nullptr;
    QToolButton* m_clearLayerPrecisions = nullptr;
    QGroupBox* m_recipeGroup = nullptr;
    QComboBox* m_autocast = nullptr;
    QLineEdit* m_checkpoint = nullptr;
    QLineEdit* m_freeze = nullptr;
    QLineEdit* m_trainOnly = nullptr;
    QSpinBox* m_microBatch = nullptr;
    QSpinBox* m_dataParallel = nullptr;
    QComboBox* m_zero = nullptr;
    QComboBox* m_offload = nullptr;
    QComboBox* m_device = nullptr;
    QLineEdit* m_customSize = nullptr;
    QLabel* m_customLabel = nullptr;
    QLabel* m_deviceInfo = nullptr;
};

} // namespace fp

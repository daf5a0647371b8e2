#pragma once

#include "session.h"

#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QLabel;
class QToolButton;

namespace fp {

// The model at a glance, above the layer table: what the file is (name, opset, producer,
// node count) and the totals of the current analysis, with the peak memory (inference or
// training), what it is made of (a bar in the charts' category colours, and in words) and the
// layer where it happens, and how it compares with a device's memory when a budget is set:
// "fits" or "exceeds by", and the largest batch that fits. What the analysis could not do (warnings, unknown shapes, operators
// without a cost formula) is one quiet line with the details in its tooltip: present, but not
// louder than the figures it qualifies.
// A language model's generation adds a row of its own figures: the KV cache at the last token,
// the prefill and decode peaks, and with a budget the largest batch and the longest context
// that fit; its peak is then the generation's, and its times the prefill's and each token's.
// While the peak exceeds the budget, "Quantize to fit…" beside the verdict asks for a plan.
class SummaryWidget : public QWidget {
    Q_OBJECT
public:
    explicit SummaryWidget(QWidget* parent = nullptr);
    ~SummaryWidget() override;

    // The session's analysis, titled by its name (the file name), its budget verdict and its
    // latency and energy totals (one line under the budget; without a device only the energy).
    void setAnalysis(const Session& session);
    void clear();
    // A new verdict for the analysis shown: the largest batch that fits arrives after the
    // analysis, from a search on the thread pool (the session's fit, or its fitPending).
    void setBudget(const Session& session);

signals:
    // The user clicked the peak layer; `step` indexes AnalysisResult::layers.
    void layerActivated(int step);
    // "Quantize to fit…" beside the budget verdict (offered while the peak exceeds the budget).
    void quantizeRequested();

private:
    // A caption over a value in the figures' grid, in figure row `row` (0: the totals, 1: a
    // generation's).
    QLabel* addFigure(const QString& caption, const QString& objectName, const QString& toolTip, int column,
                      QLabel** captionLabel = nullptr, int row = 0);
    void setGeneration(const Session& session);
    void showGenerationFit(const Session& session);
    void setPeak(const Model& model, const AnalysisResult& result, const GenerationPlan* generation);
    void showBudget(const AnalysisResult& result, const Session& session);
    void setPerformance(std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName);
    void setFigure(QLabel* label, const QString& text, const QString& toolTip);

    QLabel* m_title = nullptr;
    QLabel* m_subtitle = nullptr;
    QLabel* m_params = nullptr;
    QLabel* m_storage = nullptr;
    QLabel* m_macs = nullptr;
    QLabel* m_flops = nullptr;
    QLabel* m_input = nullptr;
    QLabel* m_activations = nullptr;
    QLabel* m_peak = nullptr;
    QLabel* m_peakCaption = nullptr;
    QLabel* m_kvCache = nullptr;
    QLabel* m_prefillPeak = nullptr;
    QLabel* m_decodePeak = nullptr;
    QLabel* m_maxBatch = nullptr;
    QLabel* m_maxContext = nullptr;
    QLabel* m_maxContextCaption = nullptr;
    std::vector<QWidget*> m_generationRow; // its captions and values, shown in generation mode
    std::vector<QWidget*> m_generationFitRow; // those of the fit, shown with a budget too
    QLabel* m_peakDetail = nullptr;
    QWidget* m_peakBar = nullptr;
    QLabel* m_budget = nullptr;
    QWidget* m_budgetHost = nullptr;
    QWidget* m_budgetRow = nullptr; // the verdict and the quantize button
    QToolButton* m_quantize = nullptr;
    QLabel* m_performance = nullptr;
    QWidget* m_performanceHost = nullptr;
    QLabel* m_caveat = nullptr;
    QLabel* m_notes = nullptr;
    QWidget* m_figures = nullptr; // the figures' grid, wrapped to the width
    std::shared_ptr<const AnalysisResult> m_result;
};

} // namespace fp

#pragma once

#include "analysis.h"
#include "performance.h"

#include <QWidget>

#include <memory>
#include <optional>

class QGridLayout;
class QLabel;

namespace fp {

// A memory budget the peak is held against: a device's memory, or a size the user gave.
struct MemoryBudget {
    QString name; // the device; empty for a plain size
    int64_t bytes = 0;
    int64_t maxBatch = -1; // the largest batch whose peak fits; 0 if none does, -1 if not searched
    bool maxBatchIsSearchLimit = false; // the search stopped at its limit, not at the budget
    bool searching = false; // the search for maxBatch is under way
};

// The model at a glance, above the layer table: what the file is (name, opset, producer,
// node count) and the totals of the current analysis, with the peak memory (inference or
// training), what it is made of (a bar in the charts' category colours, and in words) and the
// layer where it happens, and how it compares with a device's memory when a budget is set:
// "fits" or "exceeds by", and the largest batch that fits. What the analysis could not do (warnings, unknown shapes, operators
// without a cost formula) is one quiet line with the details in its tooltip: present, but not
// louder than the figures it qualifies.
class SummaryWidget : public QWidget {
    Q_OBJECT
public:
    explicit SummaryWidget(QWidget* parent = nullptr);
    ~SummaryWidget() override;

    // `title` is what the model is called in the window (its file name).
    void setAnalysis(const QString& title, std::shared_ptr<const Model> model,
                     std::shared_ptr<const AnalysisResult> result, const std::optional<MemoryBudget>& budget = {});
    void clear();
    // A new verdict for the analysis shown: the largest batch that fits arrives after the
    // analysis, from a search on the thread pool.
    void setBudget(const std::optional<MemoryBudget>& budget);
    // The latency and energy totals of the analysis shown (estimatePerformance) on
    // `deviceName`: one line under the budget. Without a device only the energy has a figure.
    void setPerformance(std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName);

signals:
    // The user clicked the peak layer; `step` indexes AnalysisResult::layers.
    void layerActivated(int step);

private:
    QLabel* addFigure(const QString& caption, const QString& objectName, const QString& toolTip, int column,
                      QLabel** captionLabel = nullptr);
    void setPeak(const Model& model, const AnalysisResult& result);
    void showBudget(const AnalysisResult& result, const std::optional<MemoryBudget>& budget);
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
    QLabel* m_peakDetail = nullptr;
    QWidget* m_peakBar = nullptr;
    QLabel* m_budget = nullptr;
    QWidget* m_budgetHost = nullptr;
    QLabel* m_performance = nullptr;
    QWidget* m_performanceHost = nullptr;
    QLabel* m_notes = nullptr;
    QGridLayout* m_figures = nullptr;
    std::shared_ptr<const AnalysisResult> m_result;
};

} // namespace fp

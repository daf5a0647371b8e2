#pragma once

#include "whatif.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace fp {

// Quantize to fit (issue 19, seed 004's planned next step) as a panel: the order (the largest
// activations first, as seed 004 planned, or the largest weights), where the plan stands
// (planning, "fits after N layers", or "even every layer at int8 does not fit"), its steps (the
// layer lowered, its new precision, the peak once it and every one before it are lowered) and
// Apply, which hands the plan's layer precisions to the configuration. A view: the window plans
// on a worker (quantizeToFit, several analyses) and hands each plan over; a plan made for a
// configuration that has changed since is shown stale, with Apply off until it is planned again.
class QuantizePlanView : public QWidget {
    Q_OBJECT
public:
    explicit QuantizePlanView(QWidget* parent = nullptr);
    ~QuantizePlanView() override;

    QuantizeOrder order() const;
    // Shows `order` without emitting orderChanged().
    void setOrder(QuantizeOrder order);

    // A plan for `budgetBytes` is being made: its steps cleared, Cancel offered.
    void setPlanning(int64_t budgetBytes, QuantizeOrder order);
    // The plan made; `stale` when the configuration changed while it was made.
    void setPlan(const QuantizationPlan& plan, bool stale = false);
    // The configuration changed since the plan shown: Apply is off, Plan again on.
    void setStale();
    // The plan was applied; `peakBytes` is the new analysis's peak.
    void setApplied(int64_t peakBytes);
    // No plan (a new model, a cancelled plan, no budget): `message` says why and what to do.
    void clear(const QString& message);

    const std::optional<QuantizationPlan>& plan() const { return m_plan; }
    bool isPlanning() const { return m_planning; }
    QString statusText() const;
    QTableWidget* table() const { return m_table; }

signals:
    void planRequested(); // Plan (again)
    void cancelRequested();
    void applyRequested();
    void orderChanged(fp::QuantizeOrder order);

private:
    void showSteps(const QuantizationPlan& plan);

    QComboBox* m_order = nullptr;
    QPushButton* m_planButton = nullptr;
    QLabel* m_status = nullptr;
    QTableWidget* m_table = nullptr;
    QPushButton* m_apply = nullptr;
    QPushButton* m_cancel = nullptr;
    std::optional<QuantizationPlan> m_plan;
    bool m_planning = false;
};

} // namespace fp

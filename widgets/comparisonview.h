#pragma once

#include "session.h"

#include <QWidget>

#include <array>

class QCheckBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;

namespace fp {

class ComparisonChart;
class LayerDiffModel;
class LayerDiffProxy;

// Two analyses side by side (issue 19), A and B: two models, or two configurations of one. The
// totals with B - A (as footprint-cli diff prints them), the layers matched by name
// (core/diff.h) in a table sorted by the size of the change in memory, largest first, and both
// timelines on one axis. It only shows: which sessions are A and B, and when they change, is its
// owner's business (the window's File > Compare With).
class ComparisonView : public QWidget {
    Q_OBJECT
public:
    enum TotalRow { ParamsRow, MacsRow, WeightsRow, PeakRow, PeakLessWeightsRow, TotalRowCount };
    enum TotalColumn { AColumn, BColumn, ChangeColumn, TotalColumnCount };

    explicit ComparisonView(QWidget* parent = nullptr);
    ~ComparisonView() override;

    // Shows `a` against `b` (valid sessions). Each is named by its file and configuration, and
    // the chart's legend by what differs: the files, or one model's configurations ("batch 8").
    // Out of sight, the diff waits until the view is shown.
    void setSides(const Session& a, const Session& b);
    void clear();
    // A line beside the names, such as "Analysing resnet50.onnx…" while B is computed, or why
    // it could not be; empty hides it. What is shown stays until the next setSides().
    void setStatus(const QString& text);
    QString status() const;

    // What is shown, for tests and the window.
    QString totalText(TotalRow row, TotalColumn column) const;
    QString sideText(int side) const; // 0: A's line, 1: B's
    QString countsText() const;
    LayerDiffModel* layerModel() const { return m_model; }
    LayerDiffProxy* layerProxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    ComparisonChart* chart() const { return m_chart; }
    QCheckBox* hideSameBox() const { return m_hideSame; }

signals:
    // The close button: the owner ends the comparison.
    void closeRequested();
    // A row was double-clicked (or Enter pressed on it): the layer named `name`.
    void layerActivated(const QString& name);

protected:
    void resizeEvent(QResizeEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void refresh();

    Session m_a;
    Session m_b;
    bool m_stale = false;

    std::array<QLabel*, 2> m_sideLabels {};
    QLabel* m_status = nullptr;
    QGridLayout* m_totalsGrid = nullptr;
    std::array<std::array<QLabel*, TotalColumnCount>, TotalRowCount> m_totals {};
    QLabel* m_counts = nullptr;
    ComparisonChart* m_chart = nullptr;
    QLineEdit* m_filter = nullptr;
    QCheckBox* m_hideSame = nullptr;
    LayerDiffModel* m_model = nullptr;
    LayerDiffProxy* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    QSplitter* m_splitter = nullptr;
    bool m_splitMoved = false; // by the user: the split stays where it was put
};

} // namespace fp

#pragma once

#include "analysis.h"
#include "analysischartview.h"
#include "chartlegend.h"
#include "chartmapping.h"
#include "performance.h"

#include <memory>
#include <vector>

class QLineSeries;
class QLogValueAxis;
class QScatterSeries;

namespace fp {

// The layers under the device's roofline (Williams, Waterman and Patterson, 2009): arithmetic
// intensity (FLOPs per byte moved) against the throughput each layer attains in the latency
// estimate, both on log scales. The roof is the estimate's own: the bandwidth slope up to the
// ridge point, then the compute ceiling at the chosen precision, both after the efficiency
// factor (core/performance.h), so every point lies on it and its distance below the ridge says
// how memory-bound it is. Points are coloured compute- or memory-bound; hovering names the
// layer with its figures, clicking selects its node. Layers without FLOPs (views, shape
// arithmetic) have no place on log axes and are counted in the title. Without a device there
// is no roof: the title says to choose one.
class RooflineChart : public AnalysisChartView {
    Q_OBJECT
public:
    explicit RooflineChart(QWidget* parent = nullptr);
    ~RooflineChart() override;

    // `performance` is estimatePerformance() for `result` on `deviceName`; null or without a
    // roofline (no device) shows the note instead. `efficiency` is the factor the roofs carry,
    // for the legend.
    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                     std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName,
                     double efficiency);
    void clear();

    void setSelectedNode(int node);
    int selectedNode() const { return m_selectedNode; }

    // What is drawn, for tests: the points (in execution order), the layers left out, the
    // roofs, the title, and each point's place in the view.
    const std::vector<RooflinePoint>& points() const { return m_points; }
    int skippedLayers() const { return m_skipped; }
    bool hasRoofline() const { return m_performance && m_performance->hasRoofline(); }
    double ridgeIntensity() const { return hasRoofline() ? m_performance->ridgeIntensity() : 0; }
    QString titleText() const;
    // The unit of the throughput axis ("T" for TFLOP/s): drawn values are FLOP/s / divisor.
    AxisUnit throughputUnit() const { return m_unit; }
    QPoint viewPosition(int point) const;
    // The point under (or within a few pixels of) a view position; -1 if none.
    int pointAt(const QPoint& position) const;
    int itemAt(const QPoint& position) const override { return pointAt(position); }
    QString toolTipText(int point) const override;
    QLineSeries* roofSeries() const { return m_roof; }
    QScatterSeries* computeBoundSeries() const { return m_computeBound; }
    QScatterSeries* memoryBoundSeries() const { return m_memoryBound; }
    QScatterSeries* selectionSeries() const { return m_selected; }

signals:
    void nodeSelected(int node);

protected:
    void itemClicked(int point) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild() override;
    void updateSelection();
    void updateTitleAndLegend();

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    std::shared_ptr<const PerformanceEstimate> m_performance;
    QString m_deviceName;
    double m_efficiency = 1;
    int m_selectedNode = -1;

    std::vector<RooflinePoint> m_points;
    int m_skipped = 0;
    AxisUnit m_unit;

    QChart* m_chart = nullptr;
    std::unique_ptr<ChartLegend> m_legend; // below the plot: the summary is the chart's title
    QLogValueAxis* m_axisX = nullptr;
    QLogValueAxis* m_axisY = nullptr;
    QLineSeries* m_roof = nullptr;
    QScatterSeries* m_ridge = nullptr;
    QScatterSeries* m_memoryBound = nullptr;
    QScatterSeries* m_computeBound = nullptr;
    QScatterSeries* m_selected = nullptr;
};

} // namespace fp

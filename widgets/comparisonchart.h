#pragma once

#include "analysis.h"
#include "analysischartview.h"
#include "chartlegend.h"
#include "chartmapping.h"

#include <array>
#include <memory>

class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace fp {

// Two analyses' live memory over their execution steps on one axis, the comparison view's
// picture: A's total and B's as lines in two colours, each with its peak marked and named in the
// legend. Steps line up by index, as the memory timeline's pinned comparison does, and a long
// timeline is drawn one bucket of steps per pixel, each bucket as its largest step
// (downsampleTimeline), so both peaks survive. Hovering gives both sides' memory at a step.
class ComparisonChart : public AnalysisChartView {
    Q_OBJECT
public:
    struct Side {
        std::shared_ptr<const Model> model;
        std::shared_ptr<const AnalysisResult> result;
        QString label; // "A: resnet18.onnx" or "A: batch 8": the legend's name for it
    };

    explicit ComparisonChart(QWidget* parent = nullptr);
    ~ComparisonChart() override;

    void setSides(Side a, Side b);
    void clear();
    // A's colour (side 0) and B's (side 1), for the labels that name the sides elsewhere.
    static QColor sideColor(int side);

    // What is drawn, for tests: the lines (in memoryUnitDivisor() units) and the legend.
    QLineSeries* lineA() const { return m_lines[0]; }
    QLineSeries* lineB() const { return m_lines[1]; }
    double memoryUnitDivisor() const { return m_unit.divisor; }
    const ChartLegend& legend() const { return *m_legend; }
    // Steps on the x axis: the longer side's.
    int stepCount() const;

    int itemAt(const QPoint& position) const override;
    QString toolTipText(int step) const override;

protected:
    void itemClicked(int) override { }
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild() override;
    int bucketBudget() const;
    // The sides' names in the legend, shortened in the middle to the chart's width.
    void nameLines();

    std::array<Side, 2> m_sides;
    QChart* m_chart = nullptr;
    std::unique_ptr<ChartLegend> m_legend;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    std::array<QLineSeries*, 2> m_lines {};
    std::array<QScatterSeries*, 2> m_peaks {};
    AxisUnit m_unit;
    int m_yTicks = 5;
    int m_xTicks = 8;
    int m_drawnBuckets = 0;
};

} // namespace fp

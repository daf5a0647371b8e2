#pragma once

#include "analysis.h"
#include "analysischartview.h"
#include "chartlegend.h"
#include "chartmapping.h"
#include "generation.h"
#include "traces.h"

#include <array>
#include <memory>
#include <optional>
#include <vector>

class QAreaSeries;
class QGraphicsRectItem;
class QGraphicsSimpleTextItem;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace fp {

// Live memory over the execution steps of one analysis (memory.timeline), as a stacked area
// per category: heaptrack's "consumed" chart for one inference or one training step. The
// backward pass and the optimizer step sit on shaded bands, the peak is marked, and a device's
// memory is a dashed line with what rises above it in red. Hovering gives the step, its node
// and what is live; clicking selects the node. Timelines longer than the chart is wide are
// drawn one bucket of steps per pixel, each bucket drawn as its largest step, so the peak
// survives the downsampling (a GPT-2 training step has thousands of steps).
// A language model's generation is drawn instead, when one is given: one point per generation
// step (x 0 the prefill, 1..T the decode of each new token) at that step's peak, the prefill and
// the decode in their own colours either side of a dashed split, against the same limit line.
class TimelineChart : public AnalysisChartView {
    Q_OBJECT
public:
    explicit TimelineChart(QWidget* parent = nullptr);
    ~TimelineChart() override;

    // `limitBytes` > 0 draws that budget (named `limitName`, e.g. the device) as a line. With
    // `generation` (the session's plan, whose prefill `result` is) its steps are drawn instead of
    // the execution steps of `result`.
    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result,
                     int64_t limitBytes = 0, const QString& limitName = {},
                     std::shared_ptr<const GenerationPlan> generation = nullptr);
    void clear();

    // Zoomed, the memory axis spans only what the steps reach, from the lowest live total to
    // the peak, instead of starting at zero: in inference a CNN's weights are nearly all of
    // it, and the activations' rise and fall is a sliver on top.
    void setZoomed(bool zoomed);
    bool isZoomed() const { return m_zoomed; }

    // Marks the steps of `node`: its forward step and, in training, its backward step. -1 clears.
    void setSelectedNode(int node);
    int selectedNode() const { return m_selectedNode; }

    // What is drawn, for tests and the status line. In a generation, its steps: T + 1.
    int stepCount() const;
    // The generation drawn, or null (the execution steps are).
    const GenerationPlan* generation() const { return m_generation.get(); }
    // Its steps drawn (decimateSteps): every step, or the first, the last, the highest and each
    // slot's lowest and highest of a long one.
    const std::vector<int>& drawnGenerationSteps() const { return m_generationSteps; }
    QLineSeries* decodeSeries() const { return m_decodeLine; }
    int bucketCount() const { return int(m_buckets.size()); }
    // The largest live total drawn: memory.peakBytes, whatever the downsampling.
    int64_t drawnPeakBytes() const { return m_drawnPeak; }
    int64_t limitBytes() const { return m_limit; }
    // Whether some step's live total is above the limit (and drawn red).
    bool exceedsLimit() const { return m_exceeds; }
    // The step under a point of the view; -1 outside the plot.
    int stepAt(const QPoint& position) const;
    int itemAt(const QPoint& position) const override { return stepAt(position); }
    // The tooltip for a step: where it is, its node, and the live memory by category.
    QString toolTipText(int step) const override;

    // A measured memory trace drawn over the estimate as a line, its time span stretched over
    // the steps (traceOnSteps()), with the two peaks side by side in a label: estimate,
    // measurement, and the difference in bytes and percent (comparePeaks(), as footprint-cli
    // compare prints it). `name` says where it came from (the file). A trace without samples
    // (an onnxruntime profile has per-node sizes only) draws no line; the label says so.
    // Opening another model drops the trace: it measured a run of the old one.
    void setTrace(std::shared_ptr<const MemoryTrace> trace, const QString& name);
    void clearTrace();
    bool hasTrace() const { return bool(m_trace); }
    // Estimate vs measurement at the peak; empty without a trace with samples or an analysis.
    std::optional<PeakComparison> traceComparison() const;
    // The label drawn on the chart for the trace.
    QString traceText() const { return m_traceText; }

    // Pins the total of the analysis shown now as a dashed line named `label` (its
    // configuration, say "batch 8, fp16, training (adam)"), so later configurations are seen
    // against it. Steps line up by index: an inference pins the forward part of a training
    // step. Opening another model drops it.
    void pinComparison(const QString& label);
    void clearComparison();
    // Takes `other`'s trace and pinned comparison (an export draws what the window shows).
    void copyOverlays(const TimelineChart& other);
    bool hasComparison() const { return bool(m_pinned); }
    QString comparisonLabel() const { return m_pinnedLabel; }
    const ChartLegend& legend() const { return *m_legend; }
    // The overlays as drawn, for tests: the series and their points (in drawn units, see
    // memoryUnitDivisor()).
    QLineSeries* traceSeries() const { return m_traceLine; }
    QLineSeries* comparisonSeries() const { return m_pinnedLine; }
    double memoryUnitDivisor() const { return m_unit.divisor; }

signals:
    // The user clicked a step that runs a node.
    void nodeSelected(int node);
    // A trace or a comparison came or went (menus enable their "clear" actions).
    void overlaysChanged();

protected:
    void itemClicked(int step) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild() override;
    void rebuildGeneration();
    // The memory axis for steps up to `peak` (and the limit and `overlayPeak`), from zero or,
    // zoomed, from about `lowest`: sets m_unit, m_top and m_bottom; true if the axis moved.
    bool fitMemoryAxis(int64_t peak, int64_t lowest, int64_t overlayPeak, double* interval);
    void applyMemoryAxis(bool changed, double interval);
    // The peak's marker at (x, bytes), labelled; a negative x hides it.
    void markPeak(double x, int64_t bytes, bool lowerBound);
    void updateSelection();
    void updateBandLabels();
    void updateOverlays(int stepCount);
    void placeTraceLabel();
    void placePeakLabel();
    int bucketBudget() const;
    // Everything drawn stays inside the plot: an SVG does not clip (the zoomed axis starts
    // above zero, and a limit or a trace may lie far above the steps).
    double clampToAxis(double y) const;

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    std::shared_ptr<const GenerationPlan> m_generation;
    std::vector<int> m_generationSteps;
    int64_t m_limit = 0;
    QString m_limitName;
    int m_selectedNode = -1;

    std::vector<TimelineBucket> m_buckets;
    std::vector<PhaseBand> m_bands;
    int64_t m_drawnPeak = 0;
    bool m_exceeds = false;
    AxisUnit m_unit;
    double m_top = 1; // the y axis maximum, in m_unit
    double m_bottom = 0; // and its minimum (0 unless zoomed)
    bool m_zoomed = false;
    int m_yTicks = 5; // about how many the memory axis has room for
    int m_xTicks = 8; // and the step axis
    int m_xTicksShown = 0; // what the step axis was last set for

    QChart* m_chart = nullptr;
    std::unique_ptr<ChartLegend> m_legend;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    // Indexed by stack position (kStackOrder): each area lies on the one below.
    std::array<QLineSeries*, kCategoryCount> m_stackLines {};
    std::array<QAreaSeries*, kCategoryCount> m_stackAreas {};
    // Shaded bands behind the backward pass and the optimizer step.
    std::array<QLineSeries*, 3> m_bandLines {}; // backward, optimizer, recompute
    std::array<QAreaSeries*, 3> m_bandAreas {};
    std::array<QGraphicsSimpleTextItem*, 3> m_bandLabels {};
    // A generation: the prefill's step, the decode steps, and the split between them.
    QLineSeries* m_prefillLine = nullptr;
    QAreaSeries* m_prefillArea = nullptr;
    QLineSeries* m_decodeLine = nullptr;
    QAreaSeries* m_decodeArea = nullptr;
    QLineSeries* m_splitLine = nullptr;
    QLineSeries* m_limitLine = nullptr;
    QLineSeries* m_overLine = nullptr;
    QAreaSeries* m_overArea = nullptr;
    QScatterSeries* m_peakMarker = nullptr;
    // The peak's label: placed by hand, inside the plot, where a point label centred over a
    // peak near either end would run over the axis.
    QGraphicsSimpleTextItem* m_peakLabel = nullptr;
    std::array<QLineSeries*, 2> m_selectionLines {};

    std::shared_ptr<const MemoryTrace> m_trace;
    QString m_traceName;
    QString m_traceText;
    QLineSeries* m_traceLine = nullptr;
    QScatterSeries* m_tracePeak = nullptr;
    QGraphicsSimpleTextItem* m_traceLabel = nullptr;
    QGraphicsRectItem* m_traceLabelBack = nullptr;
    std::shared_ptr<const AnalysisResult> m_pinned;
    QString m_pinnedLabel;
    QLineSeries* m_pinnedLine = nullptr;
};

} // namespace fp

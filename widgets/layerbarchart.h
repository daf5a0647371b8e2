#pragma once

#include "analysis.h"
#include "chartmapping.h"

#include <QFont>
#include <QWidget>

#include <memory>
#include <vector>

class QBarCategoryAxis;
class QGraphicsSimpleTextItem;
class QBarSet;
class QChart;
class QChartView;
class QComboBox;
class QHorizontalStackedBarSeries;
class QLabel;
class QScrollArea;
class QSpinBox;
class QValueAxis;

namespace fp {

// The layers that matter most by one metric (activation, weight or saved bytes, MACs, bytes
// moved, or all memory), as horizontal bars stacked by category, the rest of the model summed
// in one "other" bar so the top N are seen against the whole. The metric, N and the order
// (largest first or execution order) are chosen above the chart. Clicking a bar selects its
// node; the selected node's bar is drawn darker. The ranking itself is rankLayers(), tested
// on its own; this class only draws it.
class LayerBarChart : public QWidget {
    Q_OBJECT
public:
    explicit LayerBarChart(QWidget* parent = nullptr);
    ~LayerBarChart() override;

    void setAnalysis(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result);
    void clear();

    LayerMetric metric() const { return m_metric; }
    void setMetric(LayerMetric metric);
    int barCount() const { return m_count; }
    void setBarCount(int count);
    BarOrder order() const { return m_order; }
    void setOrder(BarOrder order);

    void setSelectedNode(int node);
    int selectedNode() const { return m_selectedNode; }

    // What is drawn, top bar first.
    const LayerRanking& ranking() const { return m_ranking; }
    // The chart's data as QtCharts holds it, for tests: the bar sets, bottom bar first.
    QList<QBarSet*> barSets() const;
    QStringList barLabels() const; // top bar first
    QChartView* chartView() const { return m_view; }

protected:
    void showEvent(QShowEvent* event) override;

signals:
    // The user clicked a layer's bar (not the "other" bar).
    void nodeSelected(int node);

private:
    void refresh();
    void updateSelection();
    // Puts the layer names left of their bars and the totals after them.
    void placeLabels();
    QString barLabel(const LayerBar& bar) const;
    // The value axis's end: the longest bar, unless that is an "other" bar much longer than
    // every layer's, which is then cut.
    double axisMaximum() const;
    QString toolTipText(int bar) const;
    int barIndex(int seriesIndex) const { return int(m_ranking.bars.size()) - 1 - seriesIndex; }

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    LayerMetric m_metric = LayerMetric::Memory;
    int m_count = 20;
    BarOrder m_order = BarOrder::Largest;
    int m_selectedNode = -1;
    bool m_stale = false; // an analysis arrived while hidden
    LayerRanking m_ranking;
    QStringList m_fullLabels; // the names, bottom bar first
    QStringList m_labels; // as drawn (elideDistinct)
    QFont m_labelFont;
    AxisUnit m_unit;
    std::vector<QGraphicsSimpleTextItem*> m_labelItems; // per series index
    std::vector<QGraphicsSimpleTextItem*> m_valueItems;

    QComboBox* m_metricBox = nullptr;
    QSpinBox* m_countBox = nullptr;
    QComboBox* m_orderBox = nullptr;
    QLabel* m_note = nullptr;
    QScrollArea* m_scroll = nullptr;
    QChartView* m_view = nullptr;
    QChart* m_chart = nullptr;
    QHorizontalStackedBarSeries* m_series = nullptr;
    QBarCategoryAxis* m_axisLayers = nullptr;
    QValueAxis* m_axisValues = nullptr;
    std::vector<QBarSet*> m_sets;
};

} // namespace fp

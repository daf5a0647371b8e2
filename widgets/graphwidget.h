#pragma once

#include "graphview.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace fp {

// The graph view with its controls above it: the metric the colours encode, log scale, tensor
// sizes on the edges, hiding shape computations, search (Enter for the next match, Shift+Enter
// for the previous; Ctrl+F focuses it), fit and "reset groups". What a window embeds; the view
// alone (view()) is there for layouts that put the controls elsewhere.
class GraphWidget : public QWidget {
    Q_OBJECT
public:
    explicit GraphWidget(QWidget* parent = nullptr);
    ~GraphWidget() override;

    GraphView* view() const { return m_view; }

    // As GraphView::setModel / setAnalysis / clear.
    void setModel(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result);
    void setAnalysis(std::shared_ptr<const AnalysisResult> result);
    void clear();

public slots:
    void focusSearch();

signals:
    // Forwarded from the view.
    void nodeSelected(int graphNodeIndex);
    void groupSelected(const QString& path, const QList<int>& nodes);
    void nodeActivated(int graphNodeIndex);

private:
    void search(int step);

    GraphView* m_view = nullptr;
    QComboBox* m_metric = nullptr;
    QCheckBox* m_log = nullptr;
    QCheckBox* m_edgeSizes = nullptr;
    QCheckBox* m_foldShapes = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_matches = nullptr;
    QVector<int> m_found;
    int m_foundIndex = -1;
};

} // namespace fp

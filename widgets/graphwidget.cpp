#include "graphwidget.h"

#include "flowlayout.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QShortcut>
#include <QToolButton>
#include <QVBoxLayout>

#include <functional>

namespace fp {

namespace {

// Enter in the search field walks the matches; Shift+Enter walks back.
class SearchKeys : public QObject {
public:
    SearchKeys(QLineEdit* field, std::function<void(int)> step)
        : QObject(field)
        , m_step(std::move(step))
    {
        field->installEventFilter(this);
    }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::KeyPress) {
            auto* key = static_cast<QKeyEvent*>(event);
            if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
                m_step(key->modifiers() & Qt::ShiftModifier ? -1 : 1);
                return true;
            }
        }
        return QObject::eventFilter(watched, event);
    }

private:
    std::function<void(int)> m_step;
};

} // namespace

GraphWidget::GraphWidget(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto* controls = new FlowLayout;
    controls->setContentsMargins(4, 2, 4, 0);
    m_view = new GraphView(this);

    auto* metricLabel = new QLabel(tr("Colour by"), this);
    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("graphMetric"));
    for (int m = 0; m < kGraphMetricCount; ++m)
        m_metric->addItem(graphMetricName(GraphMetric(m)), m);
    m_metric->setCurrentIndex(int(m_view->metric()));
    m_metric->setToolTip(tr("What the node colours encode (a collapsed group carries the sum of its nodes)"));
    metricLabel->setBuddy(m_metric);
    connect(m_metric, &QComboBox::currentIndexChanged, this,
            [this](int index) { m_view->setMetric(GraphMetric(m_metric->itemData(index).toInt())); });
    connect(m_view, &GraphView::metricChanged, this, [this](GraphMetric metric) {
        const int index = m_metric->findData(int(metric));
        if (index != m_metric->currentIndex())
            m_metric->setCurrentIndex(index);
    });

    m_log = new QCheckBox(tr("Log scale"), this);
    m_log->setObjectName(QStringLiteral("graphLogScale"));
    m_log->setChecked(m_view->logScale());
    m_log->setToolTip(tr("Colour sizes and MACs by their order of magnitude (lifetimes stay linear)"));
    connect(m_log, &QCheckBox::toggled, m_view, &GraphView::setLogScale);

    m_edgeSizes = new QCheckBox(tr("Tensor sizes"), this);
    m_edgeSizes->setObjectName(QStringLiteral("graphEdgeSizes"));
    m_edgeSizes->setChecked(m_view->edgeLabelsVisible());
    m_edgeSizes->setToolTip(tr("Show each edge's tensor size in bytes"));
    connect(m_edgeSizes, &QCheckBox::toggled, m_view, &GraphView::setEdgeLabelsVisible);

    m_foldShapes = new QCheckBox(tr("Hide shape ops"), this);
    m_foldShapes->setObjectName(QStringLiteral("graphFoldShapes"));
    m_foldShapes->setChecked(m_view->options().foldShapeOps);
    m_foldShapes->setToolTip(tr("Hide Shape, Constant and the integer arithmetic on shapes that feeds Reshape "
                                "(a new layout)"));
    connect(m_foldShapes, &QCheckBox::toggled, this, [this](bool fold) {
        GraphOptions options = m_view->options();
        options.foldShapeOps = fold;
        m_view->setOptions(options);
    });

    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("graphSearch"));
    m_search->setPlaceholderText(tr("Find node or operator (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->setMinimumWidth(200);
    m_search->setMaximumWidth(320);
    m_matches = new QLabel(this);
    m_matches->setObjectName(QStringLiteral("graphMatches"));
    m_matches->setForegroundRole(QPalette::PlaceholderText);
    // As wide as its longest text, so that a new count does not move the controls around it.
    m_matches->setMinimumWidth(m_matches->fontMetrics().horizontalAdvance(tr("9999 of 9999")));
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_found = m_view->findNodes(text.trimmed());
        m_foundIndex = -1;
        search(1);
    });
    new SearchKeys(m_search, [this](int step) { search(step); });
    auto* find = new QShortcut(QKeySequence::Find, this);
    find->setContext(Qt::WidgetWithChildrenShortcut);
    connect(find, &QShortcut::activated, this, &GraphWidget::focusSearch);

    auto* fit = new QToolButton(this);
    fit->setText(tr("Fit"));
    fit->setToolTip(tr("Fit the graph to the window (Ctrl+0)"));
    connect(fit, &QToolButton::clicked, m_view, &GraphView::fitToWindow);
    auto* reset = new QToolButton(this);
    reset->setText(tr("Reset groups"));
    reset->setToolTip(tr("Collapse the groups as when the model was opened"));
    connect(reset, &QToolButton::clicked, m_view, &GraphView::resetGroups);

    // One line in a wide window, wrapped in a narrow one (1024 pixels), never widening it: the
    // label stays with its box and the match count with the search field.
    const auto pair = [this](QWidget* first, QWidget* second) {
        auto* box = new QWidget(this);
        auto* row = new QHBoxLayout(box);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(first);
        row->addWidget(second);
        return box;
    };
    controls->addWidget(pair(metricLabel, m_metric));
    controls->addWidget(m_log);
    controls->addWidget(m_edgeSizes);
    controls->addWidget(m_foldShapes);
    controls->addTrailingWidget(pair(m_search, m_matches));
    controls->addTrailingWidget(fit);
    controls->addTrailingWidget(reset);
    layout->addLayout(controls);
    layout->addWidget(m_view, 1);

    connect(m_view, &GraphView::nodeSelected, this, &GraphWidget::nodeSelected);
    connect(m_view, &GraphView::groupSelected, this, &GraphWidget::groupSelected);
    connect(m_view, &GraphView::nodeActivated, this, &GraphWidget::nodeActivated);
}

GraphWidget::~GraphWidget() = default;

void GraphWidget::setModel(std::shared_ptr<const Model> model, std::shared_ptr<const AnalysisResult> result)
{
    m_view->setModel(std::move(model), std::move(result));
    m_found.clear();
    m_foundIndex = -1;
    if (!m_search->text().isEmpty())
        m_search->clear();
    m_matches->clear();
}

void GraphWidget::setAnalysis(std::shared_ptr<const AnalysisResult> result)
{
    m_view->setAnalysis(std::move(result));
}

void GraphWidget::clear()
{
    m_view->clear();
    m_found.clear();
    m_matches->clear();
}

void GraphWidget::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

void GraphWidget::search(int step)
{
    if (m_found.isEmpty()) {
        m_matches->setText(m_search->text().trimmed().isEmpty() ? QString() : tr("no match"));
        return;
    }
    const int n = int(m_found.size());
    m_foundIndex = m_foundIndex < 0 ? 0 : ((m_foundIndex + step) % n + n) % n;
    m_matches->setText(tr("%1 of %2").arg(m_foundIndex + 1).arg(n));
    m_view->selectNode(m_found[m_foundIndex]);
}

} // namespace fp

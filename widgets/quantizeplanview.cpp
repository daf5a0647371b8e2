#include "quantizeplanview.h"

#include "formatting.h"
#include "layerprecision.h"
#include "layertablemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fp {

namespace {

enum Column { StepColumn, LayerColumn, PeakColumn, ColumnCount };

QString orderText(QuantizeOrder order)
{
    return order == QuantizeOrder::Weights ? QuantizePlanView::tr("largest weights first")
                                           : QuantizePlanView::tr("largest activations first");
}

// "1 layer", "7 layers": tr("%n layer(s)") only reads well with a translation loaded.
QString layers(int n)
{
    return n == 1 ? QuantizePlanView::tr("1 layer") : QuantizePlanView::tr("%1 layers").arg(n);
}

} // namespace

QuantizePlanView::QuantizePlanView(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 6);
    layout->setSpacing(4);

    // One row of controls: the order, Plan (Cancel while planning) and Apply; the status in a
    // line or two; the steps below. Compact, since it shares the bottom corner with the details.
    auto* top = new QHBoxLayout;
    m_order = new QComboBox(this);
    m_order->setObjectName(QStringLiteral("quantizeOrderComboBox"));
    m_order->addItem(tr("Largest activations first"), int(QuantizeOrder::Activations));
    m_order->addItem(tr("Largest weights first"), int(QuantizeOrder::Weights));
    m_order->setToolTip(tr("Which layer is lowered to int8 next: the one whose outputs are largest (seed 004's "
                           "order, --quantize-order activations) or the one reading the most weight bytes"));
    m_order->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_order->setMinimumContentsLength(10);
    m_planButton = new QPushButton(tr("Plan"), this);
    m_planButton->setObjectName(QStringLiteral("quantizePlanButton"));
    m_planButton->setToolTip(tr("Plan again for the configuration and budget shown"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("quantizeCancelButton"));
    m_cancel->setToolTip(tr("Stop waiting for this plan; the configuration stays as it is"));
    m_apply = new QPushButton(tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("quantizeApplyButton"));
    m_apply->setToolTip(tr("Set the plan's layers to int8 (layer precisions, as --layer-precision sets them)"));
    top->addWidget(m_order, 1);
    top->addWidget(m_planButton);
    top->addWidget(m_cancel);
    top->addWidget(m_apply);
    layout->addLayout(top);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("quantizeStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    // Its lines whatever the dock's height: the table below gives way instead.
    m_status->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    layout->addWidget(m_status);

    // The steps: the layer lowered, with its new precision as the layer table shows it (a badge),
    // and the peak once it and every one before it are lowered.
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("quantizePlanTable"));
    m_table->setHorizontalHeaderLabels({ tr("#"), tr("Layer (new precision)"), tr("Peak after") });
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle); // layer names differ at their ends
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setItemDelegateForColumn(LayerColumn, new PrecisionBadgeDelegate(m_table));
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height() + 2 * (m_table->fontMetrics().height() + 6) + 4);
    QHeaderView* header = m_table->horizontalHeader();
    header->setSectionResizeMode(LayerColumn, QHeaderView::Stretch);
    for (int column : { StepColumn, PeakColumn })
        header->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    header->setHighlightSections(false);
    layout->addWidget(m_table, 1);

    connect(m_planButton, &QPushButton::clicked, this, &QuantizePlanView::planRequested);
    connect(m_cancel, &QPushButton::clicked, this, &QuantizePlanView::cancelRequested);
    connect(m_apply, &QPushButton::clicked, this, &QuantizePlanView::applyRequested);
    connect(m_order, &QComboBox::currentIndexChanged, this, [this]() { emit orderChanged(order()); });
    clear(tr("Choose a device or a memory budget; when the peak exceeds it, Quantize to fit… beside the verdict "
             "plans which layers to lower to int8."));
}

QuantizePlanView::~QuantizePlanView() = default;

QuantizeOrder QuantizePlanView::order() const
{
    return QuantizeOrder(m_order->currentData().toInt());
}

void QuantizePlanView::setOrder(QuantizeOrder order)
{
    const QSignalBlocker blocker(m_order);
    m_order->setCurrentIndex(std::max(0, m_order->findData(int(order))));
}

QString QuantizePlanView::statusText() const
{
    return m_status->text();
}

void QuantizePlanView::setPlanning(int64_t budgetBytes, QuantizeOrder order)
{
    m_planning = true;
    m_plan.reset();
    m_table->setRowCount(0);
    setOrder(order);
    m_status->setText(tr("Planning for %1 (%2)…").arg(bytesText(budgetBytes), orderText(order)));
    m_cancel->setVisible(true);
    m_apply->setEnabled(false);
    m_planButton->setVisible(false); // Cancel in its place
}

void QuantizePlanView::setPlan(const QuantizationPlan& plan, bool stale)
{
    m_planning = false;
    m_plan = plan;
    setOrder(plan.order);
    showSteps(plan);
    const QString budget = bytesText(plan.budgetBytes);
    const QString target = plan.steps.empty() ? QStringLiteral("int8") : precisionLabel(plan.steps.front().precision);
    QString text;
    if (plan.fits && plan.steps.empty())
        text = tr("The peak, %1, already fits %2: nothing to lower.").arg(bytesText(plan.startPeakBytes), budget);
    else if (plan.fits)
        text = tr("Fits after %1 at %2: the peak %3 → %4, within %5.")
                   .arg(layers(int(plan.steps.size())), target, bytesText(plan.startPeakBytes),
                        bytesText(plan.steps.back().peakBytes), budget);
    else if (plan.candidates == 0)
        text = tr("No layer can be lowered to int8: the peak stays %1, over %2.").arg(bytesText(plan.startPeakBytes), budget);
    else
        text = tr("Even all %1 at int8 do not fit: the peak is then %2, over %3 (from %4).")
                   .arg(layers(plan.candidates), bytesText(plan.allLoweredPeakBytes), budget,
                        bytesText(plan.startPeakBytes));
    m_status->setToolTip(tr("Planned %1 against %2 in %3 analyses").arg(orderText(plan.order), budget).arg(plan.analyses));
    if (stale)
        text += u'\n' + tr("The configuration changed while it was planned: plan again.");
    m_status->setText(text);
    m_cancel->setVisible(false);
    m_apply->setEnabled(!stale && plan.fits && !plan.steps.empty());
    m_planButton->setVisible(true);
}

void QuantizePlanView::setStale()
{
    if (!m_plan || m_planning)
        return;
    if (!m_status->text().contains(u'\n'))
        m_status->setText(m_status->text() + u'\n' + tr("The configuration changed since: plan again."));
    m_apply->setEnabled(false);
}

void QuantizePlanView::setApplied(int64_t peakBytes)
{
    if (!m_plan)
        return;
    m_status->setText(tr("Applied: %1 at int8; the peak is now %2.").arg(layers(int(m_plan->steps.size())), bytesText(peakBytes)));
    m_apply->setEnabled(false);
}

void QuantizePlanView::clear(const QString& message)
{
    m_planning = false;
    m_plan.reset();
    m_table->setRowCount(0);
    m_status->setText(message);
    m_cancel->setVisible(false);
    m_apply->setEnabled(false);
    m_planButton->setVisible(true);
}

void QuantizePlanView::showSteps(const QuantizationPlan& plan)
{
    m_table->setRowCount(int(plan.steps.size()));
    for (int row = 0; row < int(plan.steps.size()); ++row) {
        const QuantizationStep& step = plan.steps[size_t(row)];
        const bool fits = step.peakBytes <= plan.budgetBytes;
        const auto cell = [&](int column, const QString& text, Qt::Alignment alignment, const QString& tip = {}) {
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(alignment | Qt::AlignVCenter);
            item->setToolTip(tip.isEmpty() ? text : tip);
            if (fits) { // the step that reaches the budget
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
                item->setForeground(QColor(0x2e, 0x7d, 0x32));
            }
            m_table->setItem(row, column, item);
        };
        cell(StepColumn, QString::number(row + 1), Qt::AlignRight);
        cell(LayerColumn, QString::fromStdString(step.layer), Qt::AlignLeft,
             tr("%1 to %2").arg(QString::fromStdString(step.layer), precisionLabel(step.precision)));
        m_table->item(row, LayerColumn)->setData(LayerTableModel::PrecisionRole, precisionLabel(step.precision));
        cell(PeakColumn, bytesText(step.peakBytes), Qt::AlignRight, tr("%1 bytes").arg(exactText(step.peakBytes)));
    }
}

} // namespace fp

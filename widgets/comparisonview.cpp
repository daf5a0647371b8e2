#include "comparisonview.h"

#include "comparisonchart.h"
#include "diff.h"
#include "formatting.h"
#include "layerdiffmodel.h"

#include <QAction>
#include <QCheckBox>
#include <QFontMetrics>
#include <QStyle>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

namespace fp {

namespace {

constexpr int kMinChartWidth = 230;
// The table's width before the chart grows past its minimum.
constexpr int kTableWidth = 520;

QString totalCaption(ComparisonView::TotalRow row)
{
    switch (row) {
    case ComparisonView::ParamsRow:
        return ComparisonView::tr("Parameters");
    case ComparisonView::MacsRow:
        return ComparisonView::tr("MACs");
    case ComparisonView::WeightsRow:
        return ComparisonView::tr("Weights (stored)");
    case ComparisonView::PeakRow:
        return ComparisonView::tr("Peak memory");
    case ComparisonView::PeakLessWeightsRow:
        return ComparisonView::tr("Peak less weights");
    case ComparisonView::TotalRowCount:
        break;
    }
    return {};
}

QString totalToolTip(ComparisonView::TotalRow row)
{
    switch (row) {
    case ComparisonView::PeakRow:
        return ComparisonView::tr("The highest live total of a step: weights, activations and, in training,\n"
                                  "gradients, optimizer state and what is kept for the backward pass");
    case ComparisonView::PeakLessWeightsRow:
        return ComparisonView::tr("The peak without the weights: what grows with the batch");
    default:
        return {};
    }
}

// The figure of a total in `totals`, and whether it is in bytes.
int64_t totalOf(const Totals& totals, ComparisonView::TotalRow row)
{
    switch (row) {
    case ComparisonView::ParamsRow:
        return totals.params;
    case ComparisonView::MacsRow:
        return totals.macs;
    case ComparisonView::WeightsRow:
        return totals.paramBytes;
    case ComparisonView::PeakRow:
        return totals.peakBytes;
    case ComparisonView::PeakLessWeightsRow:
        return totals.peakActivationBytes;
    case ComparisonView::TotalRowCount:
        break;
    }
    return 0;
}

bool inBytes(ComparisonView::TotalRow row)
{
    return row != ComparisonView::ParamsRow && row != ComparisonView::MacsRow;
}

// What tells two configurations of one model apart: the parts of each configuration's text
// ("batch 1, fp32, inference") the other lacks; nothing where none differ.
std::pair<QString, QString> distinctParts(const QString& a, const QString& b)
{
    const QString separator = QStringLiteral(", ");
    const QStringList partsA = a.split(separator);
    const QStringList partsB = b.split(separator);
    QStringList onlyA, onlyB;
    for (const QString& part : partsA)
        if (!partsB.contains(part))
            onlyA << part;
    for (const QString& part : partsB)
        if (!partsA.contains(part))
            onlyB << part;
    if (onlyA.isEmpty() && onlyB.isEmpty())
        return {};
    return { onlyA.isEmpty() ? a : onlyA.join(separator), onlyB.isEmpty() ? b : onlyB.join(separator) };
}

} // namespace

ComparisonView::ComparisonView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("comparison"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 0, 0);

    // Who A and B are, in the chart's colours, and the button that ends the comparison.
    auto* top = new QHBoxLayout;
    auto* sides = new QVBoxLayout;
    sides->setSpacing(2);
    for (size_t i = 0; i < m_sideLabels.size(); ++i) {
        m_sideLabels[i] = new QLabel(this);
        m_sideLabels[i]->setObjectName(i == 0 ? QStringLiteral("comparisonSideA") : QStringLiteral("comparisonSideB"));
        m_sideLabels[i]->setTextFormat(Qt::RichText);
        m_sideLabels[i]->setWordWrap(true);
        m_sideLabels[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        sides->addWidget(m_sideLabels[i]);
    }
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("comparisonStatus"));
    m_status->setWordWrap(true);
    m_status->hide();
    sides->addWidget(m_status);
    top->addLayout(sides, 1);
    auto* close = new QToolButton(this);
    close->setObjectName(QStringLiteral("closeComparison"));
    close->setText(tr("Close Comparison"));
    close->setToolTip(tr("End the comparison and go back to the model's views"));
    connect(close, &QToolButton::clicked, this, &ComparisonView::closeRequested);
    top->addWidget(close, 0, Qt::AlignTop);
    layout->addLayout(top);

    // The totals, one column each, with A, B and B - A in rows: as wide as five figures, so
    // that the table and the chart below keep the height.
    m_totalsGrid = new QGridLayout;
    m_totalsGrid->setHorizontalSpacing(24);
    m_totalsGrid->setVerticalSpacing(1);
    const QString rows[] = { tr("A"), tr("B"), tr("B - A") };
    for (int column = 0; column < TotalColumnCount; ++column) {
        auto* header = new QLabel(column == ChangeColumn ? rows[column]
                                                         : QStringLiteral("<span style=\"color:%1\">&#9632;</span> %2")
                                                               .arg(ComparisonChart::sideColor(column).name(), rows[column]),
                                  this);
        m_totalsGrid->addWidget(header, column + 1, 0);
    }
    for (int row = 0; row < TotalRowCount; ++row) {
        auto* caption = new QLabel(QStringLiteral("<b>%1</b>").arg(totalCaption(TotalRow(row))), this);
        caption->setToolTip(totalToolTip(TotalRow(row)));
        caption->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_totalsGrid->addWidget(caption, 0, row + 1);
        for (int column = 0; column < TotalColumnCount; ++column) {
            auto* value = new QLabel(this);
            value->setObjectName(QStringLiteral("total_%1_%2").arg(row).arg(column));
            value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            value->setTextInteractionFlags(Qt::TextSelectableByMouse);
            m_totalsGrid->addWidget(value, column + 1, row + 1);
            m_totals[size_t(row)][size_t(column)] = value;
        }
    }
    m_totalsGrid->setColumnStretch(TotalRowCount + 1, 1);
    layout->addSpacing(2);
    layout->addLayout(m_totalsGrid);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("comparisonCounts"));
    m_counts->setWordWrap(true);
    layout->addWidget(m_counts);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("comparisonSplitter"));
    splitter->setChildrenCollapsible(false);

    // Left: the layers matched by name, the largest change first.
    auto* left = new QWidget(splitter);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* filterRow = new QHBoxLayout;
    m_filter = new QLineEdit(left);
    m_filter->setObjectName(QStringLiteral("comparisonFilter"));
    m_filter->setPlaceholderText(tr("Filter layers by name"));
    m_filter->setClearButtonEnabled(true);
    m_hideSame = new QCheckBox(tr("Hide unchanged"), left);
    m_hideSame->setObjectName(QStringLiteral("hideSameLayers"));
    m_hideSame->setToolTip(tr("Leave out the layers whose figures are the same in A and B"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_hideSame);
    leftLayout->addLayout(filterRow);

    m_model = new LayerDiffModel(this);
    m_proxy = new LayerDiffProxy(this);
    m_proxy->setSourceModel(m_model);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_hideSame, &QCheckBox::toggled, m_proxy, &LayerDiffProxy::setHideSame);

    m_table = new QTableView(left);
    m_table->setObjectName(QStringLiteral("comparisonTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    // A narrow column keeps the end of a name, which says most: "…layer3.4/conv2/Conv".
    m_table->setTextElideMode(Qt::ElideLeft);
    m_table->setSortingEnabled(true);
    m_table->setMinimumHeight(100);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView* header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(LayerDiffModel::NameColumn, QHeaderView::Stretch);
    header->setMinimumSectionSize(40);
    // Figures columns as wide as their widest text from the start, so no diff has to measure them.
    const QFontMetrics metrics = m_table->fontMetrics();
    const int margin = 2 * style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 8;
    const auto headerWidth = [&](int column) { // with room for the sort indicator
        return header->fontMetrics().horizontalAdvance(
                   m_model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString())
            + margin + 16;
    };
    for (int column = LayerDiffModel::AMemoryColumn; column < LayerDiffModel::ColumnCount; ++column) {
        const QString widest = column == LayerDiffModel::ChangeColumn ? QStringLiteral("-1023.99 MiB")
                                                                      : QStringLiteral("1023.99 MiB");
        m_table->setColumnWidth(column, std::max(metrics.horizontalAdvance(widest) + margin, headerWidth(column)));
    }
    QFont bold = m_table->font(); // added and removed are bold
    bold.setBold(true);
    m_table->setColumnWidth(LayerDiffModel::StatusColumn,
                            std::max(QFontMetrics(bold).horizontalAdvance(
                                         LayerDiffModel::statusText(LayerDiff::Status::Removed))
                                         + margin,
                                     headerWidth(LayerDiffModel::StatusColumn)));
    // The outputs are in each row's tooltip; their columns are offered on the header's menu, so
    // that the names keep the width.
    m_table->setColumnHidden(LayerDiffModel::AOutputsColumn, true);
    m_table->setColumnHidden(LayerDiffModel::BOutputsColumn, true);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, [this](const QPoint& position) {
        QMenu menu(this);
        for (int column = LayerDiffModel::AMemoryColumn; column < LayerDiffModel::ColumnCount; ++column) {
            QAction* action = menu.addAction(m_model->headerData(column, Qt::Horizontal).toString());
            action->setCheckable(true);
            action->setChecked(!m_table->isColumnHidden(column));
            connect(action, &QAction::toggled, m_table, [this, column](bool shown) { m_table->setColumnHidden(column, !shown); });
        }
        menu.exec(m_table->horizontalHeader()->mapToGlobal(position));
    });
    // The largest change first (the change column sorts by its size), as footprint-cli diff lists it.
    m_table->sortByColumn(LayerDiffModel::ChangeColumn, Qt::DescendingOrder);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex& index) {
        emit layerActivated(index.siblingAtColumn(LayerDiffModel::NameColumn).data().toString());
    });
    leftLayout->addWidget(m_table, 1);

    // Right: both timelines on one axis.
    m_chart = new ComparisonChart(splitter);

    splitter->addWidget(left);
    splitter->addWidget(m_chart);
    m_chart->setMinimumWidth(kMinChartWidth);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    // Until the user moves it, the split follows the width (resizeEvent).
    connect(splitter, &QSplitter::splitterMoved, this, [this]() { m_splitMoved = true; });
    m_splitter = splitter;
    layout->addWidget(splitter, 1);
    clear();
}

ComparisonView::~ComparisonView() = default;

void ComparisonView::setSides(const Session& a, const Session& b)
{
    m_a = a;
    m_b = b;
    m_stale = !isVisible();
    if (!m_stale)
        refresh();
}

void ComparisonView::clear()
{
    m_a = Session {};
    m_b = Session {};
    m_stale = false;
    refresh();
}

void ComparisonView::setStatus(const QString& text)
{
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
}

QString ComparisonView::status() const
{
    return m_status->text();
}

QString ComparisonView::totalText(TotalRow row, TotalColumn column) const
{
    return m_totals[size_t(row)][size_t(column)]->text();
}

QString ComparisonView::sideText(int side) const
{
    return m_sideLabels[side == 0 ? 0 : 1]->text();
}

QString ComparisonView::countsText() const
{
    return m_counts->text();
}

void ComparisonView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (m_splitMoved)
        return;
    // The table first: its layer names are what is read, down to "…/layer4.2/conv2/Conv" in a
    // 1024-pixel window; the chart takes 40% where the table has its width.
    const int width = m_splitter->width() - m_splitter->handleWidth();
    const int chart = std::max(kMinChartWidth, std::min(width * 2 / 5, width - kTableWidth));
    m_splitter->setSizes({ width - chart, chart });
}

void ComparisonView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_stale) {
        m_stale = false;
        refresh();
    }
}

void ComparisonView::refresh()
{
    const bool valid = m_a.isValid() && m_b.isValid();
    // One model on both sides (a pinned configuration): the chart's legend names the parts of
    // the configurations that differ.
    const bool oneModel = valid && (m_a.model == m_b.model || m_a.name == m_b.name);
    const Session* sessions[2] = { &m_a, &m_b };
    for (size_t i = 0; i < m_sideLabels.size(); ++i) {
        const Session& s = *sessions[i];
        if (!s.isValid()) {
            m_sideLabels[i]->clear();
            continue;
        }
        m_sideLabels[i]->setText(QStringLiteral("<span style=\"color:%1\">&#9632;</span> <b>%2</b>&nbsp; %3 · %4")
                                     .arg(ComparisonChart::sideColor(int(i)).name(), i == 0 ? tr("A") : tr("B"),
                                          s.name.toHtmlEscaped(), s.configurationText().toHtmlEscaped()));
    }

    for (int row = 0; row < TotalRowCount; ++row) {
        const TotalRow total = TotalRow(row);
        const auto text = [total](int64_t value) {
            return QString::fromStdString(inBytes(total) ? formatBytes(value) : formatCount(value));
        };
        auto& labels = m_totals[size_t(row)];
        if (!valid) {
            for (QLabel* label : labels)
                label->clear();
            continue;
        }
        const int64_t a = totalOf(m_a.result->totals, total);
        const int64_t b = totalOf(m_b.result->totals, total);
        // Tensors of unknown shape are left out of a peak: it is then a lower bound, as the CLI says.
        const auto bound = [total](const Session& s) {
            return total == PeakRow && !s.result->unknownShapes.empty() ? QStringLiteral(">= ") : QString();
        };
        labels[AColumn]->setText(bound(m_a) + text(a));
        labels[BColumn]->setText(bound(m_b) + text(b));
        labels[ChangeColumn]->setText(QString::fromStdString(inBytes(total) ? formatBytesChange(b - a)
                                                                            : formatCountChange(b - a)));
        const QString unit = inBytes(total) ? tr(" B") : QString();
        labels[AColumn]->setToolTip(exactText(a) + unit);
        labels[BColumn]->setToolTip(exactText(b) + unit);
        labels[ChangeColumn]->setToolTip((b >= a ? QStringLiteral("+") : QStringLiteral("-")) + exactText(b >= a ? b - a : a - b)
                                         + unit);
    }

    std::vector<LayerDiff> diffs;
    if (valid)
        diffs = diffLayers(*m_a.model, *m_a.result, *m_b.model, *m_b.result);
    m_model->setDiff(std::move(diffs));
    const auto& counts = m_model->counts();
    m_counts->setText(valid ? tr("Layers: %1 in A, %2 in B: %3 changed, %4 added, %5 removed, %6 the same")
                                  .arg(m_a.result->layers.size())
                                  .arg(m_b.result->layers.size())
                                  .arg(counts[size_t(LayerDiff::Status::Changed)])
                                  .arg(counts[size_t(LayerDiff::Status::Added)])
                                  .arg(counts[size_t(LayerDiff::Status::Removed)])
                                  .arg(counts[size_t(LayerDiff::Status::Same)])
                            : QString());
    if (!valid) {
        m_chart->clear();
        return;
    }
    // The legend names what differs: the files, or one file's two configurations.
    auto [aName, bName] = oneModel ? distinctParts(m_a.configurationText(), m_b.configurationText())
                                   : std::pair<QString, QString>();
    if (aName.isEmpty() && bName.isEmpty()) { // two files, or one file twice at one configuration
        aName = m_a.name;
        bName = m_b.name;
    }
    m_chart->setSides({ m_a.model, m_a.result, tr("A: %1").arg(aName) }, { m_b.model, m_b.result, tr("B: %1").arg(bName) });
}

} // namespace fp

#include "summarywidget.h"

#include "layertablemodel.h"
#include "report.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>

namespace fp {

namespace {

// Long lists (a transformer can have hundreds of unknown shapes) would make a tooltip taller
// than the screen; the full list is in footprint-cli's JSON.
constexpr size_t kMaxListedInToolTip = 15;

QString bytesText(int64_t bytes)
{
    return QString::fromStdString(formatBytes(bytes));
}

QString countText(int64_t count)
{
    return QString::fromStdString(formatCount(count));
}

QString exact(int64_t value)
{
    return QLocale().toString(qint64(value));
}

// tr("%n item(s)") only reads well with a translation loaded; English needs no catalogue.
QString plural(size_t n, const QString& one, const QString& many)
{
    return (n == 1 ? one : many).arg(n);
}

void appendList(QStringList& lines, const QString& heading, const std::vector<std::string>& items)
{
    if (items.empty())
        return;
    lines << heading;
    for (size_t i = 0; i < items.size() && i < kMaxListedInToolTip; ++i)
        lines << QStringLiteral("  ") + QString::fromStdString(items[i]);
    if (items.size() > kMaxListedInToolTip)
        lines << SummaryWidget::tr("  … and %1 more").arg(items.size() - kMaxListedInToolTip);
}

} // namespace

SummaryWidget::SummaryWidget(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);

    auto* header = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("modelTitle"));
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle = new QLabel(this);
    m_subtitle->setObjectName(QStringLiteral("modelInfo"));
    m_subtitle->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(m_title);
    header->addSpacing(12);
    header->addWidget(m_subtitle, 1, Qt::AlignBottom);
    layout->addLayout(header);

    m_figures = new QGridLayout;
    m_figures->setHorizontalSpacing(24);
    m_figures->setVerticalSpacing(0);
    m_params = addFigure(tr("Parameters"), QStringLiteral("paramsValue"),
                         tr("Trainable weights (floating-point initializers and constants)"), 0);
    m_storage = addFigure(tr("Storage"), QStringLiteral("storageValue"),
                          tr("Bytes of every weight, buffer and constant at the chosen precision"), 1);
    m_macs = addFigure(tr("MACs"), QStringLiteral("macsValue"), tr("Multiply-accumulate operations per inference"),
                       2);
    m_flops = addFigure(tr("FLOPs"), QStringLiteral("flopsValue"), tr("Floating-point operations per inference"), 3);
    m_input = addFigure(tr("Input size"), QStringLiteral("inputValue"), tr("Bytes of all graph inputs"), 4);
    m_activations = addFigure(tr("Sum of activations"), QStringLiteral("activationsValue"),
                              tr("All layer outputs added up, as if none were ever freed (torchsummary's "
                                 "\"forward pass size\")"),
                              5);
    m_peak = addFigure(tr("Peak inference memory"), QStringLiteral("peakValue"),
                       tr("Everything resident at the busiest step: weights, inputs and live activations, "
                          "each tensor freed after its last use (in training also gradients, optimizer state "
                          "and the activations saved for the backward pass)"),
                       6, &m_peakCaption);
    m_figures->setColumnStretch(7, 1);
    layout->addLayout(m_figures);

    m_peakDetail = new QLabel(this);
    m_peakDetail->setObjectName(QStringLiteral("peakDetail"));
    m_peakDetail->setTextFormat(Qt::RichText);
    // Wrapped, so a long layer name or a training breakdown never widens the window.
    m_peakDetail->setWordWrap(true);
    m_peakDetail->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    connect(m_peakDetail, &QLabel::linkActivated, this, [this](const QString& link) {
        bool ok = false;
        const int step = link.mid(link.indexOf(u':') + 1).toInt(&ok);
        if (ok)
            emit layerActivated(step);
    });
    layout->addWidget(m_peakDetail);

    m_budget = new QLabel(this);
    m_budget->setObjectName(QStringLiteral("budgetLine"));
    m_budget->setWordWrap(true);
    layout->addWidget(m_budget);

    m_notes = new QLabel(this);
    m_notes->setObjectName(QStringLiteral("analysisNotes"));
    m_notes->setForegroundRole(QPalette::PlaceholderText);
    m_notes->setWordWrap(true);
    layout->addWidget(m_notes);

    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    clear();
}

SummaryWidget::~SummaryWidget() = default;

QLabel* SummaryWidget::addFigure(const QString& caption, const QString& objectName, const QString& toolTip,
                                 int column, QLabel** captionOut)
{
    auto* captionLabel = new QLabel(caption, this);
    if (captionOut)
        *captionOut = captionLabel;
    captionLabel->setForegroundRole(QPalette::PlaceholderText);
    captionLabel->setToolTip(toolTip);
    auto* value = new QLabel(this);
    value->setObjectName(objectName);
    QFont font = value->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.25);
    value->setFont(font);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_figures->addWidget(captionLabel, 0, column);
    m_figures->addWidget(value, 1, column);
    return value;
}

void SummaryWidget::setFigure(QLabel* label, const QString& text, const QString& toolTip)
{
    label->setText(text);
    label->setToolTip(toolTip);
}

void SummaryWidget::clear()
{
    m_title->setText(tr("No model"));
    m_subtitle->setText(tr("Open an ONNX model with File > Open or drop one on the window."));
    for (QLabel* label : { m_params, m_storage, m_macs, m_flops, m_input, m_activations, m_peak })
        setFigure(label, QStringLiteral("–"), {});
    m_peakCaption->setText(tr("Peak inference memory"));
    m_peakDetail->clear();
    m_budget->clear();
    m_budget->hide();
    m_notes->clear();
    m_notes->hide();
}

void SummaryWidget::setAnalysis(const QString& title, std::shared_ptr<const Model> model,
                                std::shared_ptr<const AnalysisResult> result, const std::optional<MemoryBudget>& budget)
{
    if (!model || !result) {
        clear();
        return;
    }
    const Totals& t = result->totals;

    m_title->setText(title);
    m_title->setToolTip(QString::fromStdString(model->path));
    QStringList info;
    info << tr("ONNX opset %1").arg(model->opsetVersion());
    if (!model->producerName.empty()) {
        QString producer = QString::fromStdString(model->producerName);
        if (!model->producerVersion.empty())
            producer += u' ' + QString::fromStdString(model->producerVersion);
        info << producer;
    }
    info << plural(model->graph.nodes.size(), tr("%1 node"), tr("%1 nodes"));
    m_subtitle->setText(info.join(QStringLiteral("  ·  ")));
    m_subtitle->setToolTip(tr("IR version %1").arg(model->irVersion));

    QString paramsTip = tr("%1 trainable parameters").arg(exact(t.params));
    if (t.buffers)
        paramsTip += u'\n' + tr("plus %1 non-trainable buffer elements").arg(exact(t.buffers));
    setFigure(m_params, countText(t.params), paramsTip);
    setFigure(m_storage, bytesText(t.paramBytes), tr("%1 bytes").arg(exact(t.paramBytes)));
    setFigure(m_macs, countText(t.macs), tr("%1 multiply-accumulates").arg(exact(t.macs)));
    setFigure(m_flops, countText(t.flops), tr("%1 floating-point operations").arg(exact(t.flops)));
    setFigure(m_input, bytesText(t.inputBytes), tr("%1 bytes").arg(exact(t.inputBytes)));
    setFigure(m_activations, bytesText(t.activationBytes), tr("%1 bytes").arg(exact(t.activationBytes)));
    setFigure(m_peak, bytesText(t.peakBytes), tr("%1 bytes").arg(exact(t.peakBytes)));

    setPeak(*model, *result);
    setBudget(*result, budget);

    QStringList notes;
    if (!result->warnings.empty())
        notes << plural(result->warnings.size(), tr("%1 warning"), tr("%1 warnings"));
    if (!result->unknownShapes.empty())
        notes << plural(result->unknownShapes.size(), tr("%1 unknown shape"), tr("%1 unknown shapes"));
    if (!result->unsupportedOps.empty())
        notes << plural(result->unsupportedOps.size(), tr("%1 operator without a cost formula"),
                        tr("%1 operators without a cost formula"));
    if (notes.isEmpty()) {
        m_notes->hide();
    } else {
        m_notes->setText(QStringLiteral("⚠ ") + notes.join(QStringLiteral("  ·  ")));
        QStringList tip;
        appendList(tip, tr("Warnings:"), result->warnings);
        appendList(tip, tr("Tensors whose shape stayed unknown:"), result->unknownShapes);
        appendList(tip, tr("Operators without a cost formula (not in the MAC and FLOP totals):"),
                   result->unsupportedOps);
        m_notes->setToolTip(tip.join(u'\n'));
        m_notes->show();
    }
}

void SummaryWidget::setPeak(const Model& model, const AnalysisResult& result)
{
    const MemoryPlan& memory = result.memory;
    const bool training = std::any_of(memory.timeline.begin(), memory.timeline.end(),
                                      [](const TimelineStep& step) { return step.phase != Phase::Forward; });
    m_peakCaption->setText(training ? tr("Peak training memory") : tr("Peak inference memory"));
    if (memory.peakStep < 0 || size_t(memory.peakStep) >= memory.timeline.size()) {
        m_peakDetail->clear();
        return;
    }
    const TimelineStep& step = memory.timeline[size_t(memory.peakStep)];

    // What the peak is made of, in the order a reader adds it up: the model, then training
    // state, then the data flowing through.
    static const std::pair<Category, const char*> parts[] = {
        { Category::Weights, QT_TR_NOOP("weights") },
        { Category::Gradients, QT_TR_NOOP("gradients") },
        { Category::OptimizerState, QT_TR_NOOP("optimizer state") },
        { Category::Inputs, QT_TR_NOOP("inputs") },
        { Category::SavedActivations, QT_TR_NOOP("saved activations") },
        { Category::Activations, QT_TR_NOOP("activations") },
        { Category::Workspace, QT_TR_NOOP("workspace") },
    };
    QStringList terms;
    for (const auto& [category, name] : parts) {
        const int64_t bytes = step.byCategory[size_t(category)];
        if (bytes > 0)
            terms << tr(name) + u' ' + bytesText(bytes);
    }
    QString text = (training ? tr("Peak training memory") : tr("Peak inference memory")) + QStringLiteral(" = ")
        + (terms.isEmpty() ? bytesText(memory.peakBytes) : terms.join(QStringLiteral(" + ")));

    const QString where = tr("step %1 of %2").arg(memory.peakStep + 1).arg(memory.timeline.size());
    const int row = LayerTableModel::peakLayer(result);
    if (step.phase == Phase::Optimizer || row < 0) {
        text += tr(", reached at %1 (%2)")
                    .arg(where, step.phase == Phase::Optimizer ? tr("the optimizer step") : tr("no layer"));
    } else {
        const QString link = QStringLiteral("<a href=\"step:%1\">%2</a>")
                                 .arg(row)
                                 .arg(LayerTableModel::layerName(model, result.layers[size_t(row)].node).toHtmlEscaped());
        text += step.phase == Phase::Backward ? tr(", reached at %1, the backward pass of %2").arg(where, link)
                                              : tr(", reached at %1: %2").arg(where, link);
    }
    m_peakDetail->setText(text);
}

void SummaryWidget::setBudget(const AnalysisResult& result, const std::optional<MemoryBudget>& budget)
{
    if (!budget || budget->bytes <= 0) {
        m_budget->clear();
        m_budget->hide();
        return;
    }
    const int64_t peak = result.totals.peakBytes;
    const QString target = budget->name.isEmpty()
        ? bytesText(budget->bytes)
        : QStringLiteral("%1 (%2)").arg(budget->name.toHtmlEscaped(), bytesText(budget->bytes));
    // Colour carries the verdict at a glance; the words carry it for everyone else.
    QString text = peak <= budget->bytes
        ? tr("<span style=\"color:#2e7d32\">✔ Fits</span> %1 with %2 to spare").arg(target, bytesText(budget->bytes - peak))
        : tr("<span style=\"color:#c62828\">✘ Exceeds</span> %1 by %2").arg(target, bytesText(peak - budget->bytes));
    if (budget->maxBatch == 0)
        text += tr("  ·  not even batch 1 fits");
    else if (budget->maxBatch > 0)
        text += tr("  ·  largest batch that fits: %1%2")
                    .arg(exact(budget->maxBatch), budget->maxBatchIsSearchLimit ? tr(" (the search limit)") : QString());
    m_budget->setText(text);
    m_budget->show();
}

} // namespace fp

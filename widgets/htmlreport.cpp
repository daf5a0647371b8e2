#include "htmlreport.h"

#include "report.h"

#include "chartmapping.h"
#include "formatting.h"
#include "graphview.h"
#include "layertablemodel.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QBuffer>
#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>
#include <QPageLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QTextDocument>

#include <algorithm>

namespace fp {

namespace {

// A4 at 96 dots per inch, 12 mm margins: 703 x 1032 logical pixels to draw in.
constexpr double kPageMarginMm = 12;
constexpr int kDpi = 96;
// How many tensors of unknown shape the warnings name (the rest by their number).
constexpr size_t kUnknownNamesShown = 10;

// The graph is drawn at least this large on a page, or the report shows its overview instead.
constexpr double kMinGraphScale = 0.45;

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::AnalysisReport", text);
}

QString esc(const QString& text)
{
    return text.toHtmlEscaped();
}

// "25,557,032 (25.56 M)": exact for checking, short for reading.
QString count(int64_t value)
{
    const QString exact = exactText(value, QLocale(QLocale::English));
    return value < 1000 ? exact : QStringLiteral("%1 (%2)").arg(exact, countText(value));
}

QString row(const QString& label, const QString& valueHtml)
{
    return QStringLiteral("<tr><th>") + esc(label) + QStringLiteral("</th><td>") + valueHtml
        + QStringLiteral("</td></tr>\n");
}

QString table(const QString& rows)
{
    return QStringLiteral("<table class=\"facts\" cellspacing=\"0\" cellpadding=\"3\">\n") + rows
        + QStringLiteral("</table>\n");
}

QString phaseText(Phase phase)
{
    return QString::fromLatin1(phaseName(phase));
}

QRectF pageRect()
{
    const QPageLayout layout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                             QMarginsF(kPageMarginMm, kPageMarginMm, kPageMarginMm, kPageMarginMm),
                             QPageLayout::Millimeter);
    return QRectF(layout.paintRectPixels(kDpi));
}

// The style of both outputs: the browser reads all of it, QTextDocument (the PDF) the subset it knows.
const char* kStyle = R"(
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; font-size: 14px; color: #202124;
       max-width: 1040px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin: 0 0 4px 0; }
h2 { font-size: 18px; margin: 22px 0 6px 0; border-bottom: 1px solid #dadce0; }
p.sub { color: #5f6368; margin: 0 0 12px 0; }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 3px 10px 3px 0; }
table.facts th { font-weight: normal; color: #5f6368; white-space: nowrap; }
table.layers th { border-bottom: 1px solid #9aa0a6; font-weight: bold; }
table.layers td { border-bottom: 1px solid #e8eaed; }
table.layers { font-size: 13px; }
span.shape { color: #5f6368; }
.num { text-align: right; white-space: nowrap; }
.over { color: #c62828; font-weight: bold; }
.fits { color: #1b7f3b; font-weight: bold; }
.maybe { color: #b26a00; font-weight: bold; }
figure { margin: 8px 0 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e8eaed; }
p.note { color: #5f6368; font-size: 12px; }
)";

} // namespace

GraphOptions AnalysisReport::graphOptions(bool overview)
{
    GraphOptions options;
    if (overview)
        options.collapseThreshold = 0; // collapsed to the levels that draw at most firstPictureItems
    return options;
}

bool AnalysisReport::fitsPage(const Picture& picture)
{
    if (picture.isNull())
        return true;
    const QRectF page = pageRect();
    const double scale = std::min(page.width() / picture.size.width(), page.height() / picture.size.height());
    return scale >= kMinGraphScale;
}

AnalysisReport::AnalysisReport(const Session& source, const GraphView* graph, int hotspots)
{
    if (!source.model || !source.result)
        return;
    const Model& model = *source.model;
    const AnalysisResult& result = *source.result;
    const MemoryPlan& memory = result.memory;
    const Totals& totals = result.totals;
    const bool training = source.config.training.mode == Mode::Training;
    const std::shared_ptr<const PerformanceEstimate> perf = source.performance();
    const QString budgetName = source.budgetName();

    m_title = tr("Memory report: %1").arg(source.name);
    m_subtitle = source.configurationText() + QStringLiteral(" · ")
        + tr("made by Footprint %1 on %2")
              .arg(QCoreApplication::applicationVersion(),
                   QLocale(QLocale::English).toString(QDateTime::currentDateTime(), QStringLiteral("d MMMM yyyy, HH:mm")));

    // The model.
    {
        QString rows = row(tr("File"), esc(QString::fromStdString(model.path)));
        const QString producer = QString::fromStdString(model.producerName + (model.producerVersion.empty() ? "" : " " + model.producerVersion));
        if (!producer.trimmed().isEmpty())
            rows += row(tr("Producer"), esc(producer));
        rows += row(tr("Format"), esc(tr("ONNX IR %1, opset %2").arg(model.irVersion).arg(model.opsetVersion())));
        rows += row(tr("Operators"), esc(QLocale(QLocale::English).toString(qlonglong(model.graph.nodes.size()))));
        for (int in : model.graph.inputs) {
            const TensorInfo& info = result.shapes.tensors[size_t(in)];
            rows += row(tr("Input"), esc(QStringLiteral("%1: %2 %3")
                                             .arg(QString::fromStdString(model.graph.values[size_t(in)].name),
                                                  QString::fromLatin1(dtypeName(info.dtype)),
                                                  shapeText(info))));
        }
        m_sections.push_back({ tr("Model"), table(rows), {} });
    }

    // The configuration.
    {
        QString rows;
        QStringList dims;
        for (const auto& [name, value] : result.shapes.symbols)
            dims << QStringLiteral("%1 = %2").arg(QString::fromStdString(name)).arg(value);
        if (!dims.isEmpty())
            rows += row(tr("Dimensions"), esc(dims.join(QStringLiteral(", "))));
        rows += row(tr("Precision"), esc(source.config.precision == Precision::Model
                                             ? tr("as stored in the model")
                                             : QString::fromLatin1(precisionName(source.config.precision))));
        rows += row(tr("Mode"), esc(source.generation ? tr("generation: a prefill of %1 tokens, then %2 decode steps")
                                                            .arg(exactText(source.generation->prompt, QLocale(QLocale::English)),
                                                                 exactText(source.generation->newTokens, QLocale(QLocale::English)))
                                    : training ? tr("training: one step with %1")
                                                     .arg(QString::fromLatin1(optimizerName(source.config.training.optimizer)))
                                               : tr("inference")));
        if (training)
            rows += row(tr("Convolution workspace"),
                        esc(QString::fromLatin1(convAlgorithmName(source.config.training.workspace))));
        if (source.budgetBytes() > 0)
            rows += row(tr("Budget"), esc(budgetName.isEmpty()
                                              ? bytesText(source.budgetBytes())
                                              : tr("%1, %2").arg(budgetName, bytesText(source.budgetBytes()))));
        rows += row(tr("Runtime"), esc(QString::fromStdString(runtimeText(*source.result))));
        if (!source.config.calibration.name.empty())
            rows += row(tr("Calibration"), esc(QString::fromStdString(source.config.calibration.name)));
        m_sections.push_back({ tr("Configuration"), table(rows), {} });
    }

    // The totals.
    {
        QString rows = row(tr("Parameters"), esc(count(totals.params)));
        rows += row(tr("Weight storage"), esc(bytesText(totals.paramBytes)));
        rows += row(tr("MACs"), esc(tr("%1 (%2 FLOPs)").arg(count(totals.macs), countText(totals.flops))));
        rows += row(tr("Input size"), esc(bytesText(totals.inputBytes)));
        rows += row(tr("Sum of activations"), esc(bytesText(totals.activationBytes)));
        rows += row(tr("Memory read + written"), esc(bytesText(totals.readBytes + totals.writeBytes)));
        if (memory.peakStep >= 0 && memory.peakStep < int(memory.timeline.size())) {
            const TimelineStep& step = memory.timeline[size_t(memory.peakStep)];
            const QString where = step.node >= 0 ? LayerTableModel::layerName(model, step.node) : tr("the optimizer step");
            rows += row(source.generation ? tr("Prefill peak") : training ? tr("Training peak") : tr("Inference peak"),
                        QStringLiteral("<b>") + esc((result.unknownShapes.empty() ? QString() : tr("at least "))
                                                    + bytesText(memory.peakBytes))
                            + QStringLiteral("</b> ")
                            + esc(tr("at step %1 of %2 (%3, %4)")
                                      .arg(memory.peakStep + 1)
                                      .arg(memory.timeline.size())
                                      .arg(phaseText(step.phase), where)));
            QStringList parts;
            for (auto it = kStackOrder.rbegin(); it != kStackOrder.rend(); ++it) {
                const int64_t b = step.byCategory[size_t(*it)];
                if (b > 0)
                    parts << QStringLiteral("%1 %2").arg(categoryLabel(*it), bytesText(b));
            }
            rows += row(tr("The peak is made of"), esc(parts.join(QStringLiteral(", "))));
        }
        if (training)
            rows += row(tr("Training state"), esc(tr("weights %1, gradients %2, optimizer state %3, saved activations %4, "
                                                     "largest workspace %5")
                                                      .arg(bytesText(memory.weightBytes), bytesText(memory.gradientBytes),
                                                           bytesText(memory.optimizerBytes), bytesText(memory.savedActivationBytes),
                                                           bytesText(memory.workspaceBytes))));
        if (source.budgetBytes() > 0) {
            const int64_t peak = memory.peakBytes;
            const QString verdict = (peak > source.budgetBytes() ? QStringLiteral("<span class=\"over\">")
                                         : result.unknownShapes.empty() ? QStringLiteral("<span class=\"fits\">")
                                                                        : QStringLiteral("<span class=\"maybe\">"))
                + esc(QString::fromStdString(source.budgetVerdict())) + QStringLiteral("</span>");
            rows += row(budgetName.isEmpty() ? tr("Against the budget") : tr("Against %1").arg(budgetName),
                        verdict);
            const BatchFit fit = *source.batchFit();
            rows += row(tr("Largest batch that fits"), esc(QString::fromStdString(batchFitText(fit))));
        }
        // Layers of unknown shape or without a cost formula add time and energy not counted here.
        const QString atLeast = result.unknownShapes.empty() && result.unsupportedOps.empty() ? QString() : tr("at least ");
        if (perf && perf->hasRoofline())
            rows += row(tr("Latency and energy"),
                        esc(tr("%1%2, %3 on %4 (roofline at %5% of the datasheet)")
                                .arg(atLeast, durationText(perf->seconds), energyText(perf->joules), source.deviceName())
                                .arg(qRound(source.budget.efficiency * 100))));
        else if (perf)
            rows += row(tr("Energy"), esc(tr("%1%2 (no device: no latency)").arg(atLeast, energyText(perf->joules))));
        QString html = table(rows);
        // A training estimate of an eval-mode export is low: said beside the totals it qualifies.
        if (!result.evalExportCaveat.empty())
            html += QStringLiteral("<p class=\"note\"><b>%1</b> %2</p>\n")
                        .arg(esc(tr("Caveat:")), esc(QString::fromStdString(result.evalExportCaveat)));
        m_sections.push_back({ tr("Totals"), html, {} });
    }

    // A language model's generation: the steps after the prefill the totals describe.
    if (source.generation) {
        const GenerationPlan& plan = *source.generation;
        const auto tokens = [](int64_t n) { return exactText(n, QLocale(QLocale::English)); };
        const QString atLeast = plan.peakIsLowerBound ? tr("at least ") : QString();
        QString rows = row(tr("Tokens"), esc(tr("prompt %1 + %2 new (dims %3 and %4)")
                                                 .arg(tokens(plan.prompt), tokens(plan.newTokens),
                                                      QString::fromStdString(plan.sequenceSymbol),
                                                      QString::fromStdString(plan.pastSymbol))));
        rows += row(tr("KV cache at the last token"), esc(bytesText(plan.kvCacheBytes)));
        rows += row(tr("Prefill peak"), esc(atLeast + bytesText(plan.prefillPeakBytes)));
        rows += row(tr("Decode peak"), esc(atLeast + bytesText(plan.decodePeakBytes) + tr(" (the last token's)")));
        rows += row(tr("Generation peak"), QStringLiteral("<b>") + esc(atLeast + bytesText(plan.peakBytes)) + QStringLiteral("</b>"));
        if (source.budgetBytes() > 0) {
            const QString verdict = (plan.peakBytes > source.budgetBytes() ? QStringLiteral("<span class=\"over\">")
                                         : plan.peakIsLowerBound           ? QStringLiteral("<span class=\"maybe\">")
                                                                           : QStringLiteral("<span class=\"fits\">"))
                + esc(QString::fromStdString(budgetVerdict(source.budgetBytes(), plan.peakBytes, plan.peakIsLowerBound)))
                + QStringLiteral("</span>");
            rows += row(budgetName.isEmpty() ? tr("Against the budget") : tr("Against %1").arg(budgetName), verdict);
            if (const std::optional<GenerationFit> fit = source.generationFitNow()) {
                rows += row(tr("Largest batch that fits"),
                            esc(fit->maxBatch > 0 ? tokens(fit->maxBatch) : tr("none: batch 1 does not fit")));
                rows += row(tr("Longest context that fits"),
                            esc(fit->maxContext > 0
                                    ? tr("%1 tokens at batch %2 (the prompt's %3 and %4 new)")
                                          .arg(tokens(fit->maxContext), tokens(result.config.shapes.batch.value_or(1)),
                                               tokens(plan.prompt), tokens(fit->maxContext - plan.prompt))
                                    : tr("none: not even one new token fits")));
            }
        }
        if (plan.hasLatency)
            rows += row(tr("Time (roofline)"),
                        esc(tr("prefill %1, a decode token %2 (the first) to %3 (the last), all %4 new tokens %5 on %6")
                                .arg(durationText(plan.prefillSeconds), durationText(plan.firstDecodeSeconds),
                                     durationText(plan.lastDecodeSeconds), tokens(plan.newTokens),
                                     durationText(plan.totalSeconds), source.deviceName())));
        m_sections.push_back({ tr("Generation"), table(rows), {} });
    }

    m_sections.push_back({ tr("Layers with the most memory"), {}, barChartPicture(source, kReportChartSize) });
    m_sections.push_back({ source.generation ? tr("Memory over the generation's steps")
                               : training    ? tr("Memory over one training step")
                                             : tr("Memory over one inference"),
                           source.budgetBytes() > 0 ? QString()
                                                  : QStringLiteral("<p class=\"note\">")
                                   + esc(tr("No device or budget was chosen, so no limit is drawn "
                                            "(footprint-cli: --device NAME or --fit-memory SIZE)."))
                                   + QStringLiteral("</p>"),
                           timelinePicture(source, kReportChartSize) });
    if (perf && perf->hasRoofline()) {
        m_sections.push_back({ tr("Roofline on %1").arg(source.deviceName()), {},
                               rooflinePicture(source, kReportChartSize) });
    }
    if (graph) {
        Picture picture = graphPicture(source, *graph);
        if (!picture.isNull())
            m_sections.push_back({ tr("Graph"), {}, std::move(picture) });
    }

    // The hotspots: the bar chart's ranking, as a table with the figures behind each bar.
    {
        const LayerRanking ranking = rankLayers(result, LayerMetric::Memory, hotspots, BarOrder::Largest);
        QString html = QStringLiteral("<table class=\"layers\" width=\"100%\" cellspacing=\"0\" cellpadding=\"3\">\n<tr><th>#</th><th>")
            + esc(tr("Layer and output shape")) + QStringLiteral("</th><th class=\"num\">") + esc(tr("Memory"))
            + QStringLiteral("</th><th class=\"num\">") + esc(tr("Weights")) + QStringLiteral("</th><th class=\"num\">")
            + esc(tr("Output")) + QStringLiteral("</th>")
            + (training ? QStringLiteral("<th class=\"num\">") + esc(tr("Saved")) + QStringLiteral("</th>") : QString())
            + QStringLiteral("<th class=\"num\">") + esc(tr("MACs")) + QStringLiteral("</th>")
            + (perf && perf->hasRoofline() ? QStringLiteral("<th class=\"num\">") + esc(tr("Time")) + QStringLiteral("</th>") : QString())
            + QStringLiteral("</tr>\n");
        int rank = 0;
        for (const LayerBar& bar : ranking.bars) {
            if (bar.layer < 0)
                continue;
            const LayerResult& layer = result.layers[size_t(bar.layer)];
            const Node& node = model.graph.nodes[size_t(layer.node)];
            QString shape;
            if (!node.outputs.empty() && node.outputs.front() >= 0)
                shape = shapeText(result.shapes.tensors[size_t(node.outputs.front())]);
            const int64_t saved = size_t(layer.node) < memory.savedBytesByNode.size() ? memory.savedBytesByNode[size_t(layer.node)] : 0;
            const auto num = [](const QString& text) -> QString {
                return QStringLiteral("<td class=\"num\">") + esc(text) + QStringLiteral("</td>");
            };
            html += QStringLiteral("<tr><td>%1</td><td>").arg(++rank) + esc(LayerTableModel::layerName(model, layer.node))
                + QStringLiteral("<br /><span class=\"shape\">") + esc(shape) + QStringLiteral("</span></td>") + num(bytesText(int64_t(bar.total))) + num(bytesText(layer.weightBytes))
                + num(bytesText(layer.outputBytes)) + (training ? num(bytesText(saved)) : QString())
                + num(countText(layer.macs))
                + (perf && perf->hasRoofline() && size_t(bar.layer) < perf->layers.size()
                       ? num(QStringLiteral("%1 ms").arg(perf->layers[size_t(bar.layer)].seconds * 1e3, 0, 'f', 3))
                       : QString())
                + QStringLiteral("</tr>\n");
        }
        html += QStringLiteral("</table>\n<p class=\"note\">")
            + esc(tr("Ranked by memory: weights, output and, in training, what the layer saves for its backward pass and "
                     "its gradients, as the bars above stack them."))
            + QStringLiteral("</p>\n");
        m_sections.push_back({ tr("Hotspots: the %1 layers with the most memory").arg(rank), html, {} });
    }

    // What the analysis could not do, so that no figure above is read as more certain than it is.
    QStringList caveats;
    for (const std::string& w : result.warnings)
        caveats << QString::fromStdString(w);
    if (!result.unsupportedOps.empty()) {
        QStringList ops;
        for (const std::string& op : result.unsupportedOps)
            ops << QString::fromStdString(op);
        caveats << tr("Operators without a cost formula (not counted): %1").arg(ops.join(QStringLiteral(", ")));
    }
    if (!result.unknownShapes.empty()) {
        QStringList names;
        for (size_t i = 0; i < result.unknownShapes.size() && i < kUnknownNamesShown; ++i)
            names << QString::fromStdString(result.unknownShapes[i]);
        if (result.unknownShapes.size() > kUnknownNamesShown)
            names << tr("and %1 more").arg(result.unknownShapes.size() - kUnknownNamesShown);
        caveats << tr("%1 tensors of unknown shape are not counted, so the peak is a lower bound: %2")
                       .arg(result.unknownShapes.size())
                       .arg(names.join(QStringLiteral(", ")));
    }
    if (!caveats.isEmpty()) {
        QString html = QStringLiteral("<ul>\n");
        for (const QString& c : caveats)
            html += QStringLiteral("<li>") + esc(c) + QStringLiteral("</li>\n");
        m_sections.push_back({ tr("Warnings"), html + QStringLiteral("</ul>\n"), {} });
    }
}

QByteArray AnalysisReport::toHtml() const
{
    QString html = QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
                                  "<meta name=\"generator\" content=\"Footprint\" />\n<title>")
        + esc(m_title) + QStringLiteral("</title>\n<style>") + QString::fromLatin1(kStyle)
        + QStringLiteral("</style>\n</head>\n<body>\n<h1>") + esc(m_title) + QStringLiteral("</h1>\n<p class=\"sub\">")
        + esc(m_subtitle) + QStringLiteral("</p>\n");
    for (const Section& section : m_sections) {
        html += QStringLiteral("<h2>") + esc(section.heading) + QStringLiteral("</h2>\n") + section.html;
        if (!section.picture.isNull()) {
            // PNG at twice the logical size: exactly what the application draws, crisp on a
            // high-DPI screen, and no dependence on the browser's fonts.
            const QByteArray png = encodePicture(section.picture, PictureFormat::Png, 2.0);
            html += QStringLiteral("<figure><img src=\"data:image/png;base64,") + QString::fromLatin1(png.toBase64())
                + QStringLiteral("\" width=\"%1\" height=\"%2\" alt=\"")
                      .arg(qRound(section.picture.size.width()))
                      .arg(qRound(section.picture.size.height()))
                + esc(section.picture.title) + QStringLiteral("\" /></figure>\n");
        }
    }
    html += QStringLiteral("</body>\n</html>\n");
    return html.toUtf8();
}

QByteArray AnalysisReport::toPdf(QString* error) const
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QPdfWriter pdf(&buffer);
    pdf.setTitle(m_title);
    pdf.setCreator(QStringLiteral("Footprint"));
    pdf.setResolution(kDpi);
    pdf.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                                  QMarginsF(kPageMarginMm, kPageMarginMm, kPageMarginMm, kPageMarginMm),
                                  QPageLayout::Millimeter));
    QPainter painter;
    if (!painter.begin(&pdf)) {
        if (error)
            *error = tr("cannot start a PDF page");
        return {};
    }
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    const QRectF page = pageRect();
    const double width = page.width();
    const double height = page.height();
    double y = 0;

    QFont font = QApplication::font();
    font.setPixelSize(12);
    // The PDF draws the same fragments as the HTML; QTextDocument takes the sizes it knows.
    const QString style = QString::fromLatin1(kStyle).replace(QStringLiteral("14px"), QStringLiteral("12px"));
    const auto textBlock = [&](const QString& html) {
        auto doc = std::make_shared<QTextDocument>();
        doc->documentLayout()->setPaintDevice(&pdf);
        doc->setDefaultFont(font);
        doc->setDefaultStyleSheet(style);
        doc->setDocumentMargin(0);
        doc->setHtml(html);
        doc->setTextWidth(width);
        return doc;
    };
    const auto draw = [&](const std::shared_ptr<QTextDocument>& doc) {
        painter.save();
        painter.translate(0, y);
        doc->drawContents(&painter);
        painter.restore();
        y += doc->size().height();
    };

    draw(textBlock(QStringLiteral("<h1>") + esc(m_title) + QStringLiteral("</h1><p class=\"sub\">") + esc(m_subtitle)
                   + QStringLiteral("</p>")));
    for (const Section& section : m_sections) {
        const auto doc = textBlock(QStringLiteral("<h2>") + esc(section.heading) + QStringLiteral("</h2>") + section.html);
        double pictureScale = 0;
        QSizeF pictureSize;
        if (!section.picture.isNull()) {
            const double room = height - doc->size().height() - 8;
            pictureScale = std::min({ 1.0, width / section.picture.size.width(), room / section.picture.size.height() });
            pictureSize = section.picture.size * pictureScale;
        }
        // A heading stays with its table or picture: both go to the next page if they do not fit.
        const double needed = doc->size().height() + pictureSize.height() + 8;
        if (y > 0 && y + needed > height) {
            pdf.newPage();
            y = 0;
        }
        draw(doc);
        if (pictureScale > 0) {
            painter.save();
            painter.translate((width - pictureSize.width()) / 2, y + 4);
            painter.scale(pictureScale, pictureScale);
            painter.setClipRect(QRectF(QPointF(0, 0), section.picture.size));
            section.picture.paint(painter);
            painter.restore();
            y += pictureSize.height() + 8;
        }
    }
    painter.end();
    buffer.close();
    if (bytes.isEmpty() && error)
        *error = tr("the PDF came out empty");
    return bytes;
}

} // namespace fp

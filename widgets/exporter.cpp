#include "exporter.h"

#include "formatting.h"
#include "graphview.h"
#include "layerbarchart.h"
#include "report.h"
#include "rooflinechart.h"
#include "timelinechart.h"

#include <QApplication>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QValueAxis>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageWriter>
#include <QPageSize>
#include <QFontInfo>
#include <QFontMetricsF>
#include <QGraphicsScene>
#include <QHash>
#include <QPainter>
#include <QRegularExpression>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace fp {

namespace {

// Above every exported view: its title, and the configuration in a smaller, quieter line.
constexpr int kHeaderHeight = 54;
constexpr int kMargin = 16;
// Around the graph, inside the picture.
constexpr int kGraphMargin = 12;
// Between the columns of a graph cut into several.
constexpr double kColumnGap = 40;
// A graph taller than this many times the picture's width is cut into columns: a page, not a
// strip that the PNG size limit would shrink past reading (672 nodes are 16,000 points tall).
constexpr double kMaxGraphAspect = 1.5;

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::Exporter", text);
}

QFont headerFont(int pixelSize, bool bold)
{
    QFont font = QApplication::font();
    font.setPixelSize(pixelSize);
    font.setBold(bold);
    return font;
}

void paintHeader(QPainter& painter, double width, const QString& title, const QString& subtitle)
{
    painter.save();
    painter.setRenderHint(QPainter::TextAntialiasing);
    painter.setPen(QColor(0x20, 0x21, 0x24));
    painter.setFont(headerFont(18, true));
    painter.drawText(QRectF(kMargin, 8, width - 2 * kMargin, 24), Qt::AlignLeft | Qt::AlignVCenter | Qt::TextDontClip,
                     title);
    painter.setPen(QColor(0x5f, 0x63, 0x68));
    painter.setFont(headerFont(13, false));
    // Not clipped: a PNG drawn at a reduced scale measures text a little wider than the layout did.
    painter.drawText(QRectF(kMargin, 32, width - 2 * kMargin, 18), Qt::AlignLeft | Qt::AlignVCenter | Qt::TextDontClip,
                     subtitle);
    painter.restore();
}

// Exports are pictures on white paper, whatever the desktop's colours: a dark theme's light
// text would vanish there.
QPalette paperPalette()
{
    QPalette palette(QColor(0xf0, 0xf0, 0xf0), Qt::white);
    palette.setColor(QPalette::Base, Qt::white);
    palette.setColor(QPalette::Window, Qt::white);
    palette.setColor(QPalette::Text, QColor(0x20, 0x21, 0x24));
    palette.setColor(QPalette::WindowText, QColor(0x20, 0x21, 0x24));
    palette.setColor(QPalette::PlaceholderText, QColor(0x5f, 0x63, 0x68));
    return palette;
}

// Delivers the layout requests that new data posted, and those they post in turn, so that
// what is drawn next is laid out.
void settleLayouts()
{
    for (int i = 0; i < 4; ++i)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
}

// Shows `widget` off screen at `size` and lets its layouts settle, so that a chart that was never
// on screen has its plot area, axes and hand-placed labels where a window of that size would
// have them. Only layout requests are delivered: nothing else of the application runs meanwhile.
void settleOffscreen(QWidget* widget, QSize size)
{
    widget->setAttribute(Qt::WA_DontShowOnScreen);
    widget->setPalette(paperPalette());
    widget->resize(size);
    widget->show();
    settleLayouts();
}

QString peakText(const Session& source)
{
    const MemoryPlan& memory = source.result->memory;
    QString text = tr("%1 peak %2").arg(source.config.training.mode == Mode::Training ? tr("Training") : tr("Inference"),
                                        bytesText(memory.peakBytes));
    if (source.generation) // the views show the prefill; the generation's peak is another step's
        text = tr("Prefill peak %1, generation peak %2%3")
                   .arg(bytesText(memory.peakBytes), source.generation->peakIsLowerBound ? tr("at least ") : QString(),
                        bytesText(source.generation->peakBytes));
    if (source.budgetBytes() > 0) {
        const QString budget = bytesText(source.budgetBytes());
        const QString name = source.budgetName();
        text += QStringLiteral("; ") + (name.isEmpty() ? tr("budget %1").arg(budget) : tr("%1 has %2").arg(name, budget));
    }
    return text;
}

// Draws `view`'s whole picture (not only what a scroll area shows) into `target`.
void renderView(QPainter& painter, QGraphicsView* view, const QRectF& target)
{
    view->render(&painter, target, view->viewport()->rect(), Qt::IgnoreAspectRatio);
}

// The parts of `bounds`, top to bottom, that a tall graph's picture shows side by side: cut
// between ranks (never through a box), each as wide as what is drawn in it, in as few columns as
// keep the tallest less than kMaxGraphAspect times as tall as they are wide together. One part
// for a short graph.
std::vector<QRectF> graphColumns(const QGraphicsScene& scene, const QRectF& bounds, const std::vector<QRectF>& boxes)
{
    // The heights no box covers (a group's stacked cards and a frame's title reach past its box).
    std::vector<std::pair<double, double>> spans;
    for (const QRectF& box : boxes)
        spans.emplace_back(box.top() - 8, box.bottom() + 8);
    std::sort(spans.begin(), spans.end());
    std::vector<double> gaps;
    double reach = bounds.top();
    for (const auto& [from, to] : spans) {
        if (from > reach)
            gaps.push_back((reach + from) / 2);
        reach = std::max(reach, to);
    }
    // Each cut at the gap nearest its even share.
    std::vector<QRectF> columns;
    for (size_t k = 1; k <= gaps.size() + 1; ++k) {
        columns.clear();
        double from = bounds.top();
        size_t next = 0;
        for (size_t i = 1; i < k; ++i) {
            const double ideal = bounds.top() + bounds.height() * double(i) / double(k);
            while (next + 1 < gaps.size() && std::abs(gaps[next + 1] - ideal) <= std::abs(gaps[next] - ideal))
                ++next;
            if (next >= gaps.size() || gaps[next] <= from)
                continue;
            columns.emplace_back(bounds.left(), from, bounds.width(), gaps[next] - from);
            from = gaps[next++];
        }
        columns.emplace_back(bounds.left(), from, bounds.width(), bounds.bottom() - from);
        double tallest = 0, width = -kColumnGap;
        for (QRectF& c : columns) {
            if (columns.size() > 1) {
                QRectF drawn;
                for (const QGraphicsItem* item : scene.items(c, Qt::IntersectsItemBoundingRect))
                    drawn |= item->sceneBoundingRect();
                c.setLeft(std::max(c.left(), drawn.left()));
                c.setRight(std::min(c.right(), drawn.right()));
            }
            tallest = std::max(tallest, c.height());
            width += c.width() + kColumnGap;
        }
        if (tallest <= kMaxGraphAspect * std::max(width, 640.0))
            break;
    }
    return columns;
}

// `view` under the title and subtitle, at `viewSize`. The picture keeps `owner`, the widget that
// holds the view, alive for as long as it may be drawn.
Picture headedPicture(std::shared_ptr<QWidget> owner, QGraphicsView* view, QSizeF viewSize, const QString& title,
                      const QString& subtitle, const QString& description)
{
    Picture picture;
    picture.title = title;
    picture.description = description;
    picture.size = QSizeF(viewSize.width(), kHeaderHeight + viewSize.height());
    picture.paint = [owner = std::move(owner), view, title, subtitle, viewSize](QPainter& painter) {
        paintHeader(painter, viewSize.width(), title, subtitle);
        renderView(painter, view, QRectF(QPointF(0, kHeaderHeight), viewSize));
    };
    return picture;
}

// QSvgGenerator names a font as Qt knows it: "Sans Serif", fontconfig's alias, means nothing to a
// browser, which would fall back to a serif face. Each family becomes the face it resolves to
// here, the name it had, and the generic family.
QByteArray withFallbackFonts(const QByteArray& svg)
{
    static const QRegularExpression family(QStringLiteral("font-family=\"([^\"]*)\""));
    QString text = QString::fromUtf8(svg);
    QHash<QString, QString> replaced;
    QRegularExpressionMatchIterator it = family.globalMatch(text);
    while (it.hasNext()) {
        const QString name = it.next().captured(1);
        if (replaced.contains(name))
            continue;
        const QString resolved = QFontInfo(QFont(name)).family();
        QStringList names;
        if (!resolved.isEmpty() && resolved != name)
            names << resolved;
        names << name << QStringLiteral("sans-serif");
        replaced.insert(name, names.join(QStringLiteral(", ")));
    }
    for (auto r = replaced.cbegin(); r != replaced.cend(); ++r)
        text.replace(QStringLiteral("font-family=\"%1\"").arg(r.key()), QStringLiteral("font-family=\"%1\"").arg(r.value()));
    return text.toUtf8();
}

// Draws `picture` over a white `page` on a vector device (SVG, PDF): the same drawing in both
// formats. False when no painter can start on the device.
bool paintOnWhite(QPaintDevice& device, const QRectF& page, const Picture& picture)
{
    QPainter painter;
    if (!painter.begin(&device))
        return false;
    painter.fillRect(page, Qt::white);
    picture.paint(painter);
    painter.end();
    return true;
}

} // namespace

std::optional<PictureFormat> pictureFormatForPath(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png"))
        return PictureFormat::Png;
    if (suffix == QLatin1String("svg"))
        return PictureFormat::Svg;
    if (suffix == QLatin1String("pdf"))
        return PictureFormat::Pdf;
    return std::nullopt;
}

QSize pngSize(const Picture& picture, double scale)
{
    const double side = std::max(picture.size.width(), picture.size.height());
    if (side <= 0 || !(scale > 0))
        return {};
    scale = std::min({ scale, kMaxPngSide / side,
                       std::sqrt(double(kMaxPngPixels) / (picture.size.width() * picture.size.height())) });
    QSize pixels(std::max(1, int(std::lround(picture.size.width() * scale))),
                 std::max(1, int(std::lround(picture.size.height() * scale))));
    if (qint64(pixels.width()) * pixels.height() > kMaxPngPixels) // rounded up past the limit
        pixels = QSize(int(picture.size.width() * scale), int(picture.size.height() * scale));
    return pixels;
}

QByteArray encodePicture(const Picture& picture, PictureFormat format, double scale, QString* error)
{
    const auto failed = [error](const QString& message) {
        if (error)
            *error = message;
        return QByteArray();
    };
    if (picture.isNull())
        return failed(tr("there is nothing to draw"));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    const QRectF page(QPointF(0, 0), picture.size);
    switch (format) {
    case PictureFormat::Png: {
        const QSize pixels = pngSize(picture, scale);
        if (pixels.isEmpty() || !(scale > 0))
            return failed(tr("the scale must be positive"));
        QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
        if (image.isNull())
            return failed(tr("not enough memory for a %1 x %2 image").arg(pixels.width()).arg(pixels.height()));
        // Logical pixels stay logical: the view is drawn as vectors at the device ratio, not
        // drawn small and magnified.
        image.setDevicePixelRatio(double(pixels.width()) / picture.size.width());
        image.fill(Qt::white);
        {
            QPainter painter(&image);
            painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
            picture.paint(painter);
        }
        image.setText(QStringLiteral("Title"), picture.title);
        image.setText(QStringLiteral("Description"), picture.description);
        image.setText(QStringLiteral("Software"), QStringLiteral("Footprint"));
        QImageWriter writer(&buffer, "png");
        if (!writer.write(image))
            return failed(writer.errorString());
        break;
    }
    case PictureFormat::Svg: {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(picture.size.toSize());
        svg.setViewBox(page);
        // Logical pixels are 1/96 inch, as on a screen; the default 72 would draw fonts a third
        // larger than the layout measured them.
        svg.setResolution(96);
        svg.setTitle(picture.title);
        svg.setDescription(picture.description);
        if (!paintOnWhite(svg, page, picture))
            return failed(tr("cannot start an SVG drawing"));
        buffer.close();
        bytes = withFallbackFonts(bytes);
        break;
    }
    case PictureFormat::Pdf: {
        QPdfWriter pdf(&buffer);
        pdf.setTitle(picture.title);
        pdf.setCreator(QStringLiteral("Footprint"));
        // One page the picture's size, at 96 dots per inch so that a logical pixel is a dot.
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(picture.size * 72.0 / 96.0, QPageSize::Point, picture.title, QPageSize::ExactMatch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        if (!paintOnWhite(pdf, page, picture))
            return failed(tr("cannot start a PDF page"));
        break;
    }
    }
    buffer.close();
    if (bytes.isEmpty())
        return failed(tr("the picture came out empty"));
    return bytes;
}

Picture barChartPicture(const Session& source, QSize size, const LayerBarChart* like)
{
    if (!source.model || !source.result)
        return {};
    auto chart = std::make_shared<LayerBarChart>();
    if (like) {
        chart->setMetric(like->metric());
        chart->setBarCount(like->barCount());
        chart->setOrder(like->order());
    }
    settleOffscreen(chart.get(), size);
    chart->setAnalysis(source.model, source.result);
    if (like)
        chart->setSelectedNode(like->selectedNode());
    // The chart's own controls stay out of the picture: only the view of the bars is drawn, at
    // the size it took (taller than asked when the bars need the room).
    const int controls = chart->height() - chart->chartView()->parentWidget()->height();
    chart->resize(size.width(), size.height() + std::max(0, controls));
    settleLayouts();
    QChartView* view = chart->chartView();
    const QSizeF viewSize = view->size();

    const int count = int(chart->ranking().bars.size()) - (chart->ranking().bars.empty() || chart->ranking().bars.back().layer >= 0 ? 0 : 1);
    const QString metric = layerMetricLabel(chart->metric()).toLower();
    const QString title = chart->order() == BarOrder::Execution
        ? tr("%1: %2 layers by %3, in execution order").arg(source.name).arg(count).arg(metric)
        : tr("%1: the %2 largest layers by %3").arg(source.name).arg(count).arg(metric);
    const QString subtitle = source.configurationText() + QStringLiteral(" · ") + peakText(source);
    return headedPicture(chart, view, viewSize, title, subtitle,
                         tr("Per-layer bars stacked by memory category, made by Footprint. ") + subtitle);
}

Picture timelinePicture(const Session& source, QSize size, const TimelineChart* like)
{
    if (!source.model || !source.result)
        return {};
    auto chart = std::make_shared<TimelineChart>();
    chart->setFrameShape(QFrame::NoFrame);
    if (like)
        chart->setZoomed(like->isZoomed());
    settleOffscreen(chart.get(), size);
    chart->setAnalysis(source.model, source.result, source.budgetBytes(), source.budgetName(), source.generation);
    // The selected layer's marks stay out: a picture has no selection to explain them.
    if (like)
        chart->copyOverlays(*like);
    settleLayouts();
    const QSizeF viewSize = chart->viewport()->size();

    if (source.generation) {
        const GenerationPlan& plan = *source.generation;
        const QString title = tr("%1: memory over a generation of %2 + %3 tokens")
                                  .arg(source.name, exactText(plan.prompt), exactText(plan.newTokens));
        const QString subtitle = source.configurationText() + QStringLiteral(" · ") + peakText(source)
            + tr(" · KV cache %1 at the last token").arg(bytesText(plan.kvCacheBytes));
        return headedPicture(chart, chart.get(), viewSize, title, subtitle,
                             tr("The peak of every generation step, the prefill then each new token's decode, made "
                                "by Footprint. ")
                                 + subtitle);
    }
    const bool training = source.config.training.mode == Mode::Training;
    const QString title = training ? tr("%1: memory over one training step").arg(source.name)
                                   : tr("%1: memory over one inference").arg(source.name);
    const QString subtitle = source.configurationText() + QStringLiteral(" · ") + peakText(source);
    return headedPicture(chart, chart.get(), viewSize, title, subtitle,
                         tr("Live memory at every execution step, stacked by category, made by Footprint. ") + subtitle);
}

Picture rooflinePicture(const Session& source, QSize size, const RooflineChart* like)
{
    if (!source.isValid() || !source.hasRoofline())
        return {};
    auto chart = std::make_shared<RooflineChart>();
    chart->setFrameShape(QFrame::NoFrame);
    settleOffscreen(chart.get(), size);
    const QString device = source.deviceName();
    chart->setAnalysis(source.model, source.result, source.performance(), device, source.budget.efficiency);
    if (like)
        chart->setSelectedNode(like->selectedNode());
    settleLayouts();
    const QSizeF viewSize = chart->viewport()->size();

    const QString subtitle = source.configurationText();
    return headedPicture(chart, chart.get(), viewSize, tr("%1: the layers under the roofline of %2").arg(source.name, device),
                         subtitle,
                         tr("Arithmetic intensity against attained throughput per layer, under the device's "
                            "bandwidth and compute roofs, made by Footprint. ")
                             + subtitle);
}

Picture sweepPicture(const QString& modelName, const QString& subtitle, const std::vector<SweepPoint>& points,
                     int64_t budgetBytes, const QString& budgetName, QSize size)
{
    if (points.empty())
        return {};
    int64_t top = budgetBytes;
    int64_t minBatch = points.front().batch, maxBatch = minBatch;
    for (const SweepPoint& p : points) {
        top = std::max(top, p.peakBytes);
        minBatch = std::min(minBatch, p.batch);
        maxBatch = std::max(maxBatch, p.batch);
    }
    const AxisUnit unit = axisUnit(double(top), /*bytes=*/true);
    auto view = std::make_shared<QChartView>();
    view->setFrameShape(QFrame::NoFrame);
    view->setRenderHint(QPainter::Antialiasing);
    auto* chart = new QChart;
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignTop);
    view->setChart(chart);

    auto* axisX = new QLogValueAxis;
    axisX->setBase(2);
    axisX->setLabelFormat(QStringLiteral("%d"));
    axisX->setTitleText(tr("Batch size"));
    // Half a step of room either side, so the end points are not drawn on the frame.
    axisX->setRange(double(minBatch) / 1.4, double(maxBatch) * 1.4);
    chart->addAxis(axisX, Qt::AlignBottom);
    auto* axisY = new QValueAxis;
    axisY->setTitleText(tr("Peak memory (%1)").arg(unit.name));
    setAxisRange(axisY, double(top) * 1.08 / unit.divisor, niceInterval(double(top) * 1.08 / unit.divisor, 8));
    axisY->setLabelFormat(QStringLiteral("%g"));
    chart->addAxis(axisY, Qt::AlignLeft);
    const auto attach = [&](QXYSeries* series) {
        chart->addSeries(series);
        series->attachAxis(axisX);
        series->attachAxis(axisY);
    };

    // A line per precision, in the order first seen; the Okabe-Ito colours tell them apart.
    static const QColor kColors[] = { QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00), QColor(0x00, 0x9e, 0x73),
                                      QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9) };
    std::vector<Precision> order;
    for (const SweepPoint& p : points)
        if (std::find(order.begin(), order.end(), p.precision) == order.end())
            order.push_back(p.precision);
    for (size_t i = 0; i < order.size(); ++i) {
        auto* line = new QLineSeries;
        line->setName(order[i] == Precision::Model ? tr("model precision")
                                                   : QString::fromLatin1(precisionName(order[i])));
        line->setPen(QPen(kColors[i % std::size(kColors)], 2.5));
        line->setPointsVisible(true);
        for (const SweepPoint& p : points)
            if (p.precision == order[i])
                line->append(double(p.batch), double(p.peakBytes) / unit.divisor);
        attach(line);
    }
    if (budgetBytes > 0) {
        auto* limit = new QLineSeries;
        limit->setName(budgetName.isEmpty() ? tr("budget %1").arg(bytesText(budgetBytes))
                                            : tr("%1 (%2)").arg(budgetName, bytesText(budgetBytes)));
        limit->setPen(QPen(QColor(0xc0, 0x1c, 0x28), 1.5, Qt::DashLine));
        limit->append(axisX->min(), double(budgetBytes) / unit.divisor);
        limit->append(axisX->max(), double(budgetBytes) / unit.divisor);
        attach(limit);
        auto* over = new QScatterSeries;
        over->setName(tr("exceeds the budget"));
        over->setMarkerSize(13);
        over->setColor(QColor(0xc0, 0x1c, 0x28));
        over->setBorderColor(Qt::white);
        for (const SweepPoint& p : points)
            if (p.peakBytes > budgetBytes)
                over->append(double(p.batch), double(p.peakBytes) / unit.divisor);
        if (over->count() > 0)
            attach(over);
        else
            delete over;
    }
    settleOffscreen(view.get(), size);
    return headedPicture(view, view.get(), view->size(), tr("%1: peak memory by batch size").arg(modelName), subtitle,
                         tr("Peak memory of each configuration of a sweep, made by Footprint. ") + subtitle);
}

Picture graphPicture(const Session& source, const GraphView& view)
{
    const QRectF bounds = view.layoutBounds();
    if (bounds.isEmpty() || !source.result)
        return {};
    const std::vector<QRectF> columns = graphColumns(*view.scene(), bounds, view.nodeBoxes());
    double columnHeight = 0, columnsWidth = -kColumnGap;
    for (const QRectF& column : columns) {
        columnHeight = std::max(columnHeight, column.height());
        columnsWidth += column.width() + kColumnGap;
    }
    const QSize legend = view.legendSize();
    const double legendBand = legend.isEmpty() ? 0 : legend.height() + kGraphMargin;
    const double width = std::ceil(std::max(columnsWidth, double(legend.width())) + 2 * kGraphMargin);
    const double height = std::ceil(kHeaderHeight + legendBand + columnHeight + 2 * kGraphMargin);

    Picture picture;
    picture.title = tr("%1: the graph by %2").arg(source.name, graphMetricName(view.metric()).toLower());
    const QString subtitle = source.configurationText() + QStringLiteral(" · ") + peakText(source);
    picture.description = tr("The model's operators as laid out by Graphviz dot, coloured by %1, made by Footprint. ")
                              .arg(graphMetricName(view.metric()).toLower())
        + subtitle;
    if (columns.size() > 1)
        picture.description += tr(" The graph is cut into %1 columns, read left to right.").arg(columns.size());
    // Never narrower than the header's lines, which a slim graph would cut.
    const double header = 2 * kMargin
        + std::max(QFontMetricsF(headerFont(18, true)).horizontalAdvance(picture.title),
                   QFontMetricsF(headerFont(13, false)).horizontalAdvance(subtitle));
    picture.size = QSizeF(std::ceil(std::max({ width, header, 640.0 })), height);
    // The scene is drawn from the view as it is when the file is written: exports happen at once,
    // before the user could change it.
    const GraphView* graph = &view;
    picture.paint = [graph, columns, columnsWidth, legendBand, title = picture.title, subtitle,
                     size = picture.size](QPainter& painter) {
        // Centred below the legend when the header is wider than the graph.
        const double top = kHeaderHeight + legendBand + kGraphMargin;
        double left = (size.width() - columnsWidth) / 2;
        for (size_t i = 0; i < columns.size(); ++i) {
            const QRectF target(QPointF(left, top), columns[i].size());
            left += target.width() + kColumnGap;
            painter.save();
            painter.setClipRect(target);
            graph->scene()->render(&painter, target, columns[i], Qt::KeepAspectRatio);
            painter.restore();
            if (i > 0) {
                painter.setPen(QPen(QColor(0xda, 0xdc, 0xe0), 1));
                painter.drawLine(QPointF(target.left() - kColumnGap / 2, top),
                                 QPointF(target.left() - kColumnGap / 2, size.height() - kGraphMargin));
            }
            // SVG has no clipping (QSvgGenerator): paper covers the edges and frames that cross a cut.
            painter.fillRect(QRectF(target.left(), target.bottom(), target.width(), size.height() - target.bottom()),
                             Qt::white);
        }
        painter.fillRect(QRectF(0, 0, size.width(), top), Qt::white);
        paintHeader(painter, size.width(), title, subtitle);
        painter.save();
        painter.translate(kGraphMargin, kHeaderHeight);
        graph->paintLegend(&painter);
        painter.restore();
    };
    return picture;
}

bool layOutGraph(GraphView& view, const Session& source, int timeoutMs)
{
    if (!source.model || !source.result)
        return false;
    bool ok = false;
    QEventLoop loop;
    const QMetaObject::Connection done = QObject::connect(&view, &GraphView::layoutFinished, &loop, [&](bool success) {
        ok = success;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    view.setModel(source.model, source.result);
    if (view.isLayoutRunning())
        loop.exec();
    else
        ok = !view.layoutBounds().isEmpty();
    QObject::disconnect(done);
    return ok && !view.layoutBounds().isEmpty();
}

QString saveFile(const QString& path, const QByteArray& bytes, bool replace)
{
    if (!replace && QFileInfo::exists(path))
        return tr("'%1' exists and was not replaced").arg(path);
    // A device or a pipe (/dev/null, /dev/stdout, a FIFO) is written in place: renaming a
    // temporary file over it would replace the device itself where the folder is writable.
    if (const QFileInfo info(path); info.exists() && !info.isFile() && !info.isDir()) {
        QFile device(path);
        if (!device.open(QIODevice::WriteOnly) || device.write(bytes) != bytes.size())
            return tr("cannot write '%1': %2").arg(path, device.errorString());
        return {};
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("cannot write '%1': %2").arg(path, file.errorString());
    if (file.write(bytes) != bytes.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return tr("cannot write '%1': %2").arg(path, reason);
    }
    if (!file.commit())
        return tr("cannot write '%1': %2").arg(path, file.errorString());
    return {};
}

} // namespace fp

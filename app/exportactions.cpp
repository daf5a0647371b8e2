#include "exportactions.h"

#include "graphview.h"
#include "htmlreport.h"
#include "layerbarchart.h"
#include "rooflinechart.h"
#include "timelinechart.h"

#include <QAction>
#include <QChartView>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonDocument>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>

namespace fp {

namespace {

QString pictureFilters()
{
    return ExportActions::tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)");
}

// The suffix a save dialog's filter stands for: "PNG image (*.png)" -> "png".
QString filterSuffix(const QString& filter)
{
    const qsizetype star = filter.indexOf(QLatin1String("*."));
    if (star < 0)
        return {};
    const qsizetype end = filter.indexOf(u')', star);
    return filter.mid(star + 2, end < 0 ? -1 : end - star - 2).section(u' ', 0, 0);
}

} // namespace

ExportActions::ExportActions(QWidget* window, std::function<Session()> source, LayerBarChart* bars,
                             TimelineChart* timeline, RooflineChart* roofline, GraphView* graph)
    : QObject(window)
    , m_window(window)
    , m_source(std::move(source))
    , m_bars(bars)
    , m_timeline(timeline)
    , m_roofline(roofline)
    , m_graph(graph)
    , m_directory(QDir::homePath())
{
    m_menu = new QMenu(tr("&Export"), window);
    m_menu->setObjectName(QStringLiteral("exportMenu"));
    m_barsAction = m_menu->addAction(tr("Top &Layers Chart…"), this, [this]() { exportWithDialog(Kind::Bars); });
    m_barsAction->setObjectName(QStringLiteral("exportBarsAction"));
    m_timelineAction = m_menu->addAction(tr("Memory &Timeline…"), this, [this]() { exportWithDialog(Kind::Timeline); });
    m_timelineAction->setObjectName(QStringLiteral("exportTimelineAction"));
    m_rooflineAction = m_menu->addAction(tr("&Roofline…"), this, [this]() { exportWithDialog(Kind::Roofline); });
    m_rooflineAction->setObjectName(QStringLiteral("exportRooflineAction"));
    m_graphAction = m_menu->addAction(tr("&Graph…"), this, [this]() { exportWithDialog(Kind::Graph); });
    m_graphAction->setObjectName(QStringLiteral("exportGraphAction"));
    m_menu->addSeparator();
    m_csvAction = m_menu->addAction(tr("Layer Table as &CSV…"), this, [this]() { exportWithDialog(Kind::Csv); });
    m_csvAction->setObjectName(QStringLiteral("exportCsvAction"));
    QAction* json = m_menu->addAction(tr("Analysis as &JSON…"), this, [this]() { exportWithDialog(Kind::Json); });
    json->setObjectName(QStringLiteral("exportJsonAction"));
    m_menu->addSeparator();
    QAction* report = m_menu->addAction(tr("&Report (HTML or PDF)…"), this, [this]() { exportWithDialog(Kind::Report); });
    report->setObjectName(QStringLiteral("exportReportAction"));
    report->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    report->setToolTip(tr("The model, configuration, totals, charts, graph and top layers in one file"));
}

ExportActions::~ExportActions() = default;

void ExportActions::addContextActions(QWidget* table)
{
    // Each view's own menu names the view, so the entry says only what it does.
    const auto add = [](QWidget* widget, QAction* source) {
        auto* action = new QAction(tr("Export…"), widget);
        QObject::connect(action, &QAction::triggered, source, &QAction::trigger);
        if (!widget->actions().isEmpty()) {
            auto* separator = new QAction(widget);
            separator->setSeparator(true);
            widget->addAction(separator);
        }
        widget->addAction(action);
        widget->setContextMenuPolicy(Qt::ActionsContextMenu);
    };
    add(m_bars->chartView(), m_barsAction);
    add(m_timeline, m_timelineAction);
    add(m_roofline, m_rooflineAction);
    add(m_graph, m_graphAction);
    auto* csv = new QAction(tr("Export Table as CSV…"), table);
    connect(csv, &QAction::triggered, m_csvAction, &QAction::trigger);
    table->addAction(csv);
}

bool ExportActions::dialogsEnabled() const
{
    const QVariant enabled = m_window->property("errorDialogsEnabled");
    return !enabled.isValid() || enabled.toBool();
}

void ExportActions::exportWithDialog(Kind kind)
{
    const Session source = m_source();
    if (!source.result) {
        failed(tr("Open a model first"));
        return;
    }
    QString stem = QFileInfo(source.name).completeBaseName();
    QString suffix;
    QString filters = pictureFilters();
    QString title;
    switch (kind) {
    case Kind::Bars:
        stem += QStringLiteral("-layers");
        title = tr("Export Top Layers Chart");
        break;
    case Kind::Timeline:
        stem += QStringLiteral("-timeline");
        title = tr("Export Memory Timeline");
        break;
    case Kind::Roofline:
        stem += QStringLiteral("-roofline");
        title = tr("Export Roofline");
        break;
    case Kind::Graph:
        stem += QStringLiteral("-graph");
        title = tr("Export Graph");
        break;
    case Kind::Csv:
        filters = tr("CSV table (*.csv)");
        title = tr("Export Layer Table");
        break;
    case Kind::Json:
        filters = tr("JSON (*.json)");
        title = tr("Export Analysis");
        break;
    case Kind::Report:
        stem += QStringLiteral("-report");
        filters = tr("HTML page (*.html);;PDF document (*.pdf)");
        title = tr("Export Report");
        break;
    }
    QString selected = filters.section(QStringLiteral(";;"), 0, 0);
    suffix = filterSuffix(selected);
    // QFileDialog asks before replacing a file chosen in it.
    QString path = QFileDialog::getSaveFileName(m_window, title, QDir(m_directory).filePath(stem + u'.' + suffix),
                                                filters, &selected);
    if (path.isEmpty())
        return;
    bool confirmed = true;
    if (QFileInfo(path).suffix().isEmpty()) {
        // Typed without a suffix: the filter's is added, and that file was not confirmed.
        path += u'.' + filterSuffix(selected);
        confirmed = false;
    }
    m_directory = QFileInfo(path).absolutePath();
    switch (kind) {
    case Kind::Bars:
    case Kind::Timeline:
    case Kind::Roofline:
    case Kind::Graph: {
        if (pictureFormatForPath(path) == PictureFormat::Png) {
            const QStringList scales = { tr("1× (as on a standard screen)"), tr("2× (high-DPI screens, print)"),
                                         tr("3×"), tr("4× (posters)") };
            bool ok = false;
            const QString choice = QInputDialog::getItem(m_window, tr("PNG Scale"), tr("Pixels per logical pixel:"),
                                                         scales, std::clamp(int(m_scale) - 1, 0, 3), false, &ok);
            if (!ok)
                return;
            m_scale = scales.indexOf(choice) + 1;
        }
        const View view = kind == Kind::Bars ? View::Bars
            : kind == Kind::Timeline         ? View::Timeline
            : kind == Kind::Roofline         ? View::Roofline
                                             : View::Graph;
        exportView(view, path, m_scale, confirmed);
        break;
    }
    case Kind::Csv:
        exportCsv(path, confirmed);
        break;
    case Kind::Json:
        exportJson(path, confirmed);
        break;
    case Kind::Report:
        exportReport(path, confirmed);
        break;
    }
}

bool ExportActions::failed(const QString& message)
{
    m_lastError = message;
    if (auto* window = qobject_cast<QMainWindow*>(m_window))
        window->statusBar()->showMessage(message, 10000);
    if (dialogsEnabled())
        QMessageBox::warning(m_window, tr("Export Failed"), message);
    emit exportFailed(message);
    return false;
}

bool ExportActions::mayWrite(const QString& path, bool confirmed)
{
    if (confirmed || !QFileInfo::exists(path))
        return true;
    const bool replace = m_askReplace ? m_askReplace(path)
        : dialogsEnabled()
            && QMessageBox::question(m_window, tr("Replace File?"),
                                     tr("%1 already exists. Replace it?").arg(QDir::toNativeSeparators(path)),
                                     QMessageBox::Yes | QMessageBox::No, QMessageBox::No)
                == QMessageBox::Yes;
    if (!replace)
        failed(tr("'%1' exists and was not replaced").arg(path));
    return replace;
}

bool ExportActions::write(const QString& path, const QByteArray& bytes)
{
    if (const QString error = saveFile(path, bytes, /*replace=*/true); !error.isEmpty())
        return failed(error);
    m_lastError.clear();
    if (auto* window = qobject_cast<QMainWindow*>(m_window))
        window->statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
    emit exported(path);
    return true;
}

bool ExportActions::exportView(View view, const QString& path, double scale, bool confirmed)
{
    const std::optional<PictureFormat> format = pictureFormatForPath(path);
    if (!format)
        return failed(tr("'%1': pictures are written as .png, .svg or .pdf").arg(path));
    const Session source = m_source();
    if (!source.result)
        return failed(tr("Open a model first"));
    if (!mayWrite(path, confirmed))
        return false;
    Picture picture;
    switch (view) {
    case View::Bars:
        picture = barChartPicture(source, kChartExportSize, m_bars);
        break;
    case View::Timeline:
        picture = timelinePicture(source, kChartExportSize, m_timeline);
        break;
    case View::Roofline:
        if (!source.budget.device)
            return failed(tr("The roofline needs a device: choose one in the Configuration panel"));
        picture = rooflinePicture(source, kChartExportSize, m_roofline);
        break;
    case View::Graph:
        if (m_graph->isLayoutRunning())
            return failed(tr("The graph is still being laid out; export it in a moment"));
        picture = graphPicture(source, *m_graph);
        break;
    }
    QString error;
    const QByteArray bytes = encodePicture(picture, *format, scale, &error);
    if (bytes.isEmpty())
        return failed(tr("Cannot draw %1: %2").arg(QFileInfo(path).fileName(), error));
    return write(path, bytes);
}

bool ExportActions::exportCsv(const QString& path, bool confirmed)
{
    const Session source = m_source();
    if (!source.result)
        return failed(tr("Open a model first"));
    return mayWrite(path, confirmed) && write(path, source.toCsv());
}

bool ExportActions::exportJson(const QString& path, bool confirmed)
{
    const Session source = m_source();
    if (!source.result)
        return failed(tr("Open a model first"));
    return mayWrite(path, confirmed) && write(path, QJsonDocument(source.toJson()).toJson());
}

bool ExportActions::exportReport(const QString& path, bool confirmed)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("html") && suffix != QLatin1String("htm") && suffix != QLatin1String("pdf"))
        return failed(tr("'%1': reports are written as .html or .pdf").arg(path));
    const Session source = m_source();
    if (!source.result)
        return failed(tr("Open a model first"));
    if (!mayWrite(path, confirmed))
        return false;
    // The graph as the window shows it, if it reads on a page; otherwise its overview, laid out
    // on a worker for the report alone (the window's view keeps its open groups).
    if (!m_graph->isLayoutRunning()) {
        const Picture shown = graphPicture(source, *m_graph);
        if (!shown.isNull() && AnalysisReport::fitsPage(shown)) {
            writeReport(path, source, m_graph);
            return m_lastError.isEmpty();
        }
    }
    if (!m_reportGraph) {
        m_reportGraph = new GraphView(m_window);
        m_reportGraph->hide();
        m_reportGraph->setOptions(AnalysisReport::graphOptions(true));
    }
    m_reportGraph->setMetric(m_graph->metric());
    m_reportGraph->setLogScale(m_graph->logScale());
    const quint64 job = ++m_reportJob;
    auto* connection = new QMetaObject::Connection;
    *connection = connect(m_reportGraph, &GraphView::layoutFinished, this, [this, connection, job, path, source](bool ok) {
        disconnect(*connection);
        delete connection;
        if (job != m_reportJob)
            return; // a newer report asked for another layout
        writeReport(path, source, ok ? m_reportGraph : nullptr);
    });
    m_reportGraph->setModel(source.model, source.result);
    return true;
}

void ExportActions::writeReport(const QString& path, const Session& source, const GraphView* graph)
{
    const AnalysisReport report(source, graph);
    QString error;
    const bool pdf = QFileInfo(path).suffix().compare(QLatin1String("pdf"), Qt::CaseInsensitive) == 0;
    const QByteArray bytes = pdf ? report.toPdf(&error) : report.toHtml();
    if (bytes.isEmpty()) {
        failed(tr("Cannot make the report %1: %2").arg(QFileInfo(path).fileName(), error));
        return;
    }
    write(path, bytes);
}

} // namespace fp

#include "mainwindow.h"

#include "controlpanel.h"
#include "exportactions.h"
#include "figuredelegate.h"
#include "graphview.h"
#include "graphwidget.h"
#include "layerbarchart.h"
#include "layertablemodel.h"
#include "nodedetails.h"
#include "model_reader.h"
#include "report.h"
#include "rooflinechart.h"
#include "summarywidget.h"
#include "timelinechart.h"
#include "traces.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace fp {

namespace {

// Bump when the toolbars or docks change, so an old saveState() is ignored, not misapplied.
constexpr int kStateVersion = 3; // 2: the configuration and timeline docks replaced the toolbar; 3: details dock
constexpr int kMaxRecentFiles = 10;
// The pause after the last change before the largest batch that fits is searched: a drag
// searches once, and a click's search starts before the eye has moved to the summary.
constexpr int kFitDelayMs = 120;
constexpr int kControlsWidth = 290;
constexpr int kTimelineHeight = 280;
constexpr int kDetailsWidth = 400;
// Below this the layer names ("/layer3/layer3.2/conv2/Conv") are cut to nothing recognisable.
constexpr int kMinNameWidth = 220;
// A load shows its progress bar only after this long: most models load in milliseconds.
constexpr int kProgressDelayMs = 150;

namespace Keys {
const auto geometry = QStringLiteral("MainWindow/geometry");
const auto state = QStringLiteral("MainWindow/state");
const auto recentFiles = QStringLiteral("recentFiles");
const auto lastDirectory = QStringLiteral("lastDirectory");
const auto precision = QStringLiteral("analysis/precision");
const auto mode = QStringLiteral("analysis/mode");
const auto optimizer = QStringLiteral("analysis/optimizer");
const auto workspace = QStringLiteral("analysis/workspace");
const auto device = QStringLiteral("analysis/device");
} // namespace Keys

// What a load job hands back to the GUI thread: the model, or why there is none.
struct LoadedModel {
    std::shared_ptr<const Model> model;
    QString error;
    double ms = 0;
};

bool isResource(const QString& path)
{
    return path.startsWith(QLatin1String(":/"));
}

// Runs on the thread pool: touches nothing but its arguments; `progress` is shared with the
// GUI thread, which reads it and may cancel the read through it.
LoadedModel loadModel(const QString& path, std::shared_ptr<ReadProgress> progress)
{
    LoadedModel loaded;
    QElapsedTimer timer;
    timer.start();
    try {
        if (isResource(path)) {
            // Resources are compressed inside the executable, so there is no file to map.
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                throw ModelError("the bundled model is missing from this build");
            const QByteArray bytes = file.readAll();
            const auto* data = reinterpret_cast<const uint8_t*>(bytes.constData());
            loaded.model = std::make_shared<const Model>(readModelBytes(
                data, size_t(bytes.size()), QFileInfo(path).fileName().toStdString(), {}, progress.get()));
        } else {
            loaded.model =
                std::make_shared<const Model>(readModel(encodeFileName(path), {}, progress.get()));
        }
    } catch (const ModelError& e) {
        loaded.error = QString::fromStdString(e.what());
    } catch (const std::bad_alloc&) {
        loaded.error = MainWindow::tr("not enough memory to read the model");
    } catch (const std::exception& e) {
        loaded.error = MainWindow::tr("internal error: %1").arg(QString::fromStdString(e.what()));
    }
    loaded.ms = double(timer.nsecsElapsed()) / 1e6;
    return loaded;
}

QString displayName(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    return isResource(path) ? MainWindow::tr("%1 (sample)").arg(name) : name;
}

QString droppedModel(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl& url : mime->urls()) {
        if (url.isLocalFile() && url.toLocalFile().endsWith(QLatin1String(".onnx"), Qt::CaseInsensitive))
            return url.toLocalFile();
    }
    return {};
}

QStringList recentFiles()
{
    return QSettings().value(Keys::recentFiles).toStringList();
}

void setRecentFiles(const QStringList& files)
{
    QSettings().setValue(Keys::recentFiles, files);
}

} // namespace

MainWindow::MainWindow(bool persistent, QWidget* parent)
    : QMainWindow(parent)
    , m_persistent(persistent)
{
    setWindowTitle(tr("Footprint"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    m_layerModel = new LayerTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_layerModel);
    m_proxy->setSortRole(LayerTableModel::SortRole);
    m_proxy->setFilterRole(LayerTableModel::FilterRole);
    m_proxy->setFilterKeyColumn(LayerTableModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    // FLOPs starts hidden: MACs says the same for the layers that dominate. Latency and energy
    // show with a device; past the names' minimum width the table scrolls sideways.
    m_hiddenColumns = { LayerTableModel::FlopsColumn };
    m_fitTimer = new QTimer(this);
    m_fitTimer->setSingleShot(true);
    m_fitTimer->setInterval(kFitDelayMs);
    connect(m_fitTimer, &QTimer::timeout, this, &MainWindow::startFit);

    createCentralWidget();
    createDocks();
    createActions();

    m_timing = new QLabel(this);
    m_timing->setObjectName(QStringLiteral("timingLabel"));
    // Fixed, so that the figures changing on every slider step do not lay out the window again.
    m_timing->setFixedSize(m_timing->fontMetrics().horizontalAdvance(
                               tr("Loaded in 9999.9 ms  ·  analysis 999.99 ms  ·  views 999.99 ms  ·  batch search "
                                  "9999.9 ms (99 analyses)")),
                           m_timing->fontMetrics().height() + 2);
    m_timing->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    statusBar()->addPermanentWidget(m_timing);

    m_progressBar = new QProgressBar(this);
    m_progressBar->setObjectName(QStringLiteral("loadProgress"));
    m_progressBar->setRange(0, 1000);
    m_progressBar->setMaximumWidth(200);
    m_progressBar->setTextVisible(false);
    m_progressBar->hide();
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setObjectName(QStringLiteral("cancelLoad"));
    m_cancelButton->setToolTip(tr("Stop loading; the model open now stays open"));
    m_cancelButton->hide();
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::cancelLoad);
    statusBar()->addWidget(m_progressBar);
    statusBar()->addWidget(m_cancelButton);
    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(50);
    connect(m_progressTimer, &QTimer::timeout, this, &MainWindow::updateLoadProgress);

    resize(1400, 900);
    // Once the window has its size: before that the split of the bottom row has no width to share.
    resizeDocks({ m_timelineDock, m_detailsDock }, { width() - kControlsWidth - kDetailsWidth, kDetailsWidth },
                Qt::Horizontal);
    if (m_persistent) {
        QSettings settings;
        restoreGeometry(settings.value(Keys::geometry).toByteArray());
        restoreState(settings.value(Keys::state).toByteArray(), kStateVersion);
    }
    updateRecentMenu();
}

MainWindow::~MainWindow() = default;

void MainWindow::restoreAnalysisSettings(AnalysisConfig& config, Budget& budget)
{
    const QSettings settings;
    const auto text = [&](const QString& key) { return settings.value(key).toString().toStdString(); };
    if (const auto p = parsePrecision(text(Keys::precision)))
        config.precision = *p;
    if (const auto m = parseMode(text(Keys::mode)))
        config.training.mode = *m;
    if (const auto o = parseOptimizer(text(Keys::optimizer)))
        config.training.optimizer = *o;
    if (const auto w = parseConvAlgorithm(text(Keys::workspace)))
        config.training.workspace = *w;
    if (const Device* d = findDevice(budget.devices, text(Keys::device))) {
        budget.device = *d;
        budget.bytes = d->memoryBytes;
    }
}

QString MainWindow::sampleModelPath()
{
    return QStringLiteral(":/models/resnet18.onnx");
}

void MainWindow::createCentralWidget()
{
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(8, 6, 8, 0);

    m_summary = new SummaryWidget(central);
    m_summary->setObjectName(QStringLiteral("summary"));
    connect(m_summary, &SummaryWidget::layerActivated, this, [this](int step) {
        showLayer(step);
        m_table->setFocus(Qt::OtherFocusReason);
    });
    layout->addWidget(m_summary);
    layout->addSpacing(4);

    m_views = new QTabWidget(central);
    m_views->setObjectName(QStringLiteral("views"));
    m_views->setDocumentMode(true);
    layout->addWidget(m_views, 1);

    auto* tablePage = new QWidget(m_views);
    tablePage->setObjectName(QStringLiteral("layers"));
    auto* tableLayout = new QVBoxLayout(tablePage);
    tableLayout->setContentsMargins(0, 6, 0, 0);
    auto* filterRow = new QHBoxLayout;
    m_filter = new QLineEdit(tablePage);
    m_filter->setObjectName(QStringLiteral("layerFilter"));
    m_filter->setPlaceholderText(tr("Filter layers by name or operator, e.g. Conv or layer3"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    m_layerCount = new QLabel(tablePage);
    m_layerCount->setObjectName(QStringLiteral("layerCount"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_layerCount);
    tableLayout->addLayout(filterRow);

    m_table = new QTableView(tablePage);
    m_table->setObjectName(QStringLiteral("layerTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection); // several rows to copy at once
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle); // exporter names differ in the middle: /layer3/layer3.4/conv2/Conv
    m_table->setSortingEnabled(true);
    QHeaderView* header = m_table->horizontalHeader();
    // No sort column at first: the rows stay in execution order until a header is clicked,
    // and a third click on it goes back to that order.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    header->setSortIndicatorClearable(true);
    // Not QHeaderView::Stretch, which shrinks names to "/la...onv" when figures columns fill the
    // width (training with a device adds three): fitNameColumn() stretches it down to a minimum.
    connect(header, &QHeaderView::sectionResized, this, [this](int column) {
        if (column != LayerTableModel::NameColumn)
            fitNameColumn();
    });
    m_table->viewport()->installEventFilter(this);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignCenter);
    // The header's context menu shows and hides columns; FLOPs starts hidden, since MACs says
    // the same for the layers that dominate, and the table is wide.
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, [this](const QPoint& position) {
        QMenu menu(this);
        for (int column = LayerTableModel::OpColumn; column < LayerTableModel::ColumnCount; ++column) {
            QAction* action = menu.addAction(
                m_layerModel->headerData(column, Qt::Horizontal, LayerTableModel::CopyRole).toString());
            action->setCheckable(true);
            action->setChecked(!m_hiddenColumns.contains(column));
            connect(action, &QAction::toggled, this, [this, column](bool shown) {
                if (shown)
                    m_hiddenColumns.removeAll(column);
                else
                    m_hiddenColumns.append(column);
                updateColumnVisibility();
                if (shown)
                    m_table->resizeColumnToContents(column);
            });
        }
        menu.exec(m_table->horizontalHeader()->mapToGlobal(position));
    });
    QHeaderView* rows = m_table->verticalHeader();
    rows->setSectionResizeMode(QHeaderView::Fixed); // one height for all rows: large graphs scroll fast
    rows->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    rows->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    // Figures repaint on every slider step; their delegate draws cached text (see FigureDelegate).
    auto* figures = new FigureDelegate(m_table);
    for (int column = LayerTableModel::ShapeColumn; column < LayerTableModel::ColumnCount; ++column)
        m_table->setItemDelegateForColumn(column, figures);
    tableLayout->addWidget(m_table, 1);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::tableSelectionChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::tableSelectionChanged);

    connect(m_proxy, &QAbstractItemModel::modelReset, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateLayerCount);
    m_views->addTab(tablePage, tr("Layers"));
    // Back on the table after another tab: figures may have outgrown the shape column meanwhile.
    connect(m_views, &QTabWidget::currentChanged, this, [this]() { growShapeColumn(); });

    m_bars = new LayerBarChart(m_views);
    m_bars->setObjectName(QStringLiteral("bars"));
    connect(m_bars, &LayerBarChart::nodeSelected, this, &MainWindow::selectNode);
    m_views->addTab(m_bars, tr("Top Layers"));

    m_graph = new GraphWidget(m_views);
    m_graph->setObjectName(QStringLiteral("graph"));
    connect(m_graph, &GraphWidget::nodeSelected, this, &MainWindow::selectNode);
    connect(m_graph->view(), &GraphView::layoutFinished, this, &MainWindow::graphLaidOut);
    m_views->addTab(m_graph, tr("Graph"));

    m_roofline = new RooflineChart(m_views);
    m_roofline->setObjectName(QStringLiteral("roofline"));
    connect(m_roofline, &RooflineChart::nodeSelected, this, &MainWindow::selectNode);
    m_views->addTab(m_roofline, tr("Roofline"));

    setCentralWidget(central);
}

void MainWindow::createDocks()
{
    m_controls = new ControlPanel;
    m_controls->setObjectName(QStringLiteral("controls"));
    connect(m_controls, &ControlPanel::configChanged, this, [this](bool batchOnly) {
        m_config = m_controls->config();
        reanalyze(/*refit=*/!batchOnly);
    });
    connect(m_controls, &ControlPanel::budgetChanged, this, [this]() { reanalyze(); });
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_controls);
    // As wide as the panel needs, never clipping a spin box; taller panels scroll.
    scroll->setMinimumWidth(m_controls->minimumSizeHint().width()
                            + scroll->style()->pixelMetric(QStyle::PM_ScrollBarExtent));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_controlsDock = new QDockWidget(tr("Configuration"), this);
    m_controlsDock->setObjectName(QStringLiteral("controlsDock")); // saveState() keys docks by object name
    m_controlsDock->setWidget(scroll);
    m_controlsDock->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
    addDockWidget(Qt::LeftDockWidgetArea, m_controlsDock);

    m_timeline = new TimelineChart;
    connect(m_timeline, &TimelineChart::nodeSelected, this, &MainWindow::selectNode);
    m_timelineDock = new QDockWidget(tr("Memory Timeline"), this);
    m_timelineDock->setObjectName(QStringLiteral("timelineDock"));
    m_timelineDock->setWidget(m_timeline);
    addDockWidget(Qt::BottomDockWidgetArea, m_timelineDock);

    m_details = new NodeDetailsView;
    m_details->setObjectName(QStringLiteral("details"));
    connect(m_details, &NodeDetailsView::nodeSelected, this, &MainWindow::selectNode);
    m_detailsDock = new QDockWidget(tr("Details"), this);
    m_detailsDock->setObjectName(QStringLiteral("detailsDock"));
    m_detailsDock->setWidget(m_details);
    // The configuration runs the full height; the timeline spans the views above it.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::TopLeftCorner, Qt::LeftDockWidgetArea);
    resizeDocks({ m_controlsDock }, { kControlsWidth }, Qt::Horizontal);
    resizeDocks({ m_timelineDock }, { kTimelineHeight }, Qt::Vertical);
    // Details beside the timeline: the wide bottom row has room for tensor names and shapes.
    addDockWidget(Qt::BottomDockWidgetArea, m_detailsDock);
    splitDockWidget(m_timelineDock, m_detailsDock, Qt::Horizontal);
}

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this,
                                    &MainWindow::openDialog);
    open->setObjectName(QStringLiteral("openAction"));
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("Open an ONNX model (Ctrl+O)"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(tr("Open &Sample Model"), this, &MainWindow::openSample);
    m_cancelAction = file->addAction(tr("&Cancel Loading"), this, &MainWindow::cancelLoad);
    m_cancelAction->setObjectName(QStringLiteral("cancelLoadAction"));
    m_cancelAction->setEnabled(false);
    createTraceActions(file);
    file->addSeparator();
    m_exports = new ExportActions(this, [this]() { return exportSource(); }, m_bars, m_timeline, m_roofline, m_graph->view());
    file->addMenu(m_exports->menu());
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* copy = edit->addAction(tr("&Copy Rows"), this, &MainWindow::copySelectedRows);
    copy->setObjectName(QStringLiteral("copyRowsAction"));
    copy->setShortcut(QKeySequence::Copy);
    copy->setToolTip(tr("Copy the selected layers as tab-separated text, with exact figures"));
    // Also on the table's context menu. Where a text field has the focus, it keeps Ctrl+C.
    m_table->addAction(copy);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    QAction* find = edit->addAction(tr("&Filter Layers"), this, [this]() {
        m_views->setCurrentIndex(0);
        m_filter->setFocus(Qt::ShortcutFocusReason);
        m_filter->selectAll();
    });
    find->setShortcut(QKeySequence::Find);
    QAction* clearSelection = edit->addAction(tr("C&lear Selection"), this, [this]() { selectNode(-1); });
    clearSelection->setShortcut(Qt::Key_Escape);
    clearSelection->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_table->addAction(clearSelection);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_views->count(); ++i) {
        QAction* tab = m_viewMenu->addAction(m_views->tabText(i), this, [this, i]() { m_views->setCurrentIndex(i); });
        tab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
    }
    m_viewMenu->addSeparator();
    QAction* zoom = m_viewMenu->addAction(tr("&Zoom Timeline to the Moving Part"), m_timeline, &TimelineChart::setZoomed);
    zoom->setObjectName(QStringLiteral("zoomTimelineAction"));
    zoom->setCheckable(true);
    zoom->setToolTip(tr("Start the timeline's memory axis at the lowest step instead of zero"));
    m_timeline->addAction(zoom);
    m_timeline->setContextMenuPolicy(Qt::ActionsContextMenu);
    createComparisonActions(m_viewMenu);
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(m_controlsDock->toggleViewAction());
    m_viewMenu->addAction(m_timelineDock->toggleViewAction());
    m_viewMenu->addAction(m_detailsDock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Footprint"), this, [this]() {
        QMessageBox::about(this, tr("About Footprint"),
                           tr("<h3>Footprint %1</h3><p>Where an ONNX model's memory goes: parameters, storage, "
                              "compute and the peak memory of inference and training, layer by layer.</p>")
                               .arg(QStringLiteral(FOOTPRINT_VERSION)));
    });
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

    m_exports->addContextActions(m_table);
}

ExportSource MainWindow::exportSource() const
{
    ExportSource source;
    if (!m_model || !m_result)
        return source;
    source.name = displayName(m_path);
    source.model = m_model;
    source.config = m_config;
    source.result = m_result;
    if (const Device* device = m_controls->device())
        source.device = *device;
    if (const std::optional<MemoryBudget> budget = m_controls->budget()) {
        source.budgetBytes = budget->bytes;
        source.budgetName = budget->name;
    }
    if (!m_fitPending)
        source.fit = m_fit;
    return source;
}

bool MainWindow::isGraphLayoutRunning() const
{
    return m_graph && m_graph->view()->isLayoutRunning();
}

bool MainWindow::showView(const QString& name)
{
    for (int i = 0; i < m_views->count(); ++i) {
        if (m_views->widget(i)->objectName() == name) {
            m_views->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

void MainWindow::setBudget(const Budget& budget)
{
    m_efficiency = budget.efficiency;
    m_energyScale = budget.energyScale;
    m_controls->setDevices(budget.devices);
    m_controls->setBudget(budget.device, budget.bytes);
    reanalyze();
}

void MainWindow::setAnalysisConfig(const AnalysisConfig& config)
{
    m_config = config;
    m_controls->setConfig(config);
    reanalyze();
}

std::optional<MemoryBudget> MainWindow::currentBudget() const
{
    std::optional<MemoryBudget> budget = m_controls->budget();
    if (!budget)
        return budget;
    if (m_fitPending) {
        budget->searching = true;
    } else if (m_fit) {
        budget->maxBatch = m_fit->maxBatch;
        budget->maxBatchIsSearchLimit = m_fit->hitLimit;
    }
    return budget;
}

void MainWindow::openSample()
{
    openFile(sampleModelPath());
}

QString MainWindow::askForFile(const QString& title, const QString& filters)
{
    QString dir;
    if (m_persistent)
        dir = QSettings().value(Keys::lastDirectory).toString();
    const QString path = QFileDialog::getOpenFileName(this, title, dir, filters);
    if (!path.isEmpty() && m_persistent)
        QSettings().setValue(Keys::lastDirectory, QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::openDialog()
{
    if (const QString path = askForFile(tr("Open Model"), tr("ONNX models (*.onnx);;All files (*)")); !path.isEmpty())
        openFile(path);
}

void MainWindow::openFile(const QString& path)
{
    const QString absolute = isResource(path) ? path : QFileInfo(path).absoluteFilePath();
    if (m_readProgress)
        m_readProgress->cancelled = true; // superseded: no need to finish reading it
    const quint64 job = ++m_job;
    m_loading = true;
    m_readProgress = std::make_shared<ReadProgress>();
    m_loadBytes = isResource(absolute) ? 0 : QFileInfo(absolute).size();
    m_loadClock.start();
    m_progressBar->setRange(0, 1000);
    m_progressBar->setValue(0);
    m_progressTimer->start();
    m_cancelAction->setEnabled(true);
    statusBar()->showMessage(tr("Loading %1…").arg(displayName(absolute)));

    auto* watcher = new QFutureWatcher<LoadedModel>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job, absolute]() {
        watcher->deleteLater();
        if (job != m_job)
            return; // superseded by a newer open, or cancelled: showing it now would flash the wrong model
        endLoad();
        LoadedModel loaded = watcher->result();
        if (loaded.model)
            showModel(absolute, std::move(loaded.model), loaded.ms);
        else
            showLoadError(absolute, loaded.error);
    });
    watcher->setFuture(QtConcurrent::run(loadModel, absolute, m_readProgress));
}

void MainWindow::cancelLoad()
{
    if (!m_loading)
        return;
    m_readProgress->cancelled = true;
    ++m_job; // whatever the worker still hands back is dropped
    endLoad();
    statusBar()->showMessage(m_model ? tr("Loading cancelled; %1 stays open.").arg(displayName(m_path))
                                     : tr("Loading cancelled."),
                             5000);
    emit loadCancelled();
}

void MainWindow::endLoad()
{
    m_loading = false;
    m_readProgress.reset();
    m_progressTimer->stop();
    m_progressBar->hide();
    m_cancelButton->hide();
    m_cancelAction->setEnabled(false);
}

bool MainWindow::isLoadProgressShown() const
{
    return m_progressBar->isVisibleTo(this);
}

void MainWindow::updateLoadProgress()
{
    if (!m_loading || m_loadClock.elapsed() < kProgressDelayMs)
        return;
    // The reader walks the file front to back; without a size (a resource) the bar only moves.
    if (m_loadBytes > 0)
        m_progressBar->setValue(int(std::min<int64_t>(1000, m_readProgress->bytesDone * 1000 / m_loadBytes)));
    else
        m_progressBar->setRange(0, 0);
    m_progressBar->show();
    m_cancelButton->show();
}

void MainWindow::showModel(const QString& path, std::shared_ptr<const Model> model, double loadMs)
{
    m_path = path;
    m_model = std::move(model);
    m_loadMs = loadMs;
    setWindowTitle(tr("%1 — Footprint").arg(displayName(path)));
    statusBar()->clearMessage();
    m_filter->clear();
    if (m_selectedNode >= 0) {
        m_selectedNode = -1;
        emit nodeSelected(-1);
    }
    m_controls->setModel(m_model.get());
    reanalyze();
    if (!isResource(path))
        addRecentFile(path);
    emit modelLoaded(path);
}

void MainWindow::showLoadError(const QString& path, const QString& reason)
{
    const QString message = tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), reason);
    statusBar()->showMessage(message, 10000);
    if (!isResource(path) && !QFileInfo::exists(path))
        removeRecentFile(path);
    if (m_errorDialogsEnabled) {
        // open(), not exec(): no nested event loop while a newer load may be finishing.
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Cannot Open Model"),
                                    tr("Could not open %1.").arg(QFileInfo(path).fileName()), QMessageBox::Ok, this);
        box->setInformativeText(reason);
        box->setDetailedText(path);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    emit loadFailed(message);
}

void MainWindow::reanalyze(bool refit)
{
    if (!m_model)
        return;
    QElapsedTimer timer;
    timer.start();
    std::shared_ptr<const AnalysisResult> result;
    try {
        result = std::make_shared<const AnalysisResult>(analyze(*m_model, m_config));
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Analysis failed: %1").arg(QString::fromStdString(e.what())), 10000);
        return;
    }
    m_analysisMs = double(timer.nsecsElapsed()) / 1e6;
    timer.restart();

    const bool newModel = m_layerModel->model() != m_model.get();
    m_result = std::move(result);
    // Changing only the batch cannot change the largest batch that fits, so a batch slider
    // drag never starts a search.
    if (refit || newModel || (!m_fit && !m_fitPending && m_controls->budget()))
        scheduleFit();
    const std::optional<MemoryBudget> budget = currentBudget();

    m_performance = estimateOnDevice();
    const QString deviceName = m_controls->device() ? QString::fromStdString(m_controls->device()->name) : QString();
    m_layerModel->setAnalysis(m_model, m_result, m_performance, deviceName);
    m_summary->setAnalysis(displayName(m_path), m_model, m_result, budget);
    m_summary->setPerformance(m_performance, deviceName);
    m_roofline->setAnalysis(m_model, m_result, m_performance, deviceName, m_efficiency);
    m_bars->setAnalysis(m_model, m_result);
    if (newModel)
        m_graph->setModel(m_model, m_result); // lays out off the GUI thread
    else
        m_graph->setAnalysis(m_result); // recolours and relabels, no new layout
    m_timeline->setAnalysis(m_model, m_result, budget ? budget->bytes : 0, budget ? budget->name : QString());
    m_controls->showResolved(*m_result);
    m_details->setAnalysis(m_model, m_result);

    updateColumnVisibility();
    if (newModel) {
        // Column by column: resizeColumnsToContents() would size the stretched name column to
        // its contents too, leaving a gap at the right until the next resize. The figures'
        // columns start wide enough for any figure ("1023.99 MiB"), so no slider step has to
        // measure them again.
        for (int column = LayerTableModel::OpColumn; column < LayerTableModel::ColumnCount; ++column) {
            m_table->resizeColumnToContents(column);
            m_table->setColumnWidth(column, std::max(m_table->columnWidth(column), widestFigure(column)));
        }
    } else {
        growShapeColumn();
    }
    updateLayerCount();
    m_viewsMs = double(timer.nsecsElapsed()) / 1e6;
    updateTiming();
    emit analysisUpdated();
}

void MainWindow::scheduleFit()
{
    ++m_fitJob; // a search under way answers for a configuration that is gone
    m_fit.reset();
    m_fitMs = -1;
    const bool wasPending = m_fitPending;
    m_fitPending = m_model && m_controls->budget();
    if (m_fitPending) {
        m_fitTimer->start(); // restarts: a drag searches once, after it pauses
    } else {
        m_fitTimer->stop();
        if (wasPending)
            emit fitUpdated();
    }
}

void MainWindow::startFit()
{
    const std::optional<MemoryBudget> budget = m_controls->budget();
    if (!m_model || !budget) {
        m_fitPending = false;
        emit fitUpdated();
        return;
    }
    struct Outcome {
        BatchFit fit;
        QString error;
        double ms = 0;
    };
    const quint64 job = m_fitJob;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job]() {
        watcher->deleteLater();
        if (job != m_fitJob)
            return; // the configuration changed while it ran
        const Outcome outcome = watcher->result();
        m_fitPending = false;
        if (outcome.error.isEmpty()) {
            m_fit = outcome.fit;
            m_fitMs = outcome.ms;
        } else {
            statusBar()->showMessage(tr("Largest-batch search failed: %1").arg(outcome.error), 10000);
        }
        m_summary->setBudget(currentBudget());
        updateTiming();
        emit fitUpdated();
    });
    // Inputs by value: the model is shared and immutable, the rest is copied.
    watcher->setFuture(QtConcurrent::run([model = m_model, config = m_config, bytes = budget->bytes]() {
        Outcome outcome;
        QElapsedTimer timer;
        timer.start();
        try {
            outcome.fit = largestBatchThatFits(*model, config, bytes);
        } catch (const std::exception& e) {
            outcome.error = QString::fromStdString(e.what());
        }
        outcome.ms = double(timer.nsecsElapsed()) / 1e6;
        return outcome;
    }));
}

void MainWindow::updateTiming()
{
    QString timing = tr("Loaded in %1 ms  ·  analysis %2 ms  ·  views %3 ms")
                         .arg(m_loadMs, 0, 'f', 1)
                         .arg(m_analysisMs, 0, 'f', 2)
                         .arg(m_viewsMs, 0, 'f', 2);
    if (m_fit && m_fitMs >= 0)
        timing += tr("  ·  batch search %1 ms (%2 analyses)").arg(m_fitMs, 0, 'f', 1).arg(m_fit->analyses);
    m_timing->setText(timing);
}

void MainWindow::updateLayerCount()
{
    const int total = m_layerModel->rowCount();
    const int shown = m_proxy->rowCount();
    m_layerCount->setText(shown == total ? tr("%1 layers").arg(total) : tr("%1 of %2 layers").arg(shown).arg(total));
}

void MainWindow::selectNode(int node)
{
    if (!m_result)
        node = -1;
    if (node == m_selectedNode || m_selecting)
        return;
    m_selectedNode = node;
    m_bars->setSelectedNode(node);
    m_timeline->setSelectedNode(node);
    m_roofline->setSelectedNode(node);
    m_graph->view()->selectNode(node);
    m_details->setNode(node);

    m_selecting = true;
    int step = -1;
    if (node >= 0) {
        const auto& layers = m_result->layers;
        const auto it = std::find_if(layers.begin(), layers.end(), [node](const LayerResult& l) { return l.node == node; });
        if (it != layers.end())
            step = int(it - layers.begin());
    }
    // The table already shows it when the selection came from the table (and may hold more
    // rows, picked for copying, which must stay).
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const bool tableShowsIt = step >= 0 && current.isValid() && current.data(LayerTableModel::StepRole).toInt() == step
        && m_table->selectionModel()->isRowSelected(current.row(), current.parent());
    if (step < 0)
        m_table->clearSelection();
    else if (!tableShowsIt)
        showLayer(step);
    m_selecting = false;
    emit nodeSelected(node);
}

bool MainWindow::selectNodeNamed(const QString& name)
{
    if (!m_model || !m_result || name.isEmpty())
        return false;
    const std::string exact = name.toStdString();
    int found = -1;
    for (const LayerResult& layer : m_result->layers) {
        const std::string& nodeName = m_model->graph.nodes[size_t(layer.node)].name;
        if (nodeName == exact) {
            found = layer.node;
            break;
        }
        if (found < 0 && QString::fromStdString(nodeName).contains(name, Qt::CaseInsensitive))
            found = layer.node;
    }
    if (found >= 0)
        selectNode(found);
    return found >= 0;
}

void MainWindow::showLayer(int step)
{
    QModelIndex index = m_proxy->mapFromSource(m_layerModel->index(step, 0));
    if (!index.isValid()) { // filtered out: the user asked for this layer, show it
        m_filter->clear();
        index = m_proxy->mapFromSource(m_layerModel->index(step, 0));
    }
    if (!index.isValid())
        return;
    m_table->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

void MainWindow::tableSelectionChanged()
{
    if (m_selecting)
        return;
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (current.isValid() && m_table->selectionModel()->isRowSelected(current.row(), current.parent())) {
        selectNode(current.data(LayerTableModel::NodeRole).toInt());
        return;
    }
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    selectNode(rows.isEmpty() ? -1 : rows.front().data(LayerTableModel::NodeRole).toInt());
}

int MainWindow::widestFigure(int column) const
{
    QString widest;
    switch (column) {
    case LayerTableModel::ReadColumn:
    case LayerTableModel::WriteColumn:
    case LayerTableModel::StorageColumn:
    case LayerTableModel::InferenceColumn:
    case LayerTableModel::SavedColumn:
        widest = QStringLiteral("1023.99 MiB");
        break;
    case LayerTableModel::ParamsColumn:
    case LayerTableModel::MacsColumn:
    case LayerTableModel::FlopsColumn:
        widest = QStringLiteral("999.99 M");
        break;
    case LayerTableModel::TimeColumn:
        widest = QStringLiteral("100.0 %");
        break;
    case LayerTableModel::LatencyColumn:
        widest = QStringLiteral("999 ms");
        break;
    case LayerTableModel::EnergyColumn:
        widest = QStringLiteral("999 mJ");
        break;
    default:
        return 0;
    }
    // The cell's margins, as the style adds them around the text.
    return m_table->fontMetrics().horizontalAdvance(widest) + 2 * m_table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 8;
}

void MainWindow::growShapeColumn()
{
    // Only the shape column can outgrow its width ([1, 64, 112, 112] -> [128, 64, 112, 112]),
    // and only the rows on screen are measured (precision 0): measuring a thousand rows per
    // column, the default, took 80 ms for GPT-2 on every slider step. A hidden table would be
    // measured row by row (Qt's rule when nothing is on screen), so it waits until it is shown.
    if (!m_table->isVisible())
        return;
    const QAbstractItemView* view = m_table; // QTableView hides the public sizeHintForColumn()
    QHeaderView* header = m_table->horizontalHeader();
    const int precision = header->resizeContentsPrecision();
    header->setResizeContentsPrecision(0);
    const int shape = LayerTableModel::ShapeColumn;
    m_table->setColumnWidth(shape, std::max(m_table->columnWidth(shape), view->sizeHintForColumn(shape)));
    header->setResizeContentsPrecision(precision);
}

void MainWindow::updateColumnVisibility()
{
    for (int column = 0; column < LayerTableModel::ColumnCount; ++column) {
        // Saved-for-backward is empty in inference, and times are empty without a device.
        const bool noTimes = (column == LayerTableModel::TimeColumn || column == LayerTableModel::LatencyColumn)
            && !(m_performance && m_performance->hasRoofline());
        const bool empty = noTimes
            || (column == LayerTableModel::SavedColumn && m_config.training.mode != Mode::Training);
        m_table->setColumnHidden(column, empty || m_hiddenColumns.contains(column));
    }
    fitNameColumn();
}

void MainWindow::fitNameColumn()
{
    const QHeaderView* header = m_table->horizontalHeader();
    int others = 0;
    for (int column = 0; column < header->count(); ++column)
        if (column != LayerTableModel::NameColumn && !header->isSectionHidden(column))
            others += header->sectionSize(column);
    const int width = std::max(kMinNameWidth, m_table->viewport()->width() - others);
    if (m_table->columnWidth(LayerTableModel::NameColumn) != width)
        m_table->setColumnWidth(LayerTableModel::NameColumn, width);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_table->viewport() && event->type() == QEvent::Resize)
        fitNameColumn();
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::copySelectedRows()
{
    QList<int> rows;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end()); // as the table shows them, whatever order they were picked in
    QList<int> hidden;
    for (int column = 0; column < m_proxy->columnCount(); ++column) {
        if (m_table->isColumnHidden(column))
            hidden << column;
    }
    QGuiApplication::clipboard()->setText(LayerTableModel::rowsAsTsv(*m_proxy, rows, hidden));
    statusBar()->showMessage(rows.size() == 1 ? tr("Copied 1 layer") : tr("Copied %1 layers").arg(rows.size()), 3000);
}

void MainWindow::addRecentFile(const QString& path)
{
    if (!m_persistent)
        return;
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    setRecentFiles(files);
    updateRecentMenu();
}

void MainWindow::removeRecentFile(const QString& path)
{
    if (!m_persistent)
        return;
    QStringList files = recentFiles();
    if (files.removeAll(path) == 0)
        return;
    setRecentFiles(files);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = m_persistent ? recentFiles() : QStringList();
    for (int i = 0; i < files.size(); ++i) {
        const QString& path = files[i];
        // &1 .. &9 as keyboard accelerators; the tenth has none.
        const QString text = i < 9 ? QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(path).fileName())
                                   : QStringLiteral("%1  %2").arg(i + 1).arg(QFileInfo(path).fileName());
        QAction* action = m_recentMenu->addAction(text, this, [this, path]() { openFile(path); });
        action->setStatusTip(path);
        action->setToolTip(path);
    }
    if (!files.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("&Clear Menu"), this, [this]() {
            setRecentFiles({});
            updateRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!files.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_persistent) {
        QSettings settings;
        settings.setValue(Keys::geometry, saveGeometry());
        settings.setValue(Keys::state, saveState(kStateVersion));
        settings.setValue(Keys::precision, QString::fromLatin1(precisionName(m_config.precision)));
        settings.setValue(Keys::mode, QString::fromLatin1(modeName(m_config.training.mode)));
        settings.setValue(Keys::optimizer, QString::fromLatin1(optimizerName(m_config.training.optimizer)));
        settings.setValue(Keys::workspace, QString::fromLatin1(convAlgorithmName(m_config.training.workspace)));
        const Device* device = m_controls->device();
        settings.setValue(Keys::device, device ? QString::fromStdString(device->name) : QString());
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedModel(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString path = droppedModel(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    openFile(path);
}

// --- latency, measured traces and the pinned comparison (issue #8, #5) ---------------------

std::shared_ptr<const PerformanceEstimate> MainWindow::estimateOnDevice() const
{
    // Energy needs no device; times need its roofs, and without one they stay empty.
    PerformanceConfig performance;
    if (const Device* device = m_controls->device())
        performance.device = *device;
    performance.efficiency = m_efficiency;
    performance.energy.scale = m_energyScale;
    return std::make_shared<const PerformanceEstimate>(estimatePerformance(*m_result, m_config, performance));
}

void MainWindow::createTraceActions(QMenu* file)
{
    file->addSeparator();
    QAction* import = file->addAction(tr("&Import Memory Trace…"), this, [this]() {
        const QString path
            = askForFile(tr("Import Memory Trace"), tr("Memory traces (*.csv *.json *.log *.txt);;All files (*)"));
        if (!path.isEmpty())
            importTrace(path);
    });
    import->setObjectName(QStringLiteral("importTraceAction"));
    import->setToolTip(tr("Overlay a measured memory trace on the timeline: an nvidia-smi CSV log, an "
                          "onnxruntime profile, or a trace from torch_memory_trace.py"));
    QAction* clear = file->addAction(tr("C&lear Memory Trace"), m_timeline, &TimelineChart::clearTrace);
    clear->setObjectName(QStringLiteral("clearTraceAction"));
    clear->setEnabled(false);
    connect(m_timeline, &TimelineChart::overlaysChanged, clear,
            [this, clear]() { clear->setEnabled(m_timeline->hasTrace()); });
    m_timeline->addAction(clear);

    QAction* calibrate = file->addAction(tr("Load &Calibration…"), this, [this]() {
        const QString path = askForFile(tr("Load Calibration"), tr("Calibration files (*.json);;All files (*)"));
        if (!path.isEmpty())
            loadCalibration(path);
    });
    calibrate->setObjectName(QStringLiteral("loadCalibrationAction"));
    calibrate->setToolTip(tr("Correct the estimate with a device's measured overheads (runtime context, allocator "
                             "rounding), as written by resources/scripts/calibrate.py"));
    QAction* uncalibrate = file->addAction(tr("Clear C&alibration"), this, &MainWindow::clearCalibration);
    uncalibrate->setObjectName(QStringLiteral("clearCalibrationAction"));
    uncalibrate->setEnabled(!m_config.calibration.name.empty());
    connect(this, &MainWindow::analysisUpdated, uncalibrate,
            [this, uncalibrate]() { uncalibrate->setEnabled(!m_config.calibration.name.empty()); });
}

bool MainWindow::loadCalibration(const QString& path)
{
    Calibration calibration;
    if (const QString reason = readCalibrationFile(path, calibration); !reason.isEmpty()) {
        const QString message = tr("Could not load the calibration: %1").arg(reason);
        statusBar()->showMessage(message, 10000);
        if (m_errorDialogsEnabled)
            QMessageBox::warning(this, tr("Cannot Load Calibration"), message);
        return false;
    }
    applyCalibration(calibration);
    return true;
}

void MainWindow::clearCalibration()
{
    applyCalibration(Calibration {});
}

void MainWindow::applyCalibration(const Calibration& calibration)
{
    m_config.calibration = calibration;
    m_controls->setConfig(m_config); // the panel hands its configuration back on every change
    reanalyze();
}

void MainWindow::createComparisonActions(QMenu* view)
{
    QAction* pin = view->addAction(tr("&Pin as Comparison"), this, [this]() {
        if (m_model && m_result)
            m_timeline->pinComparison(configLabel(*m_model, *m_result, m_config));
    });
    pin->setObjectName(QStringLiteral("pinComparisonAction"));
    pin->setToolTip(tr("Keep this configuration's memory total on the timeline as a dashed line, to compare "
                       "the next ones with"));
    QAction* unpin = view->addAction(tr("Clear &Comparison"), m_timeline, &TimelineChart::clearComparison);
    unpin->setObjectName(QStringLiteral("clearComparisonAction"));
    unpin->setEnabled(false);
    connect(m_timeline, &TimelineChart::overlaysChanged, unpin,
            [this, unpin]() { unpin->setEnabled(m_timeline->hasComparison()); });
    m_timeline->addAction(pin);
    m_timeline->addAction(unpin);
}

bool MainWindow::importTrace(const QString& path)
{
    QString reason;
    std::shared_ptr<const MemoryTrace> trace;
    try {
        trace = std::make_shared<const MemoryTrace>(readMemoryTrace(encodeFileName(path)));
    } catch (const TraceError& e) {
        reason = QString::fromStdString(e.what());
    } catch (const std::bad_alloc&) {
        reason = tr("not enough memory to read the trace");
    } catch (const std::exception& e) {
        reason = tr("internal error: %1").arg(QString::fromStdString(e.what()));
    }
    if (!trace) {
        const QString message = tr("Could not import %1: %2").arg(QFileInfo(path).fileName(), reason);
        statusBar()->showMessage(message, 10000);
        if (m_errorDialogsEnabled) {
            auto* box = new QMessageBox(QMessageBox::Warning, tr("Cannot Import Trace"),
                                        tr("Could not import %1.").arg(QFileInfo(path).fileName()), QMessageBox::Ok,
                                        this);
            box->setInformativeText(reason);
            box->setDetailedText(path);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
        emit traceFailed(message);
        return false;
    }
    m_timeline->setTrace(std::move(trace), QFileInfo(path).fileName());
    m_timelineDock->show();
    statusBar()->showMessage(tr("Imported %1").arg(QFileInfo(path).fileName()), 5000);
    return true;
}

} // namespace fp

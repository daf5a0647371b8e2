#include "mainwindow.h"

#include "comparisonactions.h"
#include "controlpanel.h"
#include "exportactions.h"
#include "figuredelegate.h"
#include "graphview.h"
#include "graphwidget.h"
#include "layerbarchart.h"
#include "layerprecision.h"
#include "layertablemodel.h"
#include "modelloading.h"
#include "nodedetails.h"
#include "quantizeplanview.h"
#include "model_reader.h"
#include "report.h"
#include "rooflinechart.h"
#include "summarywidget.h"
#include "timelinechart.h"
#include "traceactions.h"
#include "windowsettings.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
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
#include <QResizeEvent>
#include <QPushButton>
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

// The recipe's pattern list a scope recipe edits.
template <typename R>
auto& scopePatterns(R& recipe, MainWindow::ScopeRecipe kind)
{
    return kind == MainWindow::ScopeRecipe::Checkpoint ? recipe.checkpoint
        : kind == MainWindow::ScopeRecipe::Freeze      ? recipe.freeze
                                                       : recipe.trainOnly;
}


// The pause after the last change before the largest batch that fits is searched: a drag
// searches once, and a click's search starts before the eye has moved to the summary.
constexpr int kFitDelayMs = 120;
constexpr int kControlsWidth = 290;
constexpr int kTimelineHeight = 280;
constexpr int kDetailsWidth = 400;
constexpr int kQuantizeWidth = 360; // the plan's dock, at least, when it is shown
// Below this the layer names ("/layer3/layer3.2/conv2/Conv") are cut to nothing recognisable.
constexpr int kMinNameWidth = 220;
// A load shows its progress bar only after this long: most models load in milliseconds.
constexpr int kProgressDelayMs = 150;

QString displayName(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    return isResource(path) ? MainWindow::tr("%1 (sample)").arg(name) : name;
}

// Whether a file's name carries an extension one of the readers knows (".onnx").
bool hasModelExtension(const QString& path)
{
    for (const ModelFormat& format : modelFormats()) {
        for (const std::string& extension : format.extensions) {
            if (path.endsWith(QString::fromStdString(extension), Qt::CaseInsensitive))
                return true;
        }
    }
    return false;
}

QString droppedModel(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl& url : mime->urls()) {
        if (url.isLocalFile() && hasModelExtension(url.toLocalFile()))
            return url.toLocalFile();
    }
    return {};
}

} // namespace

MainWindow::MainWindow(bool persistent, QWidget* parent)
    : QMainWindow(parent)
    , m_settings(new WindowSettings(this, persistent))
{
    setWindowTitle(tr("Footprint"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    m_layerModel = new LayerTableModel(this);
    m_proxy = new LayerTableProxy(this);
    m_proxy->setSourceModel(m_layerModel);

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
    m_settings->restoreLayout();
    connect(m_settings, &WindowSettings::openRequested, this, &MainWindow::openFile);
}

MainWindow::~MainWindow() = default;

void MainWindow::resizeEvent(QResizeEvent* event)
{
    QMainWindow::resizeEvent(event);
    // QMainWindow gives a change of height to the central widget alone, so a window made small
    // and large again kept a squeezed timeline. The timeline keeps its share of the height instead
    // (eventFilter follows it).
    const int before = event->oldSize().height();
    if (m_timelineShare <= 0 || before <= 0 || before == height() || !m_timelineDock->isVisible()
        || m_timelineDock->isFloating() || dockWidgetArea(m_timelineDock) != Qt::BottomDockWidgetArea)
        return;
    resizeDocks({ m_timelineDock }, { qRound(m_timelineShare * height()) }, Qt::Vertical);
}

void MainWindow::restoreAnalysisSettings(AnalysisConfig& config, BudgetChoice& budget)
{
    WindowSettings::restoreAnalysis(config, budget);
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
    m_summary->installEventFilter(this); // keepSummaryWhole()
    connect(m_summary, &SummaryWidget::quantizeRequested, this, [this]() {
        m_quantizeBytes = 0; // the budget's, whatever --quantize-to-fit gave
        planQuantization(m_session.budgetBytes(), m_quantizeView->order());
    });
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
    m_showConstants = new QCheckBox(tr("Show Constant nodes"), tablePage);
    m_showConstants->setObjectName(QStringLiteral("showConstants"));
    m_showConstants->setToolTip(tr("List the Constant nodes, which hold weights (as paddle2onnx stores them) or\n"
                                   "small values. Their bytes and parameters are counted on the layers that read them."));
    connect(m_showConstants, &QCheckBox::toggled, this, [this](bool show) {
        m_proxy->setShowConstants(show);
        updateLayerCount();
    });
    m_layerCount = new QLabel(tablePage);
    m_layerCount->setObjectName(QStringLiteral("layerCount"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_showConstants);
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
    // A row's context menu: the precision of the layers picked (issue 19) or of one of their
    // scopes, and a training recipe on a scope (checkpoint it, freeze it, or train only it). The
    // table shows its actions as the menu (Copy Rows, Export… join them in createActions());
    // these submenus are filled for the rows under the pointer as the menu opens (eventFilter).
    m_layerPrecisionMenu = new QMenu(tr("Precision"), this);
    m_layerPrecisionMenu->setObjectName(QStringLiteral("layerPrecisionMenu"));
    m_layerPrecisionMenu->menuAction()->setObjectName(QStringLiteral("layerPrecisionAction"));
    m_table->addAction(m_layerPrecisionMenu->menuAction());
    const std::pair<QString, ScopeRecipe> recipes[] = {
        { tr("Checkpoint"), ScopeRecipe::Checkpoint },
        { tr("Freeze"), ScopeRecipe::Freeze },
        { tr("Train only"), ScopeRecipe::TrainOnly },
    };
    for (const auto& [title, kind] : recipes) {
        QMenu* menu = new QMenu(title, this);
        m_recipeMenus[size_t(kind)] = menu;
        m_table->addAction(menu->menuAction());
    }
    auto* separator = new QAction(m_table);
    separator->setSeparator(true);
    m_table->addAction(separator);
    m_table->installEventFilter(this); // the keyboard's menu key opens the menu on the table itself
    QHeaderView* rows = m_table->verticalHeader();
    rows->setSectionResizeMode(QHeaderView::Fixed); // one height for all rows: large graphs scroll fast
    rows->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    rows->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    // Figures repaint on every slider step; their delegate draws cached text (see FigureDelegate).
    auto* figures = new FigureDelegate(m_table);
    for (int column = LayerTableModel::ShapeColumn; column < LayerTableModel::ColumnCount; ++column)
        m_table->setItemDelegateForColumn(column, figures);
    // A layer with a precision of its own (issue 19) carries it as a badge beside its name.
    m_table->setItemDelegateForColumn(LayerTableModel::NameColumn, new PrecisionBadgeDelegate(m_table));
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
    // The graph's context menu sets the precision of the node or the group clicked (issue 19).
    m_graphPrecisionMenu = new QMenu(tr("Precision"), this);
    m_graphPrecisionMenu->setObjectName(QStringLiteral("graphPrecisionMenu"));
    m_graphPrecisionMenu->menuAction()->setObjectName(QStringLiteral("graphPrecisionAction"));
    m_graph->view()->addAction(m_graphPrecisionMenu->menuAction());
    connect(m_graph->view(), &GraphView::contextMenuAbout, this, [this](int node, const QString& group) {
        QAction* action = m_graphPrecisionMenu->menuAction();
        action->setVisible(false);
        if (!m_session.model)
            return;
        const Graph& graph = m_session.model->graph;
        if (node >= 0 && size_t(node) < graph.nodes.size() && !graph.nodes[size_t(node)].name.empty()) {
            const std::string& name = graph.nodes[size_t(node)].name;
            fillPrecisionMenu(m_graphPrecisionMenu, QString::fromStdString(name), { name }, scopePatternsOf(name));
            action->setVisible(true);
        } else if (!group.isEmpty()) {
            const std::string pattern = groupPrecisionPattern(group);
            // The enclosing groups' patterns, innermost first, as a node's scopes are offered.
            std::vector<std::string> outer = scopePatternsOf(pattern.substr(0, pattern.size() - 2));
            outer.erase(std::remove(outer.begin(), outer.end(), pattern), outer.end());
            fillPrecisionMenu(m_graphPrecisionMenu, QString::fromStdString(pattern), { pattern }, outer);
            action->setVisible(true);
        }
    });
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
        m_session.config = m_controls->config();
        // A generation's longest context is searched at the batch set: a batch move searches it again.
        reanalyze(/*refit=*/!batchOnly || m_session.config.generation.has_value());
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
    m_timelineDock->installEventFilter(this);

    m_details = new NodeDetailsView;
    m_details->setObjectName(QStringLiteral("details"));
    connect(m_details, &NodeDetailsView::nodeSelected, this, &MainWindow::selectNode);
    // A collapsed group clicked in the graph: its figures, after the node selection cleared them.
    connect(m_graph, &GraphWidget::groupSelected, m_details, &NodeDetailsView::setGroup);
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

    // Quantize to fit's plan (issue 19), a tab beside the details: shown when a plan is asked for.
    m_quantizeView = new QuantizePlanView;
    m_quantizeView->setObjectName(QStringLiteral("quantizePlan"));
    connect(m_quantizeView, &QuantizePlanView::planRequested, this,
            [this]() { planQuantization(m_quantizeBytes > 0 ? m_quantizeBytes : m_session.budgetBytes(), m_quantizeView->order()); });
    connect(m_quantizeView, &QuantizePlanView::orderChanged, this, [this](QuantizeOrder order) {
        if (m_quantizeView->plan() || m_quantizeView->isPlanning()) // a plan shown: the same one in the other order
            planQuantization(m_quantizeBytes > 0 ? m_quantizeBytes : m_session.budgetBytes(), order);
    });
    connect(m_quantizeView, &QuantizePlanView::cancelRequested, this, &MainWindow::cancelQuantization);
    connect(m_quantizeView, &QuantizePlanView::applyRequested, this, &MainWindow::applyQuantization);
    m_quantizeDock = new QDockWidget(tr("Quantize to Fit"), this);
    m_quantizeDock->setObjectName(QStringLiteral("quantizeDock"));
    m_quantizeDock->setWidget(m_quantizeView);
    addDockWidget(Qt::BottomDockWidgetArea, m_quantizeDock);
    tabifyDockWidget(m_detailsDock, m_quantizeDock);
    m_quantizeDock->hide();
    m_detailsDock->raise();
}

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this,
                                    &MainWindow::openDialog);
    open->setObjectName(QStringLiteral("openAction"));
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("Open an ONNX model (Ctrl+O)"));
    file->addMenu(m_settings->recentMenu());
    file->addAction(tr("Open &Sample Model"), this, &MainWindow::openSample);
    m_cancelAction = file->addAction(tr("&Cancel Loading"), this, &MainWindow::cancelLoad);
    m_cancelAction->setObjectName(QStringLiteral("cancelLoadAction"));
    m_cancelAction->setEnabled(false);
    m_traces = new TraceActions(this, m_timeline, m_timelineDock, m_settings, [this]() {
        return m_session.isValid() ? m_session.configurationText() : QString();
    });
    connect(m_traces, &TraceActions::traceFailed, this, &MainWindow::traceFailed);
    m_traces->addTraceActions(file);
    createCalibrationActions(file);
    m_comparison = new ComparisonActions(this, m_views, m_timeline, m_settings);
    m_comparison->addActions(file);
    file->addSeparator();
    m_exports = new ExportActions(this, [this]() { return m_session; }, m_bars, m_timeline, m_roofline, m_graph->view());
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
    m_traces->addComparisonActions(m_viewMenu);
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(m_controlsDock->toggleViewAction());
    m_viewMenu->addAction(m_timelineDock->toggleViewAction());
    m_viewMenu->addAction(m_detailsDock->toggleViewAction());
    m_viewMenu->addAction(m_quantizeDock->toggleViewAction());

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

void MainWindow::setBudget(const BudgetChoice& budget)
{
    m_session.budget = budget;
    // --quantize-to-fit SIZE: planned on a worker once a model is open, never by makeSession on
    // every slider step.
    m_session.budget.quantizeToFit.reset();
    if (budget.quantizeToFit) {
        m_quantizeBytes = *budget.quantizeToFit;
        m_quantizeView->setOrder(budget.quantizeOrder);
        m_quantizeOnOpen = !m_session.model;
    }
    m_controls->setDevices(budget.devices);
    m_controls->setBudget(budget.device, budget.bytes);
    reanalyze();
    if (budget.quantizeToFit && m_session.model)
        planQuantization(m_quantizeBytes, budget.quantizeOrder);
}

void MainWindow::setScopeRecipe(ScopeRecipe kind, const std::string& scope, bool on)
{
    AnalysisConfig config = m_session.config;
    std::vector<std::string>& patterns = scopePatterns(config.training.recipe, kind);
    patterns.erase(std::remove(patterns.begin(), patterns.end(), scope), patterns.end());
    if (on) {
        patterns.push_back(scope);
        config.training.mode = Mode::Training; // recipes are training's
    }
    setAnalysisConfig(config);
}

std::vector<std::string> MainWindow::scopePatternsOf(const std::string& nodeName)
{
    std::vector<std::string> patterns;
    std::string scope;
    for (const std::string& part : scopePath(nodeName))
        patterns.push_back((scope += '/' + part) + "/*");
    std::reverse(patterns.begin(), patterns.end()); // innermost first
    return patterns;
}

void MainWindow::fillPrecisionMenu(QMenu* menu, const QString& title, const std::vector<std::string>& patterns,
                                   const std::vector<std::string>& scopes)
{
    menu->clear();
    const std::vector<LayerPrecision>& rules = m_session.config.layerPrecisions;
    // A pattern's own rule: the last one naming it exactly.
    const auto ownRule = [&rules](const std::string& pattern) -> const LayerPrecision* {
        for (auto it = rules.rbegin(); it != rules.rend(); ++it)
            if (it->pattern == pattern)
                return &*it;
        return nullptr;
    };
    const auto addChoices = [this, &ownRule](QMenu* into, const std::vector<std::string>& targets) {
        bool anyOwn = false;
        for (const std::string& target : targets)
            anyOwn = anyOwn || ownRule(target);
        for (Precision p : { Precision::FP32, Precision::FP16, Precision::BF16, Precision::INT8, Precision::INT4 }) {
            QAction* action = into->addAction(precisionLabel(p));
            action->setObjectName(QStringLiteral("precision_") + precisionLabel(p));
            action->setCheckable(true);
            action->setChecked(std::all_of(targets.begin(), targets.end(), [&](const std::string& target) {
                const LayerPrecision* rule = ownRule(target);
                return rule && rule->precision == p;
            }));
            connect(action, &QAction::triggered, this, [this, targets, p]() { setLayerPrecision(targets, p); });
        }
        into->addSeparator();
        QAction* reset = into->addAction(tr("Reset to model's"));
        reset->setObjectName(QStringLiteral("precision_reset"));
        reset->setToolTip(tr("Take the rule back: the layers follow the precision chosen for the model"));
        reset->setEnabled(anyOwn);
        connect(reset, &QAction::triggered, this, [this, targets]() { setLayerPrecision(targets, std::nullopt); });
    };
    QAction* heading = menu->addAction(title);
    heading->setEnabled(false);
    addChoices(menu, patterns);
    // One layer under a broader rule: which one, since its own choice would override it.
    if (patterns.size() == 1 && !ownRule(patterns.front()) && m_session.model) {
        const std::vector<int> matched = matchingPrecisionRules(m_session.model->graph, rules);
        const std::vector<Node>& nodes = m_session.model->graph.nodes;
        const auto it = std::find_if(nodes.begin(), nodes.end(),
                                     [&](const Node& n) { return n.name == patterns.front(); });
        const int node = it == nodes.end() ? -1 : int(it - nodes.begin());
        if (node >= 0 && matched[size_t(node)] >= 0) {
            const LayerPrecision& rule = rules[size_t(matched[size_t(node)])];
            QAction* from = menu->addAction(tr("Now %1, from %2").arg(precisionLabel(rule.precision),
                                                                      QString::fromStdString(rule.pattern)));
            from->setEnabled(false);
        }
    }
    if (!scopes.empty())
        menu->addSeparator();
    for (const std::string& scope : scopes) {
        const LayerPrecision* rule = ownRule(scope);
        QMenu* sub = menu->addMenu(rule ? tr("%1  (%2)").arg(QString::fromStdString(scope), precisionLabel(rule->precision))
                                        : QString::fromStdString(scope));
        sub->menuAction()->setObjectName(QStringLiteral("scope:") + QString::fromStdString(scope));
        addChoices(sub, { scope });
    }
}

void MainWindow::fillTableMenus(const QModelIndex& clicked)
{
    // The rows the menu is for: the selection when the click was on a selected row (several
    // rows picked for one change), else the row clicked.
    std::vector<int> nodes;
    if (clicked.isValid() && m_table->selectionModel()->isRowSelected(clicked.row(), clicked.parent())) {
        for (const QModelIndex& row : m_table->selectionModel()->selectedRows())
            nodes.push_back(row.data(LayerTableModel::NodeRole).toInt());
    } else if (clicked.isValid()) {
        nodes.push_back(clicked.data(LayerTableModel::NodeRole).toInt());
    }
    const Graph* graph = m_session.model ? &m_session.model->graph : nullptr;
    std::vector<std::string> names;
    for (int node : nodes)
        if (graph && node >= 0 && size_t(node) < graph->nodes.size() && !graph->nodes[size_t(node)].name.empty())
            names.push_back(graph->nodes[size_t(node)].name);
    m_layerPrecisionMenu->menuAction()->setVisible(!names.empty());
    for (QMenu* menu : m_recipeMenus)
        menu->menuAction()->setVisible(!names.empty());
    if (names.empty())
        return;
    const std::string& first = clicked.isValid() && !graph->nodes[size_t(clicked.data(LayerTableModel::NodeRole).toInt())].name.empty()
        ? graph->nodes[size_t(clicked.data(LayerTableModel::NodeRole).toInt())].name
        : names.front();
    fillPrecisionMenu(m_layerPrecisionMenu,
                      names.size() == 1 ? QString::fromStdString(names.front()) : tr("%1 layers").arg(names.size()), names,
                      scopePatternsOf(first));

    // A recipe on the clicked layer's module or an enclosing one (a flat name is its own scope).
    std::vector<std::string> scopes;
    std::string scope;
    for (const std::string& part : scopePath(first))
        scopes.push_back(scope += '/' + part);
    if (scopes.empty())
        scopes.push_back(first);
    for (ScopeRecipe kind : { ScopeRecipe::Checkpoint, ScopeRecipe::Freeze, ScopeRecipe::TrainOnly }) {
        QMenu* sub = m_recipeMenus[size_t(kind)];
        sub->clear();
        for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) { // innermost first
            const std::string pattern = *it;
            QAction* action = sub->addAction(QString::fromStdString(pattern));
            action->setCheckable(true);
            const std::vector<std::string>& current = scopePatterns(m_session.config.training.recipe, kind);
            action->setChecked(std::find(current.begin(), current.end(), pattern) != current.end());
            connect(action, &QAction::toggled, this, [this, pattern, kind](bool on) { setScopeRecipe(kind, pattern, on); });
        }
    }
}

void MainWindow::setLayerPrecision(const std::vector<std::string>& patterns, std::optional<Precision> precision)
{
    AnalysisConfig config = m_session.config;
    std::vector<LayerPrecision>& rules = config.layerPrecisions;
    // The patterns' own rules go, and the new ones come last: the last match wins, so a layer's
    // own choice beats its group's, whichever was made first.
    rules.erase(std::remove_if(rules.begin(), rules.end(),
                               [&](const LayerPrecision& rule) {
                                   return std::find(patterns.begin(), patterns.end(), rule.pattern) != patterns.end();
                               }),
                rules.end());
    if (precision)
        for (const std::string& pattern : patterns)
            if (!pattern.empty())
                rules.push_back({ pattern, *precision });
    setAnalysisConfig(config);
}

void MainWindow::setAnalysisConfig(const AnalysisConfig& config)
{
    m_session.config = config;
    m_controls->setConfig(config);
    reanalyze();
}

void MainWindow::openSample()
{
    openFile(sampleModelPath());
}

void MainWindow::openDialog()
{
    const QString path = m_settings->askForFile(tr("Open Model"), modelFileFilter());
    if (!path.isEmpty())
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
    statusBar()->showMessage(m_session.model ? tr("Loading cancelled; %1 stays open.").arg(displayName(m_path))
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
    m_session.model = std::move(model);
    m_loadMs = loadMs;
    setWindowTitle(tr("%1 — Footprint").arg(displayName(path)));
    statusBar()->clearMessage();
    m_filter->clear();
    if (m_selectedNode >= 0) {
        m_selectedNode = -1;
        emit nodeSelected(-1);
    }
    m_controls->setModel(m_session.model.get());
    m_session.config = m_controls->config(); // less the previous model's dimensions
    // A plan made or being made for the previous model is dropped.
    const bool wasPlanning = m_quantizeView->isPlanning();
    ++m_quantizeJob;
    m_quantizeView->clear(tr("Quantize to fit… beside the budget verdict plans which layers to lower to int8."));
    reanalyze();
    if (!isResource(path))
        m_settings->addRecentFile(path);
    emit modelLoaded(path);
    if (m_quantizeOnOpen) { // --quantize-to-fit: the first model opened
        m_quantizeOnOpen = false;
        planQuantization(m_quantizeBytes, m_quantizeView->order());
    } else if (wasPlanning) {
        emit quantizationUpdated();
    }
}

bool MainWindow::isQuantizing() const
{
    return m_quantizeView->isPlanning();
}

std::optional<QuantizationPlan> MainWindow::quantizationPlan() const
{
    return m_quantizeView->plan();
}

void MainWindow::planQuantization(int64_t budgetBytes, QuantizeOrder order)
{
    m_quantizeDock->show();
    m_quantizeDock->raise();
    // Room for the layer names: in a 1024-pixel window the details' corner is narrower.
    if (!m_quantizeDock->isFloating() && m_quantizeDock->width() < kQuantizeWidth && width() >= 1024)
        resizeDocks({ m_quantizeDock }, { kQuantizeWidth }, Qt::Horizontal);
    if (!m_session.isValid() || budgetBytes <= 0) {
        const bool wasPlanning = m_quantizeView->isPlanning();
        ++m_quantizeJob;
        m_quantizeView->clear(m_session.isValid() ? tr("Choose a device or a memory budget first: the plan lowers "
                                                       "layers until the peak fits it.")
                                                  : tr("Open a model first."));
        if (wasPlanning)
            emit quantizationUpdated();
        return;
    }
    struct Outcome {
        QuantizationPlan plan;
        QString error;
    };
    const quint64 job = ++m_quantizeJob;
    m_planVersion = m_configVersion;
    m_quantizeView->setPlanning(budgetBytes, order);
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job]() {
        watcher->deleteLater();
        if (job != m_quantizeJob)
            return; // cancelled, or another model or plan took its place
        const Outcome outcome = watcher->result();
        if (outcome.error.isEmpty()) {
            m_quantizeView->setPlan(outcome.plan, /*stale=*/m_planVersion != m_configVersion);
        } else {
            m_quantizeView->clear(tr("The plan failed: %1").arg(outcome.error));
            statusBar()->showMessage(tr("Quantize to fit failed: %1").arg(outcome.error), 10000);
        }
        emit quantizationUpdated();
    });
    // Inputs by value: the model is shared and immutable. The configuration the result was
    // analysed with, its runtime resolved by the device, so that the plan's peaks are the window's.
    watcher->setFuture(QtConcurrent::run([model = m_session.model, config = m_session.result->config, budgetBytes, order]() {
        Outcome outcome;
        try {
            outcome.plan = quantizeToFit(*model, config, budgetBytes, order);
        } catch (const std::exception& e) {
            outcome.error = QString::fromStdString(e.what());
        }
        return outcome;
    }));
}

void MainWindow::cancelQuantization()
{
    if (!m_quantizeView->isPlanning())
        return;
    ++m_quantizeJob; // what the worker still hands back is dropped
    m_quantizeView->clear(tr("Cancelled; the configuration is as it was."));
    emit quantizationUpdated();
}

void MainWindow::applyQuantization()
{
    const std::optional<QuantizationPlan>& plan = m_quantizeView->plan();
    if (!plan || !plan->fits || plan->steps.empty() || m_planVersion != m_configVersion)
        return; // nothing to apply, or planned for another configuration
    AnalysisConfig config = m_session.config; // the runtime as chosen (the plan's is resolved)
    config.layerPrecisions = plan->config.layerPrecisions;
    m_applyingPlan = true;
    setAnalysisConfig(config);
    m_applyingPlan = false;
    m_planVersion = m_configVersion;
    if (m_session.result)
        m_quantizeView->setApplied(m_session.result->totals.peakBytes);
}

void MainWindow::showLoadError(const QString& path, const QString& reason)
{
    const QString message = tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), reason);
    statusBar()->showMessage(message, 10000);
    if (!isResource(path) && !QFileInfo::exists(path))
        m_settings->removeRecentFile(path);
    if (m_errorDialogsEnabled)
        showFileWarning(this, tr("Cannot Open Model"), tr("Could not open %1.").arg(QFileInfo(path).fileName()), reason,
                        path);
    emit loadFailed(message);
}

void MainWindow::reanalyze(bool refit)
{
    if (!m_session.model)
        return;
    QElapsedTimer timer;
    timer.start();
    // One analysis per change, its performance estimated once; the search for the largest
    // batch that fits runs later, on a worker.
    Session next;
    try {
        next = makeSession(m_session.model, m_session.config, m_controls->budgetChoice(m_session.budget),
                           displayName(m_path), FitSearch::Later);
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Analysis failed: %1").arg(QString::fromStdString(e.what())), 10000);
        return;
    }
    m_analysisMs = double(timer.nsecsElapsed()) / 1e6;
    timer.restart();

    const bool newModel = m_layerModel->model() != m_session.model.get();
    // Changing only the batch cannot change the largest batch that fits, so a batch slider
    // drag never starts a search: the last answer (or the search under way) carries over.
    const bool hadFit = m_session.fit || m_session.fitPending;
    next.fit = m_session.fit;
    next.generationFit = next.generation ? m_session.generationFit : std::nullopt;
    next.fitPending = m_session.fitPending && next.budgetBytes() > 0;
    m_session = std::move(next);
    ++m_configVersion; // a plan made before is for another configuration
    if (!m_applyingPlan)
        m_quantizeView->setStale();
    if (refit || newModel || (!hadFit && m_session.budgetBytes() > 0))
        scheduleFit();

    const std::shared_ptr<const PerformanceEstimate> performance = m_session.performance();
    const QString deviceName = m_session.deviceName();
    m_layerModel->setAnalysis(m_session.model, m_session.result, performance, deviceName);
    m_summary->setAnalysis(m_session);
    m_roofline->setAnalysis(m_session.model, m_session.result, performance, deviceName, m_session.budget.efficiency);
    m_bars->setAnalysis(m_session.model, m_session.result);
    if (newModel)
        m_graph->setModel(m_session.model, m_session.result); // lays out off the GUI thread
    else
        m_graph->setAnalysis(m_session.result); // recolours and relabels, no new layout
    m_timeline->setAnalysis(m_session.model, m_session.result, m_session.budgetBytes(), m_session.budgetName(),
                            m_session.generation);
    m_controls->showResolved(*m_session.result);
    m_details->setAnalysis(m_session.model, m_session.result);

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
    m_session.fit.reset();
    m_session.generationFit.reset();
    m_fitMs = -1;
    const bool wasPending = m_session.fitPending;
    m_session.fitPending = m_session.model && m_session.budgetBytes() > 0;
    if (m_session.fitPending) {
        m_fitTimer->start(); // restarts: a drag searches once, after it pauses
    } else {
        m_fitTimer->stop();
        if (wasPending)
            emit fitUpdated();
    }
}

void MainWindow::startFit()
{
    const int64_t budgetBytes = m_session.budgetBytes();
    if (!m_session.model || budgetBytes <= 0) {
        m_session.fitPending = false;
        emit fitUpdated();
        return;
    }
    struct Outcome {
        BatchFit fit;
        std::optional<GenerationFit> generationFit;
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
        m_session.fitPending = false;
        if (outcome.error.isEmpty()) {
            m_session.fit = outcome.fit;
            m_session.generationFit = outcome.generationFit;
            m_fitMs = outcome.ms;
            // The slider reaches what the summary says.
            m_controls->batchSlider()->extendTo(outcome.generationFit ? outcome.generationFit->maxBatch
                                                                      : outcome.fit.maxBatch);
        } else {
            statusBar()->showMessage(tr("Largest-batch search failed: %1").arg(outcome.error), 10000);
        }
        m_summary->setBudget(m_session);
        updateTiming();
        emit fitUpdated();
    });
    // Inputs by value: the model is shared and immutable, the rest is copied.
    // The configuration the result was analysed with: its runtime resolved by the device.
    // In generation mode also the generation's largest batch and longest context, each plan three
    // analyses (the steps' dims are the plan's own, whatever the prefill's config sets).
    watcher->setFuture(QtConcurrent::run([model = m_session.model, config = m_session.result->config, bytes = budgetBytes,
                                          generation = m_session.config.generation]() {
        Outcome outcome;
        QElapsedTimer timer;
        timer.start();
        try {
            outcome.fit = largestBatchThatFits(*model, config, bytes);
            if (generation)
                outcome.generationFit = fitGeneration(*model, config, generation->prompt, generation->newTokens, bytes);
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
    if (m_session.fit && m_fitMs >= 0)
        timing += tr("  ·  batch search %1 ms (%2 analyses)")
                      .arg(m_fitMs, 0, 'f', 1)
                      .arg(m_session.fit->analyses + (m_session.generationFit ? m_session.generationFit->analyses : 0));
    m_timing->setText(timing);
}

void MainWindow::updateLayerCount()
{
    const int total = m_layerModel->rowCount();
    const int shown = m_proxy->rowCount();
    m_layerCount->setText(shown == total ? tr("%1 layers").arg(total) : tr("%1 of %2 layers").arg(shown).arg(total));
    // Only offered where there is something to show.
    m_showConstants->setVisible(m_showConstants->isChecked() || m_proxy->hiddenConstants() > 0);
}

void MainWindow::selectNode(int node)
{
    if (!m_session.result)
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
        const auto& layers = m_session.result->layers;
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
    if (!m_session.model || !m_session.result || name.isEmpty())
        return false;
    const std::string exact = name.toStdString();
    int found = -1;
    for (const LayerResult& layer : m_session.result->layers) {
        const std::string& nodeName = m_session.model->graph.nodes[size_t(layer.node)].name;
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
    if (!index.isValid()) { // a weight constant (the graph's details of one, say)
        m_showConstants->setChecked(true);
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
    const QString widest = LayerTableModel::widestFigure(column);
    if (widest.isEmpty())
        return 0;
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
            && !(m_session.performance() && m_session.performance()->hasRoofline());
        const bool empty = noTimes
            || (column == LayerTableModel::SavedColumn && m_session.config.training.mode != Mode::Training);
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

void MainWindow::keepSummaryWhole()
{
    // The summary's lines wrap in a narrow window (1024x700), and the central widget's layout
    // then squeezes them over one another rather than take the views below their minimum: the
    // timeline dock gives up the difference instead, down to its own minimum. Its share of the
    // height stays what it was, so a larger window gives it back (resizeEvent).
    if (!m_timelineDock->isVisible() || m_timelineDock->isFloating()
        || dockWidgetArea(m_timelineDock) != Qt::BottomDockWidgetArea)
        return;
    const int missing = m_summary->heightForWidth(m_summary->width()) - m_summary->height();
    const int room = m_timelineDock->height() - m_timelineDock->minimumSizeHint().height();
    if (missing > 0 && room > 0)
        resizeDocks({ m_timelineDock }, { m_timelineDock->height() - std::min(missing, room) }, Qt::Vertical);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    // The table's context menu is about to show its actions: fit them to the rows it is for.
    if (event->type() == QEvent::ContextMenu && (watched == m_table->viewport() || watched == m_table)) {
        const auto* menu = static_cast<QContextMenuEvent*>(event);
        fillTableMenus(watched == m_table->viewport() ? m_table->indexAt(menu->pos())
                                                      : m_table->selectionModel()->currentIndex());
    }
    if (watched == m_table->viewport() && event->type() == QEvent::Resize)
        fitNameColumn();
    if (watched == m_summary && event->type() == QEvent::Resize)
        QMetaObject::invokeMethod(this, &MainWindow::keepSummaryWhole, Qt::QueuedConnection); // after this layout pass
    // The share of the height the timeline keeps on resizes: the one it is first shown with (laid
    // out or restored), then the one the user drags the separator to. A window too small for it
    // squeezes the timeline without changing it.
    if (watched == m_timelineDock && event->type() == QEvent::Resize && isVisible() && height() > 0
        && (m_timelineShare <= 0 || (QGuiApplication::mouseButtons() & Qt::LeftButton)))
        m_timelineShare = m_timelineDock->height() / double(height());
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

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_settings->save(m_session.config, m_controls->device());
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

// --- latency, calibration and measured traces (issue #8, #5) ------------------------------

void MainWindow::createCalibrationActions(QMenu* file)
{
    QAction* calibrate = file->addAction(tr("Load &Calibration…"), this, [this]() {
        const QString path
            = m_settings->askForFile(tr("Load Calibration"), tr("Calibration files (*.json);;All files (*)"));
        if (!path.isEmpty())
            loadCalibration(path);
    });
    calibrate->setObjectName(QStringLiteral("loadCalibrationAction"));
    calibrate->setToolTip(tr("Correct the estimate with a device's measured overheads (runtime context, allocator "
                             "rounding), as written by resources/scripts/calibrate.py"));
    QAction* uncalibrate = file->addAction(tr("Clear C&alibration"), this, &MainWindow::clearCalibration);
    uncalibrate->setObjectName(QStringLiteral("clearCalibrationAction"));
    uncalibrate->setEnabled(!m_session.config.calibration.name.empty());
    connect(this, &MainWindow::analysisUpdated, uncalibrate,
            [this, uncalibrate]() { uncalibrate->setEnabled(!m_session.config.calibration.name.empty()); });
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
    m_session.config.calibration = calibration;
    m_controls->setConfig(m_session.config); // the panel hands its configuration back on every change
    reanalyze();
}

bool MainWindow::importTrace(const QString& path)
{
    return m_traces->importTrace(path);
}

} // namespace fp

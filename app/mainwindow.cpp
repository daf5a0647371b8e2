#include "mainwindow.h"

#include "layertablemodel.h"
#include "onnx_reader.h"
#include "report.h"
#include "summarywidget.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
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
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace fp {

namespace {

// Bump when the toolbars or docks change, so an old saveState() is ignored, not misapplied.
constexpr int kStateVersion = 1;
constexpr int kMaxRecentFiles = 10;
constexpr int kMaxBatch = 4096;
constexpr int kNoBudget = -1;

namespace Keys {
const auto geometry = QStringLiteral("MainWindow/geometry");
const auto state = QStringLiteral("MainWindow/state");
const auto recentFiles = QStringLiteral("recentFiles");
const auto lastDirectory = QStringLiteral("lastDirectory");
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

// Runs on the thread pool: touches nothing but its argument.
LoadedModel loadModel(const QString& path)
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
            loaded.model = std::make_shared<const Model>(
                readOnnxBytes(data, size_t(bytes.size()), QFileInfo(path).fileName().toStdString()));
        } else {
            loaded.model = std::make_shared<const Model>(readOnnxFile(QFile::encodeName(path).toStdString()));
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

    m_layerModel = new LayerTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_layerModel);
    m_proxy->setSortRole(LayerTableModel::SortRole);
    m_proxy->setFilterRole(LayerTableModel::FilterRole);
    m_proxy->setFilterKeyColumn(LayerTableModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    createCentralWidget();
    createActions();
    createToolBar();

    m_timing = new QLabel(this);
    m_timing->setObjectName(QStringLiteral("timingLabel"));
    statusBar()->addPermanentWidget(m_timing);

    resize(1200, 800);
    if (m_persistent) {
        QSettings settings;
        restoreGeometry(settings.value(Keys::geometry).toByteArray());
        restoreState(settings.value(Keys::state).toByteArray(), kStateVersion);
    }
    syncConfigWidgets();
    updateRecentMenu();
}

MainWindow::~MainWindow() = default;

QString MainWindow::sampleModelPath()
{
    return QStringLiteral(":/models/resnet18.onnx");
}

void MainWindow::createCentralWidget()
{
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);

    m_summary = new SummaryWidget(central);
    m_summary->setObjectName(QStringLiteral("summary"));
    connect(m_summary, &SummaryWidget::layerActivated, this, &MainWindow::showLayer);
    layout->addWidget(m_summary);
    layout->addSpacing(6);

    auto* filterRow = new QHBoxLayout;
    m_filter = new QLineEdit(central);
    m_filter->setObjectName(QStringLiteral("layerFilter"));
    m_filter->setPlaceholderText(tr("Filter layers by name or operator, e.g. Conv or layer3"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    m_layerCount = new QLabel(central);
    m_layerCount->setObjectName(QStringLiteral("layerCount"));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_layerCount);
    layout->addLayout(filterRow);

    m_table = new QTableView(central);
    m_table->setObjectName(QStringLiteral("layerTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle); // exporter names differ in the middle: /layer3/layer3.4/conv2/Conv
    m_table->setSortingEnabled(true);
    QHeaderView* header = m_table->horizontalHeader();
    // No sort column at first: the rows stay in execution order until a header is clicked,
    // and a third click on it goes back to that order.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    header->setSortIndicatorClearable(true);
    header->setSectionResizeMode(LayerTableModel::NameColumn, QHeaderView::Stretch);
    header->setHighlightSections(false);
    QHeaderView* rows = m_table->verticalHeader();
    rows->setSectionResizeMode(QHeaderView::Fixed); // one height for all rows: large graphs scroll fast
    rows->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    rows->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    layout->addWidget(m_table, 1);

    connect(m_proxy, &QAbstractItemModel::modelReset, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateLayerCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateLayerCount);

    setCentralWidget(central);
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
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* find = edit->addAction(tr("&Filter Layers"), this, [this]() {
        m_filter->setFocus(Qt::ShortcutFocusReason);
        m_filter->selectAll();
    });
    find->setShortcut(QKeySequence::Find);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Footprint"), this, [this]() {
        QMessageBox::about(this, tr("About Footprint"),
                           tr("<h3>Footprint %1</h3><p>Where an ONNX model's memory goes: parameters, storage, "
                              "compute and the peak inference memory, layer by layer.</p>")
                               .arg(QStringLiteral(FOOTPRINT_VERSION)));
    });
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createToolBar()
{
    QToolBar* toolBar = addToolBar(tr("Analysis"));
    toolBar->setObjectName(QStringLiteral("analysisToolBar")); // saveState() keys toolbars by object name
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(findChild<QAction*>(QStringLiteral("openAction")));
    toolBar->addSeparator();

    auto* batchLabel = new QLabel(tr("Batch "), toolBar);
    m_batch = new QSpinBox(toolBar);
    m_batch->setObjectName(QStringLiteral("batchSpinBox"));
    m_batch->setRange(1, kMaxBatch);
    m_batch->setAccelerated(true);
    m_batch->setToolTip(tr("Batch size: dim 0 of every graph input"));
    batchLabel->setBuddy(m_batch);
    toolBar->addWidget(batchLabel);
    toolBar->addWidget(m_batch);
    connect(m_batch, &QSpinBox::valueChanged, this, [this](int batch) {
        m_config.shapes.batch = batch;
        reanalyze(/*refit=*/false);
    });

    toolBar->addSeparator();
    auto* precisionLabel = new QLabel(tr("Precision "), toolBar);
    m_precision = new QComboBox(toolBar);
    m_precision->setObjectName(QStringLiteral("precisionComboBox"));
    m_precision->setToolTip(tr("Precision of floating-point weights and activations"));
    m_precision->addItem(tr("As stored"), int(Precision::Model));
    m_precision->addItem(QStringLiteral("FP32"), int(Precision::FP32));
    m_precision->addItem(QStringLiteral("FP16"), int(Precision::FP16));
    m_precision->addItem(QStringLiteral("BF16"), int(Precision::BF16));
    m_precision->addItem(QStringLiteral("INT8"), int(Precision::INT8));
    precisionLabel->setBuddy(m_precision);
    toolBar->addWidget(precisionLabel);
    toolBar->addWidget(m_precision);
    connect(m_precision, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.precision = Precision(m_precision->currentData().toInt());
        reanalyze();
    });

    toolBar->addSeparator();
    auto* modeLabel = new QLabel(tr("Mode "), toolBar);
    m_mode = new QComboBox(toolBar);
    m_mode->setObjectName(QStringLiteral("modeComboBox"));
    m_mode->setToolTip(tr("Inference: the forward pass. Training: forward, backward and the optimizer step, "
                          "with gradients, optimizer state and saved activations"));
    m_mode->addItem(tr("Inference"), int(Mode::Inference));
    m_mode->addItem(tr("Training"), int(Mode::Training));
    modeLabel->setBuddy(m_mode);
    toolBar->addWidget(modeLabel);
    toolBar->addWidget(m_mode);
    m_optimizer = new QComboBox(toolBar);
    m_optimizer->setObjectName(QStringLiteral("optimizerComboBox"));
    m_optimizer->setToolTip(tr("The optimizer whose state training keeps: none for SGD, one copy of the "
                               "weights for momentum, two for Adam and AdamW"));
    m_optimizer->addItem(QStringLiteral("SGD"), int(Optimizer::SGD));
    m_optimizer->addItem(tr("Momentum"), int(Optimizer::Momentum));
    m_optimizer->addItem(QStringLiteral("Adam"), int(Optimizer::Adam));
    m_optimizer->addItem(QStringLiteral("AdamW"), int(Optimizer::AdamW));
    toolBar->addWidget(m_optimizer);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.training.mode = Mode(m_mode->currentData().toInt());
        m_optimizer->setEnabled(m_config.training.mode == Mode::Training);
        reanalyze();
    });
    connect(m_optimizer, &QComboBox::currentIndexChanged, this, [this]() {
        m_config.training.optimizer = Optimizer(m_optimizer->currentData().toInt());
        reanalyze();
    });

    toolBar->addSeparator();
    auto* deviceLabel = new QLabel(tr("Budget "), toolBar);
    m_device = new QComboBox(toolBar);
    m_device->setObjectName(QStringLiteral("deviceComboBox"));
    m_device->setToolTip(tr("Compare the peak with a device's memory and find the largest batch that fits"));
    m_device->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    deviceLabel->setBuddy(m_device);
    toolBar->addWidget(deviceLabel);
    toolBar->addWidget(m_device);
    populateDevices(std::nullopt);
    connect(m_device, &QComboBox::currentIndexChanged, this, [this]() { reanalyze(); });
}

void MainWindow::populateDevices(const std::optional<int64_t>& customBytes)
{
    const QSignalBlocker blocker(m_device);
    m_device->clear();
    m_device->addItem(tr("None"), kNoBudget);
    for (size_t i = 0; i < m_devices.size(); ++i) {
        const Device& device = m_devices[i];
        m_device->addItem(QStringLiteral("%1  (%2)").arg(QString::fromStdString(device.name),
                                                         QString::fromStdString(formatBytes(device.memoryBytes))),
                          int(i));
    }
    if (customBytes)
        m_device->addItem(QString::fromStdString(formatBytes(*customBytes)), QVariant::fromValue(qint64(*customBytes)));
}

std::optional<MemoryBudget> MainWindow::budget() const
{
    const int index = m_device->currentIndex();
    if (index <= 0)
        return std::nullopt;
    MemoryBudget budget;
    if (index <= int(m_devices.size())) {
        const Device& device = m_devices[size_t(index - 1)];
        budget.name = QString::fromStdString(device.name);
        budget.bytes = device.memoryBytes;
    } else {
        budget.bytes = m_device->currentData().toLongLong();
    }
    return budget;
}

void MainWindow::setBudget(const Budget& budget)
{
    m_devices = budget.devices;
    // A --fit-memory size gets an entry of its own; a --device alone selects that device.
    const bool custom = budget.bytes && (!budget.device || budget.device->memoryBytes != *budget.bytes);
    populateDevices(custom ? budget.bytes : std::nullopt);
    int index = 0;
    if (custom) {
        index = m_device->count() - 1;
    } else if (budget.device) {
        const Device* match = findDevice(m_devices, budget.device->name);
        if (match)
            index = int(match - m_devices.data()) + 1;
    }
    const QSignalBlocker blocker(m_device);
    m_device->setCurrentIndex(index);
    reanalyze();
}

void MainWindow::setAnalysisConfig(const AnalysisConfig& config)
{
    m_config = config;
    syncConfigWidgets();
    reanalyze();
}

void MainWindow::syncConfigWidgets()
{
    // Shows the batch the analysis used: the user's, or the model's own while none is set,
    // without turning the model's into a setting.
    int batch = 1;
    if (m_config.shapes.batch) {
        batch = int(std::clamp<int64_t>(*m_config.shapes.batch, 1, kMaxBatch));
    } else if (m_model && m_result) {
        for (int in : m_model->graph.inputs) {
            const TensorInfo& info = m_result->shapes.tensors[size_t(in)];
            if (!info.dims.empty() && info.dims[0] > 0) {
                batch = int(std::clamp<int64_t>(info.dims[0], 1, kMaxBatch));
                break;
            }
        }
    }
    const QSignalBlocker batchBlocker(m_batch);
    m_batch->setValue(batch);
    const QSignalBlocker precisionBlocker(m_precision);
    m_precision->setCurrentIndex(std::max(0, m_precision->findData(int(m_config.precision))));
    const QSignalBlocker modeBlocker(m_mode);
    m_mode->setCurrentIndex(std::max(0, m_mode->findData(int(m_config.training.mode))));
    const QSignalBlocker optimizerBlocker(m_optimizer);
    m_optimizer->setCurrentIndex(std::max(0, m_optimizer->findData(int(m_config.training.optimizer))));
    m_optimizer->setEnabled(m_config.training.mode == Mode::Training);
}

void MainWindow::openSample()
{
    openFile(sampleModelPath());
}

void MainWindow::openDialog()
{
    QString dir;
    if (m_persistent)
        dir = QSettings().value(Keys::lastDirectory).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Model"), dir,
                                                      tr("ONNX models (*.onnx);;All files (*)"));
    if (path.isEmpty())
        return;
    if (m_persistent)
        QSettings().setValue(Keys::lastDirectory, QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::openFile(const QString& path)
{
    const QString absolute = isResource(path) ? path : QFileInfo(path).absoluteFilePath();
    const quint64 job = ++m_job;
    m_loading = true;
    statusBar()->showMessage(tr("Loading %1…").arg(displayName(absolute)));

    auto* watcher = new QFutureWatcher<LoadedModel>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job, absolute]() {
        watcher->deleteLater();
        if (job != m_job)
            return; // superseded by a newer open: showing it now would flash the wrong model
        m_loading = false;
        LoadedModel loaded = watcher->result();
        if (loaded.model)
            showModel(absolute, std::move(loaded.model), loaded.ms);
        else
            showLoadError(absolute, loaded.error);
    });
    watcher->setFuture(QtConcurrent::run(loadModel, absolute));
}

void MainWindow::showModel(const QString& path, std::shared_ptr<const Model> model, double loadMs)
{
    m_path = path;
    m_model = std::move(model);
    m_loadMs = loadMs;
    m_fit.reset();
    setWindowTitle(tr("%1 — Footprint").arg(displayName(path)));
    statusBar()->clearMessage();
    m_filter->clear();
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
    std::optional<MemoryBudget> memoryBudget = budget();
    double fitMs = -1;
    try {
        result = std::make_shared<const AnalysisResult>(analyze(*m_model, m_config));
        m_analysisMs = double(timer.nsecsElapsed()) / 1e6;
        if (!memoryBudget) {
            m_fit.reset();
        } else if (refit || !m_fit) {
            // Several analyses (a secant search), so only when something but the batch changed.
            timer.restart();
            m_fit = largestBatchThatFits(*m_model, m_config, memoryBudget->bytes);
            fitMs = double(timer.nsecsElapsed()) / 1e6;
        }
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Analysis failed: %1").arg(QString::fromStdString(e.what())), 10000);
        return;
    }
    if (memoryBudget && m_fit) {
        memoryBudget->maxBatch = m_fit->maxBatch;
        memoryBudget->maxBatchIsSearchLimit = m_fit->hitLimit;
    }

    const bool newModel = m_layerModel->model() != m_model.get();
    m_result = std::move(result);
    m_layerModel->setAnalysis(m_model, m_result);
    m_summary->setAnalysis(displayName(m_path), m_model, m_result, memoryBudget);

    if (newModel) {
        // Column by column: resizeColumnsToContents() would size the stretched name column to
        // its contents too, leaving a gap at the right until the next resize.
        for (int column = LayerTableModel::OpColumn; column < LayerTableModel::ColumnCount; ++column)
            m_table->resizeColumnToContents(column);
    } else {
        // A larger batch makes longer figures ("12.00 KiB" -> "768.00 KiB"); grow the columns
        // so none is cut, but never shrink a width the user may have chosen.
        const QAbstractItemView* view = m_table; // QTableView hides the public sizeHintForColumn()
        for (int column = LayerTableModel::OpColumn; column < LayerTableModel::ColumnCount; ++column)
            m_table->setColumnWidth(column, std::max(m_table->columnWidth(column), view->sizeHintForColumn(column)));
    }
    syncConfigWidgets();
    updateLayerCount();
    QString timing = tr("Loaded in %1 ms  ·  analysis %2 ms").arg(m_loadMs, 0, 'f', 1).arg(m_analysisMs, 0, 'f', 2);
    if (fitMs >= 0)
        timing += tr("  ·  batch search %1 ms (%2 analyses)").arg(fitMs, 0, 'f', 1).arg(m_fit->analyses);
    m_timing->setText(timing);
    emit analysisUpdated();
}

void MainWindow::updateLayerCount()
{
    const int total = m_layerModel->rowCount();
    const int shown = m_proxy->rowCount();
    m_layerCount->setText(shown == total ? tr("%1 layers").arg(total) : tr("%1 of %2 layers").arg(shown).arg(total));
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
    m_table->selectRow(index.row());
    m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_table->setFocus(Qt::OtherFocusReason);
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

} // namespace fp

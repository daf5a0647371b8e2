#include "comparisonactions.h"

#include "comparisonview.h"
#include "mainwindow.h"
#include "modelloading.h"
#include "timelinechart.h"
#include "traceactions.h"
#include "windowsettings.h"

#include <QAction>
#include <QDockWidget>
#include <QEvent>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenu>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace fp {

namespace {

// What a job on the thread pool hands back: B's session, or why there is none.
struct Outcome {
    std::shared_ptr<const Model> model;
    Session session;
    QString error;
    bool unreadable = false; // the file, not the analysis, failed
};

// B: `model` analysed with the window's configuration and budget. Runs on the thread pool.
Outcome analyseB(std::shared_ptr<const Model> model, const AnalysisConfig& config, BudgetChoice budget,
                 const QString& name)
{
    Outcome outcome;
    outcome.model = model;
    budget.quantizeToFit.reset(); // the comparison shows no quantization plan: not worth B's analyses
    try {
        outcome.session = makeSession(std::move(model), config, budget, name, FitSearch::Later);
    } catch (const std::bad_alloc&) {
        outcome.error = ComparisonActions::tr("not enough memory to analyse it");
    } catch (const std::exception& e) {
        outcome.error = QString::fromStdString(e.what());
    }
    return outcome;
}

} // namespace

ComparisonActions::ComparisonActions(MainWindow* window, QTabWidget* views, TimelineChart* timeline,
                                     WindowSettings* settings)
    : QObject(window)
    , m_window(window)
    , m_views(views)
    , m_timeline(timeline)
    , m_settings(settings)
{
    connect(m_window, &MainWindow::analysisUpdated, this, &ComparisonActions::windowAnalysed);
    connect(m_views, &QTabWidget::currentChanged, this, &ComparisonActions::currentTabChanged);
    // Before the window saves its layout on closing: the docks as the user left them.
    m_window->installEventFilter(this);
}

ComparisonActions::~ComparisonActions() = default;

void ComparisonActions::addActions(QMenu* file)
{
    file->addSeparator();
    QAction* withFile = file->addAction(tr("Compare &With…"), this, [this]() {
        const QString path = m_settings->askForFile(tr("Compare With"), modelFileFilter());
        if (!path.isEmpty())
            compareWithFile(path);
    });
    withFile->setObjectName(QStringLiteral("compareWithAction"));
    withFile->setToolTip(tr("Put a second model beside the one open, analysed with the same configuration: "
                            "totals, layers matched by name, and both timelines"));
    QAction* pin = file->addAction(tr("Compare With Current Co&nfiguration"), this, &ComparisonActions::pinConfiguration);
    pin->setObjectName(QStringLiteral("pinConfigurationAction"));
    pin->setToolTip(tr("Keep this configuration as A: the changes you make next are B, compared with it"));
    m_closeAction = file->addAction(tr("Close Compa&rison"), this, &ComparisonActions::closeComparison);
    m_closeAction->setObjectName(QStringLiteral("closeComparisonAction"));
    m_closeAction->setEnabled(false);
}

void ComparisonActions::compareWithFile(const QString& path)
{
    const Session& current = m_window->session();
    const QString name = QFileInfo(path).fileName();
    if (!current.isValid()) {
        fail(tr("Open a model before comparing %1 with it.").arg(name));
        return;
    }
    const QString absolute = isResource(path) ? path : QFileInfo(path).absoluteFilePath();
    dropPending();
    const quint64 job = m_job;
    m_busy = true;
    m_read = std::make_shared<ReadProgress>();
    if (m_view)
        m_view->setStatus(tr("Reading %1…").arg(name));
    m_window->statusBar()->showMessage(tr("Reading %1 to compare…").arg(name));
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job, absolute, name]() {
        watcher->deleteLater();
        if (job != m_job)
            return; // closed, or superseded by a newer comparison
        m_busy = false;
        m_read.reset();
        const Outcome outcome = watcher->result();
        if (!outcome.error.isEmpty()) {
            if (m_view)
                m_view->setStatus({});
            fail(outcome.unreadable ? tr("Could not compare with %1: %2").arg(name, outcome.error)
                                    : tr("Could not analyse %1 to compare: %2").arg(name, outcome.error),
                 absolute, outcome.error);
            return;
        }
        unpinTimeline(); // a pinned comparison before this one
        m_pinned = Session {};
        m_mode = Mode::File;
        m_fileModel = outcome.model;
        m_fileName = name;
        m_window->statusBar()->clearMessage();
        show(m_window->session(), outcome.session);
    });
    // The configuration as asked (a null runtime follows the device), as the window analyses it.
    watcher->setFuture(QtConcurrent::run(
        [absolute, name, config = current.config, budget = current.budget, read = m_read]() {
            LoadedModel loaded = loadModel(absolute, read);
            if (!loaded.model) {
                Outcome outcome;
                outcome.error = loaded.error;
                outcome.unreadable = true;
                return outcome;
            }
            return analyseB(std::move(loaded.model), config, budget, name);
        }));
}

void ComparisonActions::pinConfiguration()
{
    const Session& current = m_window->session();
    if (!current.isValid()) {
        fail(tr("Open a model before pinning its configuration."));
        return;
    }
    dropPending(); // a file still being read would replace this comparison
    m_mode = Mode::Pinned;
    m_pinned = current;
    m_fileModel.reset();
    // The timeline's own overlay draws A over the window's timeline.
    m_pinLabel = current.configurationText();
    m_timeline->pinComparison(m_pinLabel);
    m_window->statusBar()->showMessage(
        tr("Pinned %1 as A: change the configuration to compare with it").arg(m_pinLabel), 5000);
    show(m_pinned, current);
}

void ComparisonActions::dropPending()
{
    ++m_job;
    m_busy = false;
    m_analyseAgain = false;
    if (m_read) { // "Reading … to compare" is over
        m_read->cancelled = true;
        m_window->statusBar()->clearMessage();
    }
    m_read.reset();
}

void ComparisonActions::closeComparison()
{
    dropPending();
    if (m_mode == Mode::None && !m_view)
        return;
    m_mode = Mode::None;
    m_pinned = Session {};
    m_fileModel.reset();
    unpinTimeline();
    restoreDocks();
    if (m_view) {
        const int index = m_views->indexOf(m_view);
        const bool wasCurrent = index >= 0 && m_views->currentIndex() == index;
        if (index >= 0)
            m_views->removeTab(index);
        m_view->hide();
        m_view->clear();
        m_view->setStatus({});
        if (wasCurrent && m_previousTab >= 0 && m_previousTab < m_views->count())
            m_views->setCurrentIndex(m_previousTab);
    }
    if (m_closeAction)
        m_closeAction->setEnabled(false);
}

void ComparisonActions::windowAnalysed()
{
    if (m_mode == Mode::Pinned)
        show(m_pinned, m_window->session());
    else if (m_mode == Mode::File)
        analyseFile();
}

void ComparisonActions::analyseFile()
{
    const Session& current = m_window->session();
    if (!m_fileModel || !current.isValid())
        return;
    m_busy = true;
    if (m_analysing) {
        m_analyseAgain = true;
        return;
    }
    m_analysing = true;
    const quint64 job = m_job;
    auto* watcher = new QFutureWatcher<Outcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job, a = current]() {
        watcher->deleteLater();
        m_analysing = false;
        if (job != m_job) { // closed, or another comparison started
            if (std::exchange(m_analyseAgain, false))
                analyseFile(); // asked for since, by the comparison now shown
            return;
        }
        const Outcome outcome = watcher->result();
        if (std::exchange(m_analyseAgain, false)) {
            analyseFile(); // the window moved on meanwhile: its configuration now
        } else {
            m_busy = false;
        }
        if (!outcome.error.isEmpty()) {
            // What was shown stays, said to be out of date.
            const QString message = tr("%1 could not be analysed with this configuration: %2").arg(m_fileName, outcome.error);
            if (m_view)
                m_view->setStatus(message);
            m_window->statusBar()->showMessage(message, 10000);
            emit comparisonFailed(message);
            return;
        }
        show(a, outcome.session); // A and B of one configuration, even when a newer one follows
    });
    watcher->setFuture(QtConcurrent::run(analyseB, m_fileModel, current.config, current.budget, m_fileName));
}

void ComparisonActions::show(const Session& a, const Session& b)
{
    if (!m_view) {
        m_view = new ComparisonView;
        connect(m_view, &ComparisonView::closeRequested, this, &ComparisonActions::closeComparison);
        connect(m_view, &ComparisonView::layerActivated, this, [this](const QString& name) {
            m_window->selectNodeNamed(name);
        });
    }
    if (m_views->indexOf(m_view) < 0) {
        m_previousTab = m_views->currentIndex();
        m_views->addTab(m_view, tr("Comparison"));
        m_views->setCurrentWidget(m_view);
    }
    m_view->setStatus({});
    m_view->setSides(a, b);
    m_closeAction->setEnabled(true);
    emit comparisonUpdated();
}

void ComparisonActions::fail(const QString& message, const QString& path, const QString& reason)
{
    m_window->statusBar()->showMessage(message, 10000);
    if (m_window->errorDialogsEnabled()) {
        if (path.isEmpty())
            showFileWarning(m_window, tr("Cannot Compare"), message, {}, {});
        else
            showFileWarning(m_window, tr("Cannot Compare"),
                            tr("Could not compare with %1.").arg(QFileInfo(path).fileName()), reason, path);
    }
    emit comparisonFailed(message);
}

void ComparisonActions::unpinTimeline()
{
    // Only the pin this comparison made: one the user pinned since (View > Pin as Comparison) stays.
    if (!m_pinLabel.isEmpty() && m_timeline->hasComparison() && m_timeline->comparisonLabel() == m_pinLabel)
        m_timeline->clearComparison();
    m_pinLabel.clear();
}

void ComparisonActions::currentTabChanged()
{
    if (!m_view || m_views->currentWidget() != m_view) {
        restoreDocks();
        return;
    }
    if (!m_hiddenDocks.isEmpty())
        return;
    for (QDockWidget* dock : m_window->findChildren<QDockWidget*>()) {
        if (dock->isVisible() && !dock->isFloating() && m_window->dockWidgetArea(dock) == Qt::BottomDockWidgetArea) {
            m_hiddenDocks.append(dock);
            dock->hide();
        }
    }
}

void ComparisonActions::restoreDocks()
{
    const QList<QPointer<QDockWidget>> docks = std::exchange(m_hiddenDocks, {});
    for (const QPointer<QDockWidget>& dock : docks) {
        if (dock)
            dock->show();
    }
}

bool ComparisonActions::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_window && event->type() == QEvent::Close)
        restoreDocks();
    return QObject::eventFilter(watched, event);
}

} // namespace fp

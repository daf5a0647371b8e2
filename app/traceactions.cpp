#include "traceactions.h"

#include "model_reader.h"
#include "timelinechart.h"
#include "traces.h"
#include "windowsettings.h"

#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>

namespace fp {

namespace {

// An action that takes one of the timeline's overlays away, enabled while the timeline shows it.
QAction* addClearAction(QMenu* menu, TimelineChart* timeline, const QString& text, const QString& name,
                        void (TimelineChart::*clear)(), bool (TimelineChart::*shown)() const)
{
    QAction* action = menu->addAction(text, timeline, clear);
    action->setObjectName(name);
    action->setEnabled(false);
    QObject::connect(timeline, &TimelineChart::overlaysChanged, action,
                     [timeline, action, shown]() { action->setEnabled((timeline->*shown)()); });
    return action;
}

} // namespace

TraceActions::TraceActions(QMainWindow* window, TimelineChart* timeline, QDockWidget* timelineDock,
                           WindowSettings* settings, std::function<QString()> comparisonLabel)
    : QObject(window)
    , m_window(window)
    , m_timeline(timeline)
    , m_timelineDock(timelineDock)
    , m_settings(settings)
    , m_comparisonLabel(std::move(comparisonLabel))
{
}

void TraceActions::addTraceActions(QMenu* file)
{
    file->addSeparator();
    QAction* import = file->addAction(tr("&Import Memory Trace…"), this, [this]() {
        const QString path = m_settings->askForFile(tr("Import Memory Trace"),
                                                    tr("Memory traces (*.csv *.json *.log *.txt);;All files (*)"));
        if (!path.isEmpty())
            importTrace(path);
    });
    import->setObjectName(QStringLiteral("importTraceAction"));
    import->setToolTip(tr("Overlay a measured memory trace on the timeline: an nvidia-smi CSV log, an "
                          "onnxruntime profile, or a trace from torch_memory_trace.py"));
    m_timeline->addAction(addClearAction(file, m_timeline, tr("C&lear Memory Trace"), QStringLiteral("clearTraceAction"),
                                         &TimelineChart::clearTrace, &TimelineChart::hasTrace));
}

void TraceActions::addComparisonActions(QMenu* view)
{
    QAction* pin = view->addAction(tr("&Pin as Comparison"), this, [this]() {
        if (const QString label = m_comparisonLabel(); !label.isEmpty())
            m_timeline->pinComparison(label);
    });
    pin->setObjectName(QStringLiteral("pinComparisonAction"));
    pin->setToolTip(tr("Keep this configuration's memory total on the timeline as a dashed line, to compare "
                       "the next ones with"));
    QAction* unpin = addClearAction(view, m_timeline, tr("Clear &Comparison"), QStringLiteral("clearComparisonAction"),
                                    &TimelineChart::clearComparison, &TimelineChart::hasComparison);
    m_timeline->addAction(pin);
    m_timeline->addAction(unpin);
}

bool TraceActions::importTrace(const QString& path)
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
    const QString name = QFileInfo(path).fileName();
    if (!trace) {
        const QString message = tr("Could not import %1: %2").arg(name, reason);
        m_window->statusBar()->showMessage(message, 10000);
        if (m_window->property("errorDialogsEnabled").toBool())
            showFileWarning(m_window, tr("Cannot Import Trace"), tr("Could not import %1.").arg(name), reason, path);
        emit traceFailed(message);
        return false;
    }
    m_timeline->setTrace(std::move(trace), name);
    m_timelineDock->show();
    m_window->statusBar()->showMessage(tr("Imported %1").arg(name), 5000);
    return true;
}

void showFileWarning(QWidget* parent, const QString& title, const QString& text, const QString& reason,
                     const QString& path)
{
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setInformativeText(reason);
    box->setDetailedText(path);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace fp

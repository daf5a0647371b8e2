#pragma once

#include <QObject>
#include <QString>

#include <functional>

class QDockWidget;
class QMainWindow;
class QMenu;
class QWidget;

namespace fp {

class TimelineChart;
class WindowSettings;

// What the window draws over the memory timeline besides the estimate: a measured memory trace
// (File > Import Memory Trace, Clear Memory Trace) and a pinned configuration to compare the
// next ones with (View > Pin as Comparison, Clear Comparison). The clearing actions, and the
// pin, are on the timeline's context menu too.
class TraceActions : public QObject {
    Q_OBJECT
public:
    // `settings` opens the file dialog; `comparisonLabel` names the configuration on screen for
    // the pinned line's legend, and is empty while there is none.
    TraceActions(QMainWindow* window, TimelineChart* timeline, QDockWidget* timelineDock, WindowSettings* settings,
                 std::function<QString()> comparisonLabel);

    void addTraceActions(QMenu* file);
    void addComparisonActions(QMenu* view);

    // Reads a measured memory trace (core/traces.h) and overlays it on the timeline. A file
    // that cannot be read is reported (dialog, status line, traceFailed()) and nothing else
    // changes.
    bool importTrace(const QString& path);

signals:
    // importTrace() failed; `message` names the file and the reason.
    void traceFailed(const QString& message);

private:
    QMainWindow* m_window;
    TimelineChart* m_timeline;
    QDockWidget* m_timelineDock;
    WindowSettings* m_settings;
    std::function<QString()> m_comparisonLabel;
};

// The warning for a file that could not be read (a model, a trace): `text` with `reason` under
// it and the path in the details. Opened with open(), not exec(), so no nested event loop runs
// while a newer load may be finishing.
void showFileWarning(QWidget* parent, const QString& title, const QString& text, const QString& reason,
                     const QString& path);

} // namespace fp

#pragma once

#include "session.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

class QAction;
class QDockWidget;
class QMenu;
class QTabWidget;

namespace fp {

class ComparisonView;
class MainWindow;
class TimelineChart;
class WindowSettings;
struct ReadProgress;

// File > Compare With (issue 19): a second model against the one open, or the configuration on
// screen pinned as A with the window's later changes as B. The comparison is a tab beside the
// model's views (ComparisonView), made current when it starts; closing it goes back to the tab
// shown before. While it is the tab shown, the docks below the views (the timeline, whose two
// sides it draws itself, and the details) stand aside for it: a 1024x700 window has no room for
// totals, a table and a chart above them. They come back on any other tab.
// It follows the window: each new analysis is B of a pinned comparison, and A of a comparison
// with a file, whose B is then the file analysed again with the window's configuration on the
// thread pool (one at a time, the last change's last; closing drops what is under way). A pinned
// configuration is also drawn over the memory timeline, by the timeline's own pin
// (TimelineChart::pinComparison, as View > Pin as Comparison does).
class ComparisonActions : public QObject {
    Q_OBJECT
public:
    enum class Mode { None, File, Pinned };

    ComparisonActions(MainWindow* window, QTabWidget* views, TimelineChart* timeline, WindowSettings* settings);
    ~ComparisonActions() override;

    // Compare With…, Compare With Current Configuration and Close Comparison.
    void addActions(QMenu* file);

    // Reads `path` and analyses it with the window's configuration, both on the thread pool, as
    // B against the model open. A file that cannot be read or analysed is reported (status line,
    // dialog, comparisonFailed()), and the window and any comparison shown stay as they were.
    void compareWithFile(const QString& path);
    // The analysis on screen becomes A; the window's next configurations are B.
    void pinConfiguration();
    void closeComparison();

    Mode mode() const { return m_mode; }
    // A file is being read, or B analysed: what the view shows is about to change.
    bool isBusy() const { return m_busy; }
    // Null until the first comparison.
    ComparisonView* view() const { return m_view; }

signals:
    // The view shows a new A and B.
    void comparisonUpdated();
    // A comparison could not start or be brought up to date; `message` says which file and why.
    void comparisonFailed(const QString& message);

private:
    void windowAnalysed();
    // B again: the file's model with the window's configuration, on the thread pool.
    void analyseFile();
    void show(const Session& a, const Session& b);
    void fail(const QString& message, const QString& path = {}, const QString& reason = {});
    void unpinTimeline();
    // Drops whatever is under way: its answer is ignored, and a file being read stops.
    void dropPending();
    // The docks below the views step aside while the comparison is the tab shown, and come back.
    void currentTabChanged();
    void restoreDocks();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:

    MainWindow* m_window;
    QTabWidget* m_views;
    TimelineChart* m_timeline;
    WindowSettings* m_settings;
    ComparisonView* m_view = nullptr;
    QAction* m_closeAction = nullptr;
    int m_previousTab = 0; // shown again when the comparison closes

    Mode m_mode = Mode::None;
    quint64 m_job = 0; // the newest load or analysis; older ones' answers are dropped
    bool m_busy = false;
    std::shared_ptr<ReadProgress> m_read; // the file being read, cancelled when superseded
    // One analysis of B at a time: changes while it runs (a slider drag) ask for one more, with
    // the configuration the window has when it ends.
    bool m_analysing = false;
    bool m_analyseAgain = false;
    Session m_pinned; // A of a pinned comparison
    QString m_pinLabel; // what the timeline's pin is called, while it is ours
    // B's model in a comparison with a file.
    std::shared_ptr<const Model> m_fileModel;
    QString m_fileName;
    QList<QPointer<QDockWidget>> m_hiddenDocks; // hidden for the comparison, to be shown again
};

} // namespace fp

#pragma once

#include "analysis.h"
#include "analysis_options.h"

#include <QObject>
#include <QString>

class QMainWindow;
class QMenu;

namespace fp {

// What the window keeps in QSettings between runs: its geometry and docks, the analysis choices
// it closed with, the recent files and the folder of the last file opened. A window that is not
// persistent (tests, screenshots) reads and writes none of it: its recent menu stays empty and
// its file dialogs open where Qt chooses.
class WindowSettings : public QObject {
    Q_OBJECT
public:
    WindowSettings(QMainWindow* window, bool persistent);

    // The choices the last window closed with (precision, mode, optimizer, workspace, device):
    // the command line starts from them, and its options override them.
    static void restoreAnalysis(AnalysisConfig& config, BudgetChoice& budget);
    // The geometry and the docks the window closed with; called once the docks exist.
    void restoreLayout();
    // On close: the layout and the analysis choices (`device`: the one chosen, if any).
    void save(const AnalysisConfig& config, const Device* device);

    // File > Open Recent: the files opened last, newest first; choosing one emits openRequested().
    QMenu* recentMenu() const { return m_recentMenu; }
    void addRecentFile(const QString& path);
    void removeRecentFile(const QString& path);

    // An open-file dialog in the folder of the last file opened; empty if cancelled.
    QString askForFile(const QString& title, const QString& filters);

signals:
    void openRequested(const QString& path);

private:
    void updateRecentMenu();

    QMainWindow* m_window;
    bool m_persistent;
    QMenu* m_recentMenu;
};

} // namespace fp

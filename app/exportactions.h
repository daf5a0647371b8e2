#pragma once

#include "exporter.h"

#include <QObject>
#include <QString>

#include <functional>

class QAction;
class QMenu;
class QWidget;

namespace fp {

class GraphView;
class LayerBarChart;
class RooflineChart;
class TimelineChart;

// The window's exports: File > Export and the views' context menus. The charts and the graph go
// to PNG (at a chosen scale), SVG or PDF, the layer table to CSV, the analysis to JSON (the
// schema of footprint-cli analyze --format json) and the report to HTML or PDF. Every file is
// drawn and written by exporter.h and htmlreport.h, as footprint-cli's are.
//
// A file the user picked in a save dialog was confirmed there if it existed; any other existing
// path (a name typed without its suffix, a script) is replaced only after asking.
class ExportActions : public QObject {
    Q_OBJECT
public:
    enum class View { Bars, Timeline, Roofline, Graph };

    // `source` describes the window's current analysis; the views lend their settings (metric,
    // bar count, zoom, open groups) to the pictures.
    ExportActions(QWidget* window, std::function<Session()> source, LayerBarChart* bars, TimelineChart* timeline,
                  RooflineChart* roofline, GraphView* graph);
    ~ExportActions() override;

    // File > Export.
    QMenu* menu() const { return m_menu; }
    // Puts "Export…" on the context menus of the four views and "Export Table as CSV…" on the table's.
    void addContextActions(QWidget* table);

    // The work behind the actions (for tests and scripts). The format follows the suffix: .png,
    // .svg or .pdf for views; .html or .pdf for the report. `confirmed`: the user already agreed
    // to replace `path`. Returns false, with lastError() set and exportFailed() emitted, when
    // nothing was written.
    bool exportView(View view, const QString& path, double scale = 2.0, bool confirmed = false);
    bool exportCsv(const QString& path, bool confirmed = false);
    bool exportJson(const QString& path, bool confirmed = false);
    // The report may wait for its own graph layout (the overview of a graph too tall for a
    // page): it then returns true at once and emits exported() or exportFailed() when written.
    bool exportReport(const QString& path, bool confirmed = false);

    QString lastError() const { return m_lastError; }
    // Asked before replacing a file no save dialog confirmed; by default a message box (or no,
    // when the window's error dialogs are off). Tests give their own answer.
    void setReplaceQuestion(std::function<bool(const QString& path)> ask) { m_askReplace = std::move(ask); }

signals:
    void exported(const QString& path);
    void exportFailed(const QString& message);

private:
    enum class Kind { Bars, Timeline, Roofline, Graph, Csv, Json, Report };
    void exportWithDialog(Kind kind);
    bool mayWrite(const QString& path, bool confirmed);
    bool write(const QString& path, const QByteArray& bytes);
    bool failed(const QString& message);
    void writeReport(const QString& path, const Session& source, const GraphView* graph);
    bool dialogsEnabled() const;

    QWidget* m_window;
    std::function<Session()> m_source;
    LayerBarChart* m_bars;
    TimelineChart* m_timeline;
    RooflineChart* m_roofline;
    GraphView* m_graph;
    GraphView* m_reportGraph = nullptr; // the report's own overview layout, when it needs one
    quint64 m_reportJob = 0;
    QMenu* m_menu = nullptr;
    QAction* m_barsAction = nullptr;
    QAction* m_rooflineAction = nullptr;
    QAction* m_timelineAction = nullptr;
    QAction* m_graphAction = nullptr;
    QAction* m_csvAction = nullptr;
    QString m_directory;
    double m_scale = 2.0;
    QString m_lastError;
    std::function<bool(const QString&)> m_askReplace;
};

} // namespace fp

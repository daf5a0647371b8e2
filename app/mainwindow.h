#pragma once

#include "analysis.h"
#include "analysis_options.h"
#include "devices.h"
#include "model_reader.h"
#include "performance.h"
#include "session.h"
#include "summarywidget.h"

#include <QElapsedTimer>
#include <QList>
#include <QMainWindow>

#include <memory>
#include <optional>
#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QMenu;
class QCheckBox;
class QTabWidget;
class QTableView;
class QTimer;

namespace fp {

class ComparisonActions;
class ControlPanel;
class QuantizePlanView;
class ExportActions;
class LayerBarChart;
class LayerTableModel;
class LayerTableProxy;
class NodeDetailsView;
class RooflineChart;
class TimelineChart;
class TraceActions;
class WindowSettings;

// The Footprint window: one model at a time, and every view of its current analysis. The
// configuration (batch, resolution, symbolic dims, precision, mode, device) is edited in the
// "Configuration" dock on the left; the summary sits above a tab widget of views (the layer
// table, the per-layer bars, the graph and the roofline); the memory timeline is a dock below
// them, with a measured trace and a pinned configuration drawn over it when asked for.
// Each change re-runs the analysis on the GUI thread (a few milliseconds even for GPT-2) and
// hands the result to every view, so the views move while a slider is dragged. The search
// for the largest batch that fits (several analyses) runs on the thread pool instead, only
// when something besides the batch changed, a moment after the last change; older searches'
// results are dropped.
// All views share one selection: selecting a node anywhere (a row, a bar, a step of the
// timeline, the peak's link) goes through selectNode(), which shows it in every view and
// emits nodeSelected().
// Files load on the thread pool; the newest request wins, a load that takes a while shows its
// progress and can be cancelled, and a failed or cancelled load leaves the model that was open
// before on screen.
class GraphWidget;

class MainWindow : public QMainWindow {
    Q_OBJECT
    // Off in tests and scripted runs: a failed load then only emits loadFailed().
    Q_PROPERTY(bool errorDialogsEnabled READ errorDialogsEnabled WRITE setErrorDialogsEnabled)
public:
    // With `persistent` off the window neither reads nor writes QSettings (layout, recent
    // files), so screenshots and tests do not depend on, or change, the user's setup.
    explicit MainWindow(bool persistent = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The choices the last window closed with (precision, mode, optimizer, workspace, device),
    // saved in QSettings by a persistent window: the command line starts from them, and its
    // options override them.
    static void restoreAnalysisSettings(AnalysisConfig& config, BudgetChoice& budget);

    // The model bundled with the application, opened when no file is given.
    static QString sampleModelPath();

    // The settings the command line gave; the configuration dock edits them from then on.
    void setAnalysisConfig(const AnalysisConfig& config);
    AnalysisConfig analysisConfig() const { return m_session.config; }
    // The devices the budget menu offers, and the budget the command line chose (--device,
    // --fit-memory). The peak is compared with it and the largest batch that fits is searched.
    void setBudget(const BudgetChoice& budget);

    bool isLoading() const { return m_loading; }
    // Whether the status bar shows the running load's progress bar and Cancel button (after a
    // short delay, so that fast loads do not flash it).
    bool isLoadProgressShown() const;
    // Whether the search for the largest batch that fits is still to report.
    bool isFitPending() const { return m_session.fitPending; }
    // The graph tab's layout runs on a worker thread; screenshots wait for it.
    bool isGraphLayoutRunning() const;
    // The latest search's answer; empty while one runs or without a budget.
    std::optional<BatchFit> batchFit() const { return m_session.fit; }
    QString currentPath() const { return m_path; }
    std::shared_ptr<const AnalysisResult> result() const { return m_session.result; }
    int selectedNode() const { return m_selectedNode; }

    // The views of the analysis, as tabs named by their object names: "layers" (the table),
    // "bars", "graph" and "roofline".
    QTabWidget* views() const { return m_views; }
    // Shows the tab named `name` ("layers", "bars", "graph", "roofline"); false if there is none.
    bool showView(const QString& name);

    // Latency and energy of the analysis shown, on the device chosen (no times without one).
    std::shared_ptr<const PerformanceEstimate> performance() const { return m_session.performance(); }

    // Reads a measured memory trace (core/traces.h) and overlays it on the timeline. A file
    // that cannot be read is reported (dialog, status line, traceFailed()) and nothing else
    // changes. Given before a model is open, the trace waits for it.
    bool importTrace(const QString& path);
    // Reads a calibration file (resources/scripts/calibrate.py) and applies it to the analysis,
    // as --calibration does; a file that cannot be read is reported and nothing changes.
    bool loadCalibration(const QString& path);
    void clearCalibration();

    // File > Export and the views' export context menus.
    ExportActions* exports() const { return m_exports; }
    // The current analysis: model, settings, result, device and budget, performance and fit.
    const Session& session() const { return m_session; }
    // File > Compare With: a second model, or a pinned configuration, beside this one.
    ComparisonActions* comparison() const { return m_comparison; }

    // A training recipe on one scope (the layer table's context menu): checkpoint it, freeze it
    // or train only it; `on` false takes it back. Turning one on switches to training.
    enum class ScopeRecipe { Checkpoint, Freeze, TrainOnly };
    void setScopeRecipe(ScopeRecipe kind, const std::string& scope, bool on);

    // Per-layer precision (issue 19; the layer table's and the graph's context menus): each of
    // `patterns` (a node's name, or a group's "/layer4/*") gets its own rule at `precision`,
    // replacing the one it had; nullopt takes their rules back, so that the layers follow the
    // model's precision (or a broader rule) again. Re-analyses.
    void setLayerPrecision(const std::vector<std::string>& patterns, std::optional<Precision> precision);

    // Quantize to fit (issue 19, "Quantize to fit…" beside the budget verdict): plans on the
    // thread pool which layers to lower to int8 until the peak fits `budgetBytes`, in `order`,
    // and shows the plan in the Quantize to Fit dock; Apply there sets its layer precisions.
    void planQuantization(int64_t budgetBytes, QuantizeOrder order);
    // Whether a plan is being made; quantizationUpdated() says when it is done.
    bool isQuantizing() const;
    // The plan shown, if any.
    std::optional<QuantizationPlan> quantizationPlan() const;

    bool errorDialogsEnabled() const { return m_errorDialogsEnabled; }
    void setErrorDialogsEnabled(bool enabled) { m_errorDialogsEnabled = enabled; }

public slots:
    // Loads `path` (a file, or a ":/" resource) in the background.
    void openFile(const QString& path);
    void openSample();
    // Stops the running load; the model open before stays. Nothing happens when none runs.
    void cancelLoad();
    // Selects graph node `node` in every view (-1 clears the selection).
    void selectNode(int node);
    // Selects the node named `name` exactly, or else the first in execution order whose name
    // contains it (ignoring case). False if none matches.
    bool selectNodeNamed(const QString& name);

signals:
    void modelLoaded(const QString& path);
    // `message` is one line naming the file and the reason.
    void loadFailed(const QString& message);
    void loadCancelled();
    // The views show a new analysis (a new model or new settings).
    void analysisUpdated();
    // The largest batch that fits arrived (or the budget went away).
    void fitUpdated();
    void graphLaidOut();
    // A node was selected in one of the views, or -1 when the selection was cleared.
    void nodeSelected(int node);
    // importTrace() failed; `message` names the file and the reason.
    void traceFailed(const QString& message);
    // A quantization plan arrived, failed or was cancelled (or dropped for a new model).
    void quantizationUpdated();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void createActions();
    void createCentralWidget();
    void createDocks();
    // File > Load Calibration and Clear Calibration.
    void createCalibrationActions(QMenu* file);
    void applyCalibration(const Calibration& calibration);
    void showModel(const QString& path, std::shared_ptr<const Model> model, double loadMs);
    void showLoadError(const QString& path, const QString& reason);
    // Re-runs the analysis and updates every view. `refit`: something besides the batch
    // changed, so the largest batch that fits is searched again.
    void reanalyze(bool refit = true);
    void scheduleFit();
    void startFit();
    void updateLayerCount();
    void updateTiming();
    // The table row of layer `step`: selects it (clearing a filter that hides it) and scrolls to it.
    void showLayer(int step);
    void tableSelectionChanged();
    void copySelectedRows();
    void updateColumnVisibility();
    void growShapeColumn();
    // Gives the name column the width the other columns leave, but no less than a readable
    // minimum: past that the table scrolls sideways.
    void fitNameColumn();
    // Shortens the timeline dock when the summary's wrapped lines need the height.
    void keepSummaryWhole();
    // The layer table's context menu for the rows at `clicked`: the Precision and recipe submenus.
    void fillTableMenus(const QModelIndex& clicked);
    // A Precision menu for `patterns` (the layers or the group clicked, under `title`): fp32 to
    // int4 and Reset, then a submenu per pattern of `scopes` (the enclosing scopes).
    void fillPrecisionMenu(QMenu* menu, const QString& title, const std::vector<std::string>& patterns,
                           const std::vector<std::string>& scopes);
    // "/layer4/layer4.0/*", "/layer4/*": the patterns of a node's enclosing scopes, innermost first.
    static std::vector<std::string> scopePatternsOf(const std::string& nodeName);
    void cancelQuantization();
    void applyQuantization();
    // The width of the widest text a figures column can show, so it never has to grow.
    int widestFigure(int column) const;
    void openDialog();
    void updateLoadProgress();
    void endLoad();

    WindowSettings* m_settings = nullptr;
    bool m_errorDialogsEnabled = true;
    bool m_loading = false;
    quint64 m_job = 0; // the newest load; results of older ones are dropped
    std::shared_ptr<ReadProgress> m_readProgress; // the newest load's, shared with its worker
    int64_t m_loadBytes = 0; // the size of the file it reads
    QElapsedTimer m_loadClock;
    QTimer* m_progressTimer = nullptr;
    QProgressBar* m_progressBar = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QAction* m_cancelAction = nullptr;

    QString m_path;
    GraphWidget* m_graph = nullptr;
    // The model shown, its settings, result, budget, performance and largest batch that fits.
    // The device and budget follow the control panel (m_controls->budgetChoice()).
    Session m_session;
    double m_loadMs = 0;
    double m_analysisMs = 0;
    double m_viewsMs = 0;

    // The largest batch that fits (m_session.fit): m_fitJob numbers the searches, and only the
    // newest one's answer is kept; m_fitTimer waits for a pause in the changes before searching.
    quint64 m_fitJob = 0;
    double m_fitMs = -1;
    QTimer* m_fitTimer = nullptr;

    int m_selectedNode = -1;
    bool m_selecting = false; // selectNode() is moving the table's selection
    QList<int> m_hiddenColumns; // hidden by the user (the header's context menu)

    LayerTableModel* m_layerModel = nullptr;
    LayerTableProxy* m_proxy = nullptr;
    QCheckBox* m_showConstants = nullptr;
    SummaryWidget* m_summary = nullptr;
    QTabWidget* m_views = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_layerCount = nullptr;
    LayerBarChart* m_bars = nullptr;
    TimelineChart* m_timeline = nullptr;
    RooflineChart* m_roofline = nullptr;
    ControlPanel* m_controls = nullptr;
    QDockWidget* m_controlsDock = nullptr;
    QDockWidget* m_timelineDock = nullptr;
    double m_timelineShare = 0; // of the window's height, kept on resizes; 0 until the first one
    NodeDetailsView* m_details = nullptr;
    QDockWidget* m_detailsDock = nullptr;
    QLabel* m_timing = nullptr;
    QMenu* m_viewMenu = nullptr;
    ExportActions* m_exports = nullptr;
    TraceActions* m_traces = nullptr;
    ComparisonActions* m_comparison = nullptr;

    // Issue 19's what-ifs: the table's and the graph's Precision menus, the table's recipe menus,
    // and quantize to fit. m_quantizeJob numbers the plans (only the newest one's is shown);
    // m_configVersion counts the analyses, so a plan knows whether it is still the window's.
    QMenu* m_layerPrecisionMenu = nullptr;
    QMenu* m_recipeMenus[3] = {}; // by ScopeRecipe
    QMenu* m_graphPrecisionMenu = nullptr;
    QuantizePlanView* m_quantizeView = nullptr;
    QDockWidget* m_quantizeDock = nullptr;
    quint64 m_quantizeJob = 0;
    quint64 m_configVersion = 0;
    quint64 m_planVersion = 0; // the version the plan shown was made for
    int64_t m_quantizeBytes = 0; // --quantize-to-fit's size; 0: the budget's
    bool m_quantizeOnOpen = false; // plan it once the model is open
    bool m_applyingPlan = false;
};

} // namespace fp

#pragma once

#include "analysis.h"
#include "analysis_options.h"
#include "devices.h"
#include "summarywidget.h"

#include <QMainWindow>

#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;

namespace fp {

class LayerTableModel;

// The Footprint window: one model at a time, its summary above its layer table, and the
// analysis settings (batch, precision, mode, optimizer, device budget) in a toolbar that re-runs
// the analysis as they change.
// Files load on the thread pool; the newest request wins and a failed load leaves the model
// that was open before on screen.
class MainWindow : public QMainWindow {
    Q_OBJECT
    // Off in tests and scripted runs: a failed load then only emits loadFailed().
    Q_PROPERTY(bool errorDialogsEnabled READ errorDialogsEnabled WRITE setErrorDialogsEnabled)
public:
    // With `persistent` off the window neither reads nor writes QSettings (layout, recent
    // files), so screenshots and tests do not depend on, or change, the user's setup.
    explicit MainWindow(bool persistent = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The model bundled with the application, opened when no file is given.
    static QString sampleModelPath();

    // The settings the command line gave; the toolbar edits the batch, precision and mode.
    void setAnalysisConfig(const AnalysisConfig& config);
    AnalysisConfig analysisConfig() const { return m_config; }
    // The devices the budget menu offers, and the budget the command line chose (--device,
    // --fit-memory). The peak is compared with it and the largest batch that fits is searched.
    void setBudget(const Budget& budget);

    bool isLoading() const { return m_loading; }
    QString currentPath() const { return m_path; }

    bool errorDialogsEnabled() const { return m_errorDialogsEnabled; }
    void setErrorDialogsEnabled(bool enabled) { m_errorDialogsEnabled = enabled; }

public slots:
    // Loads `path` (a file, or a ":/" resource) in the background.
    void openFile(const QString& path);
    void openSample();

signals:
    void modelLoaded(const QString& path);
    // `message` is one line naming the file and the reason.
    void loadFailed(const QString& message);
    // The table and summary show a new analysis (a new model or new settings).
    void analysisUpdated();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createToolBar();
    void createCentralWidget();
    void showModel(const QString& path, std::shared_ptr<const Model> model, double loadMs);
    void showLoadError(const QString& path, const QString& reason);
    // `refit`: search the largest batch that fits the budget again. Changing only the batch
    // cannot change that answer, so the batch spin box skips the search.
    void reanalyze(bool refit = true);
    void populateDevices(const std::optional<int64_t>& customBytes);
    std::optional<MemoryBudget> budget() const;
    void syncConfigWidgets();
    void updateLayerCount();
    void showLayer(int step);
    void addRecentFile(const QString& path);
    void removeRecentFile(const QString& path);
    void updateRecentMenu();
    void openDialog();

    bool m_persistent = true;
    bool m_errorDialogsEnabled = true;
    bool m_loading = false;
    quint64 m_job = 0; // the newest load; results of older ones are dropped

    QString m_path;
    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const AnalysisResult> m_result;
    AnalysisConfig m_config;
    std::vector<Device> m_devices = builtinDevices();
    std::optional<BatchFit> m_fit;
    double m_loadMs = 0;
    double m_analysisMs = 0;

    LayerTableModel* m_layerModel = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    SummaryWidget* m_summary = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_filter = nullptr;
    QLabel* m_layerCount = nullptr;
    QSpinBox* m_batch = nullptr;
    QComboBox* m_precision = nullptr;
    QComboBox* m_mode = nullptr;
    QComboBox* m_optimizer = nullptr;
    QComboBox* m_device = nullptr;
    QLabel* m_timing = nullptr;
    QMenu* m_recentMenu = nullptr;
};

} // namespace fp

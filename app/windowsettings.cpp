#include "windowsettings.h"

#include "runtime.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QSettings>

#include <algorithm>

namespace fp {

namespace {

// Bump when the toolbars or docks change, so an old saveState() is ignored, not misapplied.
constexpr int kStateVersion = 3; // 2: the configuration and timeline docks replaced the toolbar; 3: details dock
constexpr int kMaxRecentFiles = 10;

namespace Keys {
const auto geometry = QStringLiteral("MainWindow/geometry");
const auto state = QStringLiteral("MainWindow/state");
const auto recentFiles = QStringLiteral("recentFiles");
const auto lastDirectory = QStringLiteral("lastDirectory");
const auto precision = QStringLiteral("analysis/precision");
const auto mode = QStringLiteral("analysis/mode");
const auto prompt = QStringLiteral("analysis/prompt"); // with mode "generate"
const auto newTokens = QStringLiteral("analysis/newTokens");
const auto optimizer = QStringLiteral("analysis/optimizer");
const auto workspace = QStringLiteral("analysis/workspace");
const auto runtime = QStringLiteral("analysis/runtime");
const auto device = QStringLiteral("analysis/device");
const auto fusions = QStringLiteral("analysis/fusions"); // "conv-bn,attention"; layer precisions name one model's layers and are not kept
// The recipe's model-independent settings; patterns name one model's scopes and are not kept.
const auto autocast = QStringLiteral("recipe/autocast");
const auto microBatch = QStringLiteral("recipe/microBatch");
const auto dataParallel = QStringLiteral("recipe/dataParallel");
const auto zero = QStringLiteral("recipe/zero");
const auto offload = QStringLiteral("recipe/offload");
} // namespace Keys

QStringList recentFiles()
{
    return QSettings().value(Keys::recentFiles).toStringList();
}

void setRecentFiles(const QStringList& files)
{
    QSettings().setValue(Keys::recentFiles, files);
}

} // namespace

WindowSettings::WindowSettings(QMainWindow* window, bool persistent)
    : QObject(window)
    , m_window(window)
    , m_persistent(persistent)
    , m_recentMenu(new QMenu(tr("Open &Recent"), window))
{
    updateRecentMenu();
}

void WindowSettings::restoreAnalysis(AnalysisConfig& config, BudgetChoice& budget)
{
    const QSettings settings;
    const auto text = [&](const QString& key) { return settings.value(key).toString().toStdString(); };
    if (const auto p = parsePrecision(text(Keys::precision)))
        config.precision = *p;
    if (const auto m = parseMode(text(Keys::mode)))
        config.training.mode = *m;
    if (text(Keys::mode) == "generate") {
        const qint64 prompt = settings.value(Keys::prompt).toLongLong();
        const qint64 newTokens = settings.value(Keys::newTokens).toLongLong();
        config.training.mode = Mode::Inference;
        config.generation = GenerationConfig { prompt > 0 ? prompt : 512, newTokens > 0 ? newTokens : 128 };
    }
    if (const auto o = parseOptimizer(text(Keys::optimizer)))
        config.training.optimizer = *o;
    if (const auto w = parseConvAlgorithm(text(Keys::workspace)))
        config.training.workspace = *w;
    if (const auto r = parseRuntime(text(Keys::runtime)))
        config.runtime = builtinRuntime(*r);
    if (const auto f = parseFusions(text(Keys::fusions)))
        config.fusions = *f;
    Recipe& recipe = config.training.recipe;
    if (const auto a = parsePrecision(text(Keys::autocast)); a && (*a == Precision::FP16 || *a == Precision::BF16)
        && (config.precision == Precision::Model || config.precision == Precision::FP32))
        recipe.autocast = *a;
    if (const qint64 micro = settings.value(Keys::microBatch).toLongLong(); micro > 0)
        recipe.microBatch = micro;
    recipe.dataParallel = std::clamp(settings.value(Keys::dataParallel, 1).toInt(), 1, 1 << 16);
    recipe.zeroStage = std::clamp(settings.value(Keys::zero, 0).toInt(), 0, 3);
    if (const auto o = parseOffload(text(Keys::offload)); o && recipe.zeroStage > 0
        && (*o != Offload::Params || recipe.zeroStage == 3))
        recipe.offload = *o;
    if (const Device* d = findDevice(budget.devices, text(Keys::device))) {
        budget.device = *d;
        budget.bytes = d->memoryBytes;
        budget.name = d->name;
    }
}

void WindowSettings::restoreLayout()
{
    if (!m_persistent)
        return;
    QSettings settings;
    m_window->restoreGeometry(settings.value(Keys::geometry).toByteArray());
    m_window->restoreState(settings.value(Keys::state).toByteArray(), kStateVersion);
}

void WindowSettings::save(const AnalysisConfig& config, const Device* device)
{
    if (!m_persistent)
        return;
    QSettings settings;
    settings.setValue(Keys::geometry, m_window->saveGeometry());
    settings.setValue(Keys::state, m_window->saveState(kStateVersion));
    settings.setValue(Keys::precision, QString::fromLatin1(precisionName(config.precision)));
    settings.setValue(Keys::mode, config.generation ? QStringLiteral("generate")
                                                    : QString::fromLatin1(modeName(config.training.mode)));
    if (config.generation) {
        settings.setValue(Keys::prompt, qint64(config.generation->prompt));
        settings.setValue(Keys::newTokens, qint64(config.generation->newTokens));
    }
    settings.setValue(Keys::optimizer, QString::fromLatin1(optimizerName(config.training.optimizer)));
    settings.setValue(Keys::workspace, QString::fromLatin1(convAlgorithmName(config.training.workspace)));
    settings.setValue(Keys::runtime, config.runtime ? QString::fromStdString(config.runtime->name()) : QString());
    settings.setValue(Keys::device, device ? QString::fromStdString(device->name) : QString());
    settings.setValue(Keys::fusions, QString::fromStdString(fusionsText(config.fusions)));
    const Recipe& recipe = config.training.recipe;
    settings.setValue(Keys::autocast, recipe.autocast ? QString::fromLatin1(precisionName(*recipe.autocast)) : QString());
    settings.setValue(Keys::microBatch, qint64(recipe.microBatch.value_or(0)));
    settings.setValue(Keys::dataParallel, recipe.dataParallel);
    settings.setValue(Keys::zero, recipe.zeroStage);
    settings.setValue(Keys::offload, QString::fromLatin1(offloadName(recipe.offload)));
}

QString WindowSettings::askForFile(const QString& title, const QString& filters)
{
    QString dir;
    if (m_persistent)
        dir = QSettings().value(Keys::lastDirectory).toString();
    const QString path = QFileDialog::getOpenFileName(m_window, title, dir, filters);
    if (!path.isEmpty() && m_persistent)
        QSettings().setValue(Keys::lastDirectory, QFileInfo(path).absolutePath());
    return path;
}

void WindowSettings::addRecentFile(const QString& path)
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

void WindowSettings::removeRecentFile(const QString& path)
{
    if (!m_persistent)
        return;
    QStringList files = recentFiles();
    if (files.removeAll(path) == 0)
        return;
    setRecentFiles(files);
    updateRecentMenu();
}

void WindowSettings::updateRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = m_persistent ? recentFiles() : QStringList();
    for (int i = 0; i < files.size(); ++i) {
        const QString& path = files[i];
        // &1 .. &9 as keyboard accelerators; the tenth has none.
        const QString text = i < 9 ? QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(path).fileName())
                                   : QStringLiteral("%1  %2").arg(i + 1).arg(QFileInfo(path).fileName());
        QAction* action = m_recentMenu->addAction(text, this, [this, path]() { emit openRequested(path); });
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

} // namespace fp

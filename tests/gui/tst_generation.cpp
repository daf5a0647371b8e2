// The window's generation mode (issue 18) end to end, under the offscreen platform: the Mode box
// offers Generation only for a model with a past KV input, its prompt and new-token sliders plan
// the steps, the summary shows the KV cache and the peaks, the timeline draws one point per step
// (decimated when long), and the fit search on the worker answers the largest batch and the
// longest context.
//
// decoder_genai.onnx (tests/models/make_models.py, build_decoder_genai): onnxruntime-genai's
// layout, hidden 64, 4 query heads and 1 KV head of 16, 2 layers, float32 KV inputs
// past_key_values.N.key/value [batch_size, 1, past_sequence_length, 16] and outputs
// present.N.key/value [batch_size, 1, total_sequence_length, 16].

#include "chartmapping.h"
#include "controlpanel.h"
#include "formatting.h"
#include "generation.h"
#include "htmlreport.h"
#include "mainwindow.h"
#include "timelinechart.h"

#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTest>

#include <algorithm>
#include <limits>
#include <numeric>

using fp::MainWindow;

namespace {

const QString kDecoder = QStringLiteral(FOOTPRINT_TEST_MODELS "/decoder_genai.onnx");
const QString kTinyMlp = QStringLiteral(FOOTPRINT_TEST_MODELS "/tiny_mlp.onnx");
constexpr int kTimeoutMs = 20000;

// decoder_genai's KV cache by hand: key and value, per layer, per KV head, head_dim floats per
// token per sequence of the batch.
constexpr int64_t kLayers = 2;
constexpr int64_t kKvHeads = 1;
constexpr int64_t kHeadDim = 16;
constexpr int64_t kFloatBytes = 4;

int64_t kvCacheBytes(int64_t prompt, int64_t newTokens, int64_t batch)
{
    return 2 * kLayers * kKvHeads * kHeadDim * (prompt + newTokens) * batch * kFloatBytes;
}

bool openAndWait(MainWindow& window, const QString& path)
{
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openFile(path);
    return QTest::qWaitFor([&]() { return loaded.count() > 0; }, kTimeoutMs);
}

QLabel* label(MainWindow& window, const char* name)
{
    return window.findChild<QLabel*>(QString::fromLatin1(name));
}

// Picks a mode in the Mode box as a click would (the index changes, the panel reacts).
void pickMode(MainWindow& window, const QString& text)
{
    auto* mode = window.findChild<QComboBox*>(QStringLiteral("modeComboBox"));
    QVERIFY(mode);
    const int index = mode->findText(text);
    QVERIFY2(index >= 0, qPrintable(text));
    mode->setCurrentIndex(index);
}

QSpinBox* spin(MainWindow& window, const char* name)
{
    return window.findChild<QSpinBox*>(QString::fromLatin1(name));
}

} // namespace

class TestGeneration : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // Keeps the settings test out of the user's real settings.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FootprintTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_generation"));
        QSettings().clear();
        QVERIFY2(QFile::exists(kDecoder), qPrintable(kDecoder));
    }

    void decimateSteps_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<int>("maxPoints");
        QTest::addColumn<int>("spike"); // a step made the highest; -1 for none
        QTest::newRow("short: every step") << 9 << 100 << -1;
        QTest::newRow("exactly the budget") << 100 << 100 << 50;
        QTest::newRow("32k decode steps") << 32769 << 2000 << -1;
        QTest::newRow("a spike inside a slot") << 32769 << 2000 << 12345;
        QTest::newRow("the prefill highest") << 40001 << 1000 << 0;
        QTest::newRow("a tiny budget") << 1000 << 3 << 500;
    }

    // The steps drawn of a long generation: the prefill, the last step and the highest always,
    // in order, none twice, and no more than the budget.
    void decimateSteps()
    {
        QFETCH(int, count);
        QFETCH(int, maxPoints);
        QFETCH(int, spike);
        std::vector<int64_t> peaks(static_cast<size_t>(count));
        peaks[0] = 5000;
        for (int s = 1; s < count; ++s)
            peaks[size_t(s)] = 1000 + s; // the decode steps grow with the cache
        if (spike >= 0)
            peaks[size_t(spike)] = 1'000'000;
        const std::vector<int> steps = fp::decimateSteps(peaks, maxPoints);
        QVERIFY(!steps.empty());
        QCOMPARE(steps.front(), 0);
        QCOMPARE(steps.back(), count - 1);
        QVERIFY(std::is_sorted(steps.begin(), steps.end()));
        QVERIFY(std::adjacent_find(steps.begin(), steps.end()) == steps.end());
        if (count <= maxPoints)
            QCOMPARE(int(steps.size()), count);
        else
            QVERIFY2(int(steps.size()) <= std::max(maxPoints, 4), qPrintable(QString::number(steps.size())));
        const int highest = int(std::max_element(peaks.begin(), peaks.end()) - peaks.begin());
        QVERIFY(std::find(steps.begin(), steps.end(), highest) != steps.end());
        QVERIFY(fp::decimateSteps({}, 10).empty());
    }

    void generationStepAtX_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<int>("step");
        QTest::newRow("the prefill's bar, left of the axis") << -30.0 << 0;
        QTest::newRow("the prefill, just left of the split") << 0.49 << 0;
        QTest::newRow("token 1 after the split") << 0.5 << 1;
        QTest::newRow("token 7") << 7.2 << 7;
        QTest::newRow("the last token's half step") << 8.49 << 8;
        QTest::newRow("past the last") << 8.5 << -1;
        QTest::newRow("no number") << std::numeric_limits<double>::quiet_NaN() << -1;
    }

    void generationStepAtX()
    {
        QFETCH(double, x);
        QFETCH(int, step);
        QCOMPARE(fp::generationStepAtX(x, 9), step); // a prefill and 8 new tokens
    }

    // The whole path: Generation picked in the Mode box, prompt and new tokens set with their
    // spin boxes, the summary's KV cache against the hand figure, the timeline's T + 1 steps.
    void generationInTheWindow()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kDecoder));
        auto* controls = window.findChild<fp::ControlPanel*>();
        QVERIFY(controls);
        QVERIFY(controls->canGenerate());
        QVERIFY(!window.findChild<QWidget*>(QStringLiteral("generationGroup"))->isVisibleTo(&window));
        QVERIFY(controls->dimensionSlider(QStringLiteral("past_sequence_length"))->isVisibleTo(&window));

        pickMode(window, QStringLiteral("Generation"));
        QVERIFY(window.session().generation);
        QVERIFY(window.findChild<QWidget*>(QStringLiteral("generationGroup"))->isVisibleTo(&window));
        // The dims the steps set have no slider of their own now.
        for (const char* dim : { "sequence_length", "past_sequence_length", "total_sequence_length" })
            QVERIFY2(!controls->dimensionSlider(QString::fromLatin1(dim))->isVisibleTo(&window), dim);

        const int64_t prompt = 37, newTokens = 11, batch = 3;
        spin(window, "batchSpinBox")->setValue(int(batch));
        spin(window, "promptSpinBox")->setValue(int(prompt));
        spin(window, "newTokensSpinBox")->setValue(int(newTokens));
        QCOMPARE(window.analysisConfig().generation->prompt, prompt);
        QCOMPARE(window.analysisConfig().generation->newTokens, newTokens);

        // 2 x 2 layers x 1 KV head x 16 x (37 + 11) x 3 x 4 bytes = 36,864 B.
        const int64_t kv = kvCacheBytes(prompt, newTokens, batch);
        QCOMPARE(kv, int64_t(36864));
        QLabel* kvLabel = label(window, "kvCacheValue");
        QVERIFY(kvLabel && kvLabel->isVisibleTo(&window));
        QCOMPARE(kvLabel->text(), fp::bytesText(kv));
        QVERIFY2(kvLabel->toolTip().startsWith(fp::exactText(kv) + QStringLiteral(" bytes")), qPrintable(kvLabel->toolTip()));
        // The peaks: the generation's is the higher of the prefill's and the decode's.
        const fp::GenerationPlan& plan = *window.session().generation;
        QCOMPARE(label(window, "peakValue")->text(), fp::bytesText(std::max(plan.prefillPeakBytes, plan.decodePeakBytes)));
        QCOMPARE(label(window, "prefillPeakValue")->text(), fp::bytesText(plan.prefillPeakBytes));
        QCOMPARE(label(window, "decodePeakValue")->text(), fp::bytesText(plan.decodePeakBytes));
        // The cache is in every decode step: the last one holds all of it.
        QVERIFY(plan.decodePeakBytes >= kv);

        // The timeline: the prefill and one step per new token, all drawn.
        auto* timeline = window.findChild<fp::TimelineChart*>(QStringLiteral("timelineChart"));
        QVERIFY(timeline && timeline->generation());
        QCOMPARE(timeline->stepCount(), int(newTokens + 1));
        std::vector<int> all(size_t(newTokens + 1));
        std::iota(all.begin(), all.end(), 0);
        QCOMPARE(timeline->drawnGenerationSteps(), all);
        QCOMPARE(timeline->chart()->axes(Qt::Horizontal).front()->titleText(), QStringLiteral("Generation step (0 = prefill)"));
        QVERIFY(timeline->toolTipText(0).contains(QStringLiteral("Prefill")));
        QVERIFY(timeline->toolTipText(int(newTokens)).contains(QStringLiteral("token 11 of 11")));

        // 40,000 new tokens: drawn decimated, from the prefill to the last token.
        spin(window, "newTokensSpinBox")->setValue(40000);
        QCOMPARE(timeline->stepCount(), 40001);
        const std::vector<int>& drawn = timeline->drawnGenerationSteps();
        QCOMPARE(drawn.front(), 0);
        QCOMPARE(drawn.back(), 40000);
        QVERIFY2(drawn.size() < 10000, qPrintable(QString::number(drawn.size())));
        QLineSeries* decode = timeline->decodeSeries();
        QVERIFY(decode->count() > 0 && decode->count() <= int(drawn.size()) + 1);
        QVERIFY(decode->at(decode->count() - 1).x() >= 40000);
        QCOMPARE(label(window, "kvCacheValue")->text(), fp::bytesText(kvCacheBytes(prompt, 40000, batch)));

        // The smallest generation there is: one prompt token, one new one.
        spin(window, "promptSpinBox")->setValue(1);
        spin(window, "newTokensSpinBox")->setValue(1);
        QCOMPARE(timeline->stepCount(), 2);
        QCOMPARE(label(window, "kvCacheValue")->text(), fp::bytesText(kvCacheBytes(1, 1, batch)));

        // Back to inference: the execution steps again, and the dims' sliders.
        pickMode(window, QStringLiteral("Inference"));
        QVERIFY(!window.session().generation);
        QVERIFY(!timeline->generation());
        QVERIFY(!label(window, "kvCacheValue")->isVisibleTo(&window));
        QVERIFY(controls->dimensionSlider(QStringLiteral("past_sequence_length"))->isVisibleTo(&window));
    }

    // With a budget the worker searches the generation's largest batch and longest context;
    // "searching…" until it answers, and the report carries the figures.
    void fitAndReport()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        fp::BudgetChoice budget;
        budget.bytes = int64_t(1) << 20;
        window.setBudget(budget);
        fp::AnalysisConfig config;
        config.generation = fp::GenerationConfig { 64, 32 };
        window.setAnalysisConfig(config); // as --mode generate --prompt 64 --new-tokens 32 gives it
        window.resize(1400, 900);
        window.show();
        QVERIFY(openAndWait(window, kDecoder));
        QVERIFY(window.session().generation);
        QCOMPARE(label(window, "kvCacheValue")->text(), fp::bytesText(kvCacheBytes(64, 32, 1)));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending(), kTimeoutMs);
        QVERIFY(window.session().generationFit);
        const fp::GenerationFit fit = *window.session().generationFit;
        // The worker's answer is fitGeneration's for the configuration shown.
        const fp::GenerationFit direct = fp::fitGeneration(*window.session().model, window.session().result->config, 64,
                                                           32, budget.bytes.value());
        QCOMPARE(fit.maxBatch, direct.maxBatch);
        QCOMPARE(fit.maxContext, direct.maxContext);
        QVERIFY(fit.maxBatch >= 1);
        QVERIFY(fit.maxContext > 64 + 32);
        QCOMPARE(label(window, "generationMaxBatchValue")->text(), fp::exactText(fit.maxBatch));
        QCOMPARE(label(window, "generationMaxContextValue")->text(), fp::exactText(fit.maxContext));
        // A batch move searches the longest context again (it is the batch's).
        spin(window, "batchSpinBox")->setValue(2);
        QVERIFY(window.isFitPending());
        QCOMPARE(label(window, "generationMaxContextValue")->text(), QStringLiteral("searching…"));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending(), kTimeoutMs);
        QVERIFY(window.session().generationFit->maxContext < fit.maxContext);

        const QString html = QString::fromUtf8(fp::AnalysisReport(window.session(), nullptr).toHtml());
        QVERIFY(html.contains(QStringLiteral("<h2>Generation</h2>")));
        QVERIFY(html.contains(QStringLiteral("KV cache at the last token")));
        QVERIFY(html.contains(fp::bytesText(kvCacheBytes(64, 32, 2))));
        QVERIFY(html.contains(QStringLiteral("Longest context that fits")));
    }

    // A model without a KV cache: Generation is offered but disabled, saying why, and a model
    // opened while generating falls back to inference.
    void modelWithoutKvCache()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kDecoder));
        pickMode(window, QStringLiteral("Generation"));
        QVERIFY(window.session().generation);

        QVERIFY(openAndWait(window, kTinyMlp));
        auto* controls = window.findChild<fp::ControlPanel*>();
        QVERIFY(!controls->canGenerate());
        QVERIFY(!window.analysisConfig().generation);
        QVERIFY(!window.session().generation);
        QCOMPARE(window.analysisConfig().training.mode, fp::Mode::Inference);
        auto* mode = window.findChild<QComboBox*>(QStringLiteral("modeComboBox"));
        QCOMPARE(mode->currentText(), QStringLiteral("Inference"));
        const QStandardItem* item
            = qobject_cast<QStandardItemModel*>(mode->model())->item(mode->findText(QStringLiteral("Generation")));
        QVERIFY(!item->isEnabled());
        QVERIFY2(item->toolTip().contains(QStringLiteral("no past KV input")), qPrintable(item->toolTip()));
        QVERIFY(mode->toolTip().contains(QStringLiteral("no past KV input")));
        QVERIFY(!window.findChild<QWidget*>(QStringLiteral("generationGroup"))->isVisibleTo(&window));
    }

    // A resize redraws the timeline for its new width: as many points as pixels, the prefill and
    // the last token kept. With FOOTPRINT_SCREENSHOT_DIR set, the window is saved at each size
    // (generation-resized-WxH.png) to be looked at.
    void resizeRedrawsTimeline()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        fp::BudgetChoice budget;
        budget.bytes = int64_t(100) << 10;
        window.setBudget(budget);
        fp::AnalysisConfig config;
        config.generation = fp::GenerationConfig { 16, 30000 };
        window.setAnalysisConfig(config);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openAndWait(window, kDecoder));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isFitPending(), kTimeoutMs);
        auto* timeline = window.findChild<fp::TimelineChart*>(QStringLiteral("timelineChart"));
        const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR");
        size_t previous = 0;
        for (const QSize size : { QSize(1400, 900), QSize(1024, 700), QSize(1800, 1000) }) {
            window.resize(size);
            QTest::qWait(50); // the layout settles
            const std::vector<int>& drawn = timeline->drawnGenerationSteps();
            QCOMPARE(drawn.front(), 0);
            QCOMPARE(drawn.back(), 30000);
            QVERIFY(int(drawn.size()) <= 2 * std::max(64, timeline->viewport()->width()) + 2);
            QVERIFY(drawn.size() != previous); // wider or narrower: more or fewer points
            previous = drawn.size();
            if (!dir.isEmpty())
                QVERIFY(window.grab().save(dir + QStringLiteral("/generation-resized-%1x%2.png").arg(size.width()).arg(size.height())));
        }
    }

    // A window closed while generating starts the next one generating, with its prompt and new
    // tokens (a model without a KV cache then falls back to inference, modelWithoutKvCache).
    void settingsKeepGeneration()
    {
        {
            MainWindow window(/*persistent=*/true);
            window.setErrorDialogsEnabled(false);
            fp::AnalysisConfig config;
            config.generation = fp::GenerationConfig { 300, 20 };
            window.setAnalysisConfig(config);
            window.show();
            QVERIFY(openAndWait(window, kDecoder));
            QVERIFY(window.session().generation);
            window.close();
        }
        fp::AnalysisConfig restored;
        fp::BudgetChoice budget;
        MainWindow::restoreAnalysisSettings(restored, budget);
        QVERIFY(restored.generation);
        QCOMPARE(restored.generation->prompt, int64_t(300));
        QCOMPARE(restored.generation->newTokens, int64_t(20));
        QCOMPARE(restored.training.mode, fp::Mode::Inference);
        QSettings().clear();
    }

    // Typed values up to the spin box's limit never crash: planned, or refused in the status
    // bar with the view kept.
    void hugeValues()
    {
        MainWindow window(false);
        window.setErrorDialogsEnabled(false);
        window.show();
        QVERIFY(openAndWait(window, kDecoder));
        pickMode(window, QStringLiteral("Generation"));
        const int huge = std::numeric_limits<int>::max();
        spin(window, "promptSpinBox")->setValue(huge);
        spin(window, "newTokensSpinBox")->setValue(huge);
        QVERIFY(window.session().isValid());
        auto* timeline = window.findChild<fp::TimelineChart*>(QStringLiteral("timelineChart"));
        if (window.session().generation && window.session().generation->newTokens == huge) {
            QCOMPARE(timeline->stepCount(), huge);
            QCOMPARE(timeline->drawnGenerationSteps().back(), huge - 1);
        } else {
            QVERIFY(!window.statusBar()->currentMessage().isEmpty());
        }
        spin(window, "promptSpinBox")->setValue(8);
        spin(window, "newTokensSpinBox")->setValue(4);
        QCOMPARE(timeline->stepCount(), 5);
    }
};

QTEST_MAIN(TestGeneration)
#include "tst_generation.moc"

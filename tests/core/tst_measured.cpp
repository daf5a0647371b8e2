// Estimates against what PyTorch really allocated (tests/models/measured.json, written by
// tests/measure/measure_memory.py with Debian's torch 1.13 on the CPU, one thread):
// activations saved for backward within 5%, the peak of a training step and of inference
// within 10%, for every measured model, batch, resolution, sequence length and optimizer.

#include "test_models.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace fp;

namespace {

QJsonObject measurements()
{
    QFile f(QString::fromStdString(test::modelPath("measured.json")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

double relativeError(int64_t estimate, qint64 measured)
{
    return std::abs(double(estimate) - double(measured)) / double(measured);
}

} // namespace

class TestMeasured : public QObject {
    Q_OBJECT
private slots:
    void againstPyTorch_data()
    {
        QTest::addColumn<QJsonObject>("entry");
        const QJsonObject all = measurements();
        QVERIFY(all.size() > 10);
        for (auto it = all.begin(); it != all.end(); ++it) {
            if (!it.key().startsWith('_'))
                QTest::newRow(qPrintable(it.key())) << it.value().toObject();
        }
    }
    void againstPyTorch()
    {
        QFETCH(QJsonObject, entry);
        const Model model = test::loadModel(qPrintable(entry.value("file").toString()));
        const QJsonObject c = entry.value("config").toObject();
        AnalysisConfig config;
        config.shapes.batch = c.value("batch").toInteger();
        if (c.contains("height")) {
            config.shapes.height = c.value("height").toInteger();
            config.shapes.width = c.value("width").toInteger();
        }
        if (c.contains("sequence"))
            config.shapes.dims["sequence"] = c.value("sequence").toInteger();
        qint64 inputBytes = 0;
        for (const QJsonValue& in : entry.value("inputs").toArray())
            inputBytes += in.toObject().value("bytes").toInteger();

        // Inference: the caller's input was allocated before the measured window opened.
        const AnalysisResult inference = analyze(model, config);
        const qint64 inferenceMeasured = entry.value("inference_peak_bytes").toInteger() + inputBytes;
        QVERIFY2(relativeError(inference.totals.peakBytes, inferenceMeasured) <= 0.10,
                 qPrintable(QStringLiteral("inference peak %1 vs measured %2")
                                .arg(inference.totals.peakBytes)
                                .arg(inferenceMeasured)));

        config.training.mode = Mode::Training;
        const struct {
            const char* key;
            Optimizer optimizer;
        } optimizers[] = { { "sgd", Optimizer::SGD }, { "sgd_momentum", Optimizer::Momentum }, { "adam", Optimizer::Adam } };
        for (const auto& o : optimizers) {
            config.training.optimizer = o.optimizer;
            const AnalysisResult r = analyze(model, config);
            const QJsonObject m = entry.value("training").toObject().value(QLatin1String(o.key)).toObject();
            const qint64 peak = m.value("training_step_peak_with_held_bytes").toInteger();
            QVERIFY2(relativeError(r.totals.peakBytes, peak) <= 0.10,
                     qPrintable(QStringLiteral("%1: training peak %2 vs measured %3")
                                    .arg(QLatin1String(o.key))
                                    .arg(r.totals.peakBytes)
                                    .arg(peak)));
            if (o.optimizer == Optimizer::SGD) {
                const qint64 saved = entry.value("saved_activation_bytes").toInteger();
                QVERIFY2(relativeError(r.memory.savedActivationBytes, saved) <= 0.05,
                         qPrintable(QStringLiteral("saved activations %1 vs measured %2")
                                        .arg(r.memory.savedActivationBytes)
                                        .arg(saved)));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestMeasured)
#include "tst_measured.moc"

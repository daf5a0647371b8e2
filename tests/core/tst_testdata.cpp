// Every model in Debian's libonnx-testdata (900+ single-operator models and small networks)
// loads and is analysed without a crash, each with a clear outcome.

#include "analysis.h"
#include "onnx_reader.h"

#include <QDirIterator>
#include <QTest>

using namespace fp;

class TestOnnxTestdata : public QObject {
    Q_OBJECT
private slots:
    void everyModelAnalyses()
    {
        const QString root = QStringLiteral("/usr/share/libonnx-testdata/data");
        if (!QFileInfo::exists(root))
            QSKIP("libonnx-testdata is not installed (apt-get install libonnx-testdata)");
        int analysed = 0, refused = 0;
        QStringList refusals;
        QDirIterator it(root, { QStringLiteral("*.onnx") }, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            try {
                const Model m = readOnnxFile(path.toStdString());
                for (int64_t batch : { 1, 3 }) {
                    AnalysisConfig config;
                    config.shapes.batch = batch;
                    config.precision = batch == 1 ? Precision::Model : Precision::FP16;
                    const AnalysisResult r = analyze(m, config);
                    QVERIFY(r.layers.size() == m.graph.nodes.size());
                    QVERIFY(r.totals.peakBytes >= 0);
                }
                ++analysed;
            } catch (const ModelError& e) {
                ++refused;
                refusals << path + ": " + QString::fromStdString(e.what());
            }
        }
        qInfo("analysed %d models, refused %d", analysed, refused);
        QVERIFY(analysed > 900);
        // Every file in the package is a valid model: none may be refused.
        QVERIFY2(refusals.isEmpty(), qPrintable(refusals.join('\n')));
    }
};

QTEST_GUILESS_MAIN(TestOnnxTestdata)
#include "tst_testdata.moc"

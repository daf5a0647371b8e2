// footprint-cli as scripts use it: JSON with the documented keys, clear one-line errors.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryFile>
#include <QTest>

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out, err;
};

Run cli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(FOOTPRINT_CLI), args);
    p.waitForFinished(60000);
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
             p.readAllStandardError() };
}

QString model(const char* file)
{
    return QStringLiteral(FOOTPRINT_TEST_MODELS "/") + QLatin1String(file);
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void jsonHasTheDocumentedKeys()
    {
        const Run r = cli({ "analyze", model("tiny_conv.onnx"), "--format", "json" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        const QJsonObject totals = root.value("totals").toObject();
        for (const char* key : { "params", "param_bytes", "macs", "flops", "activation_bytes", "input_bytes",
                                 "read_bytes", "write_bytes", "peak_bytes", "peak_step" })
            QVERIFY2(totals.contains(QLatin1String(key)), key);
        QVERIFY(root.value("unknown_shapes").isArray());
        QVERIFY(root.value("unsupported_ops").isArray());
        const QJsonArray layers = root.value("layers").toArray();
        QCOMPARE(layers.size(), 5);
        const QJsonObject conv = layers.first().toObject();
        for (const char* key : { "name", "op", "output_shapes", "params", "macs", "read_bytes", "write_bytes",
                                 "output_bytes" })
            QVERIFY2(conv.contains(QLatin1String(key)), key);
        // Conv 3->4, 3x3, on 8x8 with pad 1: 4*3*3*3 + 4 weights, 4*8*8*27 MACs, output 1x4x8x8.
        QCOMPARE(conv.value("params").toInteger(), 112);
        QCOMPARE(conv.value("macs").toInteger(), 6912);
        QCOMPARE(conv.value("output_shapes").toArray().first().toArray(), (QJsonArray { 1, 4, 8, 8 }));
    }

    void optionsReachTheAnalysis()
    {
        const Run r = cli({ "analyze", model("tiny_conv.onnx"), "--format", "json", "--batch", "4", "--precision",
                            "fp16" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject totals = QJsonDocument::fromJson(r.out).object().value("totals").toObject();
        QCOMPARE(totals.value("input_bytes").toInteger(), 4 * 3 * 8 * 8 * 2);
        QCOMPARE(totals.value("param_bytes").toInteger(), 762 * 2);
    }

    void csvHasARowPerLayer()
    {
        const Run r = cli({ "analyze", model("resnet50_train.onnx"), "--format", "csv" });
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.count('\n'), 1 + 175); // header + one row per node
    }

    void tableEndsWithTotals()
    {
        const Run r = cli({ "analyze", model("vgg16.onnx") });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("Total parameters:         138357544"));
    }

    void badInputIsOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::newRow("missing file") << QStringList { "analyze", "/nonexistent.onnx" } << 1;
        QTest::newRow("bad batch") << QStringList { "analyze", model("tiny_mlp.onnx"), "--batch", "0" } << 2;
        QTest::newRow("bad precision") << QStringList { "analyze", model("tiny_mlp.onnx"), "--precision", "fp64" } << 2;
        QTest::newRow("bad resolution") << QStringList { "analyze", model("tiny_mlp.onnx"), "--resolution", "big" } << 2;
        QTest::newRow("bad dim") << QStringList { "analyze", model("tiny_mlp.onnx"), "--dim", "seq" } << 2;
        QTest::newRow("unknown command") << QStringList { "frobnicate" } << 2;
        QTest::newRow("no model") << QStringList { "analyze" } << 2;
    }
    void badInputIsOneLine()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        const Run r = cli(args);
        QCOMPARE(r.exitCode, code);
        QVERIFY(r.out.isEmpty());
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY(r.err.startsWith("footprint-cli: "));
    }

    void garbageFileIsRefused()
    {
        QTemporaryFile f;
        QVERIFY(f.open());
        f.write(QByteArray(4096, '\xff'));
        f.flush();
        const Run r = cli({ "analyze", f.fileName() });
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("not a valid ONNX model"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

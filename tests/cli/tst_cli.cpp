// footprint-cli as scripts use it: JSON with the documented keys, clear one-line errors.

#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QProcess>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>
#include <csignal>
#include <sys/resource.h>

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

// footprint-cli without a display: no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM, as on a server
// or in CI. `fileSizeLimit` > 0 makes writes past that many bytes fail (EFBIG), as a full disk does.
Run headless(const QStringList& args, qint64 fileSizeLimit = 0)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : { "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" })
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    if (fileSizeLimit > 0) {
        p.setChildProcessModifier([fileSizeLimit]() {
            std::signal(SIGXFSZ, SIG_IGN); // a failed write, not a killed process
            const rlimit limit { rlim_t(fileSizeLimit), rlim_t(fileSizeLimit) };
            setrlimit(RLIMIT_FSIZE, &limit);
        });
    }
    p.start(QStringLiteral(FOOTPRINT_CLI), args);
    p.waitForFinished(120000);
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
             p.readAllStandardError() };
}

QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

int pdfPages(const QByteArray& pdf)
{
    int pages = 0;
    for (qsizetype at = pdf.indexOf("/Type /Page"); at >= 0; at = pdf.indexOf("/Type /Page", at + 1)) {
        if (pdf.mid(at + 11, 1) != "s")
            ++pages;
    }
    return pages;
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

    // The table opens with what a reader wants first: the model, the totals, the peak and what is
    // live there, then the 15 layers that use the most memory; `--layers all` gives every layer.
    void tableOpensWithTheSummary()
    {
        const Run r = cli({ "analyze", model("vgg16.onnx") });
        QCOMPARE(r.exitCode, 0);
        const QString out = QString::fromUtf8(r.out);
        qsizetype at = -1;
        for (const char* section : { "Model:", "Input:                    input [1, 3, 224, 224] float32",
                                     "Total parameters:         138357544", "Inference peak memory:",
                                     "Live at the peak:", "Top 15 of 38 layers by memory" }) {
            const qsizetype next = out.indexOf(QLatin1String(section));
            QVERIFY2(next > at, section);
            at = next;
        }
        // The rows after the ranking's header and rule: exactly 15, largest first. By hand, in
        // fp32: classifier.0 (Linear 25088 -> 4096) holds 4 x (25088 x 4096 + 4096) B of weights
        // and a 4 x 4096 B output: 411,074,560 B = 392.031 MiB; classifier.3 (4096 -> 4096)
        // 4 x (4096 x 4096 + 4096) + 16,384 = 67,141,632 B = 64.031 MiB; classifier.6
        // (4096 -> 1000) 4 x 4,097,000 + 4,000 = 16,392,000 B = 15.633 MiB; then features.2
        // (Conv 64 -> 64, 3x3) 4 x 36,928 + 4 x 64 x 224 x 224 = 12,992,768 B = 12.391 MiB.
        const QStringList lines = out.mid(at).split(QLatin1Char('\n'));
        QVERIFY(lines.size() > 3 && lines[2].startsWith(QLatin1Char('-')));
        QStringList rows;
        for (qsizetype i = 3; i < lines.size() && !lines[i].isEmpty() && !lines[i].startsWith(QLatin1String("warning"));
             ++i)
            rows << lines[i].simplified();
        QCOMPARE(rows.size(), 15);
        QVERIFY2(rows[0].startsWith(QLatin1String("33 392.031 /classifier/classifier.0/Gemm Gemm")), qPrintable(rows[0]));
        QVERIFY2(rows[1].startsWith(QLatin1String("35 64.031 /classifier/classifier.3/Gemm")), qPrintable(rows[1]));
        QVERIFY2(rows[2].startsWith(QLatin1String("37 15.633 /classifier/classifier.6/Gemm")), qPrintable(rows[2]));
        QVERIFY2(rows[3].startsWith(QLatin1String("2 12.391 /features/features.2/Conv")), qPrintable(rows[3]));

        // Every layer, in execution order: one row per node of the CSV, the first the first Conv.
        const Run all = cli({ "analyze", model("vgg16.onnx"), "--layers", "all" });
        const Run csv = cli({ "analyze", model("vgg16.onnx"), "--format", "csv" });
        QCOMPARE(all.exitCode, 0);
        const QString allOut = QString::fromUtf8(all.out);
        QVERIFY(allOut.indexOf(QLatin1String("Inference peak memory:")) < allOut.indexOf(QLatin1String("/features/features.0/Conv ")));
        qsizetype layerRows = 0;
        for (const QString& line : allOut.split(QLatin1Char('\n')))
            layerRows += line.startsWith(QLatin1Char('/')) ? 1 : 0;
        QCOMPARE(layerRows, qsizetype(csv.out.count('\n') - 1));
        QCOMPARE(layerRows, qsizetype(38));
        QCOMPARE(cli({ "analyze", model("vgg16.onnx"), "--layers", "some" }).exitCode, 2);
    }

    // Seed 002's torchsummary figures for DAVEnet, as footprint-cli prints and writes them: at
    // batch 1 a forward pass of 5.15625 MB (worked by hand in the seed), at batch 128 a total of
    // 1400.90 MB = 20.00 input + 2 x 660.00 forward/backward + 60.90 params.
    void torchsummaryFiguresOfTheSeed()
    {
        const Run one = cli({ "analyze", model("davenet_audio.onnx"), "--format", "json" });
        QCOMPARE(one.exitCode, 0);
        const QJsonObject ts = QJsonDocument::fromJson(one.out).object().value("torchsummary").toObject();
        QCOMPARE(ts.value("rule").toString(), QStringLiteral("module_outputs"));
        QCOMPARE(ts.value("forward_bytes").toDouble() / (1024.0 * 1024.0), 5.15625);
        QCOMPARE(ts.value("input_bytes").toDouble() / (1024.0 * 1024.0), 0.15625);
        const Run big = cli({ "analyze", model("davenet_audio.onnx"), "--batch", "128" });
        QCOMPARE(big.exitCode, 0);
        QVERIFY2(big.out.contains("torchsummary-style total: 1400.90 MiB = input 20.00 + forward/backward pass "
                                  "2 x 660.00 + params 60.90 MiB"),
                 big.out.constData());
        QVERIFY(big.out.contains("(forward pass: the outputs of 10 module calls"));
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
        QTest::newRow("unknown device") << QStringList { "analyze", model("tiny_mlp.onnx"), "--device", "gtx-9999" } << 2;
        QTest::newRow("bad budget") << QStringList { "analyze", model("tiny_mlp.onnx"), "--fit-memory", "lots" } << 2;
        QTest::newRow("bad mode") << QStringList { "analyze", model("tiny_mlp.onnx"), "--mode", "serving" } << 2;
        QTest::newRow("missing calibration") << QStringList { "analyze", model("tiny_mlp.onnx"), "--calibration", "/nope.json" } << 2;
        QTest::newRow("bad trace") << QStringList { "compare", model("tiny_mlp.onnx"), model("tiny_mlp.onnx") } << 1;
        const QString mlp = model("tiny_mlp.onnx");
        QTest::newRow("bad autocast") << QStringList { "analyze", mlp, "--autocast", "fp8" } << 2;
        QTest::newRow("autocast of fp16") << QStringList { "analyze", mlp, "--autocast", "bf16", "--precision", "fp16" } << 2;
        QTest::newRow("recipe in inference") << QStringList { "analyze", mlp, "--checkpoint", "/h.*" } << 2;
        QTest::newRow("bad zero") << QStringList { "analyze", mlp, "--mode", "training", "--zero", "4" } << 2;
        QTest::newRow("zero and fsdp") << QStringList { "analyze", mlp, "--mode", "training", "--zero", "2", "--fsdp", "full" } << 2;
        QTest::newRow("params offload needs zero 3")
            << QStringList { "analyze", mlp, "--mode", "training", "--zero", "2", "--offload", "params" } << 2;
        QTest::newRow("bad micro-batch") << QStringList { "analyze", mlp, "--mode", "training", "--micro-batch", "0" } << 2;
        QTest::newRow("bad data-parallel") << QStringList { "analyze", mlp, "--mode", "training", "--data-parallel", "-1" } << 2;
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

    void trainingJsonAndBudget()
    {
        const Run r = cli({ "analyze", model("tiny_mlp.onnx"), "--format", "json", "--mode", "training", "--optimizer",
                            "momentum", "--fit-memory", "1MiB", "--timeline" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        const QJsonObject training = root.value("training").toObject();
        for (const char* key : { "weights_bytes", "gradient_bytes", "optimizer_bytes", "saved_activation_bytes",
                                 "workspace_bytes", "peak_bytes" })
            QVERIFY2(training.contains(QLatin1String(key)), key);
        QCOMPARE(training.value("optimizer_bytes").toInteger(), 120); // 30 parameters, one fp32 copy
        // tiny_mlp, X[B,4] -> Gemm(W 48 B, b 12 B) -> H[B,3] -> Relu -> R[B,3] -> MatMul(W2 60 B)
        // -> Y[B,5], one training step with momentum, by hand (tst_training's timelineByHand walks
        // the same steps with Adam). Per sample: X 16 B, H 12, R 12, Y 20; gradients of Y 20, R 12,
        // H 12. Resident: weights 120 + momentum 120 = 240; X is held by the caller throughout.
        //   forward Gemm:        240 + X 16B + H 12B                          = 240 + 28B
        //   forward Relu:        + R 12B (F.relu after a Linear: out of place) = 240 + 40B
        //   forward MatMul:      - H 12B + Y 20B                              = 240 + 48B
        //   backward MatMul:     + grad Y 20B + grad R 12B + grad W2 60       = 300 + 80B
        //   backward Relu:       - grad Y 20B + grad H 12B                    = 300 + 72B
        //   backward Gemm:       - R 12B - grad R 12B + grad W 48 + grad b 12 = 360 + 48B
        //   optimizer:           - grad H 12B                                 = 360 + 36B
        // At the file's batch B = 2: 296, 320, 336, 460, 444, 456, 432; the peak is 460 B at step 3.
        // For B >= 2 the backward MatMul is the peak (300 + 80B >= 360 + 48B once 32B >= 60), so
        // the largest batch under 1 MiB is floor((1,048,576 - 300) / 80) = 13,103
        // (300 + 80 x 13,103 = 1,048,540 B; 13,104 would need 1,048,620 B).
        const QJsonArray timeline = root.value("timeline").toArray();
        QCOMPARE(timeline.size(), 3 + 3 + 1); // forward, backward, optimizer
        QList<qint64> live;
        for (const QJsonValue& step : timeline)
            live << step.toObject().value("live_bytes").toInteger();
        QCOMPARE(live, (QList<qint64> { 296, 320, 336, 460, 444, 456, 432 }));
        QCOMPARE(root.value("totals").toObject().value("peak_bytes").toInteger(), 460);
        QCOMPARE(root.value("totals").toObject().value("peak_step").toInteger(), 3);
        QCOMPARE(root.value("peak").toObject().value("phase").toString(), QStringLiteral("backward"));
        QCOMPARE(root.value("budget_bytes").toInteger(), 1048576);
        QCOMPARE(root.value("max_batch").toInteger(), 13103);
        QCOMPARE(root.value("max_batch_is_search_limit").toBool(), false);
        QCOMPARE(root.value("fits").toBool(), true);
        QVERIFY(!root.contains("device")); // a bare --fit-memory names no device
    }

    // The recipe flags and the training JSON keys scripts depend on (issue 16). tiny_mlp has
    // W[4,3] + b[3] in the Gemm and W2[3,5] in the MatMul: 12 + 3 + 15 = 30 parameters, 120 B.
    //   --train-only matmul (the node's name): only W2, 15 parameters, 60 B of gradients, Adam 120 B.
    //   --fsdp full over 4 GPUs with Adam: weights 120 / 4 = 30 B, gradients 120 / 4 = 30 B,
    //     Adam 240 / 4 = 60 B per GPU; --offload optimizer moves the Adam state and the
    //     gradient shard to the host: 90 B there.
    void recipeFlagsAndJson()
    {
        const auto training = [&](QStringList extra) {
            const Run r = cli(QStringList { "analyze", model("tiny_mlp.onnx"), "--format", "json", "--mode", "training" } + extra);
            if (r.exitCode != 0)
                qWarning() << r.err;
            return QJsonDocument::fromJson(r.out).object().value("training").toObject();
        };
        QJsonObject t = training({});
        for (const char* key : { "peak_bytes", "weights_bytes", "gradient_bytes", "optimizer_bytes",
                                 "saved_activation_bytes", "trainable_params", "host_bytes" })
            QVERIFY2(t.contains(QLatin1String(key)), key);
        QCOMPARE(t.value("trainable_params").toInteger(), 30);
        t = training({ "--train-only", "matmul" });
        QCOMPARE(t.value("trainable_params").toInteger(), 15);
        QCOMPARE(t.value("gradient_bytes").toInteger(), 60);
        QCOMPARE(t.value("optimizer_bytes").toInteger(), 120);
        t = training({ "--freeze", "matmul" });
        QCOMPARE(t.value("trainable_params").toInteger(), 15);
        t = training({ "--fsdp", "full", "--data-parallel", "4" });
        QCOMPARE(t.value("weights_bytes").toInteger(), 30);
        QCOMPARE(t.value("gradient_bytes").toInteger(), 30);
        QCOMPARE(t.value("optimizer_bytes").toInteger(), 60);
        QCOMPARE(t.value("host_bytes").toInteger(), 0);
        t = training({ "--zero", "3", "--data-parallel", "4", "--offload", "optimizer" });
        QCOMPARE(t.value("optimizer_bytes").toInteger(), 0);
        QCOMPARE(t.value("gradient_bytes").toInteger(), 0);
        QCOMPARE(t.value("host_bytes").toInteger(), 90);
        t = training({ "--batch", "8", "--micro-batch", "2", "--autocast", "bf16", "--checkpoint", "*" });
        QCOMPARE(t.value("accumulation_steps").toInt(), 4);
        const Run r = cli({ "analyze", model("tiny_mlp.onnx"), "--format", "json", "--mode", "training", "--autocast",
                            "bf16", "--checkpoint", "/nothing*" });
        const QJsonObject config = QJsonDocument::fromJson(r.out).object().value("config").toObject();
        QCOMPARE(config.value("recipe").toObject().value("autocast").toString(), QStringLiteral("bf16"));
        bool warned = false;
        for (const QJsonValue& w : QJsonDocument::fromJson(r.out).object().value("warnings").toArray())
            warned = warned || w.toString().contains(QLatin1String("matches no node"));
        QVERIFY(warned);
    }

    // tiny_conv (fp32) on an RTX 4090, by hand. resources/devices.json: 82.6 TFLOP/s fp32,
    // 1,008 GB/s, 24 GiB; at the default efficiency 0.75 the roofs are 61.95 TFLOP/s and
    // 756 GB/s (ridge 81.9 FLOP/B). Per layer (core/performance.cpp: time = max(FLOPs / peak,
    // bytes read and written / bandwidth)):
    //   Conv 3->4 3x3 pad 1, 8x8: 4x8x8 = 256 outputs x 27 = 6,912 MACs; FLOPs 2 x 6,912 + 256
    //     (bias) = 14,080; reads X 768 + W 432 + B 16 = 1,216 B, writes C 1,024 B: 2,240 B;
    //   Relu: 256 FLOPs, 1,024 + 1,024 = 2,048 B;
    //   MaxPool 2x2: 64 outputs x 4 = 256 FLOPs, 1,024 + 256 = 1,280 B;
    //   Flatten: a view, nothing moves;
    //   Gemm 64 -> 10: 640 MACs, 1,280 + 10 (bias) = 1,290 FLOPs; reads F 256 + W 2,560 + b 40,
    //     writes Y 40: 2,896 B.
    // Every layer is below the ridge (Conv: 14,080 / 2,240 = 6.3 FLOP/B): memory-bound, so the
    // latency is 8,464 B / 756e9 B/s = 1.1195767e-8 s. Energy (Horowitz 45 nm, fp32): MACs
    // 7,552 x 4.6 pJ = 34,739.2; other FLOPs (256 + 256 + 256 + 10 = 778) x 0.9 pJ = 700.2;
    // bytes 8,464 x 160 pJ = 1,354,240: 1,389,679.4 pJ = 1.3896794e-6 J.
    // Largest batch in 24 GiB (25,769,803,776 B): weights 3,048 B; per image X 768, C 1,024
    // (R in place), P 256; the Conv's default workspace is one image's im2col, 6,912 B. Peaks:
    // the Conv step 3,048 + 6,912 + 1,792B, the MaxPool step 3,048 + 2,048B (larger once
    // B > 27): floor((25,769,803,776 - 3,048) / 2,048) = 12,582,910, beyond the search's limit
    // of 2^20 = 1,048,576 batches (core/devices.h), so the answer is the limit, marked as such.
    // In 2 MiB (--fit-memory, 2,097,152 B) it is floor((2,097,152 - 3,048) / 2,048) = 1,022.
    void deviceAddsLatencyAndEnergy()
    {
        const Run r = cli({ "analyze", model("tiny_conv.onnx"), "--format", "json", "--device", "rtx-4090", "--runtime",
                            "pytorch-cpu" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        const auto near = [](double value, double expected) { return std::abs(value - expected) <= 1e-9 * expected; };
        const QJsonObject roofline = root.value("roofline").toObject();
        QVERIFY(near(roofline.value("peak_flops").toDouble(), 61.95e12));
        QVERIFY(near(roofline.value("bandwidth_bytes_per_s").toDouble(), 756e9));
        const QJsonObject totals = root.value("totals").toObject();
        QVERIFY2(near(totals.value("latency_s").toDouble(), 8464 / 756e9),
                 qPrintable(QString::number(totals.value("latency_s").toDouble(), 'g', 12)));
        QVERIFY2(near(totals.value("energy_j").toDouble(), 1389679.4e-12),
                 qPrintable(QString::number(totals.value("energy_j").toDouble(), 'g', 12)));
        const QJsonArray layers = root.value("layers").toArray();
        QCOMPARE(layers.size(), 5);
        const double bytes[] = { 2240, 2048, 1280, 0, 2896 };
        for (int i = 0; i < 5; ++i) {
            const QJsonObject layer = layers[i].toObject();
            QVERIFY2(near(layer.value("latency_s").toDouble(), bytes[i] / 756e9), qPrintable(QString::number(i)));
            QVERIFY(near(layer.value("time_share").toDouble(), bytes[i] / 8464));
            if (bytes[i] > 0)
                QCOMPARE(layer.value("bound").toString(), QStringLiteral("memory"));
        }
        const QJsonObject conv = layers.first().toObject();
        QVERIFY(near(conv.value("intensity").toDouble(), 14080.0 / 2240));
        QVERIFY(near(conv.value("energy_j").toDouble(), (6912 * 4.6 + 256 * 0.9 + 2240 * 160) * 1e-12));
        QCOMPARE(root.value("device").toString(), QStringLiteral("RTX-4090"));
        QCOMPARE(root.value("budget_bytes").toInteger(), qint64(24) << 30);
        QCOMPARE(root.value("fits").toBool(), true);
        QCOMPARE(root.value("max_batch").toInteger(), 1048576);
        QCOMPARE(root.value("max_batch_is_search_limit").toBool(), true);

        // No device: pytorch-cpu. At batch N the Conv step holds weights 3,048 + X 768N + C 1,024N
        // + oneDNN's reordered output (<= 4 input channels: calibrate.py's rule) 1,024N B, so
        // 3,048 + 2,816N <= 2 MiB (2,097,152 B) gives N = 743.
        const Run small = cli({ "analyze", model("tiny_conv.onnx"), "--format", "json", "--fit-memory", "2MiB" });
        QCOMPARE(small.exitCode, 0);
        const QJsonObject fit = QJsonDocument::fromJson(small.out).object();
        QCOMPARE(fit.value("max_batch").toInteger(), 743);
        QCOMPARE(fit.value("max_batch_is_search_limit").toBool(), false);
    }

    // Command-line dims are accepted up to 2^40 = 1,099,511,627,776 and refused above (exit 2,
    // one line). At batch 2^40, tiny_mlp's inference peak is 120 + 48 x 2^40 =
    // 52,776,558,133,368 B (weights, then X 16, H 12 and Y 20 B per sample at the last step).
    void dimensionLimit()
    {
        const QString limit = QStringLiteral("1099511627776"), over = QStringLiteral("1099511627777");
        Run r = cli({ "analyze", model("tiny_mlp.onnx"), "--format", "json", "--batch", limit });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("totals").toObject().value("peak_bytes").toInteger(),
                 qint64(52776558133368));
        r = cli({ "analyze", model("gpt2_2l.onnx"), "--format", "json", "--dim", "sequence=" + limit });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("config").toObject().value("dims").toObject()
                     .value("sequence").toInteger(),
                 qint64(1) << 40);
        for (const QStringList& args : { QStringList { "--batch", over }, QStringList { "--dim", "sequence=" + over } }) {
            r = cli(QStringList { "analyze", model("gpt2_2l.onnx"), "--format", "json" } + args);
            QCOMPARE(r.exitCode, 2);
            QVERIFY(r.out.isEmpty());
            QCOMPARE(r.err.count('\n'), 1);
            QVERIFY2(r.err.startsWith("footprint-cli: --" + args[0].mid(2).toUtf8()), r.err.constData());
        }
    }

    // The runtime follows the device, and --runtime overrides it. tiny_mlp at batch 2 holds, at
    // its MatMul: weights W 48, b 12, W2 60 B, X 32, H 24 (ReLU in place), Y 40 B = 216 B on the
    // CPU (no rounding, no context). A GPU preset gets pytorch-cuda's documented allocator
    // (REFERENCES.md: CUDACachingAllocator rounds every block up to 512 B) and context: each of
    // the 6 tensors takes 512 B = 3,072 B, plus a 500 MB context (524,288,000 B) and cuBLAS's
    // default workspace (:4096:2:16:8 = 8,519,680 B).
    void runtimeFollowsTheDevice_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("runtime");
        QTest::addColumn<bool>("measured");
        QTest::addColumn<qint64>("peak");
        const qint64 cuda = 3072 + 524288000 + 8519680;
        QTest::newRow("no device") << QStringList {} << "pytorch-cpu" << true << qint64(216);
        QTest::newRow("a GPU") << QStringList { "--device", "A100-80GB" } << "pytorch-cuda" << false << cuda;
        QTest::newRow("a CPU board") << QStringList { "--device", "Raspberry-Pi-5-8GB" } << "pytorch-cpu" << true
                                     << qint64(216);
        QTest::newRow("chosen") << QStringList { "--runtime", "pytorch-cuda" } << "pytorch-cuda" << false << cuda;
        QTest::newRow("chosen over the GPU")
            << QStringList { "--device", "A100-80GB", "--runtime", "pytorch-cpu" } << "pytorch-cpu" << true << qint64(216);
    }
    void runtimeFollowsTheDevice()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, runtime);
        QFETCH(bool, measured);
        QFETCH(qint64, peak);
        const Run r = cli(QStringList { "analyze", model("tiny_mlp.onnx"), "--format", "json" } + args);
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(root.value("config").toObject().value("runtime").toString(), runtime);
        QCOMPARE(root.value("runtime").toObject().value("measured").toBool(), measured);
        QCOMPARE(root.value("totals").toObject().value("peak_bytes").toInteger(), peak);
        const Run table = cli(QStringList { "analyze", model("tiny_mlp.onnx") } + args);
        QVERIFY2(table.out.contains("Runtime:                  " + runtime.toUtf8()
                                   + (measured ? " (measured: " : " (documented behaviour, not yet measured: ")),
                 table.out.constData());
    }

    // --layer-precision GLOB=P (issue 19): ResNet-18's layer4 at int8 and int4. Its weights by
    // hand: convolutions 3x3 256->512 (1,179,648), three 3x3 512->512 (3 x 2,359,296) and the 1x1
    // downsample 256->512 (131,072), and five BatchNorms' weight, bias, mean and variance
    // (5 x 4 x 512): 8,398,848 floats. At int8 each stores 1 byte instead of 4, at int4 half a byte.
    void layerPrecision()
    {
        const auto paramBytes = [&](QStringList extra) {
            const Run r = cli(QStringList { "analyze", model("resnet18_train.onnx"), "--format", "json" } + extra);
            const QJsonObject root = QJsonDocument::fromJson(r.out).object();
            return root.value("totals").toObject().value("param_bytes").toInteger();
        };
        const qint64 plain = paramBytes({});
        const qint64 layer4 = 1179648 + 3 * 2359296 + 131072 + 5 * 4 * 512;
        QCOMPARE(plain - paramBytes({ "--layer-precision", "/layer4/*=int8" }), 3 * layer4);
        QCOMPARE(plain - paramBytes({ "--layer-precision", "/layer4/*=int4" }), 7 * layer4 / 2);
        // The last match wins: layer4 at int8, then its first block back at fp32.
        const qint64 block0 = 1179648 + 2359296 + 131072 + 3 * 4 * 512;
        QCOMPARE(plain - paramBytes({ "--layer-precision", "/layer4/*=int8", "--layer-precision", "/layer4/layer4.0/*=fp32" }),
                 3 * (layer4 - block0));
        const Run json = cli({ "analyze", model("resnet18_train.onnx"), "--format", "json", "--layer-precision", "/fc/*=fp16" });
        const QJsonObject root = QJsonDocument::fromJson(json.out).object();
        const QJsonArray rules = root.value("config").toObject().value("layer_precisions").toArray();
        QCOMPARE(rules.size(), 1);
        QCOMPARE(rules[0].toObject().value("pattern").toString(), QStringLiteral("/fc/*"));
        QCOMPARE(rules[0].toObject().value("precision").toString(), QStringLiteral("fp16"));
        int fp16Layers = 0;
        for (const QJsonValue& layer : root.value("layers").toArray())
            fp16Layers += layer.toObject().value("precision").toString() == QLatin1String("fp16");
        QCOMPARE(fp16Layers, 1); // /fc/Gemm
        for (const char* bad : { "int8", "/layer4/*", "/layer4/*=int3", "=int8", "/layer4/*=model" }) {
            const Run r = cli({ "analyze", model("resnet18_train.onnx"), "--layer-precision", bad });
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("--layer-precision needs GLOB=P, P one of fp32, fp16, bf16, int8 or int4"), r.err.constData());
        }
        const Run none = cli({ "analyze", model("resnet18_train.onnx"), "--layer-precision", "/nothing/*=int8" });
        QCOMPARE(none.exitCode, 0);
        QVERIFY2(none.out.contains("--layer-precision '/nothing/*' matches no layer"), none.out.constData());
    }

    // --quantize-to-fit SIZE (issue 19): the JSON's quantization_plan lists {layer, precision,
    // peak_bytes} until the peak fits 15 MiB (15,728,640 B); an impossible size says so.
    void quantizeToFit()
    {
        const Run r = cli({ "analyze", model("mobilenet_v2_train.onnx"), "--format", "json", "--quantize-to-fit", "15MiB" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        const QJsonArray plan = root.value("quantization_plan").toArray();
        QVERIFY(!plan.isEmpty());
        for (const QJsonValue& step : plan) {
            QVERIFY(!step.toObject().value("layer").toString().isEmpty());
            QCOMPARE(step.toObject().value("precision").toString(), QStringLiteral("int8"));
        }
        QVERIFY(plan.last().toObject().value("peak_bytes").toInteger() <= 15728640);
        QVERIFY(plan.first().toObject().value("peak_bytes").toInteger() > 15728640);
        QVERIFY(root.value("quantization").toObject().value("fits").toBool());
        const Run none = cli({ "analyze", model("mobilenet_v2_train.onnx"), "--quantize-to-fit", "1MiB" });
        QCOMPARE(none.exitCode, 0);
        QVERIFY2(none.out.contains("no quantization plan fits 1.00 MiB"), none.out.constData());
        const Run orphan = cli({ "analyze", model("mobilenet_v2_train.onnx"), "--quantize-order", "weights" });
        QCOMPARE(orphan.exitCode, 2);
        QVERIFY2(orphan.err.contains("add --quantize-to-fit SIZE"), orphan.err.constData());
    }

    // footprint-cli diff (issue 19). ResNet-18 against ResNet-50 (both training exports): every
    // name ResNet-18 has, ResNet-50 has too (nothing removed), and each of ResNet-50's 3 + 4 + 6 + 3
    // bottleneck blocks adds a conv3; a and b are what analyze gives for each. One model against
    // itself at batch 2: nothing added or removed, the same weights, and every output twice as big.
    void diffTwoModelsAndTwoConfigurations()
    {
        const auto json = [&](QStringList args) {
            const Run r = cli(args);
            if (r.exitCode != 0)
                qWarning("%s", r.err.constData());
            return QJsonDocument::fromJson(r.out).object();
        };
        const QJsonObject d = json({ "diff", model("resnet18_train.onnx"), model("resnet50_train.onnx"), "--format", "json" });
        QCOMPARE(d.value("counts").toObject().value("removed").toInt(), 0);
        QSet<QString> added;
        for (const QJsonValue& layer : d.value("layers").toArray())
            if (layer.toObject().value("status").toString() == QLatin1String("added"))
                added.insert(layer.toObject().value("name").toString());
        const int blocks[4] = { 3, 4, 6, 3 };
        for (int l = 1; l <= 4; ++l)
            for (int b = 0; b < blocks[l - 1]; ++b) {
                const QString conv3 = QStringLiteral("/layer%1/layer%1.%2/conv3/Conv").arg(l).arg(b);
                QVERIFY2(added.contains(conv3), qPrintable(conv3));
            }
        QCOMPARE(d.value("a").toObject().value("totals").toObject(),
                 json({ "analyze", model("resnet18_train.onnx"), "--format", "json" }).value("totals").toObject());
        QCOMPARE(d.value("b").toObject().value("totals").toObject(),
                 json({ "analyze", model("resnet50_train.onnx"), "--format", "json" }).value("totals").toObject());

        const QJsonObject batch = json({ "diff", model("tiny_conv.onnx"), model("tiny_conv.onnx"), "--b-batch", "2", "--format", "json" });
        QCOMPARE(batch.value("counts").toObject().value("added").toInt(), 0);
        QCOMPARE(batch.value("counts").toObject().value("removed").toInt(), 0);
        const QJsonArray layers = batch.value("layers").toArray();
        QCOMPARE(layers.size(), 5);
        for (const QJsonValue& layer : layers) {
            const QJsonObject a = layer.toObject().value("a").toObject(), b = layer.toObject().value("b").toObject();
            QCOMPARE(b.value("output_bytes").toInteger(), 2 * a.value("output_bytes").toInteger());
            QCOMPARE(b.value("weight_bytes").toInteger(), a.value("weight_bytes").toInteger());
        }
        const Run table = cli({ "diff", model("tiny_conv.onnx"), model("tiny_conv.onnx"), "--b-precision", "fp16" });
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.contains("B: batch 1, fp16"), table.out.constData());
        QCOMPARE(cli({ "diff", model("tiny_conv.onnx") }).exitCode, 2);
    }

    void unknownRuntime()
    {
        const Run r = cli({ "analyze", model("tiny_mlp.onnx"), "--runtime", "tensorrt" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--runtime must be pytorch-cpu or pytorch-cuda, not 'tensorrt'"), r.err.constData());
    }

    // Every key the README's JSON table documents, in the runs that produce it: inference with a
    // device and --timeline (tiny_conv), and a training step (tiny_mlp). Values by hand where
    // the model is small enough: make_models.py writes tiny_conv at opset 13, IR 7, producer
    // "footprint-tests"; its 5 nodes, X [1,3,8,8] float32; 762 parameters (4x3x3x3 + 4 + 10x64
    // + 10), no buffers; the figures of deviceAddsLatencyAndEnergy; the peak at the Conv (step
    // 0): weights 3,048 + X 768 + C 1,024 + the im2col workspace 6,912 = 11,752 B.
    // --mode generate on a 2-layer decoder in onnxruntime-genai's layout (issue 18). By hand, the
    // KV cache after 7 + 5 tokens at batch 2: 2 layers x 2 (key, value) x 1 KV head x 16 x 12 x 2
    // x 4 bytes = 6,144 B.
    void generationJson()
    {
        Run r = cli({ "analyze", model("decoder_genai.onnx"), "--mode", "generate", "--prompt", "7", "--new-tokens", "5",
                      "--batch", "2", "--format", "json", "--timeline", "--fit-memory", "64MiB" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject g = QJsonDocument::fromJson(r.out).object().value("generation").toObject();
        QCOMPARE(g.value("kv_cache_bytes").toInteger(), qint64(2 * 2 * 1 * 16 * 12 * 2 * 4));
        QCOMPARE(g.value("peak_bytes").toInteger(),
                 std::max(g.value("prefill_peak_bytes").toInteger(), g.value("decode_peak_bytes").toInteger()));
        QCOMPARE(g.value("step_peak_bytes").toArray().size(), 6); // the prefill and 5 decode steps
        QVERIFY(g.value("max_batch").toInteger() > 2);
        QVERIFY(g.value("max_context").toInteger() > 12);
        QCOMPARE(g.value("past_dim").toString(), QStringLiteral("past_sequence_length"));
        // Its 8 packed weights (Q, K, V, O of 2 layers): the first, Q of layer 0, is 64 x 64
        // parameters stored as 64 x 2 blocks x 16 bytes and 128 float scales = 2,560 B.
        const QJsonArray quantized = QJsonDocument::fromJson(r.out).object().value("quantized_weights").toArray();
        QCOMPARE(quantized.size(), 8);
        const QJsonObject q0 = quantized.first().toObject();
        QCOMPARE(q0.value("name").toString(), QStringLiteral("model.layers.0.attn.q_proj.qweight"));
        QCOMPARE(q0.value("bits").toInt(), 4);
        QCOMPARE(q0.value("params").toInteger(), qint64(64 * 64));
        QCOMPARE(q0.value("stored_bytes").toInteger(), qint64(64 * 2 * 16 + 128 * 4));

        r = cli({ "analyze", model("decoder_genai.onnx"), "--mode", "generate", "--prompt", "7" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--new-tokens"), r.err.constData());
        r = cli({ "analyze", model("tiny_mlp.onnx"), "--mode", "generate", "--prompt", "7", "--new-tokens", "5" });
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("no past KV input"), r.err.constData());
    }

    // audio_stft at its default length of 1 sample: the 512-sample Convs cannot run, so what
    // follows them has no shape and is not counted. No figure may then read as certain (issue
    // 17): the peak is "at least", a fit "may" be, the largest batch "at most". At 16000 samples
    // every shape is known and the words are plain again.
    void unknownShapesMakeALowerBound()
    {
        Run r = cli({ "analyze", model("audio_stft.onnx"), "--device", "RTX-4090" });
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("Inference peak memory:    at least "), r.out.constData());
        QVERIFY2(r.out.contains("RTX-4090): may fit: ") && r.out.contains(" to spare without the tensors of unknown shape"),
                 r.out.constData());
        QVERIFY2(r.out.contains("Largest batch that fits:  at most "), r.out.constData());
        QVERIFY2(r.out.contains("Estimated time, energy:   at least "), r.out.constData());
        QVERIFY2(r.out.contains("'Conv_real' (Conv) cannot compute its output's shape from [1, 1, 1]"), r.out.constData());

        r = cli({ "analyze", model("audio_stft.onnx"), "--device", "RTX-4090", "--format", "json" });
        QJsonObject root = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(root.value("totals").toObject().value("peak_is_lower_bound").toBool(), true);
        QCOMPARE(root.value("max_batch_is_upper_bound").toBool(), true);
        QVERIFY(!root.value("unknown_shapes").toArray().isEmpty());

        r = cli({ "analyze", model("audio_stft.onnx"), "--device", "RTX-4090", "--format", "json", "--dim",
                  "samples_dim1=16000" });
        root = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(root.value("totals").toObject().value("peak_is_lower_bound").toBool(), false);
        QCOMPARE(root.value("max_batch_is_upper_bound").toBool(), false);
        QVERIFY(root.value("unknown_shapes").toArray().isEmpty());
        QCOMPARE(root.value("totals").toObject().value("macs").toInteger(), qint64(2) * 97 * 257 * 512);
        r = cli({ "analyze", model("audio_stft.onnx"), "--device", "RTX-4090", "--dim", "samples_dim1=16000" });
        QVERIFY2(r.out.contains("RTX-4090): fits, "), r.out.constData());
    }

    void jsonHasEveryDocumentedKey()
    {
        Run r = cli({ "analyze", model("tiny_conv.onnx"), "--format", "json", "--device", "RTX-4090", "--timeline",
                      "--runtime", "pytorch-cpu" });
        QCOMPARE(r.exitCode, 0);
        QJsonObject root = QJsonDocument::fromJson(r.out).object();
        const auto keys = [](const QJsonObject& o, std::initializer_list<const char*> names, const char* where) {
            for (const char* name : names) {
                if (!o.contains(QLatin1String(name)))
                    return QStringLiteral("%1.%2 is missing").arg(QLatin1String(where), QLatin1String(name));
            }
            return QString();
        };
#define HAS_KEYS(object, where, ...)                                                                                   \
    do {                                                                                                               \
        const QString missing = keys(object, { __VA_ARGS__ }, where);                                                  \
        QVERIFY2(missing.isEmpty(), qPrintable(missing));                                                              \
    } while (false)

        const QJsonObject m = root.value("model").toObject();
        HAS_KEYS(m, "model", "path", "ir_version", "opset", "producer", "nodes", "inputs");
        QCOMPARE(m.value("path").toString(), model("tiny_conv.onnx"));
        QCOMPARE(m.value("ir_version").toInt(), 7);
        QCOMPARE(m.value("opset").toInt(), 13);
        QVERIFY(m.value("producer").toString().startsWith(QLatin1String("footprint-tests")));
        QCOMPARE(m.value("nodes").toInt(), 5);
        const QJsonArray inputs = m.value("inputs").toArray();
        QCOMPARE(inputs.size(), 1);
        HAS_KEYS(inputs[0].toObject(), "model.inputs[]", "name", "dtype", "shape");
        QCOMPARE(inputs[0].toObject().value("name").toString(), QStringLiteral("X"));
        QCOMPARE(inputs[0].toObject().value("dtype").toString(), QStringLiteral("float32"));
        QCOMPARE(inputs[0].toObject().value("shape").toArray(), (QJsonArray { 1, 3, 8, 8 }));

        const QJsonObject config = root.value("config").toObject();
        HAS_KEYS(config, "config", "precision", "dims", "mode", "optimizer", "workspace");
        QCOMPARE(config.value("precision").toString(), QStringLiteral("model"));
        QVERIFY(config.value("dims").isObject());
        QCOMPARE(config.value("mode").toString(), QStringLiteral("inference"));
        QCOMPARE(config.value("workspace").toString(), QStringLiteral("default"));

        const QJsonObject totals = root.value("totals").toObject();
        HAS_KEYS(totals, "totals", "params", "buffers", "param_bytes", "macs", "flops", "activation_bytes",
                 "input_bytes", "read_bytes", "write_bytes", "peak_bytes", "peak_step", "peak_activation_bytes",
                 "latency_s", "energy_j");
        QCOMPARE(totals.value("params").toInteger(), 762);
        QCOMPARE(totals.value("buffers").toInteger(), 0);
        QCOMPARE(totals.value("param_bytes").toInteger(), 762 * 4);
        QCOMPARE(totals.value("macs").toInteger(), 6912 + 640);
        QCOMPARE(totals.value("flops").toInteger(), 14080 + 256 + 256 + 1290);
        QCOMPARE(totals.value("activation_bytes").toInteger(), 1024 + 1024 + 256 + 256 + 40); // C R P F Y
        QCOMPARE(totals.value("input_bytes").toInteger(), 768);
        QCOMPARE(totals.value("read_bytes").toInteger(), 1216 + 1024 + 1024 + 2856); // Flatten moves nothing
        QCOMPARE(totals.value("write_bytes").toInteger(), 1024 + 1024 + 256 + 40);
        QCOMPARE(totals.value("peak_bytes").toInteger(), 11752);
        QCOMPARE(totals.value("peak_step").toInteger(), 0);
        QCOMPARE(totals.value("peak_activation_bytes").toInteger(), 11752 - 3048);

        const QJsonObject peak = root.value("peak").toObject();
        HAS_KEYS(peak, "peak", "step", "node", "phase", "by_category");
        QCOMPARE(peak.value("step").toInt(), 0);
        QCOMPARE(peak.value("node").toString(), QStringLiteral("conv"));
        QCOMPARE(peak.value("phase").toString(), QStringLiteral("forward"));
        const QJsonObject byCategory = peak.value("by_category").toObject();
        HAS_KEYS(byCategory, "peak.by_category", "weights", "gradients", "optimizer_state", "saved_activations",
                 "activations", "workspace", "inputs", "runtime");
        QCOMPARE(byCategory.value("weights").toInteger(), 3048);
        QCOMPARE(byCategory.value("inputs").toInteger(), 768);
        QCOMPARE(byCategory.value("activations").toInteger(), 1024);
        QCOMPARE(byCategory.value("workspace").toInteger(), 6912);

        const QJsonArray live = root.value("live_at_peak").toArray();
        QVERIFY(!live.isEmpty());
        for (const QJsonValue& entry : live)
            HAS_KEYS(entry.toObject(), "live_at_peak[]", "name", "category", "bytes");
        QCOMPARE(live.first().toObject().value("category").toString(), QStringLiteral("workspace")); // largest first
        QCOMPARE(live.first().toObject().value("bytes").toInteger(), 6912);
        qint64 liveSum = 0;
        for (const QJsonValue& entry : live)
            liveSum += entry.toObject().value("bytes").toInteger();
        QCOMPARE(liveSum, 11752);

        for (const char* list : { "warnings", "unknown_shapes", "unsupported_ops" }) {
            QVERIFY2(root.value(QLatin1String(list)).isArray(), list);
            QVERIFY2(root.value(QLatin1String(list)).toArray().isEmpty(), list);
        }

        const QJsonArray layers = root.value("layers").toArray();
        QCOMPARE(layers.size(), 5);
        for (const QJsonValue& layer : layers)
            HAS_KEYS(layer.toObject(), "layers[]", "step", "name", "op", "output_shapes", "params", "buffers",
                     "weight_bytes", "macs", "flops", "read_bytes", "write_bytes", "output_bytes", "live_bytes",
                     "cost_known", "shapes_known", "latency_s", "time_share", "energy_j", "intensity", "bound");
        const QJsonObject conv = layers.first().toObject();
        QCOMPARE(conv.value("step").toInt(), 0);
        QCOMPARE(conv.value("op").toString(), QStringLiteral("Conv"));
        QCOMPARE(conv.value("weight_bytes").toInteger(), 448);
        QCOMPARE(conv.value("live_bytes").toInteger(), 11752);
        QCOMPARE(conv.value("cost_known").toBool(), true);
        QCOMPARE(conv.value("shapes_known").toBool(), true);

        HAS_KEYS(root.value("roofline").toObject(), "roofline", "peak_flops", "bandwidth_bytes_per_s");
        const QJsonArray timeline = root.value("timeline").toArray();
        QCOMPARE(timeline.size(), 5);
        for (const QJsonValue& step : timeline)
            HAS_KEYS(step.toObject(), "timeline[]", "step", "node", "phase", "live_bytes", "by_category");
        QCOMPARE(timeline.first().toObject().value("live_bytes").toInteger(), 11752);
        HAS_KEYS(root, "root", "budget_bytes", "fits", "max_batch", "max_batch_is_search_limit", "device");
        QVERIFY(!root.contains("training")); // inference

        // A training step adds training.*, layers[].saved_bytes and the backward phases.
        r = cli({ "analyze", model("tiny_mlp.onnx"), "--format", "json", "--mode", "training", "--optimizer", "adamw" });
        QCOMPARE(r.exitCode, 0);
        root = QJsonDocument::fromJson(r.out).object();
        const QJsonObject training = root.value("training").toObject();
        HAS_KEYS(training, "training", "weights_bytes", "gradient_bytes", "optimizer_bytes", "saved_activation_bytes",
                 "workspace_bytes", "peak_bytes");
        // tiny_mlp at batch 2 (tst_training's timelineByHand): weights 120, gradients 120, Adam's two
        // moments 240; saved: X 32 (Gemm's input) and R 24 (Relu's output, also MatMul's input);
        // no convolution, no workspace; the peak 672 B at the optimizer step.
        QCOMPARE(training.value("weights_bytes").toInteger(), 120);
        QCOMPARE(training.value("gradient_bytes").toInteger(), 120);
        QCOMPARE(training.value("optimizer_bytes").toInteger(), 240);
        QCOMPARE(training.value("saved_activation_bytes").toInteger(), 32 + 24);
        QCOMPARE(training.value("workspace_bytes").toInteger(), 0);
        QCOMPARE(training.value("peak_bytes").toInteger(), 672);
        QCOMPARE(root.value("config").toObject().value("mode").toString(), QStringLiteral("training"));
        QCOMPARE(root.value("config").toObject().value("optimizer").toString(), QStringLiteral("adamw"));
        QCOMPARE(root.value("peak").toObject().value("phase").toString(), QStringLiteral("optimizer"));
        qint64 saved = 0;
        for (const QJsonValue& layer : root.value("layers").toArray()) {
            HAS_KEYS(layer.toObject(), "layers[]", "saved_bytes");
            saved += layer.toObject().value("saved_bytes").toInteger();
        }
        QCOMPARE(saved, 32 + 24); // each storage credited once
        for (const char* absent : { "timeline", "budget_bytes", "fits", "max_batch", "device", "roofline" })
            QVERIFY2(!root.contains(QLatin1String(absent)), absent);
#undef HAS_KEYS
    }

    // tiny_conv's output sizes against onnxruntime profiles: written by hand (the parser's layout),
    // and real (onnxruntime-node 1.31.1) with graph optimizations off, where all five nodes are the
    // model's, and at onnxruntime's default, where Conv+Relu became one NCHWc convolution (R_nchwc)
    // and a ReorderOutput that the model does not have.
    void compareWithOnnxRuntimeProfile_data()
    {
        QTest::addColumn<QString>("trace");
        QTest::addColumn<int>("nodes");
        QTest::addColumn<int>("matched");
        QTest::newRow("handmade") << "onnxruntime-handmade-tiny_conv.json" << 5 << 5;
        QTest::newRow("disabled") << "onnxruntime-1.31-tiny_conv.json" << 5 << 5;
        QTest::newRow("optimized") << "onnxruntime-1.31-tiny_conv-optimized.json" << 5 << 3;
    }
    void compareWithOnnxRuntimeProfile()
    {
        QFETCH(QString, trace);
        QFETCH(int, nodes);
        QFETCH(int, matched);
        const Run r = cli({ "compare", model("tiny_conv.onnx"), QStringLiteral(FOOTPRINT_TEST_MODELS "/../traces/") + trace,
                            "--format", "json" });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(root.value("nodes").toArray().size(), nodes);
        QCOMPARE(root.value("nodes_matched").toInt(), matched);
        QCOMPARE(root.value("largest_node_difference_bytes").toInteger(), 0);
    }

    // tiny_mlp in inference, batch B: weights 120 B + X (16 B per sample) + H (12 B) + Y (20 B)
    // at the last step = 120 + 48 B: 168, 216, 312 for B = 1, 2, 4. A 250 B budget is exceeded at 4.
    void sweepWritesARowPerConfiguration()
    {
        QTemporaryDir dir;
        const QString out = dir.path() + "/sweep.csv";
        const QStringList args { "sweep", model("tiny_mlp.onnx"), "--batches", "1,2,4", "--precisions", "fp32,fp16",
                                 "--fit-memory", "250", "-o", out };
        QCOMPARE(cli(args).exitCode, 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 6);
        QVERIFY(lines[1].startsWith("1,fp32,inference,30,120,"));
        QVERIFY(lines[1].contains(",168,"));
        QVERIFY(lines[3].contains(",312,") && lines[3].endsWith(",yes"));
        QVERIFY(lines[2].endsWith(",no"));
        // An existing file is not replaced without --force.
        const Run again = cli(args);
        QCOMPARE(again.exitCode, 1);
        QVERIFY(again.err.contains("--force"));
        QCOMPARE(cli(args + QStringList { "--force" }).exitCode, 0);
    }

    // The documented defaults: 1200 x 700 logical pixels (plus the title above) at scale 2.
    void chartPngHasTheScaledSize_data()
    {
        QTest::addColumn<QStringList>("options");
        QTest::addColumn<int>("width");
        QTest::newRow("defaults") << QStringList() << 2 * 1200;
        QTest::newRow("scale 1") << QStringList { "--scale", "1" } << 1200;
        QTest::newRow("800x500 at 1.5") << QStringList { "--size", "800x500", "--scale", "1.5" } << 1200;
    }
    void chartPngHasTheScaledSize()
    {
        QFETCH(QStringList, options);
        QFETCH(int, width);
        QTemporaryDir dir;
        const QString out = dir.path() + "/bars.png";
        const Run r = headless(QStringList { "chart", model("resnet50_train.onnx"), "--kind", "bars", "-o", out } + options);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.isEmpty(), r.err.constData()); // no platform noise on stderr
        const QImage image(out);
        QCOMPARE(image.width(), width);
        QVERIFY(image.height() > width * 700 / 1200); // the chart's height and its title
    }

    void chartSvgAndPdf()
    {
        QTemporaryDir dir;
        const QString svg = dir.path() + "/timeline.svg";
        const Run r = headless({ "chart", model("resnet50_train.onnx"), "--kind", "timeline", "--mode", "training",
                                 "--batch", "64", "--device", "A100-40GB", "-o", svg });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QXmlStreamReader xml(contents(svg));
        QString title;
        QStringList texts;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && xml.name() == QLatin1String("title"))
                title = xml.readElementText();
            else if (xml.isCharacters() && !xml.isWhitespace())
                texts << xml.text().toString().trimmed();
        }
        QVERIFY(!xml.hasError());
        QVERIFY(title.contains("resnet50_train.onnx") && title.contains("training step"));
        for (const char* label : { "Weights", "Saved activations", "Gradients", "Optimizer state", "A100-40GB" })
            QVERIFY2(texts.join('\n').contains(label), label);

        for (const char* kind : { "bars", "timeline", "graph" }) {
            const QString pdf = dir.path() + "/" + kind + ".pdf";
            const Run p = headless({ "chart", model("tiny_conv.onnx"), "--kind", kind, "-o", pdf });
            QVERIFY2(p.exitCode == 0, p.err.constData());
            QVERIFY(contents(pdf).startsWith("%PDF-"));
            QCOMPARE(pdfPages(contents(pdf)), 1);
        }
    }

    // The roofline needs a device; with one its SVG names the device's roofs. A100-80GB's fp16
    // datasheet figures (resources/devices.json: 312 TFLOP/s, 2.039 TB/s) at the default 75%
    // efficiency are 234.00 TFLOP/s and 1.53 TB/s. The timeline takes a measured trace.
    void chartRooflineAndTrace()
    {
        QTemporaryDir dir;
        const QString svg = dir.path() + "/roofline.svg";
        const Run none = headless({ "chart", model("tiny_conv.onnx"), "--kind", "roofline", "-o", svg });
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains("--device"), none.err.constData());
        const Run r = headless({ "chart", model("resnet50_train.onnx"), "--kind", "roofline", "--device", "A100-80GB",
                                 "--precision", "fp16", "-o", svg });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QByteArray text = contents(svg);
        for (const char* label : { "234.00 TFLOP/s", "1.53 TB/s", "Memory-bound", "Compute-bound", "ridge" })
            QVERIFY2(text.contains(label), label);

        const QString timeline = dir.path() + "/timeline.svg";
        const Run t = headless({ "chart", model("tiny_mlp.onnx"), "--kind", "timeline", "--batch", "2", "--trace",
                                 QStringLiteral(FOOTPRINT_TEST_MODELS "/../traces/footprint-tiny_mlp-b2.json"), "-o",
                                 timeline });
        QVERIFY2(t.exitCode == 0, t.err.constData());
        // tests/traces/footprint-tiny_mlp-b2.json peaks at 256 B; the estimate at batch 2 is
        // 120 + 48 x 2 = 216 B: 40 B (15.6%) below it.
        QVERIFY2(contents(timeline).contains("-40 B"), contents(timeline).constData());
        const Run wrong = headless({ "chart", model("tiny_mlp.onnx"), "--kind", "bars", "--trace", timeline, "-o",
                                     dir.path() + "/x.png" });
        QCOMPARE(wrong.exitCode, 2);
    }

    // tiny_mlp's inference peak is 120 + 48 x batch bytes (see tst_mainwindow): 168, 216, 312,
    // 504 and 888 B at batches 1 to 16. Against 600 B only batch 16 exceeds the budget; against
    // 1000 B none does, and the chart has no "exceeds" marks.
    void sweepChart()
    {
        QTemporaryDir dir;
        const QString svg = dir.path() + "/sweep.svg";
        const QString csv = dir.path() + "/sweep.csv";
        Run r = headless({ "sweep", model("tiny_mlp.onnx"), "--batches", "1,2,4,8,16", "--fit-memory", "600B", "-o",
                           csv, "--chart", svg });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QByteArray text = contents(svg);
        for (const char* label : { "peak memory by batch size", "model precision", "budget 600 B", "exceeds the budget" })
            QVERIFY2(text.contains(label), label);
        QCOMPARE(contents(csv).count(",yes\n"), 1);
        r = headless({ "sweep", model("tiny_mlp.onnx"), "--batches", "1,2,4,8,16", "--fit-memory", "1000B", "-o", csv,
                       "--chart", svg });
        QCOMPARE(r.exitCode, 1); // both files exist
        r = headless({ "sweep", model("tiny_mlp.onnx"), "--batches", "1,2,4,8,16", "--fit-memory", "1000B", "-o", csv,
                       "--chart", svg, "--force" });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(!contents(svg).contains("exceeds the budget"));
        const Run bad = headless({ "sweep", model("tiny_mlp.onnx"), "--chart", dir.path() + "/sweep.txt" });
        QCOMPARE(bad.exitCode, 2);
    }

    void reportHtmlAndPdf()
    {
        QTemporaryDir dir;
        const QStringList analysis { model("resnet50_train.onnx"), "--mode", "training", "--batch", "32", "--device",
                                     "RTX-4090" };
        const QString html = dir.path() + "/report.html";
        Run r = headless(QStringList { "report" } + analysis + QStringList { "-o", html });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QByteArray page = contents(html);
        QXmlStreamReader xml(page);
        int images = 0;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && xml.name() == QLatin1String("img")) {
                ++images;
                QVERIFY(xml.attributes().value("src").startsWith(QLatin1String("data:image/png;base64,")));
            }
        }
        QVERIFY(!xml.hasError());
        QCOMPARE(images, 4); // bars, timeline, the roofline (a device is given) and the graph
        QVERIFY(page.contains("25,557,032")); // torchvision's parameter count
        QVERIFY(page.contains("RTX-4090"));

        const QString pdf = dir.path() + "/report.pdf";
        r = headless(QStringList { "report" } + analysis + QStringList { "-o", pdf });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(pdfPages(contents(pdf)) >= 3);
    }

    void exportsNeverReplaceWithoutForce()
    {
        QTemporaryDir dir;
        for (const QStringList& args :
             { QStringList { "chart", model("tiny_mlp.onnx"), "--kind", "bars", "-o", dir.path() + "/a.svg" },
               QStringList { "report", model("tiny_mlp.onnx"), "-o", dir.path() + "/a.html" } }) {
            QFile f(args.last());
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("mine");
            f.close();
            const Run r = headless(args);
            QCOMPARE(r.exitCode, 1);
            QVERIFY(r.err.contains("--force"));
            QCOMPARE(contents(args.last()), QByteArray("mine"));
            QCOMPARE(headless(args + QStringList { "--force" }).exitCode, 0);
            QVERIFY(contents(args.last()) != "mine");
        }
    }

    void writeErrorsAreReported()
    {
        QTemporaryDir dir;
        // A folder that does not exist.
        const QString missing = dir.path() + "/no/such/dir/chart.png";
        Run r = headless({ "chart", model("tiny_mlp.onnx"), "--kind", "timeline", "-o", missing });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(missing.toUtf8()) && r.err.contains("No such file or directory"), r.err.constData());
        // A disk that fills up mid-file (RLIMIT_FSIZE: writes past 4 KiB fail): no half file left.
        const QString full = dir.path() + "/report.html";
        r = headless({ "report", model("tiny_mlp.onnx"), "-o", full }, 4096);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("footprint-cli: cannot write '" + full.toUtf8() + "': "), r.err.constData());
        QVERIFY(!QFile::exists(full));
        // Wrong suffixes and kinds are command-line errors.
        QCOMPARE(headless({ "chart", model("tiny_mlp.onnx"), "--kind", "bars", "-o", dir.path() + "/x.jpg" }).exitCode, 2);
        QCOMPARE(headless({ "chart", model("tiny_mlp.onnx"), "--kind", "pie", "-o", dir.path() + "/x.png" }).exitCode, 2);
        QCOMPARE(headless({ "report", model("tiny_mlp.onnx"), "-o", dir.path() + "/x.txt" }).exitCode, 2);
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

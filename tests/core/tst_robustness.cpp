// Hostile and broken models: every case ends in a clear message or a sensible analysis, never
// a crash, a hang or a read outside the model's folder.

#include "model_builder.h"
#include "test_models.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

using namespace fp;
using fp::test::ModelBuilder;
using fp::test::readBytes;

namespace {

void writeFile(const QString& path, const std::string& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes.data(), qint64(bytes.size()));
}

std::string matmulWithExternalWeight(const std::string& location, int64_t offset = -1, int64_t length = -1)
{
    ModelBuilder b;
    b.input("x", { 1, 4 });
    b.weight("w", { 4, 4 }, onnx::TensorProto::FLOAT, location);
    auto* t = b.proto().mutable_graph()->mutable_initializer(0);
    if (offset >= 0) {
        auto* e = t->add_external_data();
        e->set_key("offset");
        e->set_value(std::to_string(offset));
    }
    if (length >= 0) {
        auto* e = t->add_external_data();
        e->set_key("length");
        e->set_value(std::to_string(length));
    }
    b.node("MatMul", { "x", "w" }, { "y" });
    b.output("y");
    return b.bytes();
}

using Dims = std::vector<int64_t>;

// An int64 initializer with the given dims and no data (a zero-element constant has no values to hold).
void emptyInts(ModelBuilder& b, const std::string& name, const Dims& dims)
{
    auto* t = b.proto().mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims)
        t->add_dims(d);
}

void stringAttr(onnx::NodeProto& n, const std::string& name, const std::string& value)
{
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
}

// Models that once reached an unsaturated product or sum of file-controlled integers, one per
// site; the fuzzer found the first two. `y` is the output whose dims the case checks, if any.
std::string overflowModel(const QString& site, Dims* expected)
{
    constexpr int64_t big = int64_t(1) << 40, max = INT64_MAX, min = INT64_MIN;
    ModelBuilder b(17);
    if (site == "reader: initializer bytes") {
        auto* t = b.proto().mutable_graph()->add_initializer();
        t->set_name("w");
        t->set_data_type(onnx::TensorProto::DOUBLE);
        t->add_dims(int64_t(1) << 61); // not saturated as a count, but 2^64 bytes
        t->set_raw_data(std::string(8, '\0'));
        b.input("x", { 1 });
        b.node("Add", { "x", "w" }, { "y" });
    } else if (site == "Transpose: strides of a zero-element constant") {
        emptyInts(b, "c", { 0, big, big });
        b.node("Transpose", { "c" }, { "y" });
        *expected = { big, big, 0 };
    } else if (site == "Slice: strides of a zero-element constant") {
        emptyInts(b, "c", { 0, big, big });
        b.ints("starts", { 0 }).ints("ends", { 1 }).ints("axes", { 1 });
        b.node("Slice", { "c", "starts", "ends", "axes" }, { "y" });
        *expected = { 0, 1, big };
    } else if (site == "Slice: step INT64_MAX") {
        b.input("x", { 10 });
        b.ints("starts", { 0 }).ints("ends", { 10 }).ints("axes", { 0 }).ints("steps", { max });
        b.node("Slice", { "x", "starts", "ends", "axes", "steps" }, { "y" });
        *expected = { 1 };
    } else if (site == "Slice: step INT64_MIN") {
        b.input("x", { 10 });
        b.ints("starts", { 9 }).ints("ends", { -100 }).ints("axes", { 0 }).ints("steps", { min });
        b.node("Slice", { "x", "starts", "ends", "axes", "steps" }, { "y" });
        *expected = { 1 };
    } else if (site == "Split: even parts of INT64_MAX") {
        b.input("x", { max });
        b.node("Split", { "x" }, { "y", "z" });
        *expected = { int64_t(1) << 62 };
    } else if (site == "pooling: SAME of INT64_MAX") {
        b.input("x", { 1, 1, max, 1 });
        auto& n = b.node("MaxPool", { "x" }, { "y" });
        ModelBuilder::attr(n, "kernel_shape", { 1, 1 });
        ModelBuilder::attr(n, "strides", { 2, 1 });
        stringAttr(n, "auto_pad", "SAME_UPPER");
        *expected = { 1, 1, int64_t(1) << 62, 1 };
    } else if (site == "pooling: ceil mode, stride 2^62") {
        b.input("x", { 1, 1, max - 1, 1 });
        auto& n = b.node("MaxPool", { "x" }, { "y" });
        ModelBuilder::attr(n, "kernel_shape", { 1, 1 });
        ModelBuilder::attr(n, "strides", { int64_t(1) << 62, 1 });
        ModelBuilder::attr(n, "ceil_mode", int64_t(1));
        *expected = { 1, 1, 2, 1 }; // windows start at 0 and 2^62; 2^63 is past the input
    } else if (site == "ConvTranspose: kernel INT64_MIN") {
        b.input("x", { 1, 1, 4 });
        b.weight("w", { 1, 1, 1 });
        auto& n = b.node("ConvTranspose", { "x", "w" }, { "y" });
        ModelBuilder::attr(n, "kernel_shape", std::vector<int64_t> { min });
    } else if (site == "ReduceProd: values past int64") {
        b.ints("c", { int64_t(1) << 62, 4 });
        auto& n = b.node("ReduceProd", { "c" }, { "y" });
        ModelBuilder::attr(n, "keepdims", int64_t(0));
        *expected = {};
    } else if (site == "Neg: INT64_MIN") {
        b.ints("c", { min });
        b.node("Neg", { "c" }, { "y" });
        *expected = { 1 };
    } else if (site == "LSTM: hidden_size 2^62" || site == "LSTM: hidden_size -5") {
        b.input("x", { 2, 1, 3 });
        b.weight("W", { 1, 16, 3 }).weight("R", { 1, 16, 4 });
        auto& n = b.node("LSTM", { "x", "W", "R" }, { "y" });
        ModelBuilder::attr(n, "hidden_size", site.endsWith("-5") ? int64_t(-5) : int64_t(1) << 62);
    } else if (site == "Scan: num_scan_inputs INT64_MIN") {
        b.input("x", { 3, 2 });
        auto& n = b.node("Scan", { "x" }, { "y" });
        ModelBuilder::attr(n, "num_scan_inputs", min);
        auto* body = n.add_attribute();
        body->set_name("body");
        body->set_type(onnx::AttributeProto::GRAPH);
        auto* g = body->mutable_g();
        g->set_name("body");
        auto* in = g->add_input();
        in->set_name("row");
        in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
        auto* relu = g->add_node();
        relu->set_op_type("Relu");
        relu->add_input("row");
        relu->add_output("out");
        g->add_output()->set_name("out");
    } else if (site == "LayerNormalization: axis INT64_MAX") {
        b.input("x", { 2, 3 });
        b.weight("scale", { 3 });
        auto& n = b.node("LayerNormalization", { "x", "scale" }, { "y" });
        ModelBuilder::attr(n, "axis", max);
    } else if (site == "Conv workspace: kernel 2^32 x 2^32") {
        b.input("x", { 1, 1, 1, 1 });
        b.weight("w", { 1, 1, int64_t(1) << 32, int64_t(1) << 32 });
        auto& n = b.node("Conv", { "x", "w" }, { "y" });
        ModelBuilder::attr(n, "pads", { int64_t(1) << 32, int64_t(1) << 32, int64_t(1) << 32, int64_t(1) << 32 });
    } else if (site == "Conv workspace: FFT size of 2^62 + 2^62") {
        b.input("x", { 1, 1, int64_t(1) << 62, int64_t(1) << 41 });
        b.weight("w", { 1, 1, int64_t(1) << 62, 1 });
        b.node("Conv", { "x", "w" }, { "y" });
        *expected = { 1, 1, 1, int64_t(1) << 41 };
    } else if (site == "Conv workspace: FFT spectrum of 2^41 x 2^41") {
        b.input("x", { 1, 1, int64_t(1) << 41, int64_t(1) << 41 });
        b.weight("w", { 1, 1, 1, 1 });
        b.node("Conv", { "x", "w" }, { "y" });
        *expected = { 1, 1, int64_t(1) << 41, int64_t(1) << 41 };
    } else if (site == "Reshape: a shape tensor of length 2^40") {
        b.input("x", { 2 });
        b.input("s", { big }, {}, onnx::TensorProto::INT64);
        b.node("Reshape", { "x", "s" }, { "y" });
    } else if (site == "ConstantOfShape: a shape tensor of length 2^40") {
        b.input("s", { big }, {}, onnx::TensorProto::INT64);
        b.node("ConstantOfShape", { "s" }, { "y" });
    } else if (site == "Expand: a shape tensor of length 2^40") {
        b.input("x", { 2 });
        b.input("s", { big }, {}, onnx::TensorProto::INT64);
        b.node("Expand", { "x", "s" }, { "y" });
    }
    b.output("y");
    return b.bytes();
}

QString refusal(const std::string& path)
{
    try {
        readOnnxFile(path);
    } catch (const ModelError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestRobustness : public QObject {
    Q_OBJECT
private slots:
    // A location inside the folder that is a symbolic link to a file outside it is refused.
    void symlinkOutOfTheFolder()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir("model"));
        writeFile(dir.path() + "/secret.bin", std::string(64, 'x'));
        std::filesystem::create_symlink((dir.path() + "/secret.bin").toStdString(),
                                        (dir.path() + "/model/weights.bin").toStdString());
        writeFile(dir.path() + "/model/m.onnx", matmulWithExternalWeight("weights.bin"));
        QVERIFY(refusal((dir.path() + "/model/m.onnx").toStdString()).contains("outside the model's folder"));
        // A link that stays inside the folder is fine.
        writeFile(dir.path() + "/model/real.bin", std::string(64, 'x'));
        std::filesystem::create_symlink((dir.path() + "/model/real.bin").toStdString(),
                                        (dir.path() + "/model/inside.bin").toStdString());
        writeFile(dir.path() + "/model/ok.onnx", matmulWithExternalWeight("inside.bin"));
        QVERIFY(refusal((dir.path() + "/model/ok.onnx").toStdString()).isEmpty());
    }

    // The weights need not exist; when they do, an offset or length past their end is reported.
    void externalDataBeyondTheFile()
    {
        QTemporaryDir dir;
        writeFile(dir.path() + "/missing.onnx", matmulWithExternalWeight("nowhere.bin"));
        QVERIFY(readOnnxFile((dir.path() + "/missing.onnx").toStdString()).warnings.empty());
        writeFile(dir.path() + "/w.bin", std::string(64, '\0'));
        writeFile(dir.path() + "/beyond.onnx", matmulWithExternalWeight("w.bin", 32, 64));
        const Model m = readOnnxFile((dir.path() + "/beyond.onnx").toStdString());
        QCOMPARE(m.warnings.size(), size_t(1));
        QVERIFY(QString::fromStdString(m.warnings.front()).contains("past the end"));
        QCOMPARE(analyze(m, {}).warnings.front(), m.warnings.front()); // and the analysis says so
    }

    void inlineDataOfTheWrongSize()
    {
        ModelBuilder b;
        b.input("x", { 1, 4 });
        auto* t = b.proto().mutable_graph()->add_initializer();
        t->set_name("w");
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(4);
        t->add_dims(4);
        t->set_raw_data(std::string(10, '\0')); // 64 bytes expected
        b.node("MatMul", { "x", "w" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        QCOMPARE(m.warnings.size(), size_t(1));
        QVERIFY(QString::fromStdString(m.warnings.front()).contains("64"));
    }

    // Absurd attributes leave shapes unknown (and listed), never a crash or a wrapped count.
    void absurdAttributes_data()
    {
        QTest::addColumn<QString>("attribute");
        QTest::newRow("stride 0") << "strides";
        QTest::newRow("kernel larger than input") << "kernel";
        QTest::newRow("groups not dividing channels") << "group";
        QTest::newRow("negative pads") << "pads";
        QTest::newRow("dilation 0") << "dilations";
    }
    void absurdAttributes()
    {
        QFETCH(QString, attribute);
        ModelBuilder b;
        b.input("x", { 1, 3, 8, 8 });
        b.weight("w", attribute == "kernel" ? std::vector<int64_t> { 4, 3, 20, 20 } : std::vector<int64_t> { 4, 3, 3, 3 });
        auto& conv = b.node("Conv", { "x", "w" }, { "y" });
        if (attribute == "strides")
            ModelBuilder::attr(conv, "strides", { 0, 0 });
        if (attribute == "group")
            ModelBuilder::attr(conv, "group", int64_t(2));
        if (attribute == "pads")
            ModelBuilder::attr(conv, "pads", { -50, -50, -50, -50 });
        if (attribute == "dilations")
            ModelBuilder::attr(conv, "dilations", { 0, 0 });
        b.node("Relu", { "y" }, { "z" });
        b.output("z");
        AnalysisConfig training;
        training.training.mode = Mode::Training;
        for (const AnalysisConfig& config : { AnalysisConfig {}, training }) {
            const AnalysisResult r = analyze(readBytes(b.bytes()), config);
            QVERIFY(r.totals.peakBytes >= 0);
            for (const LayerResult& l : r.layers)
                QVERIFY(l.macs >= 0 && l.outputBytes >= 0);
        }
    }

    // Each site once overflowed (UBSan's report in the sanitizer build) or allocated without
    // bound; now the figures saturate or the shape stays unknown, and the analysis completes
    // in inference, in training with each convolution workspace, and with allocation rounding.
    void overflowSites_data()
    {
        QTest::addColumn<QString>("site");
        for (const char* site : { "reader: initializer bytes", "Transpose: strides of a zero-element constant",
                 "Slice: strides of a zero-element constant", "Slice: step INT64_MAX", "Slice: step INT64_MIN",
                 "Split: even parts of INT64_MAX", "pooling: SAME of INT64_MAX", "pooling: ceil mode, stride 2^62",
                 "ConvTranspose: kernel INT64_MIN", "ReduceProd: values past int64", "Neg: INT64_MIN",
                 "LSTM: hidden_size 2^62", "LSTM: hidden_size -5", "Scan: num_scan_inputs INT64_MIN",
                 "LayerNormalization: axis INT64_MAX", "Conv workspace: kernel 2^32 x 2^32",
                 "Conv workspace: FFT size of 2^62 + 2^62", "Conv workspace: FFT spectrum of 2^41 x 2^41",
                 "Reshape: a shape tensor of length 2^40", "ConstantOfShape: a shape tensor of length 2^40",
                 "Expand: a shape tensor of length 2^40" })
            QTest::newRow(site) << QString::fromLatin1(site);
    }
    void overflowSites()
    {
        QFETCH(QString, site);
        Dims expected { -99 };
        const std::string bytes = overflowModel(site, &expected);
        const Model m = readBytes(bytes);
        std::vector<AnalysisConfig> configs(1);
        for (ConvAlgorithm algorithm :
            { ConvAlgorithm::FrameworkDefault, ConvAlgorithm::Im2col, ConvAlgorithm::FFT, ConvAlgorithm::Winograd }) {
            AnalysisConfig training;
            training.training.mode = Mode::Training;
            training.training.workspace = algorithm;
            configs.push_back(training);
        }
        configs.push_back(configs.back());
        configs.back().calibration.allocationGranularity = 512; // rounds saturated sizes up
        for (const AnalysisConfig& config : configs) {
            const AnalysisResult r = analyze(m, config);
            const Totals& t = r.totals;
            const MemoryPlan& p = r.memory;
            const std::pair<const char*, int64_t> figures[]
                = { { "params", t.params }, { "buffers", t.buffers }, { "paramBytes", t.paramBytes },
                      { "macs", t.macs }, { "flops", t.flops }, { "activationBytes", t.activationBytes },
                      { "inputBytes", t.inputBytes }, { "readBytes", t.readBytes }, { "writeBytes", t.writeBytes },
                      { "peakBytes", t.peakBytes }, { "peakActivationBytes", t.peakActivationBytes },
                      { "memory.peakBytes", p.peakBytes }, { "memory.weightBytes", p.weightBytes },
                      { "memory.gradientBytes", p.gradientBytes }, { "memory.optimizerBytes", p.optimizerBytes },
                      { "memory.savedActivationBytes", p.savedActivationBytes },
                      { "memory.workspaceBytes", p.workspaceBytes } };
            for (const auto& [name, value] : figures)
                QVERIFY2(value >= 0, (std::string(name) + " = " + std::to_string(value)).c_str());
            for (const LayerResult& l : r.layers)
                QVERIFY(l.macs >= 0 && l.flops >= 0 && l.outputBytes >= 0);
            if (expected != Dims { -99 }) {
                const int y = m.graph.findValue("y");
                QVERIFY(y >= 0);
                QCOMPARE(r.shapes.tensors[size_t(y)].dims, expected);
            }
        }
    }

    // Where the Conv rule gives up (a kernel_shape of the wrong length), the output has its
    // declared shape, of any rank; the workspace estimate read its dims 2 and 3 regardless
    // (fuzzing found it: regressions/conv-workspace-declared-output-rank.onnx).
    void convWorkspaceOfADeclaredOutput()
    {
        ModelBuilder b;
        b.input("x", { 1, 1, 5, 5 });
        b.weight("w", { 1, 1, 3, 3 });
        auto& conv = b.node("Conv", { "x", "w" }, { "y" });
        ModelBuilder::attr(conv, "kernel_shape", { 3, 3, 3 });
        b.output("y", { 7 });
        const Model m = readBytes(b.bytes());
        for (ConvAlgorithm algorithm :
            { ConvAlgorithm::FrameworkDefault, ConvAlgorithm::Im2col, ConvAlgorithm::FFT, ConvAlgorithm::Winograd }) {
            AnalysisConfig config;
            config.training.mode = Mode::Training;
            config.training.workspace = algorithm;
            const AnalysisResult r = analyze(m, config);
            QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("y"))].dims, Dims { 7 });
            QCOMPARE(r.memory.workspaceBytes, int64_t(0));
        }
    }

    void zeroAndEnormousDims()
    {
        ModelBuilder b;
        b.input("x", { 0, 4 });
        b.weight("w", { int64_t(1) << 40, int64_t(1) << 40 });
        b.node("MatMul", { "x", "w" }, { "y" });
        b.output("y");
        const AnalysisResult r = analyze(readBytes(b.bytes()), {});
        QCOMPARE(r.totals.inputBytes, int64_t(0));
        QCOMPARE(r.totals.params, kSaturated); // 2^80 elements saturate instead of wrapping
        QVERIFY(r.totals.peakBytes > 0);
    }

    // 100,000 nodes in a chain: no recursion deep enough to overflow, and it finishes.
    void hundredThousandNodes()
    {
        ModelBuilder b;
        b.input("x", { 1, 16 });
        std::string previous = "x";
        for (int i = 0; i < 100000; ++i) {
            const std::string next = "t" + std::to_string(i);
            b.node("Relu", { previous }, { next });
            previous = next;
        }
        b.output(previous);
        const Model m = readBytes(b.bytes());
        QCOMPARE(m.graph.nodes.size(), size_t(100000));
        AnalysisConfig training;
        training.training.mode = Mode::Training;
        const AnalysisResult r = analyze(m, training);
        QCOMPARE(r.layers.size(), size_t(100000));
        QVERIFY(r.unknownShapes.empty());
    }

    // The reader's limits hold: too many nodes are refused, not read into memory.
    void nodeLimit()
    {
        ModelBuilder b;
        b.input("x", { 1 });
        b.node("Relu", { "x" }, { "a" });
        b.node("Relu", { "a" }, { "b" });
        b.output("b");
        ReadLimits limits;
        limits.maxNodes = 1;
        const std::string bytes = b.bytes();
        QVERIFY_THROWS_EXCEPTION(ModelError, readOnnxBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                                           "test.onnx", limits));
    }
};

QTEST_GUILESS_MAIN(TestRobustness)
#include "tst_robustness.moc"

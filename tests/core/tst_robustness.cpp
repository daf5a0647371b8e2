// Hostile and broken models: every case ends in a clear message or a sensible analysis, never
// a crash, a hang or a read outside the model's folder.

#include "model_builder.h"
#include "test_models.h"

#include <QFile>
#include <QFileInfo>
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

// A model whose main graph holds an If whose then-branch holds an If ... `levels` deep: the
// innermost branch (at nesting depth `levels`) is an Identity of the main graph's `cond`. Each
// else-branch is that leaf too, so every If is complete.
std::string nestedIfs(int levels)
{
    const auto leaf = [](const std::string& out) {
        onnx::GraphProto g;
        g.set_name("leaf");
        auto* n = g.add_node();
        n->set_op_type("Identity");
        n->add_input("cond");
        n->add_output(out);
        g.add_output()->set_name(out);
        return g;
    };
    onnx::GraphProto inner = leaf("o" + std::to_string(levels));
    for (int level = levels - 1; level >= 0; --level) {
        const std::string out = "o" + std::to_string(level);
        onnx::GraphProto outer;
        outer.set_name("level" + std::to_string(level));
        auto* n = outer.add_node();
        n->set_op_type("If");
        n->set_name("if" + std::to_string(level));
        n->add_input("cond");
        n->add_output(out);
        auto* then = n->add_attribute();
        then->set_name("then_branch");
        then->set_type(onnx::AttributeProto::GRAPH);
        *then->mutable_g() = inner;
        auto* otherwise = n->add_attribute();
        otherwise->set_name("else_branch");
        otherwise->set_type(onnx::AttributeProto::GRAPH);
        *otherwise->mutable_g() = leaf("e" + std::to_string(level + 1));
        outer.add_output()->set_name(out);
        inner = outer;
    }
    ModelBuilder b;
    *b.proto().mutable_graph() = inner;
    b.proto().mutable_graph()->set_name("test");
    b.input("cond", {}, {}, onnx::TensorProto::BOOL);
    return b.bytes();
}

// How deep the then-branches of a model's Ifs go.
int thenDepth(const Graph& g)
{
    for (const Node& n : g.nodes)
        for (const Attribute& a : n.attributes)
            if (a.name == "then_branch" && !a.graphs.empty())
                return 1 + thenDepth(*a.graphs.front());
    return 0;
}

// Protobuf's base-128 varint.
std::string varint(uint64_t value)
{
    std::string out;
    while (value >= 0x80) {
        out += char((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += char(value);
    return out;
}

// The largest resident set this process has had since resetPeakRss(): VmHWM of /proc/self/status.
int64_t peakRssBytes()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    }
    return -1;
}

// Sets the high-water mark back to the current resident set (clear_refs 5, Linux 4.0 and later).
bool resetPeakRss()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    return f.open(QIODevice::WriteOnly) && f.write("5") == 1;
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

// The ONNX reader's message for a file it must refuse; empty if it read the file.
QString refusal(const std::string& path)
{
    return test::refusalOf([&] { readOnnxFile(path); });
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
    // x [1,3,8,8] -> Conv(w [4,3,3,3]) -> y -> Relu -> z. By the ONNX spec each row makes the Conv
    // impossible: stride and dilation must be positive; a 20x20 kernel does not fit an 8x8 input
    // (8 - 20 + 1 < 1); group 2 needs X.shape[1] == W.shape[1] x group (3 != 3 x 2); pads must be
    // >= 0 (at -1 an 8x8 input would give a 4x4 output if negative pads were taken at face value).
    // So y and z have no shape: both are listed, their bytes count 0 and the Conv has 0 MACs.
    // What stays known is counted by hand (fp32): x 1x3x8x8 = 768 B; w 4x3x3x3 = 108 floats =
    // 432 B (the 20x20 kernel: 4x3x20x20 = 4,800 floats = 19,200 B).
    //   the Conv reads x and w: 768 + 432 = 1,200 B (768 + 19,200 = 19,968 B), writes nothing known;
    //   inference peak: w + x = 1,200 B (19,968 B);
    //   training (Adam), at the optimizer step: w, its gradient, Adam's two moments and its two
    //   temporaries the size of the largest parameter (6 w), plus x: 6 x 432 + 768 = 3,360 B
    //   (6 x 19,200 + 768 = 115,968 B). The Conv keeps x (768 B) for w's gradient: the only
    //   saved activation.
    // The control row has valid attributes: y = z = [1,4,6,6] (8 - 3 + 1 = 6), 144 floats = 576 B,
    // 4 x 6 x 6 outputs x 27 MACs = 3,888 MACs; inference peak at the Conv: w 432 + x 768 + y 576
    // + its default workspace, im2col of the image (27 rows x 36 columns x 4 B = 3,888 B) = 5,664 B.
    void absurdAttributes_data()
    {
        QTest::addColumn<QString>("attribute");
        QTest::addColumn<qint64>("weights");
        QTest::addColumn<qint64>("inferencePeak");
        QTest::addColumn<qint64>("trainingPeak");
        QTest::newRow("stride 0") << "strides" << qint64(108) << qint64(1200) << qint64(3360);
        QTest::newRow("kernel larger than input") << "kernel" << qint64(4800) << qint64(19968) << qint64(115968);
        QTest::newRow("groups not dividing channels") << "group" << qint64(108) << qint64(1200) << qint64(3360);
        QTest::newRow("negative pads") << "pads" << qint64(108) << qint64(1200) << qint64(3360);
        QTest::newRow("pads -1") << "pads -1" << qint64(108) << qint64(1200) << qint64(3360);
        QTest::newRow("dilation 0") << "dilations" << qint64(108) << qint64(1200) << qint64(3360);
        QTest::newRow("control: valid attributes") << "none" << qint64(108) << qint64(5664) << qint64(-1);
    }
    void absurdAttributes()
    {
        QFETCH(QString, attribute);
        QFETCH(qint64, weights);
        QFETCH(qint64, inferencePeak);
        QFETCH(qint64, trainingPeak);
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
        if (attribute == "pads -1")
            ModelBuilder::attr(conv, "pads", { -1, -1, -1, -1 });
        if (attribute == "dilations")
            ModelBuilder::attr(conv, "dilations", { 0, 0 });
        b.node("Relu", { "y" }, { "z" });
        b.output("z");
        const Model m = readBytes(b.bytes());
        const bool valid = attribute == "none";
        const int64_t weightBytes = 4 * weights;

        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.layers.size(), size_t(2));
        const LayerResult& c = r.layers[0];
        const LayerResult& relu = r.layers[1];
        QCOMPARE(c.params, int64_t(weights));
        QCOMPARE(c.weightBytes, weightBytes);
        QCOMPARE(c.readBytes, 768 + weightBytes);
        QCOMPARE(r.totals.inputBytes, int64_t(768));
        QCOMPARE(r.totals.peakBytes, int64_t(inferencePeak));
        if (valid) {
            QVERIFY(r.unknownShapes.empty());
            QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("y"))].dims, (std::vector<int64_t> { 1, 4, 6, 6 }));
            QCOMPARE(c.macs, int64_t(3888));
            QCOMPARE(c.outputBytes, int64_t(576));
            QCOMPARE(relu.outputBytes, int64_t(576));
            QVERIFY(c.shapesKnown && relu.shapesKnown);
            return;
        }
        QCOMPARE(r.unknownShapes, (std::vector<std::string> { "y", "z" }));
        for (const char* name : { "y", "z" })
            QVERIFY2(!r.shapes.tensors[size_t(m.graph.findValue(name))].isKnown(), name);
        QVERIFY(!c.shapesKnown && !relu.shapesKnown);
        QCOMPARE(c.macs, int64_t(0));
        QCOMPARE(c.flops, int64_t(0));
        QCOMPARE(c.writeBytes, int64_t(0));
        QCOMPARE(c.outputBytes, int64_t(0));
        QCOMPARE(relu.flops, int64_t(0));
        QCOMPARE(relu.readBytes, int64_t(0));
        QCOMPARE(relu.outputBytes, int64_t(0));
        QCOMPARE(r.totals.macs, int64_t(0));
        QCOMPARE(r.totals.activationBytes, int64_t(0));

        AnalysisConfig training;
        training.training.mode = Mode::Training;
        const AnalysisResult t = analyze(m, training);
        QCOMPARE(t.unknownShapes, (std::vector<std::string> { "y", "z" }));
        QCOMPARE(t.layers[0].macs, int64_t(0));
        QCOMPARE(t.memory.gradientBytes, weightBytes);
        QCOMPARE(t.memory.savedActivationBytes, int64_t(768)); // the Conv keeps x for w's gradient
        QCOMPARE(t.totals.peakBytes, int64_t(trainingPeak));
        QCOMPARE(t.memory.timeline[size_t(t.memory.peakStep)].phase, Phase::Optimizer);
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

    // ReadLimits::maxGraphNesting (16): bodies 16 deep are read (and analysed), 17 are refused
    // with a one-line ModelError that names the limit.
    void subgraphNesting()
    {
        const std::string ok = nestedIfs(16);
        const Model m = readBytes(ok);
        QCOMPARE(thenDepth(m.graph), 16);
        QCOMPARE(m.graph.nodes.size(), size_t(1));
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(r.layers.size(), size_t(1));
        QVERIFY(r.unknownShapes.empty()); // o0 comes up, branch by branch, from cond: a bool scalar

        const std::string deep = nestedIfs(17);
        try {
            readBytes(deep);
            QFAIL("17 levels of subgraphs were accepted");
        } catch (const ModelError& e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(QLatin1String("nested more than 16 deep")), qPrintable(message));
            QVERIFY(!message.contains(u'\n'));
        }
    }

    // ReadLimits::maxSmallIntElements (64): an integer constant of up to 64 elements is decoded
    // and its values drive shape propagation; one of 65 is not read. The table holds 1 ... N;
    // Slice takes its last two values [N-1, N] as the shape of a Reshape of x [(N-1) x N]:
    // N = 64 gives [63, 64]; N = 65 leaves the shape unknown (rank 2 from the slice's length).
    // Both encodings of a TensorProto's integers: int64_data and little-endian raw_data.
    void smallIntegerConstants_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<bool>("raw");
        QTest::newRow("64, int64_data") << 64 << false;
        QTest::newRow("64, raw_data") << 64 << true;
        QTest::newRow("65, int64_data") << 65 << false;
        QTest::newRow("65, raw_data") << 65 << true;
    }
    void smallIntegerConstants()
    {
        QFETCH(int, count);
        QFETCH(bool, raw);
        const int64_t n = count;
        ModelBuilder b;
        b.input("x", { (n - 1) * n });
        std::vector<int64_t> table(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            table[size_t(i)] = i + 1;
        b.ints("table", table);
        if (raw) {
            auto* t = b.proto().mutable_graph()->mutable_initializer(0);
            t->clear_int64_data();
            std::string bytes;
            for (int64_t v : table)
                for (int byte = 0; byte < 8; ++byte)
                    bytes += char((uint64_t(v) >> (8 * byte)) & 0xff);
            t->set_raw_data(bytes);
        }
        b.ints("starts", { n - 2 });
        b.ints("ends", { n });
        b.node("Slice", { "table", "starts", "ends" }, { "shape" });
        b.node("Reshape", { "x", "shape" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        const Value& t = m.graph.values[size_t(m.graph.findValue("table"))];
        const AnalysisResult r = analyze(m, {});
        const TensorInfo& y = r.shapes.tensors[size_t(m.graph.findValue("y"))];
        if (count <= 64) {
            QVERIFY(t.intData.has_value());
            QCOMPARE(*t.intData, table);
            QCOMPARE(y.dims, (std::vector<int64_t> { 63, 64 }));
            QVERIFY(r.unknownShapes.empty());
        } else {
            QVERIFY(!t.intData.has_value());
            QCOMPARE(y.dims, (std::vector<int64_t> { -1, -1 }));
            QCOMPARE(r.unknownShapes, std::vector<std::string> { "y" });
        }
    }

    // "Weights are never copied": a model whose one weight is 1 GiB of inline raw_data opens with
    // the resident set growing by about the graph's size, not the weight's. The file is written
    // sparse at run time: the ModelProto's fields are encoded here by hand (protobuf lets a
    // length-delimited field come last), then the file is extended by 2^30 zero bytes of hole.
    // w is [2^28, 1] fp32 = 2^30 bytes. The peak resident set (VmHWM) is reset just before the
    // read; a reader that copied the payload, or walked its pages, would add about 1 GiB. The
    // instrument is checked too: touching 64 MiB of the mapped file raises the mark by that much.
    void weightsAreNeverCopied()
    {
        constexpr int64_t rows = int64_t(1) << 28;
        constexpr uint64_t payload = uint64_t(rows) * 4;
        ModelBuilder b;
        b.input("x", { 1, rows });
        b.node("MatMul", { "x", "w" }, { "y" });
        b.output("y");
        onnx::TensorProto w;
        w.set_name("w");
        w.set_data_type(onnx::TensorProto::FLOAT);
        w.add_dims(rows);
        w.add_dims(1);
        const std::string tensor = w.SerializeAsString() + char(0x4a) + varint(payload); // raw_data = 9
        const std::string graph = b.proto().graph().SerializeAsString() + char(0x2a) // initializer = 5
            + varint(tensor.size() + payload) + tensor;
        onnx::ModelProto header = b.proto();
        header.clear_graph();
        const std::string head = header.SerializeAsString() + char(0x3a) + varint(graph.size() + payload) + graph; // graph = 7

        QTemporaryDir dir;
        const QString path = dir.path() + "/big.onnx";
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(head.data(), qint64(head.size())), qint64(head.size()));
            QVERIFY(f.resize(qint64(head.size() + payload)));
        }
        QCOMPARE(QFileInfo(path).size(), qint64(head.size() + payload));

        QVERIFY2(resetPeakRss(), "cannot reset the peak resident set (/proc/self/clear_refs)");
        const int64_t before = peakRssBytes();
        QVERIFY(before > 0);
        const Model m = readOnnxFile(path.toStdString());
        const int64_t grown = peakRssBytes() - before;
        QVERIFY2(grown < 16 * 1024 * 1024, qPrintable(QStringLiteral("opening grew the peak RSS by %1 bytes").arg(grown)));
        QVERIFY(m.warnings.empty()); // 2^30 bytes of data for [2^28, 1] floats: as the dims say
        const Value& weight = m.graph.values[size_t(m.graph.findValue("w"))];
        QVERIFY(weight.isInitializer);
        QCOMPARE(weight.declaredShape.size(), size_t(2));
        QCOMPARE(weight.declaredShape[0].value, rows);
        QCOMPARE(analyze(m, {}).totals.paramBytes, int64_t(payload));

        // The instrument sees mapped file pages once they are touched.
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        constexpr qint64 touched = 64 * 1024 * 1024;
        uchar* map = f.map(qint64(head.size()), touched);
        QVERIFY(map);
        QVERIFY(resetPeakRss());
        const int64_t start = peakRssBytes();
        unsigned sum = 0;
        for (qint64 i = 0; i < touched; i += 4096)
            sum += static_cast<volatile uchar*>(map)[i];
        QCOMPARE(sum, 0u);
        QVERIFY2(peakRssBytes() - start > touched * 9 / 10, qPrintable(QString::number(peakRssBytes() - start)));
        f.unmap(map);
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

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

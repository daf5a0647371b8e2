// The ONNX reader: structure, external data, subgraphs, and refusal of bad input.

#include "model_builder.h"
#include "test_models.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTest>

using namespace fp;
using fp::test::ModelBuilder;
using fp::test::readBytes;

namespace {

// The reader's message for bytes it must refuse; empty if it accepted them.
QString refusal(const std::string& bytes)
{
    return test::refusalOf([&] { readBytes(bytes); });
}

std::string fileBytes(const char* file)
{
    QFile f(QString::fromStdString(test::modelPath(file)));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray data = f.readAll();
    return std::string(data.constData(), size_t(data.size()));
}

} // namespace

class TestReader : public QObject {
    Q_OBJECT
private slots:
    void tinyMlpStructure()
    {
        const Model m = test::loadModel("tiny_mlp.onnx");
        QCOMPARE(m.graph.nodes.size(), size_t(3));
        QCOMPARE(m.graph.nodes[size_t(m.graph.order[0])].opType, std::string("Gemm"));
        QCOMPARE(m.graph.nodes[size_t(m.graph.order[1])].opType, std::string("Relu"));
        QCOMPARE(m.graph.nodes[size_t(m.graph.order[2])].opType, std::string("MatMul"));
        QCOMPARE(m.graph.inputs.size(), size_t(1));
        QCOMPARE(m.graph.initializers.size(), size_t(3));
        const Value& w = m.graph.values[size_t(m.graph.findValue("W"))];
        QCOMPARE(w.declaredShape.size(), size_t(2));
        QCOMPARE(w.declaredShape[0].value, int64_t(3));
        QCOMPARE(w.declaredShape[1].value, int64_t(4));
        QVERIFY(m.opsetVersion() > 0);
        QVERIFY(m.irVersion > 0);
    }

    // make_models.py stored 207 of resnet50_train's initializers in a .weights file it then deleted.
    void externalWeightsNeedNotExist()
    {
        const Model m = test::loadModel("resnet50_train.onnx");
        int external = 0;
        for (int i : m.graph.initializers)
            external += m.graph.values[size_t(i)].external.has_value();
        QCOMPARE(external, 207);
        QCOMPARE(m.graph.nodes.size(), size_t(175));
    }

    void scopePaths()
    {
        QCOMPARE(scopePath("/layer1/layer1.0/conv1/Conv"), (std::vector<std::string> { "layer1", "layer1.0", "conv1" }));
        QCOMPARE(scopePath("/Flatten"), std::vector<std::string> {});
        QCOMPARE(scopePath("conv"), std::vector<std::string> {});
        QCOMPARE(scopePath(""), std::vector<std::string> {});
    }

    void subgraphsAreKept()
    {
        const Model m = test::loadModel("if_loop.onnx");
        int bodies = 0;
        for (const Node& n : m.graph.nodes) {
            for (const Attribute& a : n.attributes) {
                for (const auto& g : a.graphs) {
                    QVERIFY(!g->nodes.empty());
                    ++bodies;
                }
            }
        }
        QCOMPARE(bodies, 3); // If: then and else; Loop: body
    }

    void refusesBadBytes_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        const std::string resnet = fileBytes("resnet18_train.onnx");
        QVERIFY(resnet.size() > 1000);
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("text") << QByteArray("hello, this is not a model\n");
        for (size_t cut : { size_t(1), size_t(7), resnet.size() / 3, resnet.size() / 2, resnet.size() - 1 })
            QTest::addRow("truncated at %zu", cut) << QByteArray(resnet.data(), qsizetype(cut));
        QRandomGenerator rng(42);
        for (int i = 0; i < 20; ++i) {
            QByteArray random(qsizetype(rng.bounded(1, 4096)), Qt::Uninitialized);
            for (char& c : random)
                c = char(rng.bounded(256));
            QTest::addRow("random %d", i) << random;
        }
        onnx::TensorProto tensor;
        tensor.set_name("t");
        tensor.add_dims(3);
        QTest::newRow("a tensor, not a model") << QByteArray::fromStdString(tensor.SerializeAsString());
    }
    void refusesBadBytes()
    {
        QFETCH(QByteArray, bytes);
        const QString message = refusal(bytes.toStdString());
        QVERIFY2(!message.isEmpty(), "bad bytes were accepted");
        QVERIFY(!message.contains(u'\n'));
    }

    void refusesBrokenGraphs_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        {
            ModelBuilder b;
            b.input("x", { 1 });
            b.node("Relu", { "x", }, { "a" });
            b.node("Add", { "a", "c" }, { "b" });
            b.node("Relu", { "b" }, { "c" });
            b.output("c");
            QTest::newRow("cycle") << QByteArray::fromStdString(b.bytes()) << "cycle";
        }
        {
            ModelBuilder b;
            b.input("x", { 1 });
            b.node("Add", { "x", "ghost" }, { "y" });
            b.output("y");
            QTest::newRow("dangling input") << QByteArray::fromStdString(b.bytes()) << "ghost";
        }
        {
            ModelBuilder b;
            b.input("x", { 1 });
            b.node("Relu", { "x" }, { "y" }, "first");
            b.node("Relu", { "x" }, { "y" }, "second");
            b.output("y");
            QTest::newRow("tensor produced twice") << QByteArray::fromStdString(b.bytes()) << "more than once";
        }
        for (const char* location : { "../secret.bin", "/etc/passwd", "a/../../b.bin", "..\\x.bin" }) {
            ModelBuilder b;
            b.input("x", { 1, 4 });
            b.weight("w", { 4, 4 }, onnx::TensorProto::FLOAT, location);
            b.node("MatMul", { "x", "w" }, { "y" });
            b.output("y");
            QTest::addRow("external data at %s", location) << QByteArray::fromStdString(b.bytes()) << "outside";
        }
        {
            ModelBuilder b;
            b.input("x", { 1 });
            b.node("Relu", { "x" }, { "y" });
            b.output("y");
            b.proto().mutable_graph()->mutable_node(0)->clear_op_type();
            QTest::newRow("node without operator") << QByteArray::fromStdString(b.bytes()) << "no operator";
        }
        {
            onnx::ModelProto m;
            m.set_ir_version(8);
            QTest::newRow("model without graph") << QByteArray::fromStdString(m.SerializeAsString()) << "no ONNX graph";
        }
        {
            // Ifs nested 40 deep: past the nesting limit, refused rather than recursing on.
            onnx::GraphProto inner;
            inner.set_name("leaf");
            for (int depth = 0; depth < 40; ++depth) {
                onnx::GraphProto outer;
                outer.set_name("level");
                auto* n = outer.add_node();
                n->set_op_type("If");
                auto* a = n->add_attribute();
                a->set_name("then_branch");
                a->set_type(onnx::AttributeProto::GRAPH);
                *a->mutable_g() = inner;
                inner = outer;
            }
            onnx::ModelProto m;
            m.set_ir_version(8);
            *m.mutable_graph() = inner;
            QTest::newRow("deep nesting") << QByteArray::fromStdString(m.SerializeAsString()) << "nested";
        }
    }
    void refusesBrokenGraphs()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const QString message = refusal(bytes.toStdString());
        QVERIFY2(message.contains(expected), qPrintable("message: " + message));
    }

    void missingFileIsAClearError()
    {
        try {
            readOnnxFile("/nonexistent/model.onnx");
            QFAIL("no error");
        } catch (const ModelError& e) {
            QVERIFY(QString::fromStdString(e.what()).contains("cannot open"));
        }
    }

    // Initializers listed among the graph inputs (IR < 4) are weights, not inputs.
    void oldStyleInitializerInputs()
    {
        ModelBuilder b;
        b.input("x", { 2, 4 });
        b.input("w", { 4, 3 });
        b.weight("w", { 4, 3 });
        b.node("MatMul", { "x", "w" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        QCOMPARE(m.graph.inputs.size(), size_t(1));
    }

    // A read reports how far it got and stops at the next node once cancelled.
    void progressAndCancel()
    {
        ModelBuilder b;
        b.input("x0", { 1, 8 });
        const int nodes = 100;
        for (int i = 0; i < nodes; ++i)
            b.node("Relu", { "x" + std::to_string(i) }, { "x" + std::to_string(i + 1) });
        b.output("x" + std::to_string(nodes));
        const std::string bytes = b.bytes();
        const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());

        ReadProgress progress;
        const Model m = readOnnxBytes(data, bytes.size(), "chain", {}, &progress);
        QCOMPARE(m.graph.nodes.size(), size_t(nodes));
        QCOMPARE(progress.bytesDone.load(), int64_t(bytes.size())); // a finished read is at the end

        ReadProgress cancelled;
        cancelled.cancelled = true;
        QVERIFY_THROWS_EXCEPTION(ReadCancelled, readOnnxBytes(data, bytes.size(), "chain", {}, &cancelled));
        QCOMPARE(cancelled.bytesDone.load(), int64_t(0)); // stopped before its first node
    }
};

QTEST_GUILESS_MAIN(TestReader)
#include "tst_reader.moc"

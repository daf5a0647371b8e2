// Shape resolution: hand-computed operator arithmetic, shape-computing subgraphs, and the
// configuration (batch, named dims, resolution) reaching every tensor.

#include "model_builder.h"
#include "test_models.h"

#include <QTest>

using namespace fp;
using fp::test::ModelBuilder;
using fp::test::readBytes;

namespace {

std::vector<int64_t> dimsOf(const Model& m, const AnalysisResult& r, const std::string& name)
{
    const int index = m.graph.findValue(name);
    return index < 0 ? std::vector<int64_t> { -99 } : r.shapes.tensors[size_t(index)].dims;
}

using Dims = std::vector<int64_t>;

} // namespace

Q_DECLARE_METATYPE(Dims)

class TestShapes : public QObject {
    Q_OBJECT
private slots:
    // Output sizes worked out with floor((in + pads - dilation*(k-1) - 1) / stride) + 1.
    void windowArithmetic_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<int>("in");
        QTest::addColumn<int>("kernel");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("pad");
        QTest::addColumn<int>("dilation");
        QTest::addColumn<int>("ceil");
        QTest::addColumn<int>("expected");
        QTest::newRow("resnet stem conv") << "Conv" << 224 << 7 << 2 << 3 << 1 << 0 << 112; // (224+6-7)/2+1
        QTest::newRow("resnet stem pool") << "MaxPool" << 112 << 3 << 2 << 1 << 1 << 0 << 56; // (112+2-3)/2+1
        QTest::newRow("3x3 same") << "Conv" << 56 << 3 << 1 << 1 << 1 << 0 << 56;
        QTest::newRow("dilated") << "Conv" << 32 << 3 << 1 << 0 << 2 << 0 << 28; // 32-2*2-1+1
        QTest::newRow("pool floor") << "MaxPool" << 7 << 2 << 2 << 0 << 1 << 0 << 3;
        QTest::newRow("pool ceil") << "MaxPool" << 7 << 2 << 2 << 0 << 1 << 1 << 4;
        QTest::newRow("avg pool") << "AveragePool" << 10 << 3 << 3 << 0 << 1 << 0 << 3;
        QTest::newRow("odd stride") << "Conv" << 225 << 3 << 2 << 0 << 1 << 0 << 112; // (225-3)/2+1
    }
    void windowArithmetic()
    {
        QFETCH(QString, op);
        QFETCH(int, in);
        QFETCH(int, kernel);
        QFETCH(int, stride);
        QFETCH(int, pad);
        QFETCH(int, dilation);
        QFETCH(int, ceil);
        QFETCH(int, expected);
        ModelBuilder b;
        b.input("x", { 1, 3, in, in });
        std::vector<std::string> inputs { "x" };
        if (op == "Conv") {
            b.weight("w", { 8, 3, kernel, kernel });
            inputs.push_back("w");
        }
        auto& n = b.node(op.toStdString(), inputs, { "y" });
        ModelBuilder::attr(n, "kernel_shape", { kernel, kernel });
        ModelBuilder::attr(n, "strides", { stride, stride });
        ModelBuilder::attr(n, "pads", { pad, pad, pad, pad });
        if (op == "Conv")
            ModelBuilder::attr(n, "dilations", { dilation, dilation });
        if (ceil)
            ModelBuilder::attr(n, "ceil_mode", 1);
        b.output("y");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        QCOMPARE(dimsOf(m, r, "y"), (Dims { 1, op == "Conv" ? 8 : 3, expected, expected }));
    }

    // PyTorch's transformer exports compute Reshape targets from Shape -> Gather -> Concat.
    void reshapeFromComputedShape()
    {
        ModelBuilder b;
        b.input("x", { -1, -1, 64 }, { "batch", "seq" });
        b.ints("i0", { 0 });
        b.ints("i1", { 1 });
        b.ints("heads", { 4, 16 });
        b.node("Shape", { "x" }, { "s" });
        b.node("Gather", { "s", "i0" }, { "b" });
        b.node("Gather", { "s", "i1" }, { "t" });
        auto& c = b.node("Concat", { "b", "t", "heads" }, { "target" });
        ModelBuilder::attr(c, "axis", int64_t(0));
        b.node("Reshape", { "x", "target" }, { "y" });
        auto& p = b.node("Transpose", { "y" }, { "z" });
        ModelBuilder::attr(p, "perm", { 0, 2, 1, 3 });
        b.output("z");
        const Model m = readBytes(b.bytes());
        AnalysisConfig config;
        config.shapes.batch = 3;
        config.shapes.dims["seq"] = 7;
        const AnalysisResult r = analyze(m, config);
        QCOMPARE(dimsOf(m, r, "y"), (Dims { 3, 7, 4, 16 }));
        QCOMPARE(dimsOf(m, r, "z"), (Dims { 3, 4, 7, 16 }));
        QVERIFY(r.unknownShapes.empty());
    }

    // GPT-2 exports slice the causal mask with computed bounds and build position ids with Range.
    void gpt2ResolvesEverywhere_data()
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("sequence");
        QTest::newRow("1x128") << 1 << 128;
        QTest::newRow("4x512") << 4 << 512;
        QTest::newRow("2x1024") << 2 << 1024;
    }
    void gpt2ResolvesEverywhere()
    {
        QFETCH(int, batch);
        QFETCH(int, sequence);
        const Model m = test::loadModel("gpt2_12l.onnx");
        AnalysisConfig config;
        config.shapes.batch = batch;
        config.shapes.dims["sequence"] = sequence;
        const AnalysisResult r = analyze(m, config);
        QVERIFY2(r.unknownShapes.empty(), r.unknownShapes.empty() ? "" : r.unknownShapes.front().c_str());
        QVERIFY(r.unsupportedOps.empty());
        const int logits = m.graph.outputs.front();
        QCOMPARE(r.shapes.tensors[size_t(logits)].dims, (Dims { batch, sequence, 50257 }));
    }

    void bertResolvesEverywhere()
    {
        AnalysisConfig config;
        config.shapes.batch = 8;
        config.shapes.dims["sequence"] = 384;
        const Model m = test::loadModel("bert_2l.onnx");
        const AnalysisResult r = analyze(m, config);
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.outputs.front())].dims, (Dims { 8, 384, 256 }));
    }

    // tf2onnx: NHWC input, symbolic batch named unk__12; the resolution applies to dims 1 and 2.
    void tfStyleNhwc()
    {
        const Model m = test::loadModel("tf_style_nhwc.onnx");
        AnalysisConfig config;
        config.shapes.batch = 5;
        config.shapes.height = 128;
        config.shapes.width = 96;
        const AnalysisResult r = analyze(m, config);
        QVERIFY(r.unknownShapes.empty());
        const Value& in = m.graph.values[size_t(m.graph.inputs.front())];
        QCOMPARE(in.declaredShape[0].symbol, std::string("unk__12"));
        QCOMPARE(r.shapes.tensors[size_t(m.graph.inputs.front())].dims, (Dims { 5, 128, 96, 3 }));
        // Conv 3->16, kernel 3, stride 2, pad 1: (128+2-3)/2+1 = 64, (96+2-3)/2+1 = 48.
        const std::vector<const Node*> convs = test::layerNodesOfType(m, r, "Conv");
        QVERIFY(!convs.empty());
        for (const Node* conv : convs)
            QCOMPARE(r.shapes.tensors[size_t(conv->outputs[0])].dims, (Dims { 5, 16, 64, 48 }));
        QCOMPARE(r.shapes.tensors[size_t(m.graph.outputs.front())].dims, (Dims { 5, 10 }));
    }

    void paddleStyleDims()
    {
        const Model m = test::loadModel("paddle_style_constants.onnx");
        AnalysisConfig config;
        config.shapes.batch = 6;
        const AnalysisResult r = analyze(m, config);
        QCOMPARE(m.graph.values[size_t(m.graph.inputs.front())].declaredShape[0].symbol,
                 std::string("p2o.DynamicDimension.0"));
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.outputs.front())].dims, (Dims { 6, 4 }));
    }

    // LSTM(32 -> 64) then GRU(64 -> 48), input [seq, batch, 32].
    void recurrent()
    {
        const Model m = test::loadModel("lstm_gru.onnx");
        AnalysisConfig config;
        // The LSTM reads its input time-major (layout 0, PyTorch's batch_first=False): the batch
        // is dim 1, and dim 0 the sequence.
        config.shapes.batch = 3;
        config.shapes.dims["seq"] = 10;
        const AnalysisResult r = analyze(m, config);
        QVERIFY(r.unknownShapes.empty());
        QCOMPARE(batchAxis(m.graph, m.graph.inputs.front()), 1);
        QCOMPARE(r.shapes.tensors[size_t(m.graph.inputs.front())].dims, (Dims { 10, 3, 32 }));
        QCOMPARE(r.shapes.tensors[size_t(m.graph.outputs.front())].dims, (Dims { 10, 3, 48 }));
        // Left unset, the sequence is assumed and said so; the batch is 1 without a word.
        const AnalysisResult unset = analyze(m, {});
        QCOMPARE(unset.shapes.tensors[size_t(m.graph.inputs.front())].dims, (Dims { 1, 1, 32 }));
        QCOMPARE(unset.shapes.assumedSymbols, (std::vector<std::string> { "seq" }));
    }

    void resolutionScalesImageModels()
    {
        const Model m = test::loadModel("resnet50.onnx");
        AnalysisConfig config;
        config.shapes.height = 512;
        config.shapes.width = 384;
        const AnalysisResult r = analyze(m, config);
        QVERIFY(r.unknownShapes.empty());
        // After the stem (stride 4) and four stages (stride 8 more): 512/32 = 16, 384/32 = 12.
        const std::vector<const Node*> pools = test::layerNodesOfType(m, r, "GlobalAveragePool");
        QVERIFY(!pools.empty());
        for (const Node* pool : pools)
            QCOMPARE(r.shapes.tensors[size_t(pool->inputs[0])].dims, (Dims { 1, 2048, 16, 12 }));
    }

    // A custom-domain operator without declared output shapes: its output is listed as
    // unknown and its operator as having no cost formula, never silently zero.
    void unknownsAreListed()
    {
        ModelBuilder b;
        b.input("x", { 2, 8 });
        auto& n = b.node("FancyOp", { "x" }, { "y" });
        n.set_domain("com.example");
        b.node("Relu", { "y" }, { "z" });
        b.output("z");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        QVERIFY(std::find(r.unknownShapes.begin(), r.unknownShapes.end(), "y") != r.unknownShapes.end());
        QVERIFY(std::find(r.unknownShapes.begin(), r.unknownShapes.end(), "z") != r.unknownShapes.end());
        QCOMPARE(r.unsupportedOps, std::vector<std::string> { "com.example::FancyOp" });
    }

    // Byte counts from absurd dims saturate instead of wrapping around.
    void enormousDimsSaturate()
    {
        AnalysisConfig config;
        config.shapes.batch = int64_t(1) << 40;
        config.shapes.height = int64_t(1) << 20;
        config.shapes.width = int64_t(1) << 20;
        const AnalysisResult r = analyze(test::loadModel("resnet50.onnx"), config);
        QVERIFY(r.totals.peakBytes > 0);
        QCOMPARE(r.totals.inputBytes, kSaturated);
        for (const LayerResult& l : r.layers) {
            QVERIFY(l.macs >= 0);
            QVERIFY(l.outputBytes >= 0);
        }
    }

    // Einsum output shapes, worked by hand: attention scores, a contraction, an implicit output,
    // and an ellipsis.
    void einsumShapes_data()
    {
        QTest::addColumn<QString>("equation");
        QTest::addColumn<Dims>("a");
        QTest::addColumn<Dims>("b");
        QTest::addColumn<Dims>("expected");
        QTest::newRow("scores") << "B G H I D, B G H J D -> B G H I J" << Dims { 1, 2, 3, 49, 32 }
                                << Dims { 1, 2, 3, 49, 32 } << Dims { 1, 2, 3, 49, 49 };
        QTest::newRow("matmul") << "ij,jk->ik" << Dims { 4, 5 } << Dims { 5, 6 } << Dims { 4, 6 };
        QTest::newRow("implicit") << "ij,jk" << Dims { 4, 5 } << Dims { 5, 6 } << Dims { 4, 6 };
        QTest::newRow("ellipsis") << "...ij,...jk->...ik" << Dims { 7, 4, 5 } << Dims { 1, 5, 6 } << Dims { 7, 4, 6 };
    }
    void einsumShapes()
    {
        QFETCH(QString, equation);
        QFETCH(Dims, a);
        QFETCH(Dims, b);
        QFETCH(Dims, expected);
        ModelBuilder m(12);
        m.input("a", a);
        m.input("b", b);
        auto& n = m.node("Einsum", { "a", "b" }, { "y" });
        auto* attr = n.add_attribute();
        attr->set_name("equation");
        attr->set_type(onnx::AttributeProto::STRING);
        attr->set_s(equation.toStdString());
        m.output("y");
        const Model model = readBytes(m.bytes());
        AnalysisConfig config;
        config.shapes.batch = a[0]; // keep the declared dim 0
        const AnalysisResult r = analyze(model, config);
        QCOMPARE(dimsOf(model, r, "y"), expected);
    }

    // Computed pad amounts as torch.onnx writes them: Concat -> Reshape [4,2] -> Slice (step -1)
    // -> Transpose -> Reshape [8]. Values must survive the rank-2 Slice and the Transpose.
    void padsComputedThroughTranspose()
    {
        ModelBuilder b;
        b.input("x", { 1, 3, 10, 10 });
        b.ints("p", { 0, 0, 0, 0, 1, 2, 3, 4 }); // per axis (begin, end) pairs, last axis last
        b.ints("shape42", { 4, 2 });
        b.ints("start", { -1 });
        b.ints("end", { -1000 });
        b.ints("axis0", { 0 });
        b.ints("step", { -1 });
        b.ints("flat", { 8 });
        b.node("Reshape", { "p", "shape42" }, { "p42" });
        b.node("Slice", { "p42", "start", "end", "axis0", "step" }, { "reversed" });
        b.node("Transpose", { "reversed" }, { "t" });
        b.node("Reshape", { "t", "flat" }, { "pads" });
        b.node("Pad", { "x", "pads" }, { "y" });
        b.output("y");
        const Model m = readBytes(b.bytes());
        const AnalysisResult r = analyze(m, {});
        // reversed rows: (3,4), (1,2), (0,0), (0,0); transposed and flattened: begins 3,1,0,0 then
        // ends 4,2,0,0: axis 0 +3+4, axis 1 +1+2.
        QCOMPARE(dimsOf(m, r, "y"), (Dims { 1 + 7, 3 + 3, 10, 10 }));
    }

    // tiny_conv declares every intermediate shape with batch 1; a new batch is no disagreement.
    void batchOverrideIsNoMismatch()
    {
        AnalysisConfig config;
        config.shapes.batch = 4;
        const Model m = test::loadModel("tiny_conv.onnx");
        const AnalysisResult r = analyze(m, config);
        QVERIFY2(r.warnings.empty(), r.warnings.empty() ? "" : r.warnings.front().c_str());
        QCOMPARE(r.shapes.tensors[size_t(m.graph.outputs.front())].dims, (Dims { 4, 10 }));
    }

    // The declared shape disagreeing with the inferred one is reported, not hidden.
    void declaredMismatchIsReported()
    {
        ModelBuilder b;
        b.input("x", { 2, 8 });
        b.node("Relu", { "x" }, { "y" });
        b.output("y", { 2, 9 });
        const AnalysisResult r = analyze(readBytes(b.bytes()), {});
        QVERIFY(!r.warnings.empty());
        QVERIFY(QString::fromStdString(r.warnings.front()).contains("differs"));
    }

    // Optimum writes dims as expressions of symbols (issue 18): evaluated from their parts, with
    // the parts offered and set like any symbol. By hand: 7 + 5 = 12; (7 + 1) * 2 = 16;
    // 7 / 2 = 3 (floor); 7 % 4 = 3.
    void dimExpressions()
    {
        const std::map<std::string, int64_t> symbols { { "past_sequence_length", 7 }, { "sequence_length", 5 } };
        QCOMPARE(evaluateDimExpression("past_sequence_length + sequence_length", symbols), std::optional<int64_t>(12));
        QCOMPARE(evaluateDimExpression("(past_sequence_length + 1) * 2", symbols), std::optional<int64_t>(16));
        QCOMPARE(evaluateDimExpression("past_sequence_length / 2", symbols), std::optional<int64_t>(3));
        QCOMPARE(evaluateDimExpression("past_sequence_length % 4", symbols), std::optional<int64_t>(3));
        QCOMPARE(evaluateDimExpression("sequence_length", symbols), std::optional<int64_t>()); // a plain symbol
        QCOMPARE(evaluateDimExpression("unset + 1", symbols), std::optional<int64_t>());
        QCOMPARE(evaluateDimExpression("past_sequence_length / 0", symbols), std::optional<int64_t>());
        QCOMPARE(evaluateDimExpression("past_sequence_length +", symbols), std::optional<int64_t>());
        QCOMPARE(dimExpressionSymbols("past_sequence_length + sequence_length"),
                 (std::vector<std::string> { "past_sequence_length", "sequence_length" }));
        QVERIFY(dimExpressionSymbols("p2o.DynamicDimension.0").empty());

        // In a model: an attention mask of past + new tokens, and a KV cache input that is not
        // an image (--resolution leaves it alone).
        ModelBuilder b;
        b.input("input_ids", { -1, -1 }, { "batch_size", "sequence_length" }, onnx::TensorProto::INT64);
        b.input("attention_mask", { -1, -1 }, { "batch_size", "past_sequence_length + sequence_length" },
                onnx::TensorProto::INT64);
        b.input("past_key_values.0.key", { -1, 4, -1, 16 }, { "batch_size", "", "past_sequence_length", "" });
        b.node("Cast", { "attention_mask" }, { "mask" }).add_attribute()->CopyFrom([] {
            onnx::AttributeProto a;
            a.set_name("to");
            a.set_type(onnx::AttributeProto::INT);
            a.set_i(onnx::TensorProto::FLOAT);
            return a;
        }());
        b.node("Relu", { "past_key_values.0.key" }, { "k" });
        b.output("mask");
        b.output("k");
        const Model m = readBytes(b.bytes());
        QVERIFY(!isImageInput(m.graph.values[size_t(m.graph.findValue("past_key_values.0.key"))]));
        AnalysisConfig config;
        config.shapes.dims = symbols;
        config.shapes.height = config.shapes.width = 512;
        const AnalysisResult r = analyze(m, config);
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("attention_mask"))].dims, (std::vector<int64_t> { 1, 12 }));
        QCOMPARE(r.shapes.tensors[size_t(m.graph.findValue("past_key_values.0.key"))].dims,
                 (std::vector<int64_t> { 1, 4, 7, 16 }));
        QVERIFY(r.shapes.ignoredSymbols.empty()); // both parts are the model's
        QVERIFY(r.unknownShapes.empty());
    }
};

QTEST_GUILESS_MAIN(TestShapes)
#include "tst_shapes.moc"

// The details panel's data and view, on tiny_conv.onnx:
// X[1,3,8,8] -> conv (W[4,3,3,3], B[4], pad 1) -> C[1,4,8,8] -> relu -> R -> pool 2/2 -> P[1,4,4,4]
// -> flatten -> F[1,64] -> fc (Wfc[10,64], Bfc[10]) -> Y[1,10], float32. Forward steps: conv 0,
// relu 1, pool 2, flatten 3, fc 4. Every figure below is worked out by hand from those shapes.

#include "nodedetails.h"
#include "onnx_reader.h"

#include <QAbstractTextDocumentLayout>
#include <QSignalSpy>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

using namespace fp;

namespace {

struct Loaded {
    std::shared_ptr<const Model> model;
    std::shared_ptr<const AnalysisResult> result;
};

Loaded load(Precision precision = Precision::Model)
{
    Loaded l;
    l.model = std::make_shared<const Model>(readOnnxFile(FOOTPRINT_TEST_MODELS "/tiny_conv.onnx"));
    AnalysisConfig config;
    config.precision = precision;
    l.result = std::make_shared<const AnalysisResult>(analyze(*l.model, config));
    return l;
}

int nodeNamed(const Model& m, const char* name)
{
    for (size_t n = 0; n < m.graph.nodes.size(); ++n)
        if (m.graph.nodes[n].name == name)
            return int(n);
    return -1;
}

} // namespace

class TestNodeDetails : public QObject {
    Q_OBJECT
private slots:
    // conv reads X (3*8*8 floats = 768 B, a model input), W (4*3*3*3 = 108 floats = 432 B) and
    // B (16 B), and writes C (4*8*8 = 256 floats = 1,024 B). ReLU runs in place, so C's storage
    // is held from conv's step 0 until pool reads it at step 2. The inference peak is at conv's
    // step (its im2col workspace, 6,912 B, is larger than anything later): C is live there.
    void conv()
    {
        const Loaded l = load();
        const NodeDetails d = NodeDetails::describe(*l.model, *l.result, nodeNamed(*l.model, "conv"));
        QCOMPARE(d.step, 0);
        QCOMPARE(d.backwardStep, -1);
        QVERIFY(d.layer);
        QCOMPARE(d.layer->params, int64_t(108 + 4));
        QCOMPARE(int(d.inputs.size()), 3);
        QCOMPARE(d.inputs[0].name, QStringLiteral("X"));
        QCOMPARE(d.inputs[0].kind, TensorDetails::GraphInput);
        QCOMPARE(d.inputs[0].shape, QStringLiteral("[1, 3, 8, 8]"));
        QCOMPARE(d.inputs[0].bytes, int64_t(768));
        QCOMPARE(d.inputs[1].kind, TensorDetails::Weight);
        QCOMPARE(d.inputs[1].bytes, int64_t(432));
        QCOMPARE(d.inputs[2].bytes, int64_t(16));
        QCOMPARE(int(d.outputs.size()), 1);
        const TensorDetails& c = d.outputs[0];
        QCOMPARE(c.name, QStringLiteral("C"));
        QCOMPARE(c.shape, QStringLiteral("[1, 4, 8, 8]"));
        QCOMPARE(c.dtype, QStringLiteral("float32"));
        QCOMPARE(c.bytes, int64_t(1024));
        QCOMPARE(c.born, 0);
        QCOMPARE(c.dies, 2);
        QVERIFY(c.liveAtPeak);
        QCOMPARE(c.consumers, std::vector<int> { nodeNamed(*l.model, "relu") });
    }

    // pool reads R (relu's, in C's storage) and writes P (4*4*4 floats = 256 B), which the Flatten
    // view hands to fc at step 4: held from 2 to 4, after the peak at step 0.
    void pool()
    {
        const Loaded l = load();
        const NodeDetails d = NodeDetails::describe(*l.model, *l.result, nodeNamed(*l.model, "pool"));
        QCOMPARE(d.step, 2);
        QCOMPARE(d.inputs[0].producer, nodeNamed(*l.model, "relu"));
        QCOMPARE(d.inputs[0].storage, l.model->graph.findValue("C"));
        QCOMPARE(d.outputs[0].bytes, int64_t(256));
        QCOMPARE(d.outputs[0].born, 2);
        QCOMPARE(d.outputs[0].dies, 4);
        QVERIFY(!d.outputs[0].liveAtPeak);
    }

    // In fp16 every float tensor takes 2 bytes an element: C is 512 B, the weights half too.
    void precision()
    {
        const Loaded l = load(Precision::FP16);
        const NodeDetails d = NodeDetails::describe(*l.model, *l.result, nodeNamed(*l.model, "conv"));
        QCOMPARE(d.outputs[0].bytes, int64_t(512));
        QCOMPARE(d.outputs[0].dtype, QStringLiteral("fp16"));
        QCOMPARE(d.inputs[1].bytes, int64_t(216));
    }

    // The view names the node and its tensors, and its producer and consumer links select nodes.
    void view()
    {
        const Loaded l = load();
        NodeDetailsView view;
        view.setAnalysis(l.model, l.result);
        QVERIFY(view.toPlainText().isEmpty());
        const int pool = nodeNamed(*l.model, "pool"), relu = nodeNamed(*l.model, "relu");
        view.setNode(pool);
        const QString text = view.toPlainText();
        for (const char* expected : { "pool", "MaxPool", "[1, 4, 4, 4]", "R", "Not live at the peak" })
            QVERIFY2(text.contains(QLatin1String(expected)), expected);
        QVERIFY(view.toHtml().contains(QStringLiteral("node:%1").arg(relu)));
        QSignalSpy selected(&view, &NodeDetailsView::nodeSelected);
        emit view.anchorClicked(QUrl(QStringLiteral("node:%1").arg(relu)));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.front().front().toInt(), relu);
        view.setNode(-1);
        QVERIFY(view.toPlainText().isEmpty());
    }

    // Issue 17: a collapsed group of the graph (here conv, relu and pool) shows its sums. conv:
    // 108 + 4 = 112 parameters (448 B), 4*8*8 outputs of 3*3*3 MACs = 6,912 MACs, 1,024 B out;
    // relu 1,024 B out; pool 256 B out. Largest output: conv's (relu's ties it, later).
    void group()
    {
        const Loaded l = load();
        const int conv = nodeNamed(*l.model, "conv"), relu = nodeNamed(*l.model, "relu"),
                  pool = nodeNamed(*l.model, "pool");
        const QList<int> nodes { conv, relu, pool };
        const GroupDetails d = GroupDetails::describe(*l.result, QStringLiteral("block"), nodes);
        QCOMPARE(d.nodes, 3);
        QCOMPARE(d.layers, 3);
        QCOMPARE(d.params, int64_t(112));
        QCOMPARE(d.weightBytes, int64_t(448));
        QCOMPARE(d.activationBytes, int64_t(1024 + 1024 + 256));
        QCOMPARE(d.macs, int64_t(6912) + l.result->layers[2].macs); // pool's comparisons, if counted
        QCOMPARE(d.largest, conv);
        QCOMPARE(d.largestBytes, int64_t(1024));

        NodeDetailsView view;
        view.setAnalysis(l.model, l.result);
        view.setGroup(QStringLiteral("block"), nodes);
        const QString text = view.toPlainText();
        for (const char* expected : { "block", "3 layers", "Parameters", "112", "2.25 KiB", "Largest layer: conv" })
            QVERIFY2(text.contains(QLatin1String(expected)), qPrintable(text));
        QSignalSpy selected(&view, &NodeDetailsView::nodeSelected);
        emit view.anchorClicked(QUrl(QStringLiteral("node:%1").arg(conv)));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.front().front().toInt(), conv);

        // A node replaces the group; the graph's later "no group" leaves the node shown.
        view.setNode(relu);
        QVERIFY(view.group().isEmpty());
        QVERIFY(view.toPlainText().contains(QLatin1String("Relu")));
        view.setGroup({}, {});
        QCOMPARE(view.node(), relu);
        QVERIFY(view.toPlainText().contains(QLatin1String("Relu")));
        view.setGroup(QStringLiteral("block"), nodes);
        QCOMPARE(view.node(), -1);
        view.setGroup({}, {});
        QVERIFY(view.toPlainText().isEmpty());
    }

    // Issue 17: at any width the figures' names stay whole ("Paramete rs" was a narrow table
    // breaking inside a word): two figures a row where they fit, one otherwise.
    void figuresNeverBreakWords()
    {
        const Loaded l = load();
        NodeDetailsView view;
        view.setAnalysis(l.model, l.result);
        view.setNode(nodeNamed(*l.model, "conv"));
        view.show();
        for (const int width : { 700, 260, 180, 700 }) {
            view.resize(width, 400);
            QCoreApplication::processEvents();
            view.document()->documentLayout()->documentSize(); // laid out
            int checked = 0;
            for (QTextBlock block = view.document()->begin(); block.isValid(); block = block.next()) {
                const QString text = block.text().replace(QChar::Nbsp, u' ').trimmed();
                if (text != QLatin1String("Parameters") && text != QLatin1String("Memory written")
                    && text != QLatin1String("Weight storage"))
                    continue;
                QVERIFY2(block.layout()->lineCount() == 1, qPrintable(QStringLiteral("%1 at %2").arg(text).arg(width)));
                ++checked;
            }
            QCOMPARE(checked, 3);
        }
    }
};

QTEST_MAIN(TestNodeDetails)
#include "tst_nodedetails.moc"

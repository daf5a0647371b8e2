// The graph view and what it is made of: the colour scale (plain arithmetic, against matplotlib's
// published viridis and magma tables), the folding and grouping of the graph, and the view on
// real models under the offscreen platform.
//
// Drawing convention (what a node item is): one item per drawn operator, one per collapsed
// group, one per graph input and one per graph output; weights are never items (they belong
// to their node), and a source read by many nodes far apart is drawn once beside each reader.
//
// Screenshots: with FOOTPRINT_SCREENSHOT_DIR set, screenshots() saves graph-resnet50.png and
// graph-gpt2.png there (.ci/screenshots-style: `FOOTPRINT_SCREENSHOT_DIR=screenshots
// QT_QPA_PLATFORM=offscreen build/bin/tst_graphview screenshots`); without it the test is skipped.
// What it turns on (the edge size labels) is checked on every run by edgeLabels().

#include "colorscale.h"
#include "graphstructure.h"
#include "graphview.h"
#include "graphwidget.h"
#include "nodedetails.h"
#include "onnx_reader.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QWheelEvent>

#include <cmath>

using fp::ColorMap;
using fp::ColorScale;
using fp::GraphView;

Q_DECLARE_METATYPE(fp::ColorMap)

#if defined(__SANITIZE_ADDRESS__)
// Graphviz 2.42's dot leaks the virtual edges it makes for cluster skeletons (class2,
// build_skeleton, interclexp; allocated through libgvc's gmalloc, which is all a fast unwinder
// sees). A library we do not own, as .ci/lsan.supp says of fontconfig: not reported here.
extern "C" const char* __lsan_default_suppressions()
{
    return "leak:libgvc.so\nleak:libgvplugin_dot_layout.so\n";
}
#endif

namespace {

constexpr int kLayoutTimeoutMs = 30000;

struct Loaded {
    std::shared_ptr<const fp::Model> model;
    std::shared_ptr<const fp::AnalysisResult> result;
};

Loaded load(const char* file, int64_t batch = 1, int64_t sequence = 0)
{
    Loaded l;
    l.model = std::make_shared<const fp::Model>(fp::readOnnxFile(std::string(FOOTPRINT_TEST_MODELS "/") + file));
    fp::AnalysisConfig config;
    config.shapes.batch = batch;
    if (sequence > 0)
        config.shapes.dims["sequence"] = sequence;
    l.result = std::make_shared<const fp::AnalysisResult>(fp::analyze(*l.model, config));
    return l;
}

std::shared_ptr<const fp::AnalysisResult> analyze(const fp::Model& model, int64_t batch)
{
    fp::AnalysisConfig config;
    config.shapes.batch = batch;
    return std::make_shared<const fp::AnalysisResult>(fp::analyze(model, config));
}

bool waitForLayout(GraphView& view)
{
    return QTest::qWaitFor([&]() { return !view.isLayoutRunning(); }, kLayoutTimeoutMs);
}

bool waitForLayout(fp::GraphWidget& widget)
{
    return waitForLayout(*widget.view());
}

// Shows `view` (a GraphView, or a GraphWidget around one) at `size` with `l` in it, and waits for
// the layout; false when it did not end in time. The start of the tests that look at a layout.
template <typename View>
bool showLaidOut(View& view, const Loaded& l, QSize size)
{
    view.resize(size);
    view.show();
    view.setModel(l.model, l.result);
    return waitForLayout(view);
}

int itemsOfType(const GraphView& view, int type)
{
    int count = 0;
    for (const QGraphicsItem* item : view.scene()->items())
        count += item->type() == type;
    return count;
}

// The node item named `name`: an operator's node name, a group's path, an input's tensor name.
QGraphicsItem* itemNamed(const GraphView& view, const QString& name)
{
    for (QGraphicsItem* item : view.scene()->items())
        if (item->type() == GraphView::NodeItemType && item->data(GraphView::ItemNameKey).toString() == name)
            return item;
    return nullptr;
}

int nodeIndex(const fp::Model& model, const std::string& name)
{
    for (size_t n = 0; n < model.graph.nodes.size(); ++n)
        if (model.graph.nodes[n].name == name)
            return int(n);
    return -1;
}

// A hand-made graph for the far-source rule: inputs x and mask; a chain of `length` Relu nodes
// from x, where every sixth node is instead Add(previous, mask), so mask has length/6 readers
// spread over the whole chain; and one value (the chain's first output) read again by an Add
// at the chain's end.
fp::Model chainModel(int length)
{
    fp::Model model;
    fp::Graph& g = model.graph;
    const auto value = [&](const std::string& name) {
        fp::Value v;
        v.name = name;
        v.dtype = fp::DType::Float;
        g.values.push_back(v);
        g.valueIndex[name] = int(g.values.size()) - 1;
        return int(g.values.size()) - 1;
    };
    const auto node = [&](const std::string& name, const std::string& op, std::vector<int> inputs) {
        fp::Node n;
        n.name = name;
        n.opType = op;
        n.inputs = inputs;
        const int out = value(name + "_out");
        n.outputs = { out };
        const int index = int(g.nodes.size());
        g.values[size_t(out)].producer = index;
        for (int in : inputs)
            g.values[size_t(in)].consumers.push_back(index);
        g.nodes.push_back(n);
        g.order.push_back(index);
        return out;
    };
    const int x = value("x"), mask = value("mask");
    g.values[size_t(x)].isGraphInput = g.values[size_t(mask)].isGraphInput = true;
    g.inputs = { x, mask };
    int previous = x;
    int first = -1;
    for (int i = 0; i < length; ++i) {
        const std::string name = "n" + std::to_string(i);
        previous = i % 6 == 0 ? node(name, "Add", { previous, mask }) : node(name, "Relu", { previous });
        if (i == 0)
            first = previous;
    }
    const int out = node("tail", "Add", { previous, first });
    g.values[size_t(out)].isGraphOutput = true;
    g.outputs = { out };
    return model;
}

} // namespace

class TestGraphView : public QObject {
    Q_OBJECT
private slots:
    // ---- colour scale --------------------------------------------------------------------

    void position_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        QTest::addColumn<bool>("logarithmic");
        QTest::addColumn<double>("position");

        QTest::newRow("linear, zero has no colour") << 0.0 << 0.0 << 100.0 << false << 0.0;
        QTest::newRow("linear, half") << 50.0 << 0.0 << 100.0 << false << 0.5;
        QTest::newRow("linear, maximum") << 100.0 << 0.0 << 100.0 << false << 1.0;
        QTest::newRow("linear, above clamps") << 250.0 << 0.0 << 100.0 << false << 1.0;
        QTest::newRow("log, minimum") << 1024.0 << 1024.0 << 1048576.0 << true << 0.0;
        // 32 KiB is the geometric middle of 1 KiB and 1 MiB.
        QTest::newRow("log, geometric middle") << 32768.0 << 1024.0 << 1048576.0 << true << 0.5;
        QTest::newRow("log, maximum") << 1048576.0 << 1024.0 << 1048576.0 << true << 1.0;
        QTest::newRow("log, below clamps") << 10.0 << 1024.0 << 1048576.0 << true << 0.0;
        QTest::newRow("negative") << -5.0 << 0.0 << 100.0 << false << 0.0;
        QTest::newRow("one value, log") << 7.0 << 7.0 << 7.0 << true << 1.0;
        QTest::newRow("one value, linear") << 7.0 << 0.0 << 7.0 << false << 1.0;
    }

    void position()
    {
        QFETCH(double, value);
        QFETCH(double, minimum);
        QFETCH(double, maximum);
        QFETCH(bool, logarithmic);
        QFETCH(double, position);
        ColorScale scale;
        scale.minimum = minimum;
        scale.maximum = maximum;
        scale.logarithmic = logarithmic;
        QVERIFY2(std::abs(scale.position(value) - position) < 1e-9,
                 qPrintable(QStringLiteral("%1 != %2").arg(scale.position(value)).arg(position)));
        // valueAt() inverts position() inside the range.
        if (value >= minimum && value <= maximum && scale.isColored(value) && minimum < maximum)
            QVERIFY(std::abs(scale.valueAt(position) - value) < 1e-6 * maximum);
    }

    void isColored_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("colored");
        QTest::newRow("zero") << 0.0 << false;
        QTest::newRow("negative") << -1.0 << false;
        QTest::newRow("nan") << std::nan("") << false;
        QTest::newRow("infinity") << HUGE_VAL << false;
        QTest::newRow("tiny") << 1e-9 << true;
        QTest::newRow("bytes") << 4096.0 << true;
    }

    void isColored()
    {
        QFETCH(double, value);
        QFETCH(bool, colored);
        ColorScale scale;
        QCOMPARE(scale.isColored(value), colored);
        QCOMPARE(scale.color(value).isValid(), colored);
    }

    void forValues_data()
    {
        QTest::addColumn<QList<double>>("values");
        QTest::addColumn<bool>("logarithmic");
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        QTest::newRow("linear starts at zero") << QList<double> { 0, 10, 40, 5 } << false << 0.0 << 40.0;
        QTest::newRow("log spans the positive values") << QList<double> { 0, 10, 40, 5 } << true << 5.0 << 40.0;
        QTest::newRow("nothing positive") << QList<double> { 0, 0 } << true << 0.0 << 1.0;
        QTest::newRow("empty") << QList<double> {} << false << 0.0 << 1.0;
    }

    void forValues()
    {
        QFETCH(QList<double>, values);
        QFETCH(bool, logarithmic);
        QFETCH(double, minimum);
        QFETCH(double, maximum);
        const ColorScale scale = ColorScale::forValues(std::vector<double>(values.begin(), values.end()), logarithmic);
        QCOMPARE(scale.minimum, minimum);
        QCOMPARE(scale.maximum, maximum);
    }

    // Expected colours are matplotlib's tables (_cm_listed.py, entries 0, 128 and 255 of 256).
    void mapColor_data()
    {
        QTest::addColumn<ColorMap>("map");
        QTest::addColumn<double>("t");
        QTest::addColumn<QColor>("expected");
        QTest::newRow("viridis 0") << ColorMap::Viridis << 0.0 << QColor(0x44, 0x01, 0x54);
        QTest::newRow("viridis 128") << ColorMap::Viridis << 128 / 255.0 << QColor(0x21, 0x91, 0x8c);
        QTest::newRow("viridis 255") << ColorMap::Viridis << 1.0 << QColor(0xfd, 0xe7, 0x25);
        QTest::newRow("magma 0") << ColorMap::Magma << 0.0 << QColor(0x00, 0x00, 0x04);
        QTest::newRow("magma 128") << ColorMap::Magma << 128 / 255.0 << QColor(0xb7, 0x37, 0x79);
        QTest::newRow("magma 255") << ColorMap::Magma << 1.0 << QColor(0xfc, 0xfd, 0xbf);
        QTest::newRow("below 0 clamps") << ColorMap::Viridis << -3.0 << QColor(0x44, 0x01, 0x54);
        QTest::newRow("above 1 clamps") << ColorMap::Viridis << 7.0 << QColor(0xfd, 0xe7, 0x25);
    }

    void mapColor()
    {
        QFETCH(ColorMap, map);
        QFETCH(double, t);
        QFETCH(QColor, expected);
        const QColor c = ColorScale::mapColor(map, t);
        const int worst = std::max({ std::abs(c.red() - expected.red()), std::abs(c.green() - expected.green()),
                                     std::abs(c.blue() - expected.blue()) });
        QVERIFY2(worst <= 6, qPrintable(c.name() + QStringLiteral(" vs ") + expected.name()));
    }

    // Both maps are designed to rise monotonically in lightness; the fits must keep that.
    void lightnessRises_data()
    {
        QTest::addColumn<ColorMap>("map");
        QTest::newRow("viridis") << ColorMap::Viridis;
        QTest::newRow("magma") << ColorMap::Magma;
    }

    void lightnessRises()
    {
        QFETCH(ColorMap, map);
        const auto luminance
            = [](const QColor& c) { return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF(); };
        double previous = -1;
        for (int i = 0; i <= 50; ++i) {
            const double l = luminance(ColorScale::mapColor(map, i / 50.0));
            QVERIFY2(l > previous, qPrintable(QStringLiteral("at %1").arg(i / 50.0)));
            previous = l;
        }
    }

    void lightText_data()
    {
        QTest::addColumn<QColor>("background");
        QTest::addColumn<bool>("light");
        QTest::newRow("viridis dark end") << ColorScale::mapColor(ColorMap::Viridis, 0) << true;
        QTest::newRow("viridis light end") << ColorScale::mapColor(ColorMap::Viridis, 1) << false;
        QTest::newRow("black") << QColor(Qt::black) << true;
        QTest::newRow("white") << QColor(Qt::white) << false;
    }

    void lightText()
    {
        QFETCH(QColor, background);
        QFETCH(bool, light);
        QCOMPARE(ColorScale::needsLightText(background), light);
    }

    // ---- structure -----------------------------------------------------------------------

    // A value read by more than four nodes far apart is drawn beside each reader.
    void farSources()
    {
        const fp::Model model = chainModel(36); // mask read by n0, n6, ..., n30: 6 readers
        const fp::GraphOptions options; // farReaderCount 4, farDistance 24
        const fp::GraphStructure s = fp::GraphStructure::build(model, fp::ShapeResult(), options);
        QCOMPARE(s.drawnNodeCount, 37);
        const fp::DisplayGraph d = fp::DisplayGraph::build(model, s, s.defaultExpansion(400, 150), options);
        int masks = 0, xs = 0, outputs = 0, proxies = 0;
        for (const fp::DisplayNode& n : d.nodes) {
            if (n.kind == fp::DisplayNode::Kind::Input)
                (model.graph.values[size_t(n.value)].name == "mask" ? masks : xs)++;
            outputs += n.kind == fp::DisplayNode::Kind::Output;
            proxies += n.kind == fp::DisplayNode::Kind::Proxy;
        }
        QCOMPARE(masks, 6); // one per reader
        QCOMPARE(xs, 1); // one reader: drawn once
        QCOMPARE(outputs, 1);
        QCOMPARE(proxies, 0); // n0's output has two readers (n1, tail): not "many"
        QCOMPARE(int(d.nodes.size()), 37 + 6 + 1 + 1);
    }

    // GPT-2's shape arithmetic folds away; its real layers stay. 12 layers of four linear layers
    // (c_attn, c_proj, c_fc, mlp.c_proj: Gemm), two attention matmuls each plus lm_head.
    void foldingGpt2()
    {
        const Loaded l = load("gpt2_12l.onnx");
        const fp::GraphStructure s = fp::GraphStructure::build(*l.model, l.result->shapes, fp::GraphOptions());
        std::map<std::string, int> drawn;
        for (size_t n = 0; n < l.model->graph.nodes.size(); ++n)
            if (!s.folded[n])
                ++drawn[l.model->graph.nodes[n].opType];
        for (const char* op : { "Shape", "Constant", "Concat", "Unsqueeze", "Squeeze", "Cast", "Range", "Slice",
                                "ConstantOfShape", "Identity" })
            QVERIFY2(drawn.count(op) == 0, op);
        QCOMPARE(drawn["Gemm"], 48);
        QCOMPARE(drawn["MatMul"], 25);
        QCOMPARE(drawn["Softmax"], 12);
        QCOMPARE(drawn["Gather"], 2); // the token and position embeddings
        QVERIFY(s.findGroup(QStringLiteral("/h.3/attn/")) >= 0);

        fp::GraphOptions keep;
        keep.foldShapeOps = false;
        QCOMPARE(fp::GraphStructure::build(*l.model, l.result->shapes, keep).drawnNodeCount, 3064);
    }

    // tiny_conv's figures by hand. fp32 outputs: C [1,4,8,8] 1,024 B, R 1,024, P [1,4,4,4] 256,
    // F [1,64] 256, Y [1,10] 40; X [1,3,8,8] 768. Weights: conv 4x3x3x3 + 4 floats = 448 B, fc
    // 10x64 + 10 floats = 2,600 B. Lifetimes (steps from the producer to the last step holding
    // its storage): the ReLU runs in place, so C's storage holds R until pool reads it (steps 0 to
    // 2: 3) and R lives from relu to pool (2); P lives through the Flatten view until fc reads it
    // (steps 2 to 4: 3), F is read by fc (2), Y is the output (1). The peak (README's memory model) is the Conv's step:
    // its default workspace, im2col of one image (3x3x3 rows x 8x8 columns of floats = 6,912 B),
    // is larger than anything later; live there are X, the workspace and C, which is conv's.
    void figuresTinyConv()
    {
        const Loaded l = load("tiny_conv.onnx");
        const fp::GraphFigures f = fp::GraphFigures::compute(*l.model, *l.result);
        const fp::Graph& g = l.model->graph;
        const auto node = [&](const char* name) { return f.nodes[size_t(nodeIndex(*l.model, name))]; };
        const auto bytes = [&](const char* value) { return f.valueBytes[size_t(g.findValue(value))]; };
        QCOMPARE(node("conv").activationBytes, 1024.0);
        QCOMPARE(node("pool").activationBytes, 256.0);
        QCOMPARE(node("fc").activationBytes, 40.0);
        QCOMPARE(node("conv").weightBytes, 448.0);
        QCOMPARE(node("fc").weightBytes, 2600.0);
        QCOMPARE(node("relu").weightBytes, 0.0);
        QCOMPARE(node("conv").lifetime, 3.0);
        QCOMPARE(node("relu").lifetime, 2.0);
        QCOMPARE(node("pool").lifetime, 3.0);
        QCOMPARE(node("flatten").lifetime, 2.0);
        QCOMPARE(node("fc").lifetime, 1.0);
        QCOMPARE(node("conv").peakShareBytes, 1024.0);
        QCOMPARE(node("relu").peakShareBytes, 0.0);
        QCOMPARE(node("pool").peakShareBytes, 0.0);
        QCOMPARE(node("fc").peakShareBytes, 0.0);
        QCOMPARE(f.peakNode, nodeIndex(*l.model, "conv"));
        QCOMPARE(bytes("X"), int64_t(768));
        QCOMPARE(bytes("C"), int64_t(1024));
        QCOMPARE(bytes("F"), int64_t(256));
        QCOMPARE(bytes("Y"), int64_t(40));
        // A collapsed group carries the sum, and its longest lifetime.
        fp::NodeFigures sum = node("conv");
        sum.add(node("pool"));
        QCOMPARE(sum.activationBytes, 1280.0);
        QCOMPARE(sum.lifetime, 3.0);
    }

    // ---- the view ------------------------------------------------------------------------

    // tiny_conv: X -> Conv -> Relu -> MaxPool -> Flatten -> Gemm -> Y. Five operators, the input X
    // and the output Y (W, B, Wfc, Bfc are weights, not items): 7 node items, 6 edges, no groups.
    void tinyConv()
    {
        const Loaded l = load("tiny_conv.onnx");
        GraphView view;
        QSignalSpy started(&view, &GraphView::layoutStarted);
        QSignalSpy finished(&view, &GraphView::layoutFinished);
        view.resize(800, 600);
        view.show();
        view.setModel(l.model, *l.result); // the overload that takes the analysis by reference
        QVERIFY(waitForLayout(view));
        QCOMPARE(started.count(), 1);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().first().toBool(), true);
        QCOMPARE(itemsOfType(view, GraphView::NodeItemType), 7);
        QCOMPARE(view.nodeItemCount(), 7);
        QCOMPARE(itemsOfType(view, GraphView::EdgeItemType), 6);
        QCOMPARE(itemsOfType(view, GraphView::ClusterItemType), 0);
        QVERIFY(view.groups().isEmpty());
        QVERIFY(itemNamed(view, QStringLiteral("conv")));
        QVERIFY(itemNamed(view, QStringLiteral("X")));
        QVERIFY(itemNamed(view, QStringLiteral("Y")));
        QVERIFY(view.itemToolTip(itemNamed(view, QStringLiteral("X"))).startsWith(QStringLiteral("Graph input X")));
    }

    // Edge sizes (the "Edge sizes" box under the graph, off by default): every edge is labelled
    // with the bytes of the tensor it carries, drawn beside its middle. tiny_conv in fp32 by
    // hand: X 1x3x8x8 = 768 B; C and R 1x4x8x8 = 1,024 B = "1.00 KiB"; P 1x4x4x4 and F 1x64 =
    // 256 B; Y 1x10 = 40 B. (screenshots() turns them on too, but it only runs on request.)
    void edgeLabels()
    {
        const Loaded l = load("tiny_conv.onnx");
        fp::GraphWidget widget;
        QVERIFY(showLaidOut(widget, l, { 900, 700 }));
        GraphView& view = *widget.view();
        QVERIFY(!view.edgeLabelsVisible());
        std::vector<QGraphicsItem*> edges;
        QStringList labels;
        std::vector<QRectF> plain;
        for (QGraphicsItem* item : view.scene()->items()) {
            if (item->type() != GraphView::EdgeItemType)
                continue;
            edges.push_back(item);
            labels << item->data(GraphView::EdgeLabelKey).toString();
            plain.push_back(item->sceneBoundingRect());
        }
        labels.sort();
        QCOMPARE(labels, (QStringList { QStringLiteral("1.00 KiB"), QStringLiteral("1.00 KiB"), QStringLiteral("256 B"),
                                        QStringLiteral("256 B"), QStringLiteral("40 B"), QStringLiteral("768 B") }));

        // The scene drawn at 1:1 on white, with the labels off and on.
        const QRectF area = view.scene()->itemsBoundingRect().adjusted(-60, -20, 60, 20);
        const auto render = [&]() {
            QImage image(area.size().toSize(), QImage::Format_RGB32);
            image.fill(Qt::white);
            QPainter painter(&image);
            view.scene()->render(&painter, QRectF(QPointF(0, 0), area.size()), area);
            return image;
        };
        const QImage off = render();
        auto* box = widget.findChild<QCheckBox*>(QStringLiteral("graphEdgeSizes"));
        QVERIFY(box);
        box->setChecked(true);
        QVERIFY(view.edgeLabelsVisible());
        const QImage on = render();
        for (size_t e = 0; e < edges.size(); ++e) {
            // The label widens the edge's extent: it is placed (a simple chain leaves room for all).
            const QRectF bounds = edges[e]->sceneBoundingRect();
            QVERIFY2(bounds != plain[e] && bounds.contains(plain[e]), qPrintable(QString::number(e)));
            // And drawn: dark text where the picture without labels is white.
            const QRect r = bounds.translated(-area.topLeft()).toAlignedRect().intersected(on.rect());
            int ink = 0;
            for (int y = r.top(); y <= r.bottom(); ++y)
                for (int x = r.left(); x <= r.right(); ++x)
                    ink += qGray(on.pixel(x, y)) < 128 && qGray(off.pixel(x, y)) > 200;
            QVERIFY2(ink > 10, qPrintable(QStringLiteral("edge %1: %2 new dark pixels").arg(e).arg(ink)));
        }
        box->setChecked(false);
        for (size_t e = 0; e < edges.size(); ++e)
            QCOMPARE(edges[e]->sceneBoundingRect(), plain[e]);
        QVERIFY(render() == off);
    }

    // resnet50_train: 175 operators, all drawn (each reads an activation), plus input and output:
    // 177 items, under the 400 threshold, so every group starts open. layer1 holds three
    // bottlenecks: layer1.0 has conv1, bn1, relu, conv2, bn2, relu_1, conv3, bn3, downsample.0 (Conv),
    // downsample.1 (BatchNormalization), Add, relu_2 = 12 nodes; layer1.1 and layer1.2 the same
    // without downsample = 10 each. Collapsed: 177 - 32 + 1 = 146 items.
    void collapseAndExpand()
    {
        const Loaded l = load("resnet50_train.onnx");
        GraphView view;
        QVERIFY(showLaidOut(view, l, { 1000, 700 }));
        QCOMPARE(view.nodeItemCount(), 177);
        QVERIFY(view.groups().contains(QStringLiteral("layer1")));
        QVERIFY(view.groups().contains(QStringLiteral("layer1/layer1.0/downsample")));
        QVERIFY(!view.isGroupCollapsed(QStringLiteral("layer1")));
        QCOMPARE(view.layoutCount(), 1);
        // A selection outside the group survives the relayouts, without signals.
        view.selectNode(3);
        QSignalSpy selected(&view, &GraphView::nodeSelected);

        view.setGroupCollapsed(QStringLiteral("layer1"), true);
        QVERIFY(view.isGroupCollapsed(QStringLiteral("/layer1")));
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.nodeItemCount(), 146);
        QCOMPARE(itemsOfType(view, GraphView::NodeItemType), 146);
        QCOMPARE(view.layoutCount(), 2);
        QGraphicsItem* group = itemNamed(view, QStringLiteral("layer1"));
        QVERIFY(group);
        QVERIFY(view.itemToolTip(group).contains(QStringLiteral("32 nodes")));

        // Back to the first configuration: from the cache, no new layout.
        QSignalSpy finished(&view, &GraphView::layoutFinished);
        view.setGroupCollapsed(QStringLiteral("layer1"), false);
        QVERIFY(waitForLayout(view));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(view.nodeItemCount(), 177);
        QCOMPARE(view.layoutCount(), 2);
        QCOMPARE(view.selectedNode(), 3);
        QCOMPARE(selected.count(), 0);

        // layer2: 12 + 3 x 10 = 42 nodes. Double-clicking its box opens it again.
        view.setGroupCollapsed(QStringLiteral("layer2"), true);
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.nodeItemCount(), 177 - 42 + 1);
        QGraphicsItem* layer2 = itemNamed(view, QStringLiteral("layer2"));
        QVERIFY(layer2);
        view.centerOn(layer2);
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {},
                           view.mapFromScene(layer2->sceneBoundingRect().center()));
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.nodeItemCount(), 177);
        QVERIFY(!view.isGroupCollapsed(QStringLiteral("layer2")));
    }

    // resnet50_train has one MaxPool, node 3 of the file: /maxpool/MaxPool.
    void search()
    {
        const Loaded l = load("resnet50_train.onnx");
        GraphView view;
        QVERIFY(showLaidOut(view, l, { 1000, 700 }));

        const QVector<int> found = view.findNodes(QStringLiteral("MaxPool"));
        QCOMPARE(found, QVector<int> { 3 });
        QCOMPARE(l.model->graph.nodes[3].name, std::string("/maxpool/MaxPool"));
        QCOMPARE(view.findNodes(QStringLiteral("maxpool")), found);
        QCOMPARE(view.findNodes(QStringLiteral("layer1/layer1.0/conv")).size(), 3);

        QSignalSpy selected(&view, &GraphView::nodeSelected);
        view.zoomIn(); // make sure the view must move to show it
        view.zoomIn();
        view.selectNode(3);
        QCOMPARE(view.selectedNode(), 3);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.last().first().toInt(), 3);
        QGraphicsItem* item = itemNamed(view, QStringLiteral("/maxpool/MaxPool"));
        QVERIFY(item && item->isSelected());
        const QPoint centre = view.mapFromScene(item->sceneBoundingRect().center());
        QVERIFY(view.viewport()->rect().contains(centre));

        // Down goes to a successor (layer1.0's conv1 or its downsample conv), Up back to MaxPool.
        const std::vector<int>& readers = l.model->graph.values[size_t(l.model->graph.nodes[3].outputs[0])].consumers;
        QTest::keyClick(&view, Qt::Key_Down);
        const int below = view.selectedNode();
        QVERIFY2(std::find(readers.begin(), readers.end(), below) != readers.end(), qPrintable(QString::number(below)));
        QCOMPARE(selected.last().first().toInt(), below);
        const int signalsBefore = int(selected.count());
        QTest::keyClick(&view, Qt::Key_Up);
        QCOMPARE(view.selectedNode(), 3);
        QCOMPARE(int(selected.count()), signalsBefore + 1); // one signal per move, no -1 in between
        // Left/right stay on the same rank: the two readers of MaxPool sit side by side.
        QTest::keyClick(&view, Qt::Key_Down);
        const int first = view.selectedNode();
        QTest::keyClick(&view, first == readers[0] ? Qt::Key_Right : Qt::Key_Left);
        QTest::keyClick(&view, Qt::Key_Right);
        QTest::keyClick(&view, Qt::Key_Left);
        QVERIFY(view.selectedNode() >= 0);
    }

    // Ctrl +/- and the wheel zoom, Ctrl+0 fits the whole graph; the minimap shows while part of
    // the graph is out of view.
    void zoomAndFit()
    {
        const Loaded l = load("resnet50_train.onnx");
        GraphView view;
        QVERIFY(showLaidOut(view, l, { 900, 700 }));
        auto* miniMap = view.findChild<QWidget*>(QStringLiteral("graphMiniMap"));
        QVERIFY(miniMap);
        QVERIFY(miniMap->isVisible()); // ResNet-50 opens readable, from the top: not all in view
        const double start = view.transform().m11();
        QTest::keyClick(&view, Qt::Key_Plus, Qt::ControlModifier);
        QCOMPARE(view.transform().m11(), start * 1.25);
        QTest::keyClick(&view, Qt::Key_Minus, Qt::ControlModifier);
        QVERIFY(std::abs(view.transform().m11() - start) < 1e-9);

        const QPoint at = view.viewport()->rect().center();
        QWheelEvent wheel(at, view.viewport()->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(view.viewport(), &wheel);
        QVERIFY(view.transform().m11() > start);

        QTest::keyClick(&view, Qt::Key_0, Qt::ControlModifier);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        QVERIFY(visible.contains(view.scene()->itemsBoundingRect()));
        QVERIFY(!miniMap->isVisible());
    }

    // A new batch recolours and relabels; Graphviz does not run again.
    void setAnalysisKeepsLayout()
    {
        const Loaded l = load("resnet50_train.onnx");
        GraphView view;
        view.setMetric(fp::GraphMetric::ActivationBytes);
        view.setLogScale(false);
        QVERIFY(showLaidOut(view, l, { 1000, 700 }));
        const int layouts = view.layoutCount();
        const double maximum = view.colorScale().maximum;
        QGraphicsItem* conv = itemNamed(view, QStringLiteral("/conv1/Conv"));
        QVERIFY(conv);
        QVERIFY(view.itemToolTip(conv).contains(QStringLiteral("[1, 64, 112, 112]")));
        const QPointF where = conv->pos();

        QSignalSpy started(&view, &GraphView::layoutStarted);
        view.setAnalysis(*analyze(*l.model, 4));
        QVERIFY(!view.isLayoutRunning());
        QCOMPARE(started.count(), 0);
        QCOMPARE(view.layoutCount(), layouts);
        // The largest outputs are the 256-channel BatchNormalizations at 56 x 56 (layer1's bn3 and
        // downsample): [N, 256, 56, 56] fp32 = N x 3,211,264 bytes, plus four per-channel
        // statistics of 256 floats (4,096 bytes) that do not grow with the batch.
        QCOMPARE(maximum, 3211264.0 + 4096);
        QCOMPARE(view.colorScale().maximum, 4 * 3211264.0 + 4096);
        QGraphicsItem* after = itemNamed(view, QStringLiteral("/conv1/Conv"));
        QCOMPARE(after, conv); // the same item, relabelled in place
        QCOMPARE(after->pos(), where);
        QVERIFY(view.itemToolTip(after).contains(QStringLiteral("[4, 64, 112, 112]")));

        // Another metric: a recolour, still no layout.
        QSignalSpy metric(&view, &GraphView::metricChanged);
        view.setMetric(fp::GraphMetric::WeightBytes);
        QCOMPARE(metric.count(), 1);
        QCOMPARE(view.layoutCount(), layouts);
    }

    // GPT-2 (675 drawn nodes, above the 400 threshold) opens with its layers collapsed; selecting a node inside
    // a closed group opens the groups around it and selects it once laid out.
    void largeModelOpensCollapsed()
    {
        const Loaded l = load("gpt2_12l.onnx");
        GraphView view;
        QVERIFY(showLaidOut(view, l, { 1000, 700 }));
        // The top-level groups (h.0 ... h.11, ln_f) are closed: 12 layers of about 56 nodes each
        // would not fit firstPictureItems (60) one level down.
        QVERIFY(view.nodeItemCount() <= view.options().firstPictureItems);
        QVERIFY(view.isGroupCollapsed(QStringLiteral("h.5")));
        QVERIFY(view.isGroupCollapsed(QStringLiteral("ln_f")));
        QVERIFY(itemNamed(view, QStringLiteral("h.11")));
        const int before = view.nodeItemCount();

        const int softmax = nodeIndex(*l.model, "/h.5/attn/Softmax");
        QVERIFY(softmax >= 0);
        QSignalSpy selected(&view, &GraphView::nodeSelected);
        view.selectNode(softmax);
        QVERIFY(waitForLayout(view));
        QVERIFY(!view.isGroupCollapsed(QStringLiteral("h.5")));
        QVERIFY(!view.isGroupCollapsed(QStringLiteral("h.5/attn")));
        QVERIFY(view.isGroupCollapsed(QStringLiteral("h.4")));
        QVERIFY(view.nodeItemCount() > before);
        QCOMPARE(view.selectedNode(), softmax);
        QCOMPARE(selected.last().first().toInt(), softmax);

        view.resetGroups();
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.nodeItemCount(), before);
    }

    // The controls: search selects and walks the matches, the combo box picks the metric.
    void widget()
    {
        const Loaded l = load("resnet50_train.onnx");
        fp::GraphWidget widget;
        QVERIFY(showLaidOut(widget, l, { 1200, 800 }));
        QSignalSpy selected(&widget, &fp::GraphWidget::nodeSelected);
        auto* search = widget.findChild<QLineEdit*>(QStringLiteral("graphSearch"));
        QVERIFY(search);
        search->setText(QStringLiteral("MaxPool"));
        QCOMPARE(widget.view()->selectedNode(), 3);
        QCOMPARE(selected.last().first().toInt(), 3);
        QCOMPARE(widget.findChild<QLabel*>(QStringLiteral("graphMatches"))->text(), QStringLiteral("1 of 1"));
        search->setText(QStringLiteral("layer4/layer4.2/conv")); // conv1, conv2, conv3
        const int first = widget.view()->selectedNode();
        QTest::keyClick(search, Qt::Key_Return);
        const int second = widget.view()->selectedNode();
        QVERIFY(first >= 0 && second >= 0 && first != second);
        QTest::keyClick(search, Qt::Key_Return, Qt::ShiftModifier);
        QCOMPARE(widget.view()->selectedNode(), first);

        auto* metric = widget.findChild<QComboBox*>(QStringLiteral("graphMetric"));
        QVERIFY(metric);
        metric->setCurrentIndex(int(fp::GraphMetric::Macs));
        QCOMPARE(widget.view()->metric(), fp::GraphMetric::Macs);
        widget.findChild<QCheckBox*>(QStringLiteral("graphLogScale"))->setChecked(false);
        QVERIFY(!widget.view()->logScale());
        QCOMPARE(widget.view()->colorScale().minimum, 0.0);
    }

    // Issue 17: clicking a collapsed group's box says which group it is and what it holds
    // (layer1.0: 12 nodes, see collapseAndExpand()), for the details panel; clicking beside it
    // says the group is no longer selected.
    void clickingAGroup()
    {
        const Loaded l = load("resnet50_train.onnx");
        fp::GraphWidget widget;
        QVERIFY(showLaidOut(widget, l, { 1200, 800 }));
        GraphView& view = *widget.view();
        view.selectNode(3);
        view.setGroupCollapsed(QStringLiteral("layer1/layer1.0"), true);
        QVERIFY(waitForLayout(view));
        QGraphicsItem* box = itemNamed(view, QStringLiteral("layer1/layer1.0"));
        QVERIFY(box);
        QSignalSpy nodes(&widget, &fp::GraphWidget::nodeSelected);
        QSignalSpy groups(&widget, &fp::GraphWidget::groupSelected);
        // The details panel, wired as the window wires it.
        fp::NodeDetailsView details;
        details.setAnalysis(l.model, l.result);
        details.setNode(3);
        connect(&widget, &fp::GraphWidget::nodeSelected, &details, &fp::NodeDetailsView::setNode);
        connect(&widget, &fp::GraphWidget::groupSelected, &details, &fp::NodeDetailsView::setGroup);
        view.centerOn(box);
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, view.mapFromScene(box->sceneBoundingRect().center()));
        QVERIFY(box->isSelected());
        QCOMPARE(view.selectedGroup(), QStringLiteral("layer1/layer1.0"));
        QCOMPARE(nodes.count(), 1);
        QCOMPARE(nodes.last().first().toInt(), -1);
        QCOMPARE(groups.count(), 1);
        QCOMPARE(groups.last().at(0).toString(), QStringLiteral("layer1/layer1.0"));
        const QList<int> inside = groups.last().at(1).value<QList<int>>();
        QCOMPARE(inside.size(), 12);
        for (int n : inside)
            QVERIFY(QString::fromStdString(l.model->graph.nodes[size_t(n)].name).startsWith(QLatin1String("/layer1/layer1.0/")));
        QCOMPARE(details.group(), QStringLiteral("layer1/layer1.0"));
        QVERIFY2(details.toPlainText().contains(QLatin1String("12 layers")), qPrintable(details.toPlainText()));
        if (const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR"); !dir.isEmpty()) {
            details.resize(420, 300);
            details.show();
            QVERIFY(widget.grab().save(dir + QStringLiteral("/graph-group-selected.png")));
            QVERIFY(details.grab().save(dir + QStringLiteral("/details-group.png")));
        }

        QTest::mouseClick(view.viewport(), Qt::LeftButton, {},
                          view.mapFromScene(box->sceneBoundingRect().topLeft() - QPointF(30, 0)));
        QVERIFY(view.selectedGroup().isEmpty());
        QCOMPARE(groups.count(), 2);
        QVERIFY(groups.last().at(0).toString().isEmpty());
    }

    // Issue 17: "Hide shape ops" lays the graph out again and keeps the selection: the same node
    // when it is still drawn, without a signal; a shape computation folded away hands it to its
    // nearest drawn reader. GPT-2 (2 layers): Softmax stays drawn; the first Shape node folds.
    void foldingKeepsTheSelection()
    {
        const Loaded l = load("gpt2_2l.onnx");
        fp::GraphWidget widget;
        QVERIFY(showLaidOut(widget, l, { 1200, 800 }));
        GraphView& view = *widget.view();
        auto* fold = widget.findChild<QCheckBox*>(QStringLiteral("graphFoldShapes"));
        QVERIFY(fold && fold->isChecked());
        const int softmax = nodeIndex(*l.model, "/h.1/attn/Softmax");
        QVERIFY(softmax >= 0);
        view.selectNode(softmax);
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.selectedNode(), softmax);
        QSignalSpy selected(&widget, &fp::GraphWidget::nodeSelected);
        fold->setChecked(false);
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.selectedNode(), softmax);
        fold->setChecked(true);
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.selectedNode(), softmax);
        QCOMPARE(selected.count(), 0);

        fold->setChecked(false);
        QVERIFY(waitForLayout(view));
        int shape = -1;
        for (int n : l.model->graph.order)
            if (l.model->graph.nodes[size_t(n)].opType == "Shape" && shape < 0)
                shape = n;
        QVERIFY(shape >= 0);
        view.selectNode(shape);
        QVERIFY(waitForLayout(view));
        QCOMPARE(view.selectedNode(), shape);
        selected.clear();
        fold->setChecked(true);
        QVERIFY(waitForLayout(view));
        const int reader = view.selectedNode();
        QVERIFY(reader >= 0 && reader != shape);
        QVERIFY(view.findNodes(QString::fromStdString(l.model->graph.nodes[size_t(reader)].name)).contains(reader));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.last().first().toInt(), reader);
    }

    // A long layout (GPT-2 48 layers, everything open: 2,657 nodes) runs off the GUI thread: a
    // "laying out" notice appears and the event loop keeps turning meanwhile. A LayoutHold keeps
    // the layout from finishing until the test has seen both, so a fast machine cannot finish it
    // before the notice's 150 ms delay and make the test pass without looking.
    void overlayWhileLayingOut()
    {
        const Loaded l = load("gpt2_48l.onnx");
        GraphView view;
        fp::GraphOptions options;
        options.collapseThreshold = 1 << 30;
        view.setOptions(options);
        view.resize(900, 700);
        view.show();
        auto* overlay = view.findChild<QLabel*>(QStringLiteral("layoutOverlay"));
        QVERIFY(overlay);
        QSignalSpy finished(&view, &GraphView::layoutFinished);
        QTimer ticker;
        int ticks = 0;
        connect(&ticker, &QTimer::timeout, [&]() { ++ticks; });
        ticker.start(10);

        fp::LayoutHold hold;
        view.setModel(l.model, l.result);
        QVERIFY(view.isLayoutRunning());
        QVERIFY(overlay->isHidden()); // not before its delay: quick layouts do not flicker
        // The layout cannot end while held, so the notice must come up on its own.
        QTRY_VERIFY_WITH_TIMEOUT(overlay->isVisible(), kLayoutTimeoutMs);
        QVERIFY(overlay->text().startsWith(QStringLiteral("Laying out")));
        // The GUI thread keeps serving timers while the layout is still in flight.
        const int seen = ticks;
        QTRY_VERIFY_WITH_TIMEOUT(ticks >= seen + 10, kLayoutTimeoutMs);
        QVERIFY(view.isLayoutRunning());
        QVERIFY(overlay->isVisible());
        QCOMPARE(finished.count(), 0);

        hold.release();
        QVERIFY(finished.wait(kLayoutTimeoutMs));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().first().toBool(), true);
        QVERIFY(!view.isLayoutRunning());
        QVERIFY(overlay->isHidden());
        QCOMPARE(view.nodeItemCount(), 2657);
    }

    // clear() while a layout is in flight: the view is empty at once, and when the layout ends its
    // result is dropped (layoutDropped), never drawn. The hold keeps the layout in flight until
    // after clear(), whatever the machine's speed.
    void clear()
    {
        const Loaded l = load("tiny_conv.onnx");
        GraphView view;
        view.resize(600, 400);
        view.show();
        QSignalSpy finished(&view, &GraphView::layoutFinished);
        QSignalSpy dropped(&view, &GraphView::layoutDropped);
        fp::LayoutHold hold;
        view.setModel(l.model, l.result);
        QVERIFY(view.isLayoutRunning());
        view.clear();
        QVERIFY(!view.isLayoutRunning());
        QVERIFY(!view.model());
        QCOMPARE(view.nodeItemCount(), 0);

        hold.release();
        QVERIFY(dropped.wait(kLayoutTimeoutMs)); // the layout has ended: its watcher reported it
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(view.nodeItemCount(), 0);
        QCOMPARE(itemsOfType(view, GraphView::NodeItemType), 0);
        QCOMPARE(itemsOfType(view, GraphView::EdgeItemType), 0);
        QVERIFY(!view.isLayoutRunning());
        QVERIFY(view.findChild<QLabel*>(QStringLiteral("layoutOverlay"))->isHidden());

        // The same without clear(): the layout is drawn (7 items, see tinyConv()), so the checks
        // above would have seen a result that got through.
        fp::LayoutHold again;
        view.setModel(l.model, l.result);
        again.release();
        QVERIFY(finished.wait(kLayoutTimeoutMs));
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(view.nodeItemCount(), 7);
    }

    void screenshots()
    {
        const QString dir = qEnvironmentVariable("FOOTPRINT_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set FOOTPRINT_SCREENSHOT_DIR to write graph-resnet50.png and graph-gpt2.png");
        QDir().mkpath(dir);
        const auto shoot = [&](const char* file, const QString& name, fp::GraphMetric metric) {
            const Loaded l = load(file, 1, 128);
            fp::GraphWidget widget;
            widget.resize(1400, 900);
            widget.view()->setMetric(metric);
            widget.findChild<QCheckBox*>(QStringLiteral("graphEdgeSizes"))->setChecked(true);
            widget.show();
            widget.setModel(l.model, l.result);
            QVERIFY(waitForLayout(*widget.view()));
            QVERIFY(widget.grab().save(dir + u'/' + name));
        };
        shoot("resnet50_train.onnx", QStringLiteral("graph-resnet50.png"), fp::GraphMetric::ActivationBytes);
        shoot("gpt2_12l.onnx", QStringLiteral("graph-gpt2.png"), fp::GraphMetric::WeightBytes);
    }
};

QTEST_MAIN(TestGraphView)
#include "tst_graphview.moc"

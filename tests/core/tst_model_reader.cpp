// The reader front door (readModel): the registry of formats, choosing a reader by a file's
// first bytes and then by its extension, refusing what no reader recognises, and the one path
// encoding (encodeFileName).

#include "model_builder.h"
#include "model_reader.h"
#include "test_models.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace fp;

namespace {

std::string fileBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

// readModel's message for a file it must refuse; empty if it read the file.
QString refusal(const std::string& path)
{
    return test::refusalOf([&] { readModel(path); });
}

bool sniffedAsOnnx(const std::string& bytes)
{
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    return findModelFormat("no-extension", data, std::min(bytes.size(), kSniffBytes)) == &modelFormats().front();
}

} // namespace

class TestModelReader : public QObject {
    Q_OBJECT
private slots:
    void registryListsOnnx()
    {
        QCOMPARE(modelFormats().size(), size_t(1));
        QCOMPARE(std::string(modelFormats().front().name), std::string("ONNX"));
        QCOMPARE(knownModelFormats(), std::string("ONNX (.onnx)"));
    }

    // Every committed model, and one built without producer fields, is ONNX by its first bytes.
    void everyModelIsSniffedByItsFirstBytes()
    {
        QStringList files = QDir(QStringLiteral(FOOTPRINT_TEST_MODELS)).entryList({ QStringLiteral("*.onnx") });
        const QDir coverage(QStringLiteral(FOOTPRINT_TEST_MODELS "/coverage"));
        for (const QString& f : coverage.entryList({ QStringLiteral("*.onnx") }))
            files << QStringLiteral("coverage/") + f;
        QVERIFY(files.size() > 20);
        for (const QString& file : files)
            QVERIFY2(sniffedAsOnnx(fileBytes(test::modelPath(file.toUtf8().constData()))), qPrintable(file));
        test::ModelBuilder b;
        b.input("x", { 1, 4 });
        b.node("Relu", { "x" }, { "y" });
        b.output("y", { 1, 4 });
        QVERIFY(sniffedAsOnnx(b.bytes()));
    }

    // The first bytes decide: a model renamed .bin, or with no extension at all, is still read.
    void onnxIsFoundByMagicWhateverTheName()
    {
        QTemporaryDir dir;
        const std::string original = test::modelPath("tiny_conv.onnx");
        const Model expected = readOnnxFile(original);
        for (const char* name : { "/model.bin", "/model", "/model.ONNX", "/model.tflite" }) {
            const std::string path = dir.path().toStdString() + name;
            writeFile(path, fileBytes(original));
            const Model m = readModel(path);
            QCOMPARE(m.path, path);
            QCOMPARE(m.graph.nodes.size(), expected.graph.nodes.size());
            QCOMPARE(m.graph.values.size(), expected.graph.values.size());
            QCOMPARE(m.opsetVersion(), expected.opsetVersion());
        }
        const std::string bytes = fileBytes(original);
        const Model m = readModelBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "bundled");
        QCOMPARE(m.graph.nodes.size(), expected.graph.nodes.size());
    }

    // Text and other formats are refused with a message that names the file and the formats known.
    void unknownFormatsAreRefused()
    {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        const std::pair<const char*, std::string> files[] = {
            { "/notes.txt", "hello\n" },
            { "/README", "# Footprint\n\nEstimates the memory of ONNX models.\n" },
            { "/config.json", R"({"format": "footprint-calibration", "context_bytes": 1000})" },
            { "/quoted", "\"2x\"" },
            { "/log", "2024-01-01 12:00 started\n(5) done\n" },
            { "/picture.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) },
            { "/model.tflite", std::string("\x1c\0\0\0TFL3", 8) },
        };
        for (const auto& [name, bytes] : files) {
            writeFile(folder + name, bytes);
            QVERIFY2(!sniffedAsOnnx(bytes), name);
            const QString message = refusal(folder + name);
            QVERIFY2(message.contains(QStringLiteral("is not a valid ONNX model: no reader recognises it")),
                     qPrintable(message));
            QVERIFY2(message.contains(QString::fromStdString(folder + name)), qPrintable(message));
            QVERIFY2(message.endsWith(QStringLiteral("the formats known are ONNX (.onnx)")), qPrintable(message));
        }
        const std::string text = "hello\n";
        QVERIFY_THROWS_EXCEPTION(
            ModelError, readModelBytes(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "notes.txt"));
    }

    // An .onnx file that does not look like one still goes to the ONNX reader, whose message
    // says what is wrong with it; files that cannot be read give the reader's usual reasons.
    void extensionChoosesWhenTheBytesDoNot()
    {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        writeFile(folder + "/broken.onnx", "hello\n");
        QVERIFY(refusal(folder + "/broken.onnx").contains(QStringLiteral("not a valid ONNX model")));
        writeFile(folder + "/empty", "");
        QCOMPARE(refusal(folder + "/empty"), QString::fromStdString("'" + folder + "/empty' is empty"));
        QCOMPARE(refusal(folder + "/missing.onnx"),
                 QString::fromStdString("cannot open '" + folder + "/missing.onnx': No such file or directory"));
        QCOMPARE(refusal(folder), QString::fromStdString("'" + folder + "' is not a regular file"));
    }

    // QFile::encodeName's bytes reach the file system unchanged, accents and kana included.
    void encodeFileNameIsTheFileSystemsName()
    {
        QTemporaryDir dir;
        const QString name = dir.path() + QStringLiteral("/mod\u00e8le \u30e2\u30c7\u30eb.onnx");
        QVERIFY(QFile::copy(QString::fromStdString(test::modelPath("tiny_mlp.onnx")), name));
        QCOMPARE(encodeFileName(name), QFile::encodeName(name).toStdString());
        QCOMPARE(readModel(encodeFileName(name)).graph.nodes.size(), size_t(3));
    }
};

QTEST_GUILESS_MAIN(TestModelReader)
#include "tst_model_reader.moc"

#include "onnx_reader.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <fcntl.h>
#include <queue>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// ONNX's wire format is read field by field rather than through onnx::ModelProto: a full
// protobuf parse copies every weight byte (65 ms for a 100 MB ResNet-50), while walking the
// fields and skipping tensor payloads takes well under a millisecond. Field numbers are those
// of onnx/onnx.proto.

namespace fp {
namespace {

using google::protobuf::io::CodedInputStream;

enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

struct Span {
    const uint8_t* data = nullptr;
    int size = 0;
};

// One protobuf message's fields; every read is bounds-checked and a failure throws.
class Fields {
public:
    Fields(Span span, const char* what)
        : m_in(span.data, span.size)
        , m_base(span.data)
        , m_size(span.size)
        , m_what(what)
    {
    }

    bool next()
    {
        m_tag = m_in.ReadTag();
        if (m_tag == 0 && m_in.CurrentPosition() < m_size)
            fail(); // tag 0 or a broken varint before the end of the message
        return m_tag != 0;
    }
    int number() const { return int(m_tag >> 3); }
    // Where the next field starts.
    const uint8_t* cursor() const { return m_base + m_in.CurrentPosition(); }
    int wireType() const { return int(m_tag & 7); }

    uint64_t varint()
    {
        uint64_t v = 0;
        if (wireType() != Varint || !m_in.ReadVarint64(&v))
            fail();
        return v;
    }
    int64_t int64() { return int64_t(varint()); }

    float fixedFloat()
    {
        uint32_t bits = 0;
        if (wireType() != Fixed32 || !m_in.ReadLittleEndian32(&bits))
            fail();
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }

    Span bytes()
    {
        uint32_t length = 0;
        if (wireType() != LengthDelimited || !m_in.ReadVarint32(&length))
            fail();
        Span s { m_base + m_in.CurrentPosition(), int(length) };
        if (length > uint32_t(INT_MAX) || !m_in.Skip(int(length)))
            fail();
        return s;
    }
    std::string string()
    {
        Span s = bytes();
        return std::string(reinterpret_cast<const char*>(s.data), size_t(s.size));
    }

    // Repeated scalars arrive packed (one length-delimited run) or one per field. A packed run
    // longer than `maxElements` is skipped, not decoded: it holds weights nobody needs.
    void int64s(std::vector<int64_t>& out, int64_t maxElements = INT64_MAX)
    {
        if (wireType() == Varint) {
            out.push_back(int64());
            return;
        }
        Span s = bytes();
        if (s.size / 10 > maxElements)
            return; // a varint takes at most 10 bytes
        CodedInputStream packed(s.data, s.size);
        while (packed.CurrentPosition() < s.size) {
            uint64_t v = 0;
            if (!packed.ReadVarint64(&v))
                fail();
            out.push_back(int64_t(v));
        }
    }
    void floats(std::vector<float>& out, int64_t maxElements = INT64_MAX)
    {
        if (wireType() == Fixed32) {
            out.push_back(fixedFloat());
            return;
        }
        Span s = bytes();
        if (s.size % 4 != 0)
            fail();
        if (s.size == 0 || s.size / 4 > maxElements)
            return;
        const size_t first = out.size();
        out.resize(first + size_t(s.size / 4));
        std::memcpy(out.data() + first, s.data, size_t(s.size));
    }

    void skip()
    {
        bool ok = true;
        switch (wireType()) {
        case Varint: {
            uint64_t v;
            ok = m_in.ReadVarint64(&v);
            break;
        }
        case Fixed64:
            ok = m_in.Skip(8);
            break;
        case LengthDelimited:
            bytes();
            break;
        case Fixed32:
            ok = m_in.Skip(4);
            break;
        default:
            ok = false; // groups (3, 4) are not used by ONNX; anything else is corruption
        }
        if (!ok)
            fail();
    }

    [[noreturn]] void fail() const
    {
        throw ModelError(std::string("the file is not a valid ONNX model: a ") + m_what
                         + " message is truncated or corrupt");
    }

private:
    CodedInputStream m_in;
    const uint8_t* m_base;
    int m_size;
    const char* m_what;
    uint32_t m_tag = 0;
};

// A tensor as written in the file, before it becomes a graph Value.
struct RawTensor {
    std::string name;
    DType dtype = DType::Undefined;
    std::vector<int64_t> dims;
    ExternalData external;
    bool isExternal = false;
    Span raw;
    std::vector<int64_t> intValues; // from int64_data / int32_data
    std::vector<float> floatValues;
};

struct RawValueInfo {
    std::string name;
    DType dtype = DType::Undefined;
    bool hasShape = false;
    std::vector<Dim> dims;
};

struct RawNode {
    Node node;
    std::vector<std::string> inputNames;
    std::vector<std::string> outputNames;
};

class Reader {
public:
    Reader(const ReadLimits& limits, const uint8_t* file, ReadProgress* progress)
        : m_limits(limits)
        , m_file(file)
        , m_progress(progress)
    {
    }

    Model model(Span span)
    {
        Model m;
        bool haveGraph = false;
        Fields f(span, "ModelProto");
        while (f.next()) {
            switch (f.number()) {
            case 1:
                m.irVersion = f.int64();
                break;
            case 2:
                m.producerName = f.string();
                break;
            case 3:
                m.producerVersion = f.string();
                break;
            case 7:
                m.graph = graph(f.bytes(), 0);
                haveGraph = true;
                break;
            case 8:
                m.opsets.push_back(opset(f.bytes()));
                break;
            default:
                f.skip();
            }
        }
        if (!haveGraph)
            throw ModelError("the file holds no ONNX graph (is it an ONNX model?)");
        m.warnings = std::move(m_warnings);
        return m;
    }

private:
    OpsetImport opset(Span span)
    {
        OpsetImport o;
        Fields f(span, "OperatorSetId");
        while (f.next()) {
            if (f.number() == 1)
                o.domain = f.string();
            else if (f.number() == 2)
                o.version = f.int64();
            else
                f.skip();
        }
        return o;
    }

    std::shared_ptr<Graph> subgraph(Span span, int depth)
    {
        if (depth + 1 > m_limits.maxGraphNesting)
            throw ModelError("subgraphs are nested more than " + std::to_string(m_limits.maxGraphNesting)
                             + " deep; refusing to read further");
        return std::make_shared<Graph>(graph(span, depth + 1));
    }

    Graph graph(Span span, int depth)
    {
        std::vector<RawNode> nodes;
        std::vector<RawTensor> initializers;
        std::vector<RawValueInfo> inputs, outputs, valueInfos;
        std::string graphName;
        Fields f(span, "GraphProto");
        while (f.next()) {
            switch (f.number()) {
            case 1:
                if (m_progress) {
                    if (m_progress->cancelled.load(std::memory_order_relaxed))
                        throw ReadCancelled("cancelled");
                    m_progress->bytesDone.store(f.cursor() - m_file, std::memory_order_relaxed);
                }
                nodes.push_back(node(f.bytes(), depth));
                if (++m_nodeCount > m_limits.maxNodes)
                    throw ModelError("the model has more than " + std::to_string(m_limits.maxNodes)
                                     + " nodes; refusing to read further");
                break;
            case 2:
                graphName = f.string();
                break;
            case 5:
                initializers.push_back(tensor(f.bytes()));
                break;
            case 11:
                inputs.push_back(valueInfo(f.bytes()));
                break;
            case 12:
                outputs.push_back(valueInfo(f.bytes()));
                break;
            case 13:
                valueInfos.push_back(valueInfo(f.bytes()));
                break;
            default:
                f.skip();
            }
        }
        return assemble(std::move(graphName), std::move(nodes), std::move(initializers), inputs, outputs, valueInfos,
                        depth > 0);
    }

    RawNode node(Span span, int depth)
    {
        RawNode r;
        Fields f(span, "NodeProto");
        while (f.next()) {
            switch (f.number()) {
            case 1:
                r.inputNames.push_back(f.string());
                break;
            case 2:
                r.outputNames.push_back(f.string());
                break;
            case 3:
                r.node.name = f.string();
                break;
            case 4:
                r.node.opType = f.string();
                break;
            case 5:
                r.node.attributes.push_back(attribute(f.bytes(), depth));
                break;
            case 7:
                r.node.domain = f.string();
                break;
            default:
                f.skip();
            }
        }
        if (r.node.domain == "ai.onnx")
            r.node.domain.clear();
        if (r.node.opType.empty())
            throw ModelError("a node" + (r.node.name.empty() ? std::string() : " '" + r.node.name + "'")
                             + " has no operator type");
        return r;
    }

    Attribute attribute(Span span, int depth)
    {
        Attribute a;
        int declaredType = 0;
        Fields f(span, "AttributeProto");
        while (f.next()) {
            switch (f.number()) {
            case 1:
                a.name = f.string();
                break;
            case 2:
                a.f = f.fixedFloat();
                a.kind = Attribute::Kind::Float;
                break;
            case 3:
                a.i = f.int64();
                a.kind = Attribute::Kind::Int;
                break;
            case 4:
                a.s = f.string();
                a.kind = Attribute::Kind::String;
                break;
            case 5:
                a.tensor = std::make_shared<Value>(tensorValue(tensor(f.bytes())));
                a.kind = Attribute::Kind::Tensor;
                break;
            case 6:
                a.graphs.push_back(subgraph(f.bytes(), depth));
                a.kind = Attribute::Kind::Graph;
                break;
            case 7:
                f.floats(a.floats);
                a.kind = Attribute::Kind::Floats;
                break;
            case 8:
                f.int64s(a.ints);
                a.kind = Attribute::Kind::Ints;
                break;
            case 9:
                a.strings.push_back(f.string());
                a.kind = Attribute::Kind::Strings;
                break;
            case 10:
                tensor(f.bytes()); // lists of tensors are used by no operator we analyse
                a.kind = Attribute::Kind::Tensors;
                break;
            case 11:
                a.graphs.push_back(subgraph(f.bytes(), depth));
                a.kind = Attribute::Kind::Graphs;
                break;
            case 20:
                declaredType = int(f.int64());
                break;
            default:
                f.skip();
            }
        }
        // An empty repeated field leaves no trace but the declared type.
        if (a.kind == Attribute::Kind::Undefined) {
            if (declaredType == 7)
                a.kind = Attribute::Kind::Ints;
            else if (declaredType == 6)
                a.kind = Attribute::Kind::Floats;
            else if (declaredType == 8)
                a.kind = Attribute::Kind::Strings;
        }
        return a;
    }

    RawTensor tensor(Span span)
    {
        RawTensor t;
        int dataLocation = 0;
        Fields f(span, "TensorProto");
        while (f.next()) {
            switch (f.number()) {
            case 1:
                f.int64s(t.dims);
                break;
            case 2:
                t.dtype = DType(f.int64());
                break;
            case 4:
                f.floats(t.floatValues, m_limits.maxSmallIntElements);
                break;
            case 5:
            case 7:
                f.int64s(t.intValues, m_limits.maxSmallIntElements); // int32_data is varint-encoded too
                break;
            case 8:
                t.name = f.string();
                break;
            case 9:
                t.raw = f.bytes(); // a pointer into the mapped file; nothing is copied
                break;
            case 13:
                externalEntry(f.bytes(), t);
                break;
            case 14:
                dataLocation = int(f.int64());
                break;
            default:
                f.skip();
            }
        }
        if (dataLocation == 1)
            t.isExternal = true;
        return t;
    }

    // external_data entries are StringStringEntryProto {key = 1, value = 2}.
    void externalEntry(Span span, RawTensor& t)
    {
        std::string key, value;
        Fields f(span, "StringStringEntryProto");
        while (f.next()) {
            if (f.number() == 1)
                key = f.string();
            else if (f.number() == 2)
                value = f.string();
            else
                f.skip();
        }
        char* end = nullptr;
        if (key == "location")
            t.external.location = value;
        else if (key == "offset")
            t.external.offset = std::strtoll(value.c_str(), &end, 10);
        else if (key == "length")
            t.external.length = std::strtoll(value.c_str(), &end, 10);
    }

    RawValueInfo valueInfo(Span span);
    Value tensorValue(const RawTensor& t);
    Graph assemble(std::string name, std::vector<RawNode> nodes, std::vector<RawTensor> initializers,
                   const std::vector<RawValueInfo>& inputs, const std::vector<RawValueInfo>& outputs,
                   const std::vector<RawValueInfo>& valueInfos, bool isSubgraph);

    ReadLimits m_limits;
    const uint8_t* m_file = nullptr; // where the bytes start, for progress
    ReadProgress* m_progress = nullptr;
    int64_t m_nodeCount = 0;
    std::vector<std::string> m_warnings;
};

} // namespace

RawValueInfo Reader::valueInfo(Span span)
{
    RawValueInfo v;
    Fields f(span, "ValueInfoProto");
    while (f.next()) {
        if (f.number() == 1) {
            v.name = f.string();
        } else if (f.number() == 2) {
            // TypeProto: tensor_type = 1, sparse_tensor_type = 8; sequences and maps carry no shape
            Fields type(f.bytes(), "TypeProto");
            while (type.next()) {
                if (type.number() != 1 && type.number() != 8) {
                    type.skip();
                    continue;
                }
                Fields tensorType(type.bytes(), "TypeProto.Tensor");
                while (tensorType.next()) {
                    if (tensorType.number() == 1) {
                        v.dtype = DType(tensorType.int64());
                    } else if (tensorType.number() == 2) {
                        v.hasShape = true;
                        Fields shape(tensorType.bytes(), "TensorShapeProto");
                        while (shape.next()) {
                            if (shape.number() != 1) {
                                shape.skip();
                                continue;
                            }
                            Dim d;
                            Fields dim(shape.bytes(), "TensorShapeProto.Dimension");
                            while (dim.next()) {
                                if (dim.number() == 1)
                                    d.value = dim.int64();
                                else if (dim.number() == 2)
                                    d.symbol = dim.string();
                                else
                                    dim.skip();
                            }
                            if (d.value < 0)
                                d.value = -1; // a negative dim_value is as good as unknown
                            v.dims.push_back(std::move(d));
                        }
                    } else {
                        tensorType.skip();
                    }
                }
            }
        } else {
            f.skip();
        }
    }
    return v;
}

namespace {

bool isIntegerType(DType t)
{
    return t == DType::Int64 || t == DType::Int32 || t == DType::Int16 || t == DType::Int8 || t == DType::UInt8
        || t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64 || t == DType::Bool;
}

int64_t readLittleEndian(const uint8_t* p, int size, bool isSigned)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    if (isSigned && size < 8 && (v >> (size * 8 - 1)) & 1)
        v |= ~uint64_t(0) << (size * 8);
    return int64_t(v);
}

// Refuses locations that could reach outside the model's folder (CVE-2022-25882 and kin).
void checkExternalLocation(const std::string& tensorName, const std::string& location)
{
    const auto refuse = [&](const char* why) {
        throw ModelError("tensor '" + tensorName + "' stores its data at '" + location + "', " + why
                         + "; refusing a path outside the model's folder");
    };
    if (location.empty())
        refuse("an empty location");
    if (location.front() == '/' || location.front() == '\\' || (location.size() > 1 && location[1] == ':'))
        refuse("an absolute path");
    size_t start = 0;
    while (start <= location.size()) {
        size_t end = location.find_first_of("/\\", start);
        if (end == std::string::npos)
            end = location.size();
        if (location.compare(start, end - start, "..") == 0)
            refuse("a path through '..'");
        start = end + 1;
    }
}

} // namespace

Value Reader::tensorValue(const RawTensor& t)
{
    Value v;
    v.name = t.name;
    v.dtype = t.dtype;
    v.hasDeclaredShape = true;
    v.isInitializer = true;
    int64_t count = 1;
    for (int64_t d : t.dims) {
        if (d < 0)
            throw ModelError("tensor '" + t.name + "' has a negative dimension (" + std::to_string(d) + ")");
        v.declaredShape.push_back(Dim { d, {} });
        count = satMul(count, d);
    }
    // Saturates: a huge count times the element size must not wrap (found by fuzzing).
    const int64_t bytes = storedBytes(count, t.dtype);
    if (t.isExternal) {
        checkExternalLocation(t.name, t.external.location);
        v.external = t.external;
    } else if (t.raw.data && dtypeSize(t.dtype) > 0 && bytes != kSaturated && int64_t(t.raw.size) != bytes
               && m_warnings.size() < 100) {
        m_warnings.push_back("initializer '" + t.name + "' holds " + std::to_string(t.raw.size)
                             + " bytes of data, but its dims and type call for " + std::to_string(bytes));
    }
    if (t.raw.data && t.dims.size() == 2 && isFloating(t.dtype) && t.raw.size == bytes && bytes > 0) {
        const size_t size = size_t(dtypeSize(t.dtype)), columns = size_t(t.dims[1]);
        const size_t rows = size_t(t.dims[0]);
        v.firstRow.assign(reinterpret_cast<const char*>(t.raw.data), std::min<size_t>(columns, 8) * size);
        for (size_t r = 0; r < std::min<size_t>(rows, 8); ++r)
            v.firstColumn.append(reinterpret_cast<const char*>(t.raw.data) + r * columns * size, size);
    }
    if (isIntegerType(t.dtype) && count <= m_limits.maxSmallIntElements) {
        const int size = dtypeSize(t.dtype);
        const bool isSigned = t.dtype == DType::Int64 || t.dtype == DType::Int32 || t.dtype == DType::Int16
            || t.dtype == DType::Int8;
        if (t.raw.data && t.raw.size == bytes) {
            std::vector<int64_t> values(size_t(count), 0);
            for (int64_t i = 0; i < count; ++i)
                values[size_t(i)] = readLittleEndian(t.raw.data + i * size, size, isSigned);
            v.intData = std::move(values);
        } else if (int64_t(t.intValues.size()) == count) {
            v.intData = t.intValues;
        }
    } else if (t.dtype == DType::Float && count >= 1 && count <= m_limits.maxSmallIntElements) {
        // Small float tensors of whole numbers take part in shape computations: a scale factor
        // computed from a dimension, Resize's scales [1, 1, 2, 2] (paddle2onnx's FPN upsampling).
        const bool raw = t.raw.data && int64_t(t.raw.size) == 4 * count;
        if (raw || int64_t(t.floatValues.size()) == count) {
            std::vector<int64_t> values;
            values.reserve(size_t(count));
            for (int64_t i = 0; i < count; ++i) {
                float f = 0;
                if (raw)
                    std::memcpy(&f, t.raw.data + 4 * i, 4);
                else
                    f = t.floatValues[size_t(i)];
                // Range first: converting an out-of-range float to an integer is undefined.
                if (!(f > -1e15f && f < 1e15f && f == std::trunc(f)))
                    break;
                values.push_back(int64_t(f));
            }
            if (int64_t(values.size()) == count)
                v.intData = std::move(values);
        }
    }
    return v;
}

Graph Reader::assemble(std::string name, std::vector<RawNode> nodes, std::vector<RawTensor> initializers,
                       const std::vector<RawValueInfo>& inputs, const std::vector<RawValueInfo>& outputs,
                       const std::vector<RawValueInfo>& valueInfos, bool isSubgraph)
{
    Graph g;
    g.name = std::move(name);
    const auto valueFor = [&g](const std::string& valueName) {
        auto [it, inserted] = g.valueIndex.emplace(valueName, int(g.values.size()));
        if (inserted) {
            g.values.emplace_back();
            g.values.back().name = valueName;
        }
        return it->second;
    };
    const auto declare = [](Value& v, const RawValueInfo& info) {
        if (info.dtype != DType::Undefined)
            v.dtype = info.dtype;
        if (info.hasShape) {
            v.hasDeclaredShape = true;
            v.declaredShape = info.dims;
        }
    };

    for (RawTensor& t : initializers) {
        if (t.name.empty())
            throw ModelError("an initializer has no name");
        const int index = valueFor(t.name);
        if (g.values[size_t(index)].isInitializer)
            throw ModelError("initializer '" + t.name + "' is defined twice");
        g.values[size_t(index)] = tensorValue(t);
        g.initializers.push_back(index);
    }
    for (const RawValueInfo& info : inputs) {
        const int index = valueFor(info.name);
        Value& v = g.values[size_t(index)];
        if (v.isInitializer)
            continue; // IR < 4 lists initializers among the inputs; they are weights, not inputs
        if (v.isGraphInput)
            throw ModelError("graph input '" + info.name + "' is declared twice");
        declare(v, info);
        v.isGraphInput = true;
        g.inputs.push_back(index);
        // An input dim with neither a size nor a name (Silero VAD's samples) gets a name, so that
        // it can be set like any symbol (--dim input_dim1=512) rather than stay unknown. Dim 0 is
        // the batch, which --batch sets.
        if (!isSubgraph) {
            for (size_t d = 1; d < v.declaredShape.size(); ++d) {
                Dim& dim = v.declaredShape[d];
                if (!dim.isKnown() && dim.symbol.empty())
                    dim.symbol = info.name + "_dim" + std::to_string(d);
            }
        }
    }

    g.nodes.reserve(nodes.size());
    for (size_t n = 0; n < nodes.size(); ++n) {
        RawNode& raw = nodes[n];
        Node node = std::move(raw.node);
        for (const std::string& in : raw.inputNames) {
            if (in.empty()) {
                node.inputs.push_back(-1);
                continue;
            }
            const int index = valueFor(in);
            node.inputs.push_back(index);
            g.values[size_t(index)].consumers.push_back(int(n));
        }
        for (const std::string& out : raw.outputNames) {
            if (out.empty()) {
                node.outputs.push_back(-1);
                continue;
            }
            const int index = valueFor(out);
            Value& v = g.values[size_t(index)];
            if (v.producer >= 0 || v.isInitializer || v.isGraphInput)
                throw ModelError("tensor '" + out + "' is produced more than once (by node '" + node.name + "' ("
                                 + node.opType + ") and earlier)");
            v.producer = int(n);
            node.outputs.push_back(index);
        }
        if (node.opType == "Constant" && node.domain.empty() && !node.outputs.empty() && node.outputs[0] >= 0) {
            Value& v = g.values[size_t(node.outputs[0])];
            for (const Attribute& a : node.attributes) {
                if (a.kind == Attribute::Kind::Tensor && a.tensor) {
                    v.dtype = a.tensor->dtype;
                    v.hasDeclaredShape = true;
                    v.declaredShape = a.tensor->declaredShape;
                    v.intData = a.tensor->intData;
                    v.external = a.tensor->external;
                    v.isConstantNode = true;
                } else if (a.name == "value_int" || a.name == "value_float") {
                    v.dtype = a.name == "value_int" ? DType::Int64 : DType::Float;
                    v.hasDeclaredShape = true;
                    v.declaredShape.clear();
                    if (a.name == "value_int")
                        v.intData = std::vector<int64_t> { a.i };
                    v.isConstantNode = true;
                } else if (a.name == "value_ints" || a.name == "value_floats") {
                    v.dtype = a.name == "value_ints" ? DType::Int64 : DType::Float;
                    v.hasDeclaredShape = true;
                    const size_t count = a.name == "value_ints" ? a.ints.size() : a.floats.size();
                    v.declaredShape = { Dim { int64_t(count), {} } };
                    if (a.name == "value_ints" && int64_t(count) <= m_limits.maxSmallIntElements)
                        v.intData = a.ints;
                    v.isConstantNode = true;
                }
            }
        }
        g.nodes.push_back(std::move(node));
    }

    for (const RawValueInfo& info : valueInfos) {
        auto it = g.valueIndex.find(info.name);
        if (it != g.valueIndex.end() && !g.values[size_t(it->second)].isInitializer
            && !g.values[size_t(it->second)].isConstantNode)
            declare(g.values[size_t(it->second)], info);
    }
    for (const RawValueInfo& info : outputs) {
        const int index = valueFor(info.name);
        Value& v = g.values[size_t(index)];
        if (!v.isInitializer && !v.isConstantNode)
            declare(v, info);
        v.isGraphOutput = true;
        g.outputs.push_back(index);
    }

    for (Value& v : g.values) {
        if (v.producer >= 0 || v.isInitializer || v.isGraphInput)
            continue;
        if (isSubgraph) {
            v.isOuterScope = true; // resolved against the enclosing graph at analysis time
            continue;
        }
        if (!v.consumers.empty()) {
            const Node& user = g.nodes[size_t(v.consumers.front())];
            throw ModelError("node '" + user.name + "' (" + user.opType + ") consumes tensor '" + v.name
                             + "', which no node, graph input or initializer produces");
        }
        throw ModelError("graph output '" + v.name + "' is produced by no node");
    }

    // Kahn's algorithm, preferring file order so already-sorted graphs keep their order.
    std::vector<int> pending(g.nodes.size(), 0);
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        for (int in : g.nodes[n].inputs) {
            if (in >= 0 && g.values[size_t(in)].producer >= 0)
                ++pending[n];
        }
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        if (pending[n] == 0)
            ready.push(int(n));
    }
    g.order.reserve(g.nodes.size());
    while (!ready.empty()) {
        const int n = ready.top();
        ready.pop();
        g.order.push_back(n);
        for (int out : g.nodes[size_t(n)].outputs) {
            if (out < 0)
                continue;
            for (int consumer : g.values[size_t(out)].consumers) {
                if (--pending[size_t(consumer)] == 0)
                    ready.push(consumer);
            }
        }
    }
    if (g.order.size() != g.nodes.size()) {
        for (size_t n = 0; n < g.nodes.size(); ++n) {
            if (pending[n] > 0)
                throw ModelError("the graph has a cycle through node '" + g.nodes[n].name + "' ("
                                 + g.nodes[n].opType + ")");
        }
    }
    findModuleOutputs(g);
    findModuleArguments(g);
    findRotaryTables(g);
    findAttentionModules(g);
    return g;
}

namespace {

// A read-only memory map of a whole file, unmapped on destruction.
class MappedFile {
public:
    explicit MappedFile(const std::string& path)
    {
        int64_t size = 0;
        const int fd = openRegularFile(path, 0, &size);
        m_size = size_t(size);
        if (m_size > 0) {
            void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                ::close(fd);
                throw ModelError("cannot map '" + path + "': " + std::strerror(errno));
            }
            m_data = static_cast<const uint8_t*>(p);
        }
        ::close(fd);
    }
    ~MappedFile()
    {
        if (m_data)
            ::munmap(const_cast<uint8_t*>(m_data), m_size);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
};

} // namespace

Model readOnnxBytes(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits,
                    ReadProgress* progress)
{
    if (size == 0)
        throw ModelError("'" + name + "' is empty");
    if (size > size_t(INT_MAX))
        throw ModelError("'" + name
                         + "' is larger than 2 GiB, which protobuf cannot hold; such models keep their weights "
                           "in external data files");
    try {
        Reader reader(limits, data, progress);
        Model m = reader.model(Span { data, int(size) });
        if (progress)
            progress->bytesDone.store(int64_t(size), std::memory_order_relaxed);
        return m;
    } catch (const std::bad_alloc&) {
        throw ModelError("'" + name + "' needs more memory than is available to read");
    }
}

namespace {

// External data files are never read, but where one exists its location must stay inside the
// model's folder once symbolic links are resolved, and its offset and length must fit in it.
// Reads a 2-D floating-point weight's first row and column from its external data (the probe
// tiedWeightCopies compares): a few small reads, never the weight.
void probeExternal(Value& v, const std::filesystem::path& file, uint64_t fileSize)
{
    const int size = dtypeSize(v.dtype);
    if (v.declaredShape.size() != 2 || !isFloating(v.dtype) || size <= 0 || v.external->offset < 0)
        return;
    const int64_t rows = v.declaredShape[0].value, columns = v.declaredShape[1].value;
    if (rows <= 0 || columns <= 0 || satMul(satMul(rows, columns), size) == kSaturated
        || uint64_t(v.external->offset) + uint64_t(rows * columns * size) > fileSize)
        return;
    std::ifstream in(file, std::ios::binary);
    std::string row(size_t(std::min<int64_t>(columns, 8) * size), '\0'), column;
    in.seekg(v.external->offset);
    in.read(row.data(), std::streamsize(row.size()));
    for (int64_t r = 0; r < std::min<int64_t>(rows, 8) && in; ++r) {
        std::string element(size_t(size), '\0');
        in.seekg(v.external->offset + r * columns * size);
        in.read(element.data(), size);
        column += element;
    }
    if (in) {
        v.firstRow = std::move(row);
        v.firstColumn = std::move(column);
    }
}

void checkExternalFiles(Graph& graph, const std::filesystem::path& folder, const std::filesystem::path& realFolder,
                        std::vector<std::string>& warnings)
{
    for (Value& v : graph.values) {
        if (!v.external)
            continue;
        std::error_code error;
        const std::filesystem::path file = folder / v.external->location;
        if (!std::filesystem::exists(file, error))
            continue; // missing weights are fine: only shapes are needed
        const std::filesystem::path real = std::filesystem::weakly_canonical(file, error);
        const auto [folderEnd, realEnd] = std::mismatch(realFolder.begin(), realFolder.end(), real.begin(), real.end());
        if (error || folderEnd != realFolder.end())
            throw ModelError("tensor '" + v.name + "' stores its data at '" + v.external->location + "', which resolves to '"
                             + real.string() + "'; refusing a path outside the model's folder");
        const auto size = std::filesystem::file_size(real, error);
        if (!error && (v.external->offset < 0 || uint64_t(v.external->offset) > size
                       || (v.external->length >= 0 && uint64_t(v.external->offset) + uint64_t(v.external->length) > size))
            && warnings.size() < 100)
            warnings.push_back("tensor '" + v.name + "': its external data (offset " + std::to_string(v.external->offset)
                               + ", length " + std::to_string(v.external->length) + ") reaches past the end of '"
                               + v.external->location + "' (" + std::to_string(size) + " bytes)");
        else if (!error)
            probeExternal(v, real, size);
    }
    for (const Node& n : graph.nodes)
        for (const Attribute& a : n.attributes)
            for (const auto& body : a.graphs)
                checkExternalFiles(*body, folder, realFolder, warnings);
}

} // namespace

Model readOnnxFile(const std::string& path, const ReadLimits& limits, ReadProgress* progress)
{
    MappedFile file(path);
    Model m = readOnnxBytes(file.data(), file.size(), path, limits, progress);
    m.path = path;
    std::error_code error;
    const std::filesystem::path folder = std::filesystem::absolute(path, error).parent_path();
    checkExternalFiles(m.graph, folder, std::filesystem::weakly_canonical(folder, error), m.warnings);
    return m;
}

bool looksLikeOnnx(const uint8_t* data, size_t size)
{
    size_t pos = 0;
    // False for a varint over 10 bytes, and for one the end of the bytes cuts off (`pos == size`).
    const auto varint = [&](uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64 && pos < size; shift += 7) {
            const uint8_t b = data[pos++];
            v |= uint64_t(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return true;
        }
        return false;
    };
    uint64_t tag = 0, value = 0;
    if (!varint(tag) || tag != (1 << 3 | Varint) || !varint(value) || value < 1 || value > 100)
        return false; // ir_version
    while (pos < size) {
        if (!varint(tag))
            return pos == size;
        // ModelProto's numbers: ir_version (1) and model_version (5) are varints, the rest
        // strings or messages.
        const uint64_t number = tag >> 3;
        const bool isVarint = number == 1 || number == 5;
        if (number == 0 || number > 100 || int(tag & 7) != (isVarint ? Varint : LengthDelimited))
            return false;
        if (!varint(value))
            return pos == size;
        if (!isVarint) {
            if (value > size - pos)
                return true; // runs past the bytes given: the file goes on
            pos += size_t(value);
        }
    }
    return true;
}

} // namespace fp

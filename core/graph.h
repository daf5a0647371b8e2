#pragma once

// The normalized graph IR. Every reader produces it; every analysis reads only it.
// A Model owns its main Graph; subgraphs (If/Loop/Scan bodies) hang off node attributes.

#include "saturating.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fp {

// Element types, numbered as ONNX's TensorProto.DataType so readers can cast directly.
enum class DType : int32_t {
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21, // packed two to a byte (opset 21)
    Int4 = 22,
    Float4E2M1 = 23,
};

// Bytes per element; 0 for Undefined and String (variable size). The 4-bit types say 1: where a
// whole byte per element is asked, a byte is the bound; storedBytes() packs them.
int dtypeSize(DType type);
// Bits per element: 4 for the packed 4-bit types, else 8 x dtypeSize.
int dtypeBits(DType type);
// What `elements` elements of `type` occupy stored packed, rounded up to whole bytes.
int64_t storedBytes(int64_t elements, DType type);

bool isFloating(DType type);
const char* dtypeName(DType type);

// One declared dimension: a number, a symbol ("batch", "unk__12"), or unknown (neither).
struct Dim {
    int64_t value = -1;
    std::string symbol;

    bool isKnown() const { return value >= 0; }
};

struct Graph;
struct Value;

struct Attribute {
    enum class Kind { Undefined, Int, Float, String, Tensor, Graph, Ints, Floats, Strings, Tensors, Graphs };

    std::string name;
    Kind kind = Kind::Undefined;
    int64_t i = 0;
    float f = 0;
    std::string s;
    std::vector<int64_t> ints;
    std::vector<float> floats;
    std::vector<std::string> strings;
    std::shared_ptr<const Value> tensor; // Kind::Tensor: its dtype, dims and small int data
    std::vector<std::shared_ptr<Graph>> graphs; // Kind::Graph (one) and Kind::Graphs
};

// Where a tensor's bytes live when they are not in the model file itself.
struct ExternalData {
    std::string location;
    int64_t offset = 0;
    int64_t length = -1;
};

// A tensor: graph input, initializer, constant or intermediate value.
struct Value {
    std::string name;
    DType dtype = DType::Undefined;
    bool hasDeclaredShape = false;
    std::vector<Dim> declaredShape;

    int producer = -1; // node index in the owning graph, -1 for inputs/initializers/outer scope
    std::vector<int> consumers; // node indices, once per use

    bool isGraphInput = false;
    bool isGraphOutput = false;
    bool isInitializer = false; // initializer or Constant-node tensor: its shape is in the file
    bool isConstantNode = false; // produced by a Constant node (paddle2onnx stores weights so)
    bool isOuterScope = false; // a subgraph's reference to a value of an enclosing graph

    // Small integer constants are read so shape-computing subgraphs can be evaluated.
    std::optional<std::vector<int64_t>> intData;
    std::optional<ExternalData> external;
    // A 2-D floating-point weight's first row and first column, up to 8 elements each, as stored
    // (read from the file, or from its external data where that exists): enough to tell a
    // transposed copy of another weight from a weight of its own (tiedWeightCopies). Empty where
    // the data is not there.
    std::string firstRow, firstColumn;
};

struct Node {
    std::string name;
    std::string opType;
    std::string domain; // "" for the default ONNX domain
    std::vector<int> inputs; // value indices, -1 for an omitted optional input
    std::vector<int> outputs; // value indices, -1 for an omitted optional output
    std::vector<Attribute> attributes;

    const Attribute* attribute(const std::string& attrName) const;
    int64_t attrInt(const std::string& attrName, int64_t fallback) const;
    float attrFloat(const std::string& attrName, float fallback) const;
    std::string attrString(const std::string& attrName, const std::string& fallback = {}) const;
    std::vector<int64_t> attrInts(const std::string& attrName) const;
    int input(size_t index) const { return index < inputs.size() ? inputs[index] : -1; }
    int output(size_t index) const { return index < outputs.size() ? outputs[index] : -1; }
};

// A module that PyTorch runs as library code in inference, not as the Python its export spells
// out: its nodes in execution order, its one activation input (what its first node reads) and
// one output (its last node's).
struct LibraryModule {
    std::vector<int> nodes;
    int input = -1, output = -1;
};

// nn.MultiheadAttention with packed self-attention, and the nn.TransformerEncoderLayer around
// it where there is one (core/memory.cpp sizes what they allocate).
struct AttentionModule {
    LibraryModule attention;
    int softmax = -1; // its node
    bool batchFirst = false; // it starts with query.transpose(1, 0)
    bool masked = false; // it reads an attention mask besides its input
    std::optional<LibraryModule> layer; // children self_attn, linear1, linear2, norm1 and norm2
    int feedForward = -1; // the layer's linear1 output
    bool normFirst = false; // norm1 reads the layer's input
};

struct Graph {
    std::string name;
    std::vector<Value> values;
    std::vector<Node> nodes;
    std::vector<int> inputs; // real inputs only: initializers listed as inputs are excluded
    std::vector<int> outputs;
    std::vector<int> initializers;
    std::vector<int> order; // node indices in execution (topological) order
    std::unordered_map<std::string, int> valueIndex;
    // The outputs of the module calls torchsummary's hooks see, from the exporter's scopes
    // (moduleCallOutputs): a value once per module it leaves. Found once, when the graph is read.
    std::vector<int> moduleOutputs;
    int moduleCalls = 0;
    // Per value: the last node of the outermost module call it is an argument of, or -1
    // (findModuleArguments). PyTorch's caller holds a module's argument until the call returns.
    std::vector<int> heldUntilNode;
    // Per value: a rotary embedding's frequency vector, a buffer though written as an
    // initializer like any parameter (findRotaryTables).
    std::vector<bool> rotaryTables;
    // nn.MultiheadAttention modules, which PyTorch runs as library code in inference
    // (findAttentionModules).
    std::vector<AttentionModule> attentionModules;

    int findValue(const std::string& valueName) const;
};

struct OpsetImport {
    std::string domain;
    int64_t version = 0;
};

struct Model {
    std::string path;
    int64_t irVersion = 0;
    std::vector<OpsetImport> opsets;
    std::string producerName;
    std::string producerVersion;
    Graph graph;
    std::vector<std::string> warnings; // things the reader tolerated, for the user to see

    int64_t opsetVersion(const std::string& domain = {}) const;
};

// `text` with its ASCII letters lowered: names compared without case (devices, file extensions,
// exporters, KV inputs).
std::string asciiLower(std::string text);

// The scope path of a node, from exporter names such as "/layer1/layer1.0/conv1/Conv":
// {"layer1", "layer1.0", "conv1"}. Empty for flat names.
std::vector<std::string> scopePath(const std::string& nodeName);

// Whether `pattern` matches all of `text`: `*` any run of characters, '/' included, `?` one.
bool globMatches(const std::string& pattern, const std::string& text);

// The outermost of a node's scopes ("/layer1", then "/layer1/layer1.0"...), else its own name,
// that one of `patterns` matches; empty when none does. Checkpoint segments and frozen layers
// match nodes so (`/h.*` matches the scope "/h.0").
std::string matchedScope(const std::vector<std::string>& patterns, const std::string& nodeName);

// Fills graph.moduleOutputs and graph.moduleCalls. torchsummary hooks every module but
// Sequential, ModuleList and the model itself. A node's scope ("/layer1/layer1.0/conv1") names
// the modules it runs in, innermost last; a repeated call is a scope of its own (/pool, /pool_1).
// A scope that encloses others is a container: a Sequential or ModuleList when its children are
// indexed ("layer1" -> "layer1.0"), hooked otherwise (a ResNet block, whose output torchsummary
// counts beside its last layer's). A module's output is what leaves it: read by a node outside
// it, or returned.
void findModuleOutputs(Graph& graph);

// Fills graph.heldUntilNode. A tensor handed to a module (`x = block(x)` in a Sequential, a
// block's `forward(self, x)`) stays referenced by the caller until the module returns, however
// early the module's nodes last read it: the modules a consumer's scope enters beyond the
// producer's take it as an argument, and the outermost of them holds it longest. A tensor a
// forward's own operator computes and hands to a submodule is a local of that forward, held
// until it returns (DenseNet's concatenated features), unless an elementwise operator made it
// (`self.norm(x + y)`), and so is one that a forward reads with
// its own operators (BERT's q, k, v and masked scores; Swin's windows, scaled q and attention
// weights), unless only elementwise operators read it (`x = x / c` rebinds the name; F.gelu
// written as a formula), it is a view, or only views read it (a chained expression's temporary).
void findModuleArguments(Graph& graph);

// Fills graph.rotaryTables: rotary embeddings' inverse frequencies (HF's `inv_freq`), which
// PyTorch keeps as a buffer and an export writes as an initializer. Taken for a parameter, it
// would give cos and sin a gradient, and every product with them would keep q and k for
// backward as well. Such a table is a floating vector that reaches Cos or Sin through nodes that
// read no data: nothing derived from a floating graph input or a weight matrix, only positions
// (Range, Shape, integer ids) and constants. A learned frequency on data (SIREN's sin(Wx)) reads
// data and stays a parameter.
void findRotaryTables(Graph& graph);

// Fills graph.attentionModules. A module without submodules that reads one sequence, writes one
// and runs one softmax, after linear(x, in_proj).chunk(3) (a Split or three Slices of one
// tensor; cross-attention chunks k and v in two): nn.MultiheadAttention's self-attention.
// What else it reads is a mask. Its parent is an nn.TransformerEncoderLayer where the module is
// its self_attn beside linear1, linear2, norm1 and norm2 (eval exports drop the dropouts).
void findAttentionModules(Graph& graph);

} // namespace fp

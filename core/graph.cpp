#include "graph.h"

#include "saturating.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

namespace fp {

int dtypeSize(DType type)
{
    switch (type) {
    case DType::Bool:
    case DType::Int8:
    case DType::UInt8:
    case DType::Float8E4M3FN:
    case DType::Float8E4M3FNUZ:
    case DType::Float8E5M2:
    case DType::Float8E5M2FNUZ:
    case DType::UInt4:
    case DType::Int4:
    case DType::Float4E2M1:
        return 1;
    case DType::Int16:
    case DType::UInt16:
    case DType::Float16:
    case DType::BFloat16:
        return 2;
    case DType::Float:
    case DType::Int32:
    case DType::UInt32:
        return 4;
    case DType::Double:
    case DType::Int64:
    case DType::UInt64:
    case DType::Complex64:
        return 8;
    case DType::Complex128:
        return 16;
    case DType::Undefined:
    case DType::String:
        return 0;
    }
    return 0;
}

int dtypeBits(DType type)
{
    return type == DType::UInt4 || type == DType::Int4 || type == DType::Float4E2M1 ? 4 : 8 * dtypeSize(type);
}

int64_t storedBytes(int64_t elements, DType type)
{
    const int bits = dtypeBits(type);
    if (elements <= 0 || bits == 0)
        return 0;
    return bits % 8 == 0 ? satMul(elements, bits / 8) : elements / 2 + elements % 2; // 4-bit: two per byte
}

bool isFloating(DType type)
{
    return type == DType::Float || type == DType::Float16 || type == DType::BFloat16 || type == DType::Double;
}

const char* dtypeName(DType type)
{
    switch (type) {
    case DType::Undefined: return "undefined";
    case DType::Float: return "float32";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::UInt16: return "uint16";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::String: return "string";
    case DType::Bool: return "bool";
    case DType::Float16: return "float16";
    case DType::Double: return "float64";
    case DType::UInt32: return "uint32";
    case DType::UInt64: return "uint64";
    case DType::Complex64: return "complex64";
    case DType::Complex128: return "complex128";
    case DType::BFloat16: return "bfloat16";
    case DType::Float8E4M3FN: return "float8e4m3fn";
    case DType::Float8E4M3FNUZ: return "float8e4m3fnuz";
    case DType::Float8E5M2: return "float8e5m2";
    case DType::Float8E5M2FNUZ: return "float8e5m2fnuz";
    case DType::UInt4: return "uint4";
    case DType::Int4: return "int4";
    case DType::Float4E2M1: return "float4e2m1";
    }
    return "undefined";
}

const Attribute* Node::attribute(const std::string& attrName) const
{
    for (const Attribute& a : attributes) {
        if (a.name == attrName)
            return &a;
    }
    return nullptr;
}

int64_t Node::attrInt(const std::string& attrName, int64_t fallback) const
{
    const Attribute* a = attribute(attrName);
    return a && a->kind == Attribute::Kind::Int ? a->i : fallback;
}

float Node::attrFloat(const std::string& attrName, float fallback) const
{
    const Attribute* a = attribute(attrName);
    return a && a->kind == Attribute::Kind::Float ? a->f : fallback;
}

std::string Node::attrString(const std::string& attrName, const std::string& fallback) const
{
    const Attribute* a = attribute(attrName);
    return a && a->kind == Attribute::Kind::String ? a->s : fallback;
}

std::vector<int64_t> Node::attrInts(const std::string& attrName) const
{
    const Attribute* a = attribute(attrName);
    return a && a->kind == Attribute::Kind::Ints ? a->ints : std::vector<int64_t> {};
}

int Graph::findValue(const std::string& valueName) const
{
    auto it = valueIndex.find(valueName);
    return it == valueIndex.end() ? -1 : it->second;
}

int64_t Model::opsetVersion(const std::string& domain) const
{
    for (const OpsetImport& o : opsets) {
        if (o.domain == domain || (domain.empty() && o.domain == "ai.onnx"))
            return o.version;
    }
    return 0;
}

std::string asciiLower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

std::vector<std::string> scopePath(const std::string& nodeName)
{
    std::vector<std::string> parts;
    if (nodeName.empty() || nodeName.front() != '/')
        return parts;
    size_t start = 1;
    while (true) {
        size_t slash = nodeName.find('/', start);
        if (slash == std::string::npos)
            break; // the last part names the node itself, not a scope
        if (slash > start)
            parts.push_back(nodeName.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

bool globMatches(const std::string& pattern, const std::string& text)
{
    size_t p = 0, t = 0, star = std::string::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string::npos) { // let the last star take one more character
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

std::string matchedScope(const std::vector<std::string>& patterns, const std::string& nodeName)
{
    if (patterns.empty())
        return {};
    const auto matches = [&](const std::string& text) {
        return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return globMatches(p, text); });
    };
    std::string scope;
    for (const std::string& part : scopePath(nodeName)) {
        scope += '/' + part;
        if (matches(scope))
            return scope;
    }
    return matches(nodeName) ? nodeName : std::string();
}

namespace {

// Whether a scope's last part is an index ("layer1.0", "blocks.3"): a child of a Sequential or
// ModuleList, which torchsummary does not hook itself.
bool isIndexedChild(const std::string& scope)
{
    const size_t dot = scope.find_last_of("./");
    const std::string last = dot == std::string::npos ? scope : scope.substr(dot + 1);
    return !last.empty() && std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

void findModuleOutputs(Graph& graph)
{
    std::vector<std::string> scopeOf(graph.nodes.size());
    std::map<std::string, bool> containerIndexed; // container scope -> all its children indexed
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        std::string key;
        for (const std::string& part : scopePath(graph.nodes[n].name)) {
            if (!key.empty()) {
                const auto [it, inserted] = containerIndexed.emplace(key, true);
                it->second = it->second && isIndexedChild(part);
            }
            key += '/' + part;
        }
        scopeOf[n] = std::move(key);
    }
    const auto hooked = [&](const std::string& scope) {
        const auto it = containerIndexed.find(scope);
        return it == containerIndexed.end() || !it->second;
    };
    const auto inside = [](const std::string& scope, const std::string& module) {
        return scope.size() >= module.size() && scope.compare(0, module.size(), module) == 0
            && (scope.size() == module.size() || scope[module.size()] == '/');
    };
    std::set<std::string> modules;
    graph.moduleOutputs.clear();
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const std::string& scope = scopeOf[n];
        // Each module this node runs in, outermost first: "/a", "/a/b", "/a/b/c".
        for (size_t end = scope.find('/', 1);; end = scope.find('/', end + 1)) {
            const std::string module = scope.substr(0, end);
            if (!module.empty() && hooked(module)) {
                for (const int out : graph.nodes[n].outputs) {
                    if (out < 0)
                        continue;
                    const Value& v = graph.values[size_t(out)];
                    if (v.isGraphOutput || std::any_of(v.consumers.begin(), v.consumers.end(), [&](int c) {
                            return !inside(scopeOf[size_t(c)], module);
                        })) {
                        graph.moduleOutputs.push_back(out);
                        modules.insert(module);
                    }
                }
            }
            if (end == std::string::npos)
                break;
        }
    }
    graph.moduleCalls = int(modules.size());
}

namespace {

// "/a/b" for the first `count` parts of a scope path: a module's key in lastNode.
std::string scopeKey(const std::vector<std::string>& parts, size_t count)
{
    std::string key;
    for (size_t i = 0; i < count; ++i)
        key += '/' + parts[i];
    return key;
}

// Whether `value`, computed by an operator in a module's own forward (scope `from`), read only
// inside that module and handed to one of its submodules, is a Python local: `t = torch.cat(xs);
// y = self.conv(self.norm(t))` keeps `t` until the forward returns (DenseNet's concatenated
// features through its bottleneck). Tensors the forward's own operators pass among themselves
// are not judged: fused kernels (nn.MultiheadAttention in eval) hold none of them.
bool isLocal(const Value& value, const std::vector<std::string>& from,
             const std::vector<std::vector<std::string>>& scopes)
{
    if (value.isGraphOutput || value.consumers.empty())
        return false;
    bool toChild = false;
    for (int c : value.consumers) {
        const std::vector<std::string>& to = scopes[size_t(c)];
        if (to.size() < from.size() || !std::equal(from.begin(), from.end(), to.begin()))
            return false; // read outside the module: its return value
        toChild = toChild || to.size() > from.size();
    }
    return toChild;
}

// A child of a ModuleList or Sequential ("layer.3", "3"): called in a loop that rebinds one name.
bool isIndexed(const std::string& module)
{
    const size_t dot = module.rfind('.');
    const size_t start = dot == std::string::npos ? 0 : dot + 1;
    return start < module.size() && std::all_of(module.begin() + long(start), module.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isElementwise(const Node& node)
{
    static const std::set<std::string> ops { "Add", "Sub", "Mul", "Div", "Pow", "Where", "Relu", "Sigmoid", "Tanh",
                                             "Erf", "Sqrt", "Neg", "Exp", "Cast", "Clip", "Max", "Min" };
    return node.domain.empty() && ops.count(node.opType) > 0;
}

// A reshape of a permuted tensor (x.permute(...).reshape(...)): PyTorch copies it into a tensor
// of its own, which a forward names (memory.cpp's findLayouts decides the copy with the shapes).
bool reshapesPermuted(const Graph& graph, const Node& node)
{
    if (node.opType != "Reshape" && node.opType != "Flatten")
        return false;
    int v = node.input(0);
    for (int depth = 0; depth < 8 && v >= 0; ++depth) {
        const int p = graph.values[size_t(v)].producer;
        if (p < 0)
            return false;
        const Node& from = graph.nodes[size_t(p)];
        if (from.opType == "Transpose")
            return true;
        if (from.opType != "Squeeze" && from.opType != "Unsqueeze" && from.opType != "Gather" && from.opType != "Slice")
            return false;
        v = from.input(0);
    }
    return false;
}

// PyTorch's view, permute, chunk and select return views (Shape reads only the sizes).
const std::set<std::string> kViews { "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten",
                                     "Identity", "Slice", "Split", "Gather", "Expand", "Shape" };

// A view of its input: no tensor of its own (a reshape of a permuted tensor copies).
bool isView(const Graph& graph, const Node& node)
{
    return node.domain.empty() && kViews.count(node.opType) > 0 && !reshapesPermuted(graph, node);
}

// Whether `value` is a local of the forward that reads it with its own operators: the module
// that runs its consumers, which contains its producer. Python code around submodules (BERT's
// self-attention around query, key and value) or without any (torchvision's Swin attention, a
// function of F.linear on the module's own weights) keeps its names until it returns. Not
// locals:
// - only elementwise operators read it: a rebinding (`x = x / c`), which frees the old tensor, or
//   one expression's operand (`F.gelu(x)`, which an export spells x * 0.5 * (1 + erf(x / sqrt 2)));
// - a view (view, permute, chunk): the storage it looks into is the local;
// - a tensor the forward's own operator makes that only views read: a temporary of a chained
//   expression (`(attn @ v).transpose(1, 2).reshape(...)`) or rebound (`x = x.view(...)`); it
//   lives as long as its views do. A submodule's result read so is a name where the forward
//   computes with a view of it (BERT's `mixed_query_layer = self.query(x)`), else a chain too.
// nn.MultiheadAttention, which PyTorch runs as library code, is sized apart (core/memory.cpp's
// findLibraryModules).
bool readByForward(const Graph& graph, int v, const std::vector<std::string>& from,
                   const std::vector<std::vector<std::string>>& scopes)
{
    const Value& value = graph.values[size_t(v)];
    if (value.isGraphOutput || value.consumers.empty() || isView(graph, graph.nodes[size_t(value.producer)]))
        return false;
    const std::vector<std::string>& owner = scopes[size_t(value.consumers.front())];
    if (owner.empty() || from.size() < owner.size() || !std::equal(owner.begin(), owner.end(), from.begin()))
        return false;
    for (int c : value.consumers)
        if (scopes[size_t(c)] != owner)
            return false;
    const auto readAsView = [&](int c) { return kViews.count(graph.nodes[size_t(c)].opType) > 0; };
    if (std::all_of(value.consumers.begin(), value.consumers.end(), readAsView)) {
        if (from == owner)
            return false; // a chained expression's temporary, or rebound by x = x.view(...)
        // A submodule's result only viewed: named where the forward computes with a view of it
        // (BERT's mixed_query_layer, whose view q meets k in a matmul), else a chain that passes
        // its views on (MLP-Mixer's self.norm1(x).transpose(1, 2) into the token MLP).
        std::vector<int> frontier { v };
        for (int depth = 0; depth < 12 && !frontier.empty(); ++depth) {
            std::vector<int> next;
            for (int viewed : frontier)
                for (int c : graph.values[size_t(viewed)].consumers) {
                    const Node& reader = graph.nodes[size_t(c)];
                    if (kViews.count(reader.opType))
                        next.insert(next.end(), reader.outputs.begin(), reader.outputs.end());
                    else if (scopes[size_t(c)] == owner && !isElementwise(reader))
                        return true;
                }
            next.erase(std::remove(next.begin(), next.end(), -1), next.end());
            frontier = std::move(next);
        }
        return false;
    }
    return !std::all_of(value.consumers.begin(), value.consumers.end(),
                        [&](int c) { return isElementwise(graph.nodes[size_t(c)]); });
}

} // namespace

void findModuleArguments(Graph& graph)
{
    std::vector<std::vector<std::string>> scopes(graph.nodes.size());
    std::map<std::string, int> lastNode; // module scope -> its last node in execution order
    for (int n : graph.order) {
        scopes[size_t(n)] = scopePath(graph.nodes[size_t(n)].name);
        std::string key;
        for (const std::string& part : scopes[size_t(n)]) {
            key += '/' + part;
            lastNode[key] = n;
        }
    }
    std::vector<int> position(graph.nodes.size(), 0);
    for (size_t i = 0; i < graph.order.size(); ++i)
        position[size_t(graph.order[i])] = int(i);
    graph.heldUntilNode.assign(graph.values.size(), -1);
    static const std::vector<std::string> kNoScope;
    // Each module call's activation arguments: values its nodes read that were made outside it.
    std::map<std::string, std::set<int>> arguments;
    for (int n : graph.order) {
        const std::vector<std::string>& scope = scopes[size_t(n)];
        for (int in : graph.nodes[size_t(n)].inputs) {
            if (in < 0 || graph.values[size_t(in)].isInitializer || graph.values[size_t(in)].isConstantNode)
                continue;
            const int p = graph.values[size_t(in)].producer;
            const std::vector<std::string>& made = p >= 0 ? scopes[size_t(p)] : kNoScope;
            for (size_t k = 1; k <= scope.size(); ++k)
                if (made.size() < k || !std::equal(scope.begin(), scope.begin() + long(k), made.begin()))
                    arguments[scopeKey(scope, k)].insert(in);
        }
    }
    for (size_t v = 0; v < graph.values.size(); ++v) {
        const Value& value = graph.values[v];
        const std::vector<std::string>& from = value.producer >= 0 ? scopes[size_t(value.producer)] : kNoScope;
        int held = -1;
        // Held until the module of the first `count` parts of `scope` returns, if that is later.
        const auto holdUntilReturn = [&](const std::vector<std::string>& scope, size_t count) {
            const int last = lastNode[scopeKey(scope, count)];
            if (held < 0 || position[size_t(last)] > position[size_t(held)])
                held = last;
        };
        for (int c : value.consumers) {
            const std::vector<std::string>& to = scopes[size_t(c)];
            size_t common = 0;
            while (common < from.size() && common < to.size() && from[common] == to[common])
                ++common;
            if (common == to.size())
                continue; // read inside the producer's own module: an ordinary local
            holdUntilReturn(to, common + 1);
            // A submodule's result handed to a sibling called with two or more activations,
            // `o = self.out(s, x)`, is a named local of the caller, held until it returns (BERT's
            // self-attention output at its feed-forward: -9% before). In a loop over a
            // ModuleList (indexed children) the one name is rebound instead.
            if (common > 0 && common < from.size()
                && arguments[scopeKey(to, common + 1)].size() >= 2 && !isIndexed(to[common]))
                holdUntilReturn(to, common);
        }
        if (value.producer >= 0 && held < 0 && readByForward(graph, int(v), from, scopes)) {
            const std::vector<std::string>& owner = scopes[size_t(value.consumers.front())];
            holdUntilReturn(owner, owner.size());
        }
        // An elementwise result or a view handed on is a temporary, `self.norm(x + y)`,
        // `self.mlp(x.transpose(1, 2))`, or rebound, `x = x + y; x = self.norm(x)`
        // (nn.TransformerEncoderLayer, T5's layers: +9..32% before; MLP-Mixer +17%).
        if (value.producer >= 0 && !from.empty() && isLocal(value, from, scopes)
            && !isElementwise(graph.nodes[size_t(value.producer)]) && !isView(graph, graph.nodes[size_t(value.producer)]))
            holdUntilReturn(from, from.size());
        graph.heldUntilNode[v] = held;
    }
}

void findRotaryTables(Graph& graph)
{
    graph.rotaryTables.assign(graph.values.size(), false);
    if (std::none_of(graph.nodes.begin(), graph.nodes.end(),
                     [](const Node& n) { return n.domain.empty() && (n.opType == "Cos" || n.opType == "Sin"); }))
        return;
    const auto isWeight = [&](const Value& v) { return v.isInitializer || v.isConstantNode; };
    std::vector<bool> data(graph.values.size(), false);
    for (size_t v = 0; v < graph.values.size(); ++v) {
        const Value& value = graph.values[v];
        data[v] = isFloating(value.dtype) && (value.isGraphInput || (isWeight(value) && value.declaredShape.size() >= 2));
    }
    for (int n : graph.order) {
        const Node& node = graph.nodes[size_t(n)];
        if (node.opType == "Shape" || node.opType == "Size")
            continue; // a sequence length read from the hidden states is a position, not data
        for (int in : node.inputs)
            if (in >= 0 && data[size_t(in)])
                for (int out : node.outputs)
                    if (out >= 0)
                        data[size_t(out)] = true;
    }
    for (size_t v = 0; v < graph.values.size(); ++v) {
        const Value& value = graph.values[v];
        if (!isWeight(value) || data[v] || !isFloating(value.dtype) || value.declaredShape.size() != 1)
            continue;
        std::vector<int> frontier { int(v) };
        std::set<int> seen;
        bool reachesTrig = false;
        for (int depth = 0; depth < 12 && !frontier.empty() && !reachesTrig; ++depth) {
            std::vector<int> next;
            for (int reached : frontier)
                for (int c : graph.values[size_t(reached)].consumers) {
                    const Node& node = graph.nodes[size_t(c)];
                    if (!seen.insert(c).second)
                        continue;
                    reachesTrig = reachesTrig || ((node.opType == "Cos" || node.opType == "Sin") && node.domain.empty());
                    for (int out : node.outputs)
                        if (out >= 0 && !data[size_t(out)])
                            next.push_back(out);
                }
            frontier = std::move(next);
        }
        graph.rotaryTables[v] = reachesTrig;
    }
}


namespace {

// The nodes whose scope is `key` or inside it, with the module's input and output; none where it
// writes two activations or has no single softmax. `masks` gets the other activations it reads
// (an attention mask), and `softmax` its softmax node.
std::optional<LibraryModule> libraryModule(const Graph& graph, const std::vector<int>& candidates, const std::string& key,
                                           std::set<int>& masks, int& softmax)
{
    LibraryModule m;
    const std::string prefix = key + '/';
    for (int n : candidates)
        if (graph.nodes[size_t(n)].name.compare(0, prefix.size(), prefix) == 0)
            m.nodes.push_back(n);
    const std::set<int> inside(m.nodes.begin(), m.nodes.end());
    std::set<int> fromMasks; // values of the masks alone, which an exporter may share with a sibling
    softmax = -1;
    masks.clear();
    for (int n : m.nodes) {
        const Node& node = graph.nodes[size_t(n)];
        bool maskOnly = true;
        for (int in : node.inputs) {
            const Value& value = graph.values[size_t(std::max(in, 0))];
            if (in < 0 || value.isInitializer || value.isConstantNode
                || (value.producer >= 0 && graph.nodes[size_t(value.producer)].opType == "Constant"))
                continue;
            if (value.producer >= 0 && inside.count(value.producer)) {
                maskOnly = maskOnly && fromMasks.count(in) > 0;
                continue;
            }
            if (m.input < 0)
                m.input = in; // the first node's (dtypes are not inferred yet)
            else if (in != m.input)
                masks.insert(in);
            maskOnly = maskOnly && in != m.input;
        }
        for (int out : node.outputs) {
            if (out < 0)
                continue;
            if (maskOnly)
                fromMasks.insert(out);
            const Value& v = graph.values[size_t(out)];
            if (!v.isGraphOutput && std::all_of(v.consumers.begin(), v.consumers.end(), [&](int c) { return inside.count(c) > 0; }))
                continue;
            if (maskOnly)
                continue; // a mask's reshaping, which the next layer reads too
            if (m.output >= 0 || n != m.nodes.back())
                return std::nullopt;
            m.output = out;
        }
        if (node.opType == "Softmax") {
            if (softmax >= 0)
                return std::nullopt;
            softmax = n;
        }
    }
    if (m.input < 0 || m.output < 0 || softmax < 0)
        return std::nullopt;
    return m;
}

} // namespace

void findAttentionModules(Graph& graph)
{
    graph.attentionModules.clear();
    std::set<std::string> softmaxScopes;
    for (int n : graph.order) {
        const Node& node = graph.nodes[size_t(n)];
        const size_t slash = node.name.rfind('/');
        if (node.opType == "Softmax" && node.domain.empty() && slash != std::string::npos && slash > 0)
            softmaxScopes.insert(node.name.substr(0, slash));
    }
    if (softmaxScopes.empty())
        return;
    // the nodes under each softmax's parent scope: the encoder layer's, if it is one
    std::map<std::string, std::vector<int>, std::less<>> byParent; // looked up by string_view
    for (const std::string& scope : softmaxScopes)
        byParent[scope.substr(0, scope.rfind('/'))];
    for (int n : graph.order) {
        const std::string_view name = graph.nodes[size_t(n)].name;
        for (size_t slash = name.find('/', 1); slash != std::string_view::npos; slash = name.find('/', slash + 1))
            if (const auto it = byParent.find(name.substr(0, slash)); it != byParent.end())
                it->second.push_back(n);
    }
    for (const std::string& key : softmaxScopes) {
        const std::string parent = key.substr(0, key.rfind('/'));
        const std::vector<int>& candidates = parent.empty() ? graph.order : byParent[parent];
        AttentionModule a;
        std::set<int> masks;
        const std::optional<LibraryModule> attention = libraryModule(graph, candidates, key, masks, a.softmax);
        if (!attention)
            continue;
        bool packed = false, submodules = false;
        std::map<int, int> slices; // sliced value -> its Slice readers
        for (int n : attention->nodes) {
            const Node& node = graph.nodes[size_t(n)];
            packed = packed || (node.opType == "Split" && node.outputs.size() == 3)
                || (node.opType == "Slice" && ++slices[node.input(0)] == 3);
            submodules = submodules || node.name.find('/', key.size() + 1) != std::string::npos;
        }
        if (!packed || submodules)
            continue;
        a.attention = *attention;
        a.batchFirst = graph.nodes[size_t(attention->nodes.front())].opType == "Transpose";
        a.masked = !masks.empty();
        if (key.size() > parent.size() && key.compare(parent.size(), std::string::npos, "/self_attn") == 0 && !parent.empty()) {
            std::set<int> layerMasks;
            int layerSoftmax = -1;
            const std::optional<LibraryModule> layer = libraryModule(graph, candidates, parent, layerMasks, layerSoftmax);
            const auto firstIn = [&](const char* child) {
                const std::string prefix = parent + '/' + child + '/';
                for (int n : layer->nodes)
                    if (graph.nodes[size_t(n)].name.compare(0, prefix.size(), prefix) == 0)
                        return n;
                return -1;
            };
            const int linear1 = layer ? firstIn("linear1") : -1, norm1 = layer ? firstIn("norm1") : -1;
            if (layer && layerSoftmax == a.softmax && layerMasks.empty() && linear1 >= 0 && norm1 >= 0
                && firstIn("linear2") >= 0 && firstIn("norm2") >= 0 && graph.nodes[size_t(linear1)].opType == "MatMul"
                && graph.nodes[size_t(linear1)].output(0) >= 0) {
                a.layer = *layer;
                a.feedForward = graph.nodes[size_t(linear1)].output(0);
                a.normFirst = graph.nodes[size_t(norm1)].input(0) == layer->input;
            }
        }
        graph.attentionModules.push_back(std::move(a));
    }
}

} // namespace fp

#include "shapes.h"

#include "format.h"
#include "shape_rules.h"

#include "onnx_fallback.h"
#include "saturating.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <numeric>
#include <unordered_map>

namespace fp {


bool TensorInfo::isKnown() const
{
    return rankKnown && std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0; });
}

int64_t TensorInfo::elements() const
{
    if (!isKnown())
        return -1;
    int64_t n = 1;
    for (int64_t d : dims)
        n = satMul(n, d);
    return n;
}

const TensorInfo* ShapeScope::lookup(const std::string& name) const
{
    for (const ShapeScope* s = this; s; s = s->parent) {
        const int index = s->graph->findValue(name);
        if (index >= 0 && !s->graph->values[size_t(index)].isOuterScope)
            return &(*s->tensors)[size_t(index)];
    }
    return nullptr;
}

namespace {

// A dim written as an expression of symbols and whole numbers, as Optimum writes them
// ("past_sequence_length + sequence_length"): + - * / (floor division) % and parentheses,
// evaluated by recursive descent with saturating arithmetic.
class DimExpression {
public:
    DimExpression(const std::string& text, const std::map<std::string, int64_t>* symbols)
        : m_text(text)
        , m_symbols(symbols)
    {
    }

    // Its value; nullopt when the text is malformed, names a symbol without a value (or, with no
    // symbols given, any symbol) or divides by zero.
    std::optional<int64_t> value()
    {
        m_at = 0;
        m_ok = true;
        const int64_t v = sum();
        skipSpace();
        return m_ok && m_at == m_text.size() ? std::optional<int64_t>(v) : std::nullopt;
    }
    // The symbols it names, when it parses as an expression with at least one operator.
    std::vector<std::string> names()
    {
        m_at = 0;
        m_ok = true;
        m_collect = true;
        sum();
        skipSpace();
        if (!m_ok || m_at != m_text.size() || !m_sawOperator)
            return {};
        return m_names;
    }

private:
    void skipSpace()
    {
        while (m_at < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_at])))
            ++m_at;
    }
    bool take(char c)
    {
        skipSpace();
        if (m_at < m_text.size() && m_text[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }
    int64_t sum()
    {
        int64_t v = product();
        for (;;) {
            if (take('+')) {
                m_sawOperator = true;
                v = satAdd(v, product());
            } else if (take('-')) {
                m_sawOperator = true;
                const int64_t r = product();
                v = r == kSaturated ? 0 : v - r;
            } else {
                return v;
            }
        }
    }
    int64_t product()
    {
        int64_t v = atom();
        for (;;) {
            const bool times = take('*');
            const bool divide = !times && take('/');
            const bool modulo = !times && !divide && take('%');
            if (!times && !divide && !modulo)
                return v;
            m_sawOperator = true;
            const int64_t r = atom();
            if (times) {
                v = satMul(v, r);
            } else if (r == 0) {
                m_ok = m_collect; // naming the symbols needs no values
                v = 0;
            } else {
                const int64_t q = v / r - ((v % r != 0) && ((v < 0) != (r < 0))); // floor, as Python's //
                v = divide ? q : v - q * r;
            }
        }
    }
    int64_t atom()
    {
        skipSpace();
        if (take('(')) {
            m_sawOperator = true;
            const int64_t v = sum();
            if (!take(')'))
                m_ok = false;
            return v;
        }
        const size_t start = m_at;
        if (m_at < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_at]))) {
            int64_t v = 0;
            while (m_at < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_at])))
                v = satAdd(satMul(v, 10), m_text[m_at++] - '0');
            return v;
        }
        while (m_at < m_text.size()
               && (std::isalnum(static_cast<unsigned char>(m_text[m_at])) || m_text[m_at] == '_' || m_text[m_at] == '.'
                   || m_text[m_at] == ':'))
            ++m_at;
        if (m_at == start) {
            m_ok = false;
            return 0;
        }
        const std::string name = m_text.substr(start, m_at - start);
        if (m_collect) {
            if (std::find(m_names.begin(), m_names.end(), name) == m_names.end())
                m_names.push_back(name);
            return 1;
        }
        const auto it = m_symbols ? m_symbols->find(name) : decltype(m_symbols->end()) {};
        if (!m_symbols || it == m_symbols->end()) {
            m_ok = false;
            return 0;
        }
        return it->second;
    }

    const std::string& m_text;
    const std::map<std::string, int64_t>* m_symbols;
    size_t m_at = 0;
    bool m_ok = true;
    bool m_collect = false;
    bool m_sawOperator = false;
    std::vector<std::string> m_names;
};

} // namespace

namespace {

// A plain symbol has no operator: most dims, which then need no parsing.
bool mayBeExpression(const std::string& text)
{
    return text.find_first_of("+-*/%(") != std::string::npos;
}

} // namespace

std::vector<std::string> dimExpressionSymbols(const std::string& symbol)
{
    return mayBeExpression(symbol) ? DimExpression(symbol, nullptr).names() : std::vector<std::string> {};
}

std::optional<int64_t> evaluateDimExpression(const std::string& text, const std::map<std::string, int64_t>& symbols)
{
    return mayBeExpression(text) ? DimExpression(text, &symbols).value() : std::nullopt;
}

TensorInfo declaredInfo(const Value& value, const std::map<std::string, int64_t>& symbols)
{
    TensorInfo t;
    t.dtype = value.dtype;
    if (!value.hasDeclaredShape)
        return t;
    t.rankKnown = true;
    t.dims.reserve(value.declaredShape.size());
    for (const Dim& d : value.declaredShape) {
        if (d.isKnown()) {
            t.dims.push_back(d.value);
        } else {
            auto it = symbols.find(d.symbol);
            if (it != symbols.end() && !d.symbol.empty())
                t.dims.push_back(it->second);
            else if (const auto v = d.symbol.empty() ? std::nullopt : evaluateDimExpression(d.symbol, symbols); v && *v >= 0)
                t.dims.push_back(*v);
            else
                t.dims.push_back(-1);
        }
    }
    if (value.intData)
        t.values = value.intData;
    return t;
}

namespace {

constexpr int64_t kDefaultImageSize = 224;

} // namespace

namespace {

// A KV cache input: named so (Optimum's and onnxruntime-genai's past_key_values.N.key, older
// exports' past.N, cache_*), or with a dim naming a sequence.
bool isKvCacheInput(const Value& v)
{
    const std::string name = asciiLower(v.name);
    for (const char* word : { "past", "cache", "present" })
        if (name.find(word) != std::string::npos)
            return true;
    for (const Dim& d : v.declaredShape)
        if (asciiLower(d.symbol).find("sequence") != std::string::npos)
            return true;
    return false;
}

} // namespace

bool isImageInput(const Value& v)
{
    return isFloating(v.dtype) && v.declaredShape.size() == 4 && !isKvCacheInput(v);
}

bool isChannelsLast(const Value& v)
{
    const auto& d = v.declaredShape;
    const auto isChannels = [](const Dim& dim) { return dim.isKnown() && dim.value >= 1 && dim.value <= 4; };
    return d.size() == 4 && isChannels(d[3]) && !isChannels(d[1]);
}

int batchAxis(const Graph& graph, int input)
{
    // An LSTM, GRU or RNN reads X as [sequence, batch, features] unless its layout is 1 (PyTorch
    // exports batch_first=False so, and batch_first=True as a Transpose in front).
    const Value& v = graph.values[size_t(input)];
    if (v.declaredShape.size() != 3)
        return 0;
    for (const int c : v.consumers) {
        const Node& n = graph.nodes[size_t(c)];
        if ((n.opType == "LSTM" || n.opType == "GRU" || n.opType == "RNN") && n.domain.empty() && n.input(0) == input
            && n.attrInt("layout", 0) == 0)
            return 1;
    }
    return 0;
}

ShapeResult resolveInputs(const Graph& graph, const ShapeConfig& config)
{
    ShapeResult r;
    r.tensors.resize(graph.values.size());
    // Only the symbols this model declares: a setting made for another model (the window keeps
    // them across files) must not be carried into this one's figures, titles or exports.
    const auto declares = [&graph](const std::string& symbol) {
        for (const Value& v : graph.values) {
            for (const Dim& d : v.declaredShape) {
                if (d.symbol == symbol)
                    return true;
                if (d.symbol.find(symbol) != std::string::npos) {
                    const std::vector<std::string> parts = dimExpressionSymbols(d.symbol);
                    if (std::find(parts.begin(), parts.end(), symbol) != parts.end())
                        return true;
                }
            }
        }
        return false;
    };
    for (const auto& [name, value] : config.dims) {
        if (declares(name))
            r.symbols[name] = value;
        else
            r.ignoredSymbols.push_back(name);
    }

    // Symbols that the batch and resolution settings name, so every input sharing them agrees.
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (v.declaredShape.empty())
            continue;
        const Dim& batch = v.declaredShape[size_t(batchAxis(graph, in))];
        if (config.batch && !batch.symbol.empty())
            r.symbols[batch.symbol] = *config.batch;
        if (isImageInput(v) && (config.height || config.width)) {
            const bool last = isChannelsLast(v);
            const Dim& h = v.declaredShape[last ? 1 : 2];
            const Dim& w = v.declaredShape[last ? 2 : 3];
            if (config.height && !h.symbol.empty())
                r.symbols[h.symbol] = *config.height;
            if (config.width && !w.symbol.empty())
                r.symbols[w.symbol] = *config.width;
        }
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        if (!v.declaredShape.empty()) {
            const Dim& batch = v.declaredShape[size_t(batchAxis(graph, in))];
            if (!batch.symbol.empty() && !r.symbols.count(batch.symbol))
                r.symbols[batch.symbol] = 1; // the batch: 1 unless set, which needs no warning
        }
        if (isImageInput(v)) {
            // Symbolic image sizes default to ImageNet's 224 x 224, the size such models are quoted at.
            const bool last = isChannelsLast(v);
            for (const Dim* d : { &v.declaredShape[last ? 1 : 2], &v.declaredShape[last ? 2 : 3] }) {
                if (!d->isKnown() && !d->symbol.empty() && !r.symbols.count(d->symbol)) {
                    r.symbols[d->symbol] = kDefaultImageSize;
                    r.assumedSymbols.push_back(d->symbol);
                }
            }
        }
        for (const Dim& d : v.declaredShape) {
            if (d.isKnown() || d.symbol.empty())
                continue;
            // An expression ("past_sequence_length + sequence_length") is set through its parts.
            std::vector<std::string> parts = dimExpressionSymbols(d.symbol);
            if (parts.empty())
                parts = { d.symbol };
            for (const std::string& symbol : parts) {
                if (!r.symbols.count(symbol)) {
                    r.symbols[symbol] = 1;
                    r.assumedSymbols.push_back(symbol);
                }
            }
        }
    }
    for (int in : graph.inputs) {
        const Value& v = graph.values[size_t(in)];
        TensorInfo t = declaredInfo(v, r.symbols);
        if (!t.dims.empty()) {
            const size_t axis = size_t(batchAxis(graph, in));
            if (config.batch) {
                r.batchOverridden
                    = r.batchOverridden || (v.declaredShape[axis].isKnown() && t.dims[axis] != *config.batch);
                t.dims[axis] = *config.batch;
            }
            else if (t.dims[axis] < 0)
                t.dims[axis] = 1; // an anonymous batch dim
            if (isImageInput(v)) {
                const bool last = isChannelsLast(v);
                if (config.height)
                    t.dims[last ? 1 : 2] = *config.height;
                if (config.width)
                    t.dims[last ? 2 : 3] = *config.width;
            }
        }
        r.tensors[size_t(in)] = std::move(t);
    }
    return r;
}

namespace {

// Fills outputs still unknown from their declared value_info, and notes disagreements.
void applyDeclared(const Graph& graph, const Node& node, ShapeResult& result)
{
    for (int out : node.outputs) {
        if (out < 0)
            continue;
        const Value& v = graph.values[size_t(out)];
        TensorInfo& t = result.tensors[size_t(out)];
        if (!v.hasDeclaredShape) {
            if (t.dtype == DType::Undefined)
                t.dtype = v.dtype;
            continue;
        }
        const TensorInfo declared = declaredInfo(v, result.symbols);
        if (!t.rankKnown) {
            t.rankKnown = true;
            t.dims = declared.dims;
            if (t.dtype == DType::Undefined)
                t.dtype = declared.dtype;
            continue;
        }
        if (t.rank() != declared.rank()) {
            result.warnings.push_back("tensor '" + v.name + "': inferred rank " + std::to_string(t.rank())
                                      + " differs from the declared rank " + std::to_string(declared.rank()));
            continue;
        }
        for (size_t i = 0; i < t.dims.size(); ++i) {
            if (t.dims[i] < 0)
                t.dims[i] = declared.dims[i];
            else if (declared.dims[i] >= 0 && declared.dims[i] != t.dims[i] && v.declaredShape[i].isKnown()
                     && !(i == 0 && result.batchOverridden)) {
                result.warnings.push_back("tensor '" + v.name + "': inferred dim " + std::to_string(i) + " = "
                                          + std::to_string(t.dims[i]) + " differs from the declared "
                                          + std::to_string(declared.dims[i]));
                break;
            }
        }
    }
}

void inferControlFlow(const Graph& graph, const Node& node, int64_t opset, ShapeResult& result,
                      const ShapeScope& scope)
{
    Ctx c { graph, node, opset, result.tensors, scope.parent };
    // An If whose condition the configuration decides (a shape compared with a number) runs one
    // branch: its outputs are that branch's, and the other is marked as not taken.
    std::string taken = "then_branch";
    if (node.opType == "If" && c.vals(0) && c.vals(0)->size() == 1)
        taken = c.vals(0)->front() != 0 ? "then_branch" : "else_branch";
    const bool decided = node.opType == "If" && c.vals(0) && c.vals(0)->size() == 1;
    for (const Attribute& a : node.attributes) {
        for (const auto& body : a.graphs) {
            auto sub = std::make_shared<ShapeResult>();
            sub->tensors.resize(body->values.size());
            sub->symbols = result.symbols;
            // Body inputs: Loop (iteration, condition, carried...), Scan (state..., slices...).
            for (size_t i = 0; i < body->inputs.size(); ++i) {
                const Value& bv = body->values[size_t(body->inputs[i])];
                TensorInfo t = declaredInfo(bv, result.symbols);
                if (node.opType == "Loop" && i >= 2 && c.in(i).rankKnown)
                    t = c.in(i);
                sub->tensors[size_t(body->inputs[i])] = t;
            }
            for (int init : body->initializers)
                sub->tensors[size_t(init)] = declaredInfo(body->values[size_t(init)], result.symbols);
            inferShapes(*body, opset, *sub, &scope);
            for (const std::string& w : sub->warnings) // where a branch's unknown shapes start
                if (result.warnings.size() < 50)
                    result.warnings.push_back(node.name + "/" + a.name + ": " + w);
            if (decided && a.name != taken)
                result.untakenBranches.insert(body.get());
            // Undecided, the then-branch gives the outputs, or the else-branch where it knows more.
            const bool elseKnowsMore = !decided && a.name == "else_branch"
                && std::any_of(node.outputs.begin(), node.outputs.end(), [&](int out) {
                       return out >= 0 && !result.tensors[size_t(out)].isKnown();
                   });
            if (a.name == taken || elseKnowsMore || (a.name == "body" && node.opType == "Loop")) {
                // If: the then-branch decides the outputs. Loop: carried values come out as they went in,
                // scan outputs gain a leading iteration axis.
                const size_t first = node.opType == "Loop" ? 1 : 0;
                const size_t carried = node.opType == "Loop" && node.inputs.size() > 2 ? node.inputs.size() - 2 : 0;
                const auto& trip = c.vals(0);
                for (size_t o = 0; o < node.outputs.size() && o + first < body->outputs.size(); ++o) {
                    TensorInfo t = sub->tensors[size_t(body->outputs[o + first])];
                    if (elseKnowsMore && (!t.isKnown() || (c.out(o) && c.out(o)->isKnown())))
                        continue; // keep the then-branch's where the else-branch adds nothing
                    if (node.opType == "Loop" && o >= carried && t.rankKnown) {
                        t.dims.insert(t.dims.begin(), trip && trip->size() == 1 ? trip->front() : -1);
                        t.values.reset();
                    }
                    if (TensorInfo* out = c.out(o))
                        *out = t;
                }
            }
            result.subgraphs[body.get()] = std::move(sub);
        }
    }
}

// Says where unknown shapes start: a node whose inputs are all known but whose output is not
// cannot run as configured (a Conv whose kernel is longer than its input at samples=1) or has
// no rule. The nodes after it only inherit the unknown, so only the first few are named.
void noteUncomputable(const Graph& graph, const Node& node, ShapeResult& result, const ShapeScope& scope)
{
    constexpr int kMaxNotes = 5;
    if (result.uncomputable >= kMaxNotes || node.opType == "If" || node.opType == "Loop" || node.opType == "Scan"
        || (!node.domain.empty() && node.domain != "ai.onnx.ml" && node.domain != "com.microsoft"))
        return;
    // Outputs first: every node runs through here on every analysis, and almost all are known.
    if (std::all_of(node.outputs.begin(), node.outputs.end(),
                    [&](int out) { return out < 0 || result.tensors[size_t(out)].isKnown(); }))
        return;
    std::string inputs;
    for (int in : node.inputs) {
        if (in < 0)
            continue;
        const Value& v = graph.values[size_t(in)];
        const TensorInfo* t = v.isOuterScope ? scope.lookup(v.name) : &result.tensors[size_t(in)];
        if (!t || !t->isKnown())
            return; // an unknown inherited, not made here
        if (!v.isInitializer && !v.isConstantNode)
            inputs += (inputs.empty() ? "" : " and ") + formatShape(*t);
    }
    ++result.uncomputable;
    result.warnings.push_back("'" + node.name + "' (" + node.opType + ") cannot compute its output's shape"
                              + (inputs.empty() ? std::string() : " from " + inputs)
                              + ": a dimension may be too small for it (a kernel longer than its input),"
                                " its attributes may not fit its inputs, or it has no shape rule;"
                                " what follows it is unknown and not counted");
}

} // namespace

void inferShapes(const Graph& graph, int64_t opset, ShapeResult& result, const ShapeScope* outer)
{
    if (result.tensors.size() != graph.values.size())
        result.tensors.resize(graph.values.size());
    for (int init : graph.initializers)
        result.tensors[size_t(init)] = declaredInfo(graph.values[size_t(init)], {});
    const ShapeScope scope { &graph, &result.tensors, outer };
    const auto& table = shapeRules();
    const auto& contrib = rules::contribShapeRules();
    for (int n : graph.order) {
        const Node& node = graph.nodes[size_t(n)];
        // A rule's own words about an attribute it cannot accept replace the generic note.
        const size_t warningsBefore = result.warnings.size();
        if (node.domain == "com.microsoft" || (node.domain.empty() && node.opType == "SimplifiedLayerNormalization")) {
            if (auto it = contrib.find(node.opType); it != contrib.end()) {
                Ctx c { graph, node, opset, result.tensors, outer, &result.warnings };
                it->second(c);
            }
            applyDeclared(graph, node, result);
            if (result.warnings.size() == warningsBefore)
                noteUncomputable(graph, node, result, scope);
            continue;
        }
        if (!node.domain.empty() && node.domain != "ai.onnx.ml") {
            applyDeclared(graph, node, result); // other custom domains: only declared shapes are known
            continue;
        }
        if (node.opType == "If" || node.opType == "Loop" || node.opType == "Scan") {
            inferControlFlow(graph, node, opset, result, scope);
            if (node.opType == "Scan")
                fallbackInfer(graph, node, opset, result.tensors, outer);
        } else if (auto it = table.find(node.opType); it != table.end() && node.domain.empty()) {
            Ctx c { graph, node, opset, result.tensors, outer, &result.warnings };
            it->second(c);
        } else {
            fallbackInfer(graph, node, opset, result.tensors, outer);
        }
        applyDeclared(graph, node, result);
        if (result.warnings.size() == warningsBefore)
            noteUncomputable(graph, node, result, scope);
    }
}

} // namespace fp

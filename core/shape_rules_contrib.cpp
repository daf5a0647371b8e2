// Shape rules for the ONNX Runtime operators (domain com.microsoft, and the few ONNX Runtime
// registers in the default domain) that language-model exports use: onnxruntime-genai's model
// builder and Hugging Face Optimum. Inputs and outputs as docs/ContribOperators.md in the
// onnxruntime repository gives them. A rule that meets attributes it cannot use (num_heads 0,
// kv_num_heads not dividing num_heads) leaves its outputs unknown, which is then said.

#include "shape_rules.h"

namespace fp {
namespace rules {
namespace {

void sameAsFirst(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (x.rankKnown)
        c.setOut(0, x.dtype, x.dims);
}

// SkipLayerNormalization, SkipSimplifiedLayerNormalization: output, mean, inv_std_var and
// input_skip_bias_sum; the statistics keep every dim but the last.
void skipNorm(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown || x.dims.empty())
        return;
    std::vector<int64_t> stats = x.dims;
    stats.back() = 1;
    c.setOut(0, x.dtype, x.dims);
    c.setOut(1, DType::Float, stats);
    c.setOut(2, DType::Float, stats);
    c.setOut(3, x.dtype, x.dims);
}

bool isPowerOfTwo(int64_t n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

std::string dimsText(const std::vector<int64_t>& dims)
{
    std::string text = "[";
    for (size_t i = 0; i < dims.size(); ++i)
        text += (i ? ", " : "") + std::to_string(dims[i]);
    return text + "]";
}

// MatMulNBits: A [..., K] times a K x N weight packed to `bits` per element: [..., N]. The packed
// weight is [N, ceil(K / block_size), block_size x bits / 8] bytes. Attributes ONNX Runtime would
// refuse are said; the product keeps its shape where N is known, as the estimate still holds.
void matMulNBits(Ctx& c)
{
    const TensorInfo& a = c.in(0);
    const int64_t k = c.node.attrInt("K", -1), n = c.node.attrInt("N", -1);
    const int64_t bits = c.node.attrInt("bits", 4), block = c.node.attrInt("block_size", 0);
    if (k <= 0 || n <= 0) {
        c.problem("K " + std::to_string(k) + " and N " + std::to_string(n) + " must both be positive");
        return;
    }
    const bool bitsOk = bits == 2 || bits == 4 || bits == 8;
    if (!bitsOk)
        c.problem("bits " + std::to_string(bits) + ": ONNX Runtime packs 2, 4 or 8 bits");
    if (!isPowerOfTwo(block) || block < 16)
        c.problem("block_size " + std::to_string(block) + ": ONNX Runtime needs a power of 2, at least 16");
    else if (bitsOk) {
        const TensorInfo& packed = c.in(1);
        const std::vector<int64_t> expected { n, ceilDiv(k, block), block * bits / 8 };
        if (packed.isKnown() && packed.dims != expected && packed.elements() != satMul(expected[0], satMul(expected[1], expected[2])))
            c.problem("its packed weight is " + dimsText(packed.dims) + ", but K " + std::to_string(k) + " and N "
                      + std::to_string(n) + " in blocks of " + std::to_string(block) + " at " + std::to_string(bits)
                      + " bits call for " + dimsText(expected) + "; it is counted as K x N");
    }
    if (!a.rankKnown || a.dims.empty())
        return;
    if (a.isKnown() && a.dims.back() != k)
        c.problem("its input's last dim is " + std::to_string(a.dims.back()) + ", not K " + std::to_string(k));
    std::vector<int64_t> dims = a.dims;
    dims.back() = n;
    c.setOut(0, a.dtype, dims);
}

// GatherBlockQuantized: rows of a block-quantized table, dequantized. Output: data's dims with
// the gather axis replaced by the indices' dims; uint8 data packs 8 / bits elements to a byte
// along its last axis (the quantize axis), which the output unpacks. Its dtype is the scales'.
void gatherBlockQuantized(Ctx& c)
{
    const TensorInfo& data = c.in(0);
    const TensorInfo& indices = c.in(1);
    const TensorInfo& scales = c.in(2);
    const int64_t bits = c.node.attrInt("bits", 4), block = c.node.attrInt("block_size", 128);
    const bool packed = data.dtype == DType::UInt8;
    if (packed && bits != 2 && bits != 4 && bits != 8)
        c.problem("bits " + std::to_string(bits) + ": ONNX Runtime unpacks uint8 data at 2, 4 or 8 bits");
    if (!isPowerOfTwo(block) || block < 16)
        c.problem("block_size " + std::to_string(block) + ": ONNX Runtime needs a power of 2, at least 16");
    if (!data.rankKnown || !indices.rankKnown || data.dims.empty())
        return;
    const int64_t rank = data.rank();
    const int64_t gatherAxis = c.node.attrInt("gather_axis", 0), quantizeAxis = c.node.attrInt("quantize_axis", 1);
    if (!validAxis(gatherAxis, rank) || !validAxis(quantizeAxis, rank)) {
        c.problem("gather_axis " + std::to_string(gatherAxis) + " or quantize_axis " + std::to_string(quantizeAxis)
                  + " falls outside its " + std::to_string(rank) + "-D data");
        return;
    }
    const int64_t g = normAxis(gatherAxis, rank);
    std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + g);
    dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
    dims.insert(dims.end(), data.dims.begin() + g + 1, data.dims.end());
    if (packed && (bits == 2 || bits == 4) && !dims.empty())
        dims.back() = satMul(dims.back(), 8 / bits);
    const DType out = scales.dtype != DType::Undefined ? scales.dtype : DType::Float;
    c.setOut(0, out, dims);
}

} // namespace

// DequantizeLinear: x's shape, in the scale's type (output_dtype where set). Opset 21's blockwise
// form takes a scale of x's rank whose `axis` dim is ceil(x's / block_size); one that disagrees
// is said.
void dequantizeLinear(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const TensorInfo& scale = c.in(1);
    const int64_t block = c.node.attrInt("block_size", 0);
    if (block < 0)
        c.problem("block_size " + std::to_string(block) + " is negative");
    if (!x.rankKnown)
        return;
    if (block > 0 && x.isKnown() && scale.isKnown()) {
        const std::optional<int64_t> axis = axisOf(c, x, 1);
        if (!axis)
            c.problem("its axis falls outside its " + std::to_string(x.rank()) + "-D input");
        else if (scale.rank() != x.rank() || scale.dims[size_t(*axis)] != ceilDiv(x.dims[size_t(*axis)], block))
            c.problem("its scale is " + dimsText(scale.dims) + ", but blocks of " + std::to_string(block) + " along axis "
                      + std::to_string(*axis) + " of " + dimsText(x.dims) + " call for "
                      + std::to_string(ceilDiv(x.dims[size_t(*axis)], block)) + " there");
    }
    DType out = scale.dtype != DType::Undefined ? scale.dtype : DType::Float;
    if (const int64_t to = c.node.attrInt("output_dtype", 0); to > 0 && to <= int64_t(DType::Float4E2M1))
        out = DType(to);
    c.setOut(0, out, x.dims);
}

// QuantizeLinear: x's shape, in the zero point's type (output_dtype where set; uint8 without).
void quantizeLinear(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    if (!x.rankKnown)
        return;
    DType out = c.hasIn(2) && c.in(2).dtype != DType::Undefined ? c.in(2).dtype : DType::UInt8;
    if (const int64_t to = c.node.attrInt("output_dtype", 0); to > 0 && to <= int64_t(DType::Float4E2M1))
        out = DType(to);
    c.setOut(0, out, x.dims);
}

namespace {

// The head size of GroupQueryAttention and MultiHeadAttention: from the key's hidden size and
// the KV heads, or from a packed QKV query ((num_heads + 2 kv_num_heads) x head_size).
int64_t headSize(const TensorInfo& query, const TensorInfo& key, int64_t heads, int64_t kvHeads, bool packed)
{
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || !query.isKnown() || query.rank() != 3)
        return -1;
    if (packed) {
        const int64_t all = heads + 2 * kvHeads;
        return query.dims[2] % all == 0 ? query.dims[2] / all : -1;
    }
    if (key.isKnown() && key.rank() == 3)
        return key.dims[2] % kvHeads == 0 ? key.dims[2] / kvHeads : -1;
    if (key.isKnown() && key.rank() == 4) // BNSH key
        return key.dims[3];
    return query.dims[2] % heads == 0 ? query.dims[2] / heads : -1;
}

// GroupQueryAttention: query [B, S, N x H] (or packed QKV with no key), key and value
// [B, S, kvN x H], past_key and past_value [B, kvN, P, H]. The present KV is [B, kvN, L, H]:
// L is total_sequence_length (input 6) where it is known, else P + S; in the shared-buffer mode
// past and present are one buffer of the maximum length, which the max keeps.
void groupQueryAttention(Ctx& c)
{
    const TensorInfo& query = c.in(0);
    const int64_t heads = c.node.attrInt("num_heads", 0);
    const int64_t kvHeads = c.node.attrInt("kv_num_heads", 0);
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
        c.problem("num_heads " + std::to_string(heads) + " and kv_num_heads " + std::to_string(kvHeads)
                  + ": both must be positive, and kv_num_heads must divide num_heads");
        return;
    }
    const int64_t h = headSize(query, c.in(1), heads, kvHeads, !c.hasIn(1));
    if (h <= 0)
        return;
    const int64_t batch = query.dims[0], sequence = query.dims[1];
    c.setOut(0, query.dtype, { batch, sequence, satMul(heads, h) });
    const TensorInfo& past = c.in(3);
    if (past.isKnown() && past.rank() == 4 && (past.dims[1] != kvHeads || past.dims[3] != h))
        c.problem("its past key is " + dimsText(past.dims) + ", but kv_num_heads " + std::to_string(kvHeads)
                  + " and head size " + std::to_string(h) + " call for [" + std::to_string(batch) + ", "
                  + std::to_string(kvHeads) + ", past, " + std::to_string(h) + "]");
    const int64_t pastLength = past.isKnown() && past.rank() == 4 ? past.dims[2] : 0;
    int64_t length = satAdd(pastLength, sequence);
    if (const auto& total = c.vals(6); total && total->size() == 1 && total->front() > 0)
        length = std::max(total->front(), pastLength);
    c.setOut(1, query.dtype, { batch, kvHeads, length, h });
    c.setOut(2, query.dtype, { batch, kvHeads, length, h });
}

// MultiHeadAttention: query [B, S, N x H]; key and value [B, L, N x H] or [B, N, L, H];
// past_key and past_value (inputs 6, 7) [B, N, P, H]. present_key and present_value
// [B, N, P + L, H].
void multiHeadAttention(Ctx& c)
{
    const TensorInfo& query = c.in(0);
    const TensorInfo& key = c.in(1);
    const TensorInfo& value = c.in(2);
    const int64_t heads = c.node.attrInt("num_heads", 0);
    if (heads <= 0) {
        c.problem("num_heads " + std::to_string(heads) + " must be positive");
        return;
    }
    if (!query.isKnown() || query.rank() != 3)
        return;
    const int64_t batch = query.dims[0], sequence = query.dims[1];
    int64_t h = query.dims[2] % heads == 0 ? query.dims[2] / heads : -1;
    int64_t vh = h, kvLength = sequence;
    if (key.isKnown() && key.rank() == 3)
        kvLength = key.dims[1];
    else if (key.isKnown() && key.rank() == 4)
        kvLength = key.dims[2];
    if (value.isKnown() && value.rank() == 3 && value.dims[2] % heads == 0)
        vh = value.dims[2] / heads;
    else if (value.isKnown() && value.rank() == 4)
        vh = value.dims[3];
    if (h <= 0 || vh <= 0)
        return;
    c.setOut(0, query.dtype, { batch, sequence, satMul(heads, vh) });
    const TensorInfo& past = c.in(6);
    const int64_t total = satAdd(past.isKnown() && past.rank() == 4 ? past.dims[2] : 0, kvLength);
    c.setOut(1, query.dtype, { batch, heads, total, h });
    c.setOut(2, query.dtype, { batch, heads, total, vh });
}

// Attention (the fused BERT/GPT-2 layer): input [B, S, hidden], weights [hidden, 3 x hidden] (or
// the sizes of qkv_hidden_sizes), past [2, B, N, P, H]; output [B, S, v_hidden], present
// [2, B, N, P + S, H].
void attention(Ctx& c)
{
    const TensorInfo& x = c.in(0);
    const TensorInfo& w = c.in(1);
    const int64_t heads = c.node.attrInt("num_heads", 0);
    if (heads <= 0) {
        c.problem("num_heads " + std::to_string(heads) + " must be positive");
        return;
    }
    if (!x.isKnown() || x.rank() != 3 || !w.isKnown() || w.rank() != 2)
        return;
    std::vector<int64_t> sizes = c.node.attrInts("qkv_hidden_sizes");
    if (sizes.size() != 3) {
        if (w.dims[1] % 3 != 0)
            return;
        sizes.assign(3, w.dims[1] / 3);
    }
    if (sizes[1] % heads != 0 || sizes[2] % heads != 0)
        return;
    const int64_t batch = x.dims[0], sequence = x.dims[1];
    c.setOut(0, x.dtype, { batch, sequence, sizes[2] });
    const TensorInfo& past = c.in(4);
    const int64_t pastLength = past.isKnown() && past.rank() == 5 ? past.dims[3] : 0;
    c.setOut(1, x.dtype, { 2, batch, heads, satAdd(pastLength, sequence), sizes[1] / heads });
}

// EmbedLayerNormalization: input_ids [B, S] -> output [B, S, hidden] (the word embedding's
// width), mask_index [B], embedding_sum [B, S, hidden].
void embedLayerNorm(Ctx& c)
{
    const TensorInfo& ids = c.in(0);
    const TensorInfo& words = c.in(2);
    if (!ids.isKnown() || ids.rank() != 2 || !words.isKnown() || words.rank() != 2)
        return;
    c.setOut(0, words.dtype, { ids.dims[0], ids.dims[1], words.dims[1] });
    c.setOut(1, DType::Int32, { ids.dims[0] });
    c.setOut(2, words.dtype, { ids.dims[0], ids.dims[1], words.dims[1] });
}

} // namespace

const std::unordered_map<std::string, Rule>& contribShapeRules()
{
    static const std::unordered_map<std::string, Rule> table = [] {
        std::unordered_map<std::string, Rule> t;
        for (const char* op : { "FastGelu", "BiasGelu", "QuickGelu", "Gelu", "RotaryEmbedding", "BiasAdd",
                                "SimplifiedLayerNormalization" })
            t[op] = sameAsFirst;
        t["SkipLayerNormalization"] = skipNorm;
        t["SkipSimplifiedLayerNormalization"] = skipNorm;
        t["MatMulNBits"] = matMulNBits;
        t["GroupQueryAttention"] = groupQueryAttention;
        t["MultiHeadAttention"] = multiHeadAttention;
        t["Attention"] = attention;
        t["EmbedLayerNormalization"] = embedLayerNorm;
        t["GatherBlockQuantized"] = gatherBlockQuantized;
        t["DequantizeLinear"] = dequantizeLinear;
        t["QuantizeLinear"] = quantizeLinear;
        return t;
    }();
    return table;
}

} // namespace rules
} // namespace fp

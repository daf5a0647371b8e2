#include "onnx_fallback.h"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/onnx_pb.h>

#include <deque>

namespace fp {
namespace {

onnx::TypeProto toType(const TensorInfo& t)
{
    onnx::TypeProto type;
    auto* tensor = type.mutable_tensor_type();
    tensor->set_elem_type(int32_t(t.dtype));
    if (t.rankKnown) {
        auto* shape = tensor->mutable_shape();
        for (int64_t d : t.dims) {
            auto* dim = shape->add_dim();
            if (d >= 0)
                dim->set_dim_value(d);
        }
    }
    return type;
}

onnx::TensorProto toTensor(DType dtype, const std::vector<int64_t>& dims, const std::vector<int64_t>& values)
{
    onnx::TensorProto t;
    t.set_data_type(int32_t(dtype));
    for (int64_t d : dims)
        t.add_dims(d);
    for (int64_t v : values) {
        switch (dtype) {
        case DType::Int64:
            t.add_int64_data(v);
            break;
        case DType::Float:
            t.add_float_data(float(v));
            break;
        case DType::Double:
            t.add_double_data(double(v));
            break;
        case DType::UInt64:
        case DType::UInt32:
            t.add_uint64_data(uint64_t(v));
            break;
        default:
            t.add_int32_data(int32_t(v));
        }
    }
    return t;
}

class Context : public onnx::InferenceContext {
public:
    Context(const Graph& graph, const Node& node, std::vector<TensorInfo>& tensors, const ShapeScope* outer)
        : m_node(node)
    {
        static const TensorInfo none;
        for (int in : node.inputs) {
            const TensorInfo* t = &none;
            if (in >= 0) {
                const Value& v = graph.values[size_t(in)];
                t = &tensors[size_t(in)];
                if (v.isOuterScope && outer) {
                    const TensorInfo* o = outer->lookup(v.name);
                    t = o ? o : &none;
                }
            }
            m_inputs.push_back(t);
            m_inputTypes.push_back(in >= 0 ? toType(*t) : onnx::TypeProto {});
            if (in >= 0 && t->values && t->isKnown())
                m_inputData.push_back(toTensor(t->dtype, t->dims, *t->values));
            else
                m_inputData.emplace_back();
            m_hasData.push_back(in >= 0 && t->values && t->isKnown());
        }
        m_outputs.resize(node.outputs.size());
    }

    const onnx::AttributeProto* getAttribute(const std::string& name) const override
    {
        const Attribute* a = m_node.attribute(name);
        if (!a)
            return nullptr;
        onnx::AttributeProto& p = m_attributes.emplace_back();
        p.set_name(a->name);
        switch (a->kind) {
        case Attribute::Kind::Int:
            p.set_type(onnx::AttributeProto::INT);
            p.set_i(a->i);
            break;
        case Attribute::Kind::Float:
            p.set_type(onnx::AttributeProto::FLOAT);
            p.set_f(a->f);
            break;
        case Attribute::Kind::String:
            p.set_type(onnx::AttributeProto::STRING);
            p.set_s(a->s);
            break;
        case Attribute::Kind::Ints:
            p.set_type(onnx::AttributeProto::INTS);
            for (int64_t v : a->ints)
                p.add_ints(v);
            break;
        case Attribute::Kind::Floats:
            p.set_type(onnx::AttributeProto::FLOATS);
            for (float v : a->floats)
                p.add_floats(v);
            break;
        case Attribute::Kind::Strings:
            p.set_type(onnx::AttributeProto::STRINGS);
            for (const std::string& v : a->strings)
                p.add_strings(v);
            break;
        case Attribute::Kind::Tensor: {
            p.set_type(onnx::AttributeProto::TENSOR);
            std::vector<int64_t> dims;
            for (const Dim& d : a->tensor->declaredShape)
                dims.push_back(d.value);
            *p.mutable_t() = toTensor(a->tensor->dtype, dims, a->tensor->intData.value_or(std::vector<int64_t> {}));
            break;
        }
        default:
            return nullptr; // graph attributes: inference for those runs in shapes.cpp
        }
        return &p;
    }
    size_t getNumInputs() const override { return m_inputs.size(); }
    const onnx::TypeProto* getInputType(size_t index) const override
    {
        return index < m_inputTypes.size() && m_node.input(index) >= 0 ? &m_inputTypes[index] : nullptr;
    }
    const onnx::TensorProto* getInputData(size_t index) const override
    {
        return index < m_hasData.size() && m_hasData[index] ? &m_inputData[index] : nullptr;
    }
    size_t getNumOutputs() const override { return m_outputs.size(); }
    onnx::TypeProto* getOutputType(size_t index) override { return &m_outputs.at(index); }
    onnx::GraphInferencer* getGraphAttributeInferencer(const std::string&) override { return nullptr; }
    const onnx::SparseTensorProto* getInputSparseData(size_t) const override { return nullptr; }
    const onnx::TensorShapeProto* getSymbolicInput(size_t) const override { return nullptr; }

    const std::vector<onnx::TypeProto>& outputs() const { return m_outputs; }

private:
    const Node& m_node;
    std::vector<const TensorInfo*> m_inputs;
    std::vector<onnx::TypeProto> m_inputTypes;
    std::vector<onnx::TensorProto> m_inputData;
    std::vector<bool> m_hasData;
    std::vector<onnx::TypeProto> m_outputs;
    mutable std::deque<onnx::AttributeProto> m_attributes; // stable addresses for returned pointers
};

} // namespace

void fallbackInfer(const Graph& graph, const Node& node, int64_t opset, std::vector<TensorInfo>& tensors,
                   const ShapeScope* outer)
{
    const onnx::OpSchema* schema = node.domain.empty()
        ? onnx::OpSchemaRegistry::Schema(node.opType, int(opset > 0 ? opset : 1), "")
        : onnx::OpSchemaRegistry::Schema(node.opType, node.domain);
    if (!schema || !schema->has_type_and_shape_inference_function())
        return;
    // ONNX's inference functions assume a node that passed the checker: they index dims and
    // inputs without looking. Give them only nodes that match their schema, with every input's
    // rank known (fuzzing found MaxUnpool's reading an indices dim that was not there).
    for (int in : node.inputs) {
        if (in < 0)
            continue;
        const Value& v = graph.values[size_t(in)];
        const TensorInfo* t = v.isOuterScope && outer ? outer->lookup(v.name) : &tensors[size_t(in)];
        if (!t || !t->rankKnown)
            return;
    }
    // ONNX 1.12's convolution and pooling inference indexes the weight's dims by the input's rank,
    // and the spatial attributes by the kernel's (fuzzing found QLinearConv's 3-D input with a 4-D
    // weight reading past the end): those must agree first.
    if (node.opType == "QLinearConv" && node.domain.empty()) {
        const auto rankOf = [&](size_t i) {
            const int in = node.input(i);
            const Value* v = in >= 0 ? &graph.values[size_t(in)] : nullptr;
            const TensorInfo* t = !v ? nullptr : v->isOuterScope && outer ? outer->lookup(v->name) : &tensors[size_t(in)];
            return t ? t->rank() : -1;
        };
        const int64_t rank = rankOf(0);
        if (rank < 3 || rankOf(3) != rank)
            return;
        for (const Attribute& a : node.attributes) {
            const size_t spatial = size_t(rank - 2);
            if ((a.name == "kernel_shape" || a.name == "strides" || a.name == "dilations") && a.ints.size() != spatial)
                return;
            if (a.name == "pads" && a.ints.size() != 2 * spatial)
                return;
        }
    }
    Context ctx(graph, node, tensors, outer);
    onnx::NodeProto proto;
    proto.set_op_type(node.opType);
    proto.set_domain(node.domain);
    for (int in : node.inputs)
        proto.add_input(in < 0 ? std::string() : graph.values[size_t(in)].name);
    for (int out : node.outputs)
        proto.add_output(out < 0 ? std::string() : graph.values[size_t(out)].name);
    for (const Attribute& a : node.attributes) {
        if (const onnx::AttributeProto* p = ctx.getAttribute(a.name))
            *proto.add_attribute() = *p;
        else
            return; // graph attributes: handled in shapes.cpp, never here
    }
    try {
        schema->Verify(proto);
    } catch (const std::exception&) {
        return;
    }
    try {
        schema->GetTypeAndShapeInferenceFunction()(ctx);
    } catch (const std::exception&) {
        return; // ONNX could not infer this node: its outputs stay as declared (or unknown)
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        const int out = node.outputs[i];
        if (out < 0)
            continue;
        const onnx::TypeProto& type = ctx.outputs()[i];
        if (!type.has_tensor_type())
            continue;
        TensorInfo& t = tensors[size_t(out)];
        const auto& tensorType = type.tensor_type();
        if (tensorType.elem_type() != 0)
            t.dtype = DType(tensorType.elem_type());
        if (tensorType.has_shape()) {
            t.rankKnown = true;
            t.dims.clear();
            for (const auto& d : tensorType.shape().dim())
                t.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
        }
    }
}

} // namespace fp

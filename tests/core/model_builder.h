#pragma once

// Builds small ONNX models in tests with ONNX's own protobuf classes, so test graphs are
// written independently of the reader under test.

#include "dump_model.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace fp::test {

class ModelBuilder {
public:
    explicit ModelBuilder(int64_t opset = 13)
    {
        m_model.set_ir_version(8);
        auto* o = m_model.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        m_model.mutable_graph()->set_name("test");
    }

    // dims: numbers, or -1 with a symbol name in `symbols` at the same position.
    ModelBuilder& input(const std::string& name, std::vector<int64_t> dims, std::vector<std::string> symbols = {},
                        int elemType = onnx::TensorProto::FLOAT)
    {
        fill(m_model.mutable_graph()->add_input(), name, dims, symbols, elemType);
        return *this;
    }
    ModelBuilder& output(const std::string& name, std::vector<int64_t> dims = {}, int elemType = onnx::TensorProto::FLOAT)
    {
        auto* v = m_model.mutable_graph()->add_output();
        v->set_name(name);
        if (!dims.empty())
            fill(v, name, dims, {}, elemType);
        return *this;
    }
    // A weight: dims and dtype only, its bytes "stored externally" in a file that does not exist.
    ModelBuilder& weight(const std::string& name, std::vector<int64_t> dims, int elemType = onnx::TensorProto::FLOAT,
                         const std::string& location = "weights.bin")
    {
        auto* t = m_model.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(elemType);
        for (int64_t d : dims)
            t->add_dims(d);
        t->set_data_location(onnx::TensorProto::EXTERNAL);
        auto* e = t->add_external_data();
        e->set_key("location");
        e->set_value(location);
        return *this;
    }
    ModelBuilder& ints(const std::string& name, std::vector<int64_t> values)
    {
        auto* t = m_model.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(int64_t(values.size()));
        for (int64_t v : values)
            t->add_int64_data(v);
        return *this;
    }
    // A rank-0 initializer with its value inline: an index, a ratio, a flag.
    ModelBuilder& scalar(const std::string& name, double value, int elemType = onnx::TensorProto::FLOAT)
    {
        auto* t = m_model.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(elemType);
        if (elemType == onnx::TensorProto::FLOAT)
            t->add_float_data(float(value));
        else if (elemType == onnx::TensorProto::INT64)
            t->add_int64_data(int64_t(value));
        else
            t->add_int32_data(int32_t(value)); // BOOL and the narrow integers
        return *this;
    }
    onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                          const std::string& name = {})
    {
        auto* n = m_model.mutable_graph()->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? outputs.front() : name);
        for (const auto& i : inputs)
            n->add_input(i);
        for (const auto& o : outputs)
            n->add_output(o);
        return *n;
    }
    static void attr(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> values)
    {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : values)
            a->add_ints(v);
    }
    static void attr(onnx::NodeProto& n, const std::string& name, int64_t value)
    {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(value);
    }

    onnx::ModelProto& proto() { return m_model; }
    std::string bytes() const
    {
        std::string b = m_model.SerializeAsString();
        dumpForFuzzing(b);
        return b;
    }

private:
    static void fill(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<std::string>& symbols, int elemType)
    {
        v->set_name(name);
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(elemType);
        auto* shape = t->mutable_shape();
        for (size_t i = 0; i < dims.size(); ++i) {
            auto* d = shape->add_dim();
            if (dims[i] >= 0)
                d->set_dim_value(dims[i]);
            else if (i < symbols.size())
                d->set_dim_param(symbols[i]);
        }
    }

    onnx::ModelProto m_model;
};

} // namespace fp::test

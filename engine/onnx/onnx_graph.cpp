// OnnxGraph: nodes, attributes and initializers of the exported graph.
#include "engine/onnx/onnx_graph.hpp"

#include <cstring>

namespace gradstream::engine::onnx_export {

OnnxNode& OnnxNode::attribute(const char* name, int64_t value) {
  onnx::AttributeProto& a = *proto_->add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
  return *this;
}

OnnxNode& OnnxNode::attribute(const char* name, float value) {
  onnx::AttributeProto& a = *proto_->add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return *this;
}

OnnxNode& OnnxNode::attribute(const char* name, const std::vector<int64_t>& values) {
  onnx::AttributeProto& a = *proto_->add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (const int64_t v : values) a.add_ints(v);
  return *this;
}

std::string OnnxGraph::fresh(std::string_view stem) {
  return (scope_.empty() ? "" : scope_ + "/") + std::string(stem) + "_" + std::to_string(next_++);
}

OnnxNode OnnxGraph::add(std::string_view op, std::initializer_list<std::string> inputs) {
  return add(op, std::vector<std::string>(inputs));
}

OnnxNode OnnxGraph::add(std::string_view op, const std::vector<std::string>& inputs) {
  onnx::NodeProto& node = *graph_.add_node();
  node.set_op_type(std::string(op));
  std::string output = fresh(op);
  node.set_name(output);
  for (const std::string& input : inputs) node.add_input(input);
  node.add_output(output);
  return OnnxNode(node, std::move(output));
}

std::string OnnxGraph::floats(std::string_view stem, const std::vector<int64_t>& dims,
                              std::span<const float> values) {
  onnx::TensorProto& t = *graph_.add_initializer();
  std::string name = fresh(stem);
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) t.add_dims(d);
  // raw_data is little-endian float32, as the host's.
  t.set_raw_data(values.data(), values.size() * sizeof(float));
  return name;
}

std::string OnnxGraph::scalar(float value) {
  // One initializer per distinct value, found by its bits (so -0 and 0 differ).
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  const std::string name = "const_" + std::to_string(bits);
  for (const onnx::TensorProto& t : graph_.initializer())
    if (t.name() == name) return name;
  onnx::TensorProto& t = *graph_.add_initializer();
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_float_data(value);
  return name;
}

std::string OnnxGraph::int64s(std::string_view stem, const std::vector<int64_t>& values) {
  onnx::TensorProto& t = *graph_.add_initializer();
  std::string name = fresh(stem);
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  for (const int64_t v : values) t.add_int64_data(v);
  return name;
}

}  // namespace gradstream::engine::onnx_export

// OnnxGraph: appends nodes and initializers to an onnx::GraphProto under
// fresh, readable value names ("dense_0/gemm_3"), so the exporters of layers
// and activations say only which operator takes which values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "onnx/onnx_pb.h"

namespace gradstream::engine::onnx_export {

// One added node: its output's name, and attributes set on it in a chain.
class OnnxNode {
 public:
  OnnxNode(onnx::NodeProto& proto, std::string output)
      : proto_(&proto), output_(std::move(output)) {}
  const std::string& output() const { return output_; }
  OnnxNode& attribute(const char* name, int64_t value);
  OnnxNode& attribute(const char* name, float value);
  OnnxNode& attribute(const char* name, const std::vector<int64_t>& values);

 private:
  onnx::NodeProto* proto_;
  std::string output_;
};

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto& graph) : graph_(graph) {}

  // Names of the values added next start with "<scope>/" (a layer's name).
  void set_scope(std::string scope) { scope_ = std::move(scope); }

  // `op` (of the default domain) on `inputs`, with one new output.
  OnnxNode add(std::string_view op, std::initializer_list<std::string> inputs);
  OnnxNode add(std::string_view op, const std::vector<std::string>& inputs);

  // A float initializer of shape `dims` holding `values` (row-major).
  std::string floats(std::string_view stem, const std::vector<int64_t>& dims,
                     std::span<const float> values);
  // A float scalar (shape []) initializer, shared by every use of the value.
  std::string scalar(float value);
  // A 1-D int64 initializer (Reshape's shape).
  std::string int64s(std::string_view stem, const std::vector<int64_t>& values);

 private:
  std::string fresh(std::string_view stem);

  onnx::GraphProto& graph_;
  std::string scope_;
  int64_t next_ = 0;
};

}  // namespace gradstream::engine::onnx_export

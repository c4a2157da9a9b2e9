// Parameter: a trainable tensor and its gradient, both kept in the layout the
// primitives that use them prefer (set_layout; blocked layouts pad with zeros).
// Optimizers update the stored floats element-wise, padding included: a padded
// element has gradient 0 and value 0, so it stays 0 under every update rule.
// Everything outside the step loop reads and writes the canonical row-major
// order of `shape` (read_value, write_value, read_grad; the plain_* views for
// statistics), so the layout never shows in reports, exports or model files.
#pragma once

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "engine/core/primitive_call.hpp"
#include "engine/core/shape.hpp"

namespace gradstream::engine {

class Parameter {
 public:
  // Value and gradient zeroed, in the plain layout of `shape`.
  Parameter(const dnnl::engine& eng, std::string layer, std::string name, Shape shape, bool decay);
  Parameter(Parameter&&) = default;
  Parameter& operator=(Parameter&&) = default;

  const std::string& layer() const { return layer_; }
  const std::string& name() const { return name_; }
  const Shape& shape() const { return shape_; }
  // Weight decay applies (weights yes; biases and slopes no).
  bool decay() const { return decay_; }
  int64_t size() const { return size_; }      // logical elements
  int64_t stored() const { return stored_; }  // stored floats, padding included

  const dnnl::memory& value() const { return value_; }
  const dnnl::memory& grad() const { return grad_; }
  float* stored_value() const { return static_cast<float*>(value_.get_data_handle()); }
  float* stored_grad() const { return static_cast<float*>(grad_.get_data_handle()); }
  bool plain() const { return plain_; }

  // Moves the value into `layout` (dims must be shape()); the gradient follows
  // (zeroed). Called when the model is built, before any step.
  void set_layout(const dnnl::memory::desc& layout);

  // `size()` floats in row-major order of shape().
  void read_value(float* out) const;
  void write_value(const float* in);
  void read_grad(float* out) const;
  // The same for a buffer of stored() floats laid out like the value (an
  // optimizer's moments): checkpoints keep them row-major, so they can be
  // restored where oneDNN picks another layout. Writing zeroes the padding.
  void read_like_value(const float* stored, float* out) const;
  void write_like_value(const float* in, float* stored) const;
  std::vector<float> value_values() const;
  std::vector<float> grad_values() const;

  // Row-major views for statistics: the storage itself when plain, else a copy
  // made now into a buffer of its own allocated once (no allocation per call).
  const float* plain_value();
  const float* plain_grad();

 private:
  void copy(const dnnl::memory& from, const dnnl::memory& to) const;
  dnnl::memory plain_memory(const float* data) const;
  dnnl::memory stored_memory(const float* data) const;

  dnnl::engine eng_;
  std::string layer_;
  std::string name_;
  Shape shape_;
  bool decay_;
  int64_t size_;
  int64_t stored_;
  bool plain_ = true;
  dnnl::memory value_;
  dnnl::memory grad_;
  mutable dnnl::stream stream_;  // for the reorders at the edges
  // Non-plain layouts only: plain buffers and the reorders filling them.
  dnnl::memory plain_value_;
  dnnl::memory plain_grad_;
  PrimitiveCall value_to_plain_;
  PrimitiveCall grad_to_plain_;
};

}  // namespace gradstream::engine

// Layer: one step of a network built for one batch size. Construction (front to
// back) builds the forward primitives and the dst buffer; bind_backward (back to
// front) builds the backward primitives once diff_dst is known. forward() and
// backward() only execute what was built.
#pragma once

#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/layers/activation_catalog.hpp"
#include "engine/core/parameter.hpp"

namespace gradstream::engine {

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const dnnl::memory& dst() const { return dst_; }
  // The catalog entry for activation layers, nullptr for the others.
  virtual const ActivationInfo* activation() const { return nullptr; }

  // Builds the backward pass reading `diff_dst`; returns diff_src, or an empty
  // memory when `needs_diff_src` is false (nothing below needs a gradient).
  virtual dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) = 0;
  virtual void forward(const dnnl::stream& stream) = 0;
  virtual void backward(const dnnl::stream& stream) = 0;

 protected:
  std::string name_;
  dnnl::memory dst_;
};

}  // namespace gradstream::engine

// Flatten: samples are already held as {batch, features} rows, so flattening is
// a pass-through that shares its input and its gradient buffers.
#pragma once

#include "engine/core/layer.hpp"

namespace gradstream::engine {

class FlattenLayer : public Layer {
 public:
  FlattenLayer(std::string name, const dnnl::memory& src) : Layer(std::move(name)) { dst_ = src; }

  dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) override {
    return needs_diff_src ? diff_dst : dnnl::memory();
  }
  void forward(const dnnl::stream& /*stream*/) override {}
  void backward(const dnnl::stream& /*stream*/) override {}
};

}  // namespace gradstream::engine

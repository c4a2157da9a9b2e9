// Dense (fully connected) layer on oneDNN's inner product.
//   dst[n, o] = sum_i src[n, i] * weights[o, i] + bias[o]
//   diff_src = diff_dst * weights;  diff_weights = diff_dst^T * src;  diff_bias = sum_n diff_dst
#pragma once

#include <optional>

#include "engine/core/layer.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

// An element-wise activation the inner product applies to its output as a
// oneDNN post-op, saving the activation layer a pass over memory.
struct FusedActivation {
  dnnl::algorithm algorithm;
  EltwiseArgs args;
};

class DenseLayer : public Layer {
 public:
  // `bias` may be null (no_bias). `training` builds the forward for training.
  // With `fused`, dst holds the activation's output (see EltwiseActivationLayer).
  DenseLayer(std::string name, const dnnl::memory& src, Parameter& weights, Parameter* bias,
             bool training, const dnnl::engine& eng,
             std::optional<FusedActivation> fused = std::nullopt);

  dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override { forward_.execute(stream); }
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::engine eng_;
  dnnl::memory src_;
  Parameter& weights_;
  Parameter* bias_;
  dnnl::inner_product_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  PrimitiveCall backward_data_;     // empty for the first layer: nothing needs diff_src
  PrimitiveCall backward_weights_;
};

}  // namespace gradstream::engine

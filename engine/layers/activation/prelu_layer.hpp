// PReLU: leaky ReLU whose negative slope is learned, one slope per channel
// (He et al. 2015; per unit for [N, units]), on oneDNN's prelu primitive.
//   dst = src if src > 0 else slope[c] * src
//   diff_src = diff_dst * (1 if src > 0 else slope[c])
//   diff_slope[c] = sum over n and positions of diff_dst * min(src, 0)
// The slope has src's rank with 1 everywhere but the channel axis:
// [1, C] for [N, C], [1, C, 1, 1] for [N, C, H, W] (oneDNN's broadcast form).
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

// The slope's shape for one sample of `input` (without the batch dimension).
Shape prelu_slope_shape(const Shape& input);

class PreluLayer : public Layer {
 public:
  PreluLayer(std::string name, const Tensor& src, const ActivationInfo& info, Parameter& slope,
             const LayerOptions& options, const dnnl::engine& eng);

  const ActivationInfo* activation() const override { return &info_; }
  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override { forward_.execute(stream); }
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::engine eng_;
  Tensor src_;
  const ActivationInfo& info_;
  Parameter& slope_;
  dnnl::prelu_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

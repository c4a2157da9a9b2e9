// PReLU: leaky ReLU whose negative slope is learned, one slope per unit
// (He et al. 2015), on oneDNN's prelu primitive.
//   dst = src if src > 0 else slope[c] * src
//   diff_src = diff_dst * (1 if src > 0 else slope[c]);  diff_slope[c] = sum_n diff_dst * min(src, 0)
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

class PreluLayer : public Layer {
 public:
  PreluLayer(std::string name, const dnnl::memory& src, const ActivationInfo& info,
             Parameter& slope, bool training, const dnnl::engine& eng);

  const ActivationInfo* activation() const override { return &info_; }
  dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override { forward_.execute(stream); }
  void backward(const dnnl::stream& stream) override {
    if (!backward_.empty()) backward_.execute(stream);
  }

 private:
  dnnl::engine eng_;
  dnnl::memory src_;
  const ActivationInfo& info_;
  Parameter& slope_;
  dnnl::prelu_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

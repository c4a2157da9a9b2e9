// Element-wise activation layer on oneDNN's eltwise primitive: every catalog
// entry whose primitive is kEltwise, on a tensor of any rank and layout (the
// layer keeps its src's layout). Backward reads dst where the catalog says
// oneDNN has the dst-based form (relu, tanh, elu, sigmoid), src otherwise.
// SELU is elu followed by a scale (eltwise_linear), so it runs two stages:
//   inner = elu(src; alpha);  dst = lambda * inner
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

class EltwiseActivationLayer : public Layer {
 public:
  // options.fused_upstream: the layer below already applied this activation as
  // a post-op, so `src` holds the activation's output. Forward then does
  // nothing and dst is src; backward (dst-based, or none in inference) is
  // unchanged, unless options.fused_backward says the layer below applies the
  // derivative in its own backward too: then diff passes through untouched.
  EltwiseActivationLayer(std::string name, const Tensor& src, const ActivationInfo& info,
                         EltwiseArgs args, const LayerOptions& options, const dnnl::engine& eng);

  // Whether an activation can run as a post-op of the layer below: only when
  // nothing needs its input afterwards (dst-based backward, or no backward).
  static bool can_fuse(const ActivationInfo& info, bool training);

  const ActivationInfo* activation() const override { return &info_; }
  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  bool scaled() const { return info_.output_scale != 1.0F; }

  bool fused_upstream_;
  bool fused_backward_;
  dnnl::engine eng_;
  Tensor src_;
  const ActivationInfo& info_;
  EltwiseArgs args_;
  Tensor inner_;  // output of the first stage; dst_ itself when not scaled
  dnnl::eltwise_forward::primitive_desc forward_pd_;
  dnnl::eltwise_forward::primitive_desc scale_pd_;
  PrimitiveCall forward_;
  PrimitiveCall scale_forward_;
  LayoutConversion diff_dst_;
  PrimitiveCall scale_backward_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

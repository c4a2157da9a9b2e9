// EltwiseActivationLayer: eltwise forward/backward, plus SELU's scale stage.
#include "engine/layers/activation/eltwise_activation_layer.hpp"

namespace gradstream::engine {

EltwiseActivationLayer::EltwiseActivationLayer(std::string name, const Tensor& src,
                                               const ActivationInfo& info, EltwiseArgs args,
                                               const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)),
      fused_upstream_(options.fused_upstream),
      fused_backward_(options.fused_backward),
      eng_(eng),
      src_(src),
      info_(info),
      args_(args) {
  const dnnl::memory::desc md = src.desc();
  const auto prop =
      options.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  // The forward algorithm of a *_use_dst_for_bwd pair must be the same form.
  dnnl::eltwise_forward::desc desc(
      prop, info.backward_uses_dst() ? info.backward_algorithm : info.forward_algorithm, md,
      args.alpha, args.beta);
  forward_pd_ = dnnl::eltwise_forward::primitive_desc(desc, eng);  // also backward's hint
  if (fused_upstream_) {
    dst_ = src;
    inner_ = src;
    return;
  }
  dst_ = Tensor::allocate(md, eng);
  inner_ = scaled() ? Tensor::allocate(md, eng) : dst_;
  forward_ = PrimitiveCall(dnnl::eltwise_forward(forward_pd_),
                           {{DNNL_ARG_SRC, src_.memory()}, {DNNL_ARG_DST, inner_.memory()}});
  if (scaled()) {
    dnnl::eltwise_forward::desc scale(prop, dnnl::algorithm::eltwise_linear, md, info.output_scale,
                                      0.0F);
    scale_pd_ = dnnl::eltwise_forward::primitive_desc(scale, eng);
    scale_forward_ =
        PrimitiveCall(dnnl::eltwise_forward(scale_pd_),
                      {{DNNL_ARG_SRC, inner_.memory()}, {DNNL_ARG_DST, dst_.memory()}});
  }
}

Tensor EltwiseActivationLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src) return {};
  if (fused_backward_) return diff_dst;  // the layer below applies the derivative
  const dnnl::memory::desc md = src_.desc();
  diff_dst_ = LayoutConversion(diff_dst, md, eng_);
  Tensor diff_inner = diff_dst_.tensor();
  if (scaled()) {
    diff_inner = Tensor::allocate(md, eng_);
    dnnl::eltwise_backward::desc desc(dnnl::algorithm::eltwise_linear, md, md, info_.output_scale,
                                      0.0F);
    dnnl::eltwise_backward::primitive_desc pd(desc, eng_, scale_pd_);
    scale_backward_ =
        PrimitiveCall(dnnl::eltwise_backward(pd), {{DNNL_ARG_SRC, inner_.memory()},
                                                   {DNNL_ARG_DIFF_DST, diff_dst_.tensor().memory()},
                                                   {DNNL_ARG_DIFF_SRC, diff_inner.memory()}});
  }
  const Tensor diff_src = Tensor::allocate(md, eng_);
  dnnl::eltwise_backward::desc desc(info_.backward_algorithm, md, md, args_.alpha, args_.beta);
  dnnl::eltwise_backward::primitive_desc pd(desc, eng_, forward_pd_);
  const int data_arg = info_.backward_uses_dst() ? DNNL_ARG_DST : DNNL_ARG_SRC;
  const Tensor& data = info_.backward_uses_dst() ? inner_ : src_;
  backward_ = PrimitiveCall(dnnl::eltwise_backward(pd), {{data_arg, data.memory()},
                                                         {DNNL_ARG_DIFF_DST, diff_inner.memory()},
                                                         {DNNL_ARG_DIFF_SRC, diff_src.memory()}});
  return diff_src;
}

bool EltwiseActivationLayer::can_fuse(const ActivationInfo& info, bool training) {
  return info.primitive == ActivationPrimitive::kEltwise && info.output_scale == 1.0F &&
         (!training || info.backward_uses_dst());
}

void EltwiseActivationLayer::forward(const dnnl::stream& stream) {
  if (fused_upstream_) return;
  forward_.execute(stream);
  if (scaled()) scale_forward_.execute(stream);
}

void EltwiseActivationLayer::backward(const dnnl::stream& stream) {
  if (backward_.empty()) return;
  diff_dst_.run(stream);
  if (scaled()) scale_backward_.execute(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine

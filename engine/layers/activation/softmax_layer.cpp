// SoftmaxLayer: softmax_v2 forward and dst-based backward.
#include "engine/layers/activation/softmax_layer.hpp"

namespace gradstream::engine {

SoftmaxLayer::SoftmaxLayer(std::string name, const Tensor& src, const ActivationInfo& info,
                           const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), info_(info) {
  const dnnl::memory::desc md = src.desc();
  const auto prop =
      options.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::softmax_v2_forward::desc desc(prop, info.forward_algorithm, md, md, kChannelAxis);
  forward_pd_ = dnnl::softmax_v2_forward::primitive_desc(desc, eng);
  dst_ = Tensor::allocate(md, eng);
  forward_ = PrimitiveCall(dnnl::softmax_v2_forward(forward_pd_),
                           {{DNNL_ARG_SRC, src.memory()}, {DNNL_ARG_DST, dst_.memory()}});
}

Tensor SoftmaxLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src) return {};
  const dnnl::memory::desc md = dst_.desc();
  diff_dst_ = LayoutConversion(diff_dst, md, eng_);
  dnnl::softmax_v2_backward::desc desc(info_.backward_algorithm, md, md, md, kChannelAxis);
  dnnl::softmax_v2_backward::primitive_desc pd(desc, eng_, forward_pd_);
  const Tensor diff_src = Tensor::allocate(md, eng_);
  backward_ = PrimitiveCall(dnnl::softmax_v2_backward(pd),
                            {{DNNL_ARG_DST, dst_.memory()},
                             {DNNL_ARG_DIFF_DST, diff_dst_.tensor().memory()},
                             {DNNL_ARG_DIFF_SRC, diff_src.memory()}});
  return diff_src;
}

void SoftmaxLayer::backward(const dnnl::stream& stream) {
  if (backward_.empty()) return;
  diff_dst_.run(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine

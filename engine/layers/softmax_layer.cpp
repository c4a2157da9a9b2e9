// SoftmaxLayer: softmax_v2 forward and dst-based backward.
#include "engine/layers/softmax_layer.hpp"

namespace gradstream::engine {

SoftmaxLayer::SoftmaxLayer(std::string name, const dnnl::memory& src, const ActivationInfo& info,
                           bool training, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), info_(info) {
  const dnnl::memory::desc md = src.get_desc();
  const auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::softmax_v2_forward::desc desc(prop, info.forward_algorithm, md, md, kUnitAxis);
  forward_pd_ = dnnl::softmax_v2_forward::primitive_desc(desc, eng);
  dst_ = dnnl::memory(md, eng);
  forward_ = PrimitiveCall(dnnl::softmax_v2_forward(forward_pd_),
                           {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst_}});
}

dnnl::memory SoftmaxLayer::bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src) return {};
  const dnnl::memory::desc md = dst_.get_desc();
  dnnl::softmax_v2_backward::desc desc(info_.backward_algorithm, md, md, md, kUnitAxis);
  dnnl::softmax_v2_backward::primitive_desc pd(desc, eng_, forward_pd_);
  dnnl::memory diff_src(md, eng_);
  backward_ = PrimitiveCall(dnnl::softmax_v2_backward(pd),
                            {{DNNL_ARG_DST, dst_}, {DNNL_ARG_DIFF_DST, diff_dst},
                             {DNNL_ARG_DIFF_SRC, diff_src}});
  return diff_src;
}

void SoftmaxLayer::backward(const dnnl::stream& stream) {
  if (!backward_.empty()) backward_.execute(stream);
}

}  // namespace gradstream::engine

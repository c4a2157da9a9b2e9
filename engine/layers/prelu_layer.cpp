// PreluLayer: prelu forward and backward (data and slope).
#include "engine/layers/prelu_layer.hpp"

namespace gradstream::engine {

PreluLayer::PreluLayer(std::string name, const dnnl::memory& src, const ActivationInfo& info,
                       Parameter& slope, bool training, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), src_(src), info_(info), slope_(slope) {
  const dnnl::memory::desc md = src.get_desc();
  const auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::prelu_forward::desc desc(prop, md, slope.value.get_desc());
  forward_pd_ = dnnl::prelu_forward::primitive_desc(desc, eng);
  dst_ = dnnl::memory(md, eng);
  forward_ = PrimitiveCall(dnnl::prelu_forward(forward_pd_),
                           {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, slope.value}, {DNNL_ARG_DST, dst_}});
}

dnnl::memory PreluLayer::bind_backward(const dnnl::memory& diff_dst, bool /*needs_diff_src*/) {
  // oneDNN's prelu backward always produces diff_src along with diff_weights.
  const dnnl::memory::desc md = src_.get_desc();
  dnnl::prelu_backward::desc desc(md, slope_.value.get_desc(), md, slope_.grad.get_desc());
  dnnl::prelu_backward::primitive_desc pd(desc, eng_, forward_pd_);
  dnnl::memory diff_src(md, eng_);
  backward_ = PrimitiveCall(dnnl::prelu_backward(pd),
                            {{DNNL_ARG_SRC, src_},
                             {DNNL_ARG_WEIGHTS, slope_.value},
                             {DNNL_ARG_DIFF_DST, diff_dst},
                             {DNNL_ARG_DIFF_SRC, diff_src},
                             {DNNL_ARG_DIFF_WEIGHTS, slope_.grad}});
  return diff_src;
}

}  // namespace gradstream::engine

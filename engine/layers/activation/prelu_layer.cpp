// PreluLayer: prelu forward and backward (data and slope).
#include "engine/layers/activation/prelu_layer.hpp"

namespace gradstream::engine {

Shape prelu_slope_shape(const Shape& input) {
  Shape slope(input.size() + 1, 1);
  slope[1] = input.empty() ? 1 : input[0];
  return slope;
}

PreluLayer::PreluLayer(std::string name, const Tensor& src, const ActivationInfo& info,
                       Parameter& slope, const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), src_(src), info_(info), slope_(slope) {
  const dnnl::memory::desc md = src.desc();
  const auto prop =
      options.training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::prelu_forward::desc desc(prop, md, slope.value().get_desc());
  forward_pd_ = dnnl::prelu_forward::primitive_desc(desc, eng);
  dst_ = Tensor::allocate(md, eng);
  forward_ = PrimitiveCall(dnnl::prelu_forward(forward_pd_), {{DNNL_ARG_SRC, src_.memory()},
                                                              {DNNL_ARG_WEIGHTS, slope.value()},
                                                              {DNNL_ARG_DST, dst_.memory()}});
}

Tensor PreluLayer::bind_backward(const Tensor& diff_dst, bool /*needs_diff_src*/) {
  // oneDNN's prelu backward always produces diff_src along with diff_weights.
  const dnnl::memory::desc md = src_.desc();
  diff_dst_ = LayoutConversion(diff_dst, md, eng_);
  dnnl::prelu_backward::desc desc(md, slope_.value().get_desc(), md, slope_.grad().get_desc());
  dnnl::prelu_backward::primitive_desc pd(desc, eng_, forward_pd_);
  const Tensor diff_src = Tensor::allocate(md, eng_);
  backward_ =
      PrimitiveCall(dnnl::prelu_backward(pd), {{DNNL_ARG_SRC, src_.memory()},
                                               {DNNL_ARG_WEIGHTS, slope_.value()},
                                               {DNNL_ARG_DIFF_DST, diff_dst_.tensor().memory()},
                                               {DNNL_ARG_DIFF_SRC, diff_src.memory()},
                                               {DNNL_ARG_DIFF_WEIGHTS, slope_.grad()}});
  return diff_src;
}

void PreluLayer::backward(const dnnl::stream& stream) {
  diff_dst_.run(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine

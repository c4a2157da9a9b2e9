// DenseLayer: inner_product forward, backward data and backward weights.
#include "engine/layers/dense_layer.hpp"

namespace gradstream::engine {

namespace ip = dnnl;

DenseLayer::DenseLayer(std::string name, const dnnl::memory& src, Parameter& weights,
                       Parameter* bias, bool training, const dnnl::engine& eng,
                       std::optional<FusedActivation> fused)
    : Layer(std::move(name)), eng_(eng), src_(src), weights_(weights), bias_(bias) {
  const dnnl::memory::desc src_md = src.get_desc();
  const int64_t batch = src_md.dims()[0];
  const int64_t units = weights.shape[0];
  const dnnl::memory::desc dst_md = matrix_desc(batch, units);
  const auto prop = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  auto desc = bias ? ip::inner_product_forward::desc(prop, src_md, weights.value.get_desc(),
                                                     bias->value.get_desc(), dst_md)
                   : ip::inner_product_forward::desc(prop, src_md, weights.value.get_desc(), dst_md);
  dnnl::primitive_attr attr;
  if (fused) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0F, fused->algorithm, fused->args.alpha, fused->args.beta);
    attr.set_post_ops(ops);
  }
  forward_pd_ = ip::inner_product_forward::primitive_desc(desc, attr, eng);
  dst_ = dnnl::memory(dst_md, eng);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights.value}, {DNNL_ARG_DST, dst_}};
  if (bias) args.insert({DNNL_ARG_BIAS, bias->value});
  forward_ = PrimitiveCall(ip::inner_product_forward(forward_pd_), std::move(args));
}

dnnl::memory DenseLayer::bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) {
  const dnnl::memory::desc src_md = src_.get_desc();
  const dnnl::memory::desc diff_dst_md = diff_dst.get_desc();
  dnnl::memory diff_src;
  if (needs_diff_src) {
    ip::inner_product_backward_data::desc desc(src_md, weights_.value.get_desc(), diff_dst_md);
    ip::inner_product_backward_data::primitive_desc pd(desc, eng_, forward_pd_);
    diff_src = dnnl::memory(src_md, eng_);
    backward_data_ = PrimitiveCall(
        ip::inner_product_backward_data(pd),
        {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, weights_.value},
         {DNNL_ARG_DIFF_SRC, diff_src}});
  }
  auto desc = bias_ ? ip::inner_product_backward_weights::desc(
                          src_md, weights_.grad.get_desc(), bias_->grad.get_desc(), diff_dst_md)
                    : ip::inner_product_backward_weights::desc(src_md, weights_.grad.get_desc(),
                                                               diff_dst_md);
  ip::inner_product_backward_weights::primitive_desc pd(desc, eng_, forward_pd_);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src_}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, weights_.grad}};
  if (bias_) args.insert({DNNL_ARG_DIFF_BIAS, bias_->grad});
  backward_weights_ = PrimitiveCall(ip::inner_product_backward_weights(pd), std::move(args));
  return diff_src;
}

void DenseLayer::backward(const dnnl::stream& stream) {
  backward_weights_.execute(stream);
  if (!backward_data_.empty()) backward_data_.execute(stream);
}

}  // namespace gradstream::engine

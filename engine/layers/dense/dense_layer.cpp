// DenseLayer: inner_product forward, backward data and backward weights.
#include "engine/layers/dense/dense_layer.hpp"

namespace gradstream::engine {

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::memory::desc any_desc(const Shape& dims) { return {dims, dt::f32, tag::any}; }

}  // namespace

dnnl::inner_product_forward::primitive_desc DenseLayer::forward_pd(
    int64_t batch, const dnnl::memory::desc& weights_md, bool has_bias, bool training,
    const std::optional<PostOp>& post_op, const dnnl::engine& eng) {
  const Shape weights_dims = weights_md.dims();
  const int64_t units = weights_dims[0];
  const dnnl::memory::desc src_md = plain_desc({batch, weights_dims[1]});
  const dnnl::memory::desc dst_md = any_desc({batch, units});
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  using ip = dnnl::inner_product_forward;
  ip::desc desc = has_bias ? ip::desc(prop, src_md, weights_md, plain_desc({units}), dst_md)
                           : ip::desc(prop, src_md, weights_md, dst_md);
  dnnl::primitive_attr attr;
  if (post_op) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0F, post_op->algorithm, post_op->alpha, post_op->beta);
    attr.set_post_ops(ops);
  }
  return {desc, attr, eng};
}

DenseLayer::DenseLayer(std::string name, const Tensor& src, Parameter& weights, Parameter* bias,
                       const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), src_shape_(src.shape()), weights_(weights), bias_(bias) {
  const int64_t batch = src.batch();
  const int64_t inputs = weights.shape()[1];
  src_plain_ = LayoutConversion(src, plain_desc(src.shape()), eng);
  src_rows_ = PlainView(src_plain_.tensor(), {batch, inputs});
  forward_pd_ = forward_pd(batch, weights.value().get_desc(), bias != nullptr, options.training,
                           options.post_op, eng);
  dst_ = Tensor::allocate(forward_pd_.dst_desc(), eng);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src_rows_.tensor().memory()},
                                             {DNNL_ARG_WEIGHTS, weights.value()},
                                             {DNNL_ARG_DST, dst_.memory()}};
  if (bias) args.insert({DNNL_ARG_BIAS, bias->value()});
  forward_ = PrimitiveCall(dnnl::inner_product_forward(forward_pd_), std::move(args));
}

Tensor DenseLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  using ip_data = dnnl::inner_product_backward_data;
  using ip_weights = dnnl::inner_product_backward_weights;
  const Tensor& src_rows = src_rows_.tensor();
  const dnnl::memory::desc diff_dst_any = any_desc(diff_dst.shape());
  Tensor diff_src;
  if (needs_diff_src) {
    // Plain, so that it can be seen in src's own shape (a reshape moves nothing).
    ip_data::desc desc(src_rows.desc(), weights_.value().get_desc(), diff_dst_any);
    ip_data::primitive_desc pd(desc, eng_, forward_pd_);
    diff_dst_for_data_ = LayoutConversion(diff_dst, pd.diff_dst_desc(), eng_);
    const Tensor diff_rows = Tensor::allocate(src_rows.desc(), eng_);
    backward_data_ =
        PrimitiveCall(ip_data(pd), {{DNNL_ARG_DIFF_DST, diff_dst_for_data_.tensor().memory()},
                                    {DNNL_ARG_WEIGHTS, weights_.value()},
                                    {DNNL_ARG_DIFF_SRC, diff_rows.memory()}});
    diff_src = diff_rows.reshaped(src_shape_);
  }
  ip_weights::desc desc =
      bias_ ? ip_weights::desc(src_rows.desc(), weights_.grad().get_desc(),
                               bias_->grad().get_desc(), diff_dst_any)
            : ip_weights::desc(src_rows.desc(), weights_.grad().get_desc(), diff_dst_any);
  ip_weights::primitive_desc pd(desc, eng_, forward_pd_);
  if (diff_dst_for_data_.tensor() && diff_dst_for_data_.tensor().desc() == pd.diff_dst_desc()) {
    diff_dst_for_weights_ = LayoutConversion(diff_dst_for_data_.tensor(), pd.diff_dst_desc(), eng_);
  } else {
    diff_dst_for_weights_ = LayoutConversion(diff_dst, pd.diff_dst_desc(), eng_);
  }
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src_rows.memory()},
      {DNNL_ARG_DIFF_DST, diff_dst_for_weights_.tensor().memory()},
      {DNNL_ARG_DIFF_WEIGHTS, weights_.grad()}};
  if (bias_) args.insert({DNNL_ARG_DIFF_BIAS, bias_->grad()});
  backward_weights_ = PrimitiveCall(ip_weights(pd), std::move(args));
  return diff_src;
}

void DenseLayer::forward(const dnnl::stream& stream) {
  src_plain_.run(stream);
  src_rows_.sync();
  forward_.execute(stream);
}

void DenseLayer::backward(const dnnl::stream& stream) {
  diff_dst_for_data_.run(stream);
  diff_dst_for_weights_.run(stream);
  backward_weights_.execute(stream);
  if (!backward_data_.empty()) backward_data_.execute(stream);
}

}  // namespace gradstream::engine

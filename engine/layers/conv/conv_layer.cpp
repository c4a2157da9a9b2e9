// Conv2DLayer: convolution forward, backward data, backward weights (+bias).
#include "engine/layers/conv/conv_layer.hpp"

#include <cstring>

namespace gradstream::engine {

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::memory::desc any_desc(const Shape& dims) { return {dims, dt::f32, tag::any}; }

bool reference(const char* impl) { return std::strncmp(impl, "ref", 3) == 0; }

}  // namespace

Shape image_dims(const Shape& src) {
  if (src.size() == 3) return {src[0], 1, src[1], src[2]};
  return src;
}

dnnl::convolution_forward::primitive_desc Conv2DLayer::forward_pd(
    const dnnl::memory::desc& src, const dnnl::memory::desc& weights_md, bool has_bias,
    const Window2D& window, int64_t filters, bool training, const std::optional<PostOp>& post_op,
    const dnnl::engine& eng) {
  const Shape src_dims = src.dims();
  const dnnl::memory::desc dst =
      any_desc({src_dims[0], filters, window.output[0], window.output[1]});
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  dnnl::primitive_attr attr;
  if (post_op) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0F, post_op->algorithm, post_op->alpha, post_op->beta);
    attr.set_post_ops(ops);
  }
  auto make = [&](const dnnl::memory::desc& src_md) {
    using conv = dnnl::convolution_forward;
    const conv::desc desc =
        has_bias ? conv::desc(prop, dnnl::algorithm::convolution_direct, src_md, weights_md,
                              dnnl::memory::desc({filters}, dt::f32, tag::a), dst, window.strides(),
                              window.holes(), window.padding_begin(), window.padding_end())
                 : conv::desc(prop, dnnl::algorithm::convolution_direct, src_md, weights_md, dst,
                              window.strides(), window.holes(), window.padding_begin(),
                              window.padding_end());
    return conv::primitive_desc(desc, attr, eng, /*allow_empty=*/true);
  };
  auto pd = make(src);
  if (!pd || reference(pd.impl_info_str())) pd = make(any_desc(src_dims));
  return pd;
}

Conv2DLayer::Conv2DLayer(std::string name, const Tensor& src, Parameter& weights, Parameter* bias,
                         const Window2D& window, int64_t filters, const LayerOptions& options,
                         const dnnl::engine& eng)
    : Layer(std::move(name)),
      eng_(eng),
      src_shape_(src.shape()),
      weights_(weights),
      bias_(bias),
      window_(window) {
  // A one-channel [N, H, W] batch is seen as [N, 1, H, W] (it is plain: it
  // comes from the data or a reshape).
  if (src.shape().size() == 3) src_image_ = PlainView(src, image_dims(src.shape()));
  const Tensor image = src.shape().size() == 3 ? src_image_.tensor() : src;
  forward_pd_ = forward_pd(image.desc(), weights.value().get_desc(), bias != nullptr, window,
                           filters, options.training, options.post_op, eng);
  src_ = LayoutConversion(image, forward_pd_.src_desc(), eng);
  dst_ = Tensor::allocate(forward_pd_.dst_desc(), eng);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src_.tensor().memory()},
                                             {DNNL_ARG_WEIGHTS, weights.value()},
                                             {DNNL_ARG_DST, dst_.memory()}};
  if (bias) args.insert({DNNL_ARG_BIAS, bias->value()});
  forward_ = PrimitiveCall(dnnl::convolution_forward(forward_pd_), std::move(args));
}

Tensor Conv2DLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  using conv_data = dnnl::convolution_backward_data;
  using conv_weights = dnnl::convolution_backward_weights;
  const Tensor& src = src_.tensor();
  const dnnl::memory::desc diff_dst_any = any_desc(diff_dst.shape());
  const dnnl::memory::desc weights_any = any_desc(weights_.shape());
  Tensor diff_src;
  if (needs_diff_src) {
    // A one-channel [N, H, W] src gets its gradient back in its own shape: plain.
    const bool flat = src_shape_.size() == 3;
    const dnnl::memory::desc diff_src_md = flat ? plain_desc(src.shape()) : any_desc(src.shape());
    auto make = [&](const dnnl::memory::desc& weights_md) {
      const conv_data::desc desc(dnnl::algorithm::convolution_direct, diff_src_md, weights_md,
                                 diff_dst_any, window_.strides(), window_.holes(),
                                 window_.padding_begin(), window_.padding_end());
      return conv_data::primitive_desc(desc, eng_, forward_pd_, /*allow_empty=*/true);
    };
    // The weights as they are kept when a fast kernel reads them so (the
    // forward's layout often is not the one backward data wants), else a
    // reorder into the one it wants, once per step (the weights are small).
    auto pd = make(weights_.value().get_desc());
    if (!pd || reference(pd.impl_info_str())) pd = make(weights_any);
    weights_for_data_ = LayoutConversion(Tensor(weights_.value()), pd.weights_desc(), eng_);
    diff_dst_for_data_ = LayoutConversion(diff_dst, pd.diff_dst_desc(), eng_);
    const Tensor diff_image = Tensor::allocate(pd.diff_src_desc(), eng_);
    backward_data_ =
        PrimitiveCall(conv_data(pd), {{DNNL_ARG_DIFF_DST, diff_dst_for_data_.tensor().memory()},
                                      {DNNL_ARG_WEIGHTS, weights_for_data_.tensor().memory()},
                                      {DNNL_ARG_DIFF_SRC, diff_image.memory()}});
    diff_src = flat ? diff_image.reshaped(src_shape_) : diff_image;
  }
  auto make = [&](const dnnl::memory::desc& diff_weights_md) {
    const conv_weights::desc desc =
        bias_ ? conv_weights::desc(dnnl::algorithm::convolution_direct, src.desc(), diff_weights_md,
                                   bias_->grad().get_desc(), diff_dst_any, window_.strides(),
                                   window_.holes(), window_.padding_begin(), window_.padding_end())
              : conv_weights::desc(dnnl::algorithm::convolution_direct, src.desc(), diff_weights_md,
                                   diff_dst_any, window_.strides(), window_.holes(),
                                   window_.padding_begin(), window_.padding_end());
    return conv_weights::primitive_desc(desc, eng_, forward_pd_, /*allow_empty=*/true);
  };
  // Into the gradient as it is kept when a fast kernel writes it so, else
  // into a buffer of the kernel's layout, reordered into the gradient after.
  auto pd = make(weights_.grad().get_desc());
  if (!pd || reference(pd.impl_info_str())) pd = make(weights_any);
  Tensor diff_weights(weights_.grad());
  if (pd.diff_weights_desc() != weights_.grad().get_desc()) {
    diff_weights = Tensor::allocate(pd.diff_weights_desc(), eng_);
    grad_from_kernel_ =
        PrimitiveCall(dnnl::reorder(diff_weights.memory(), weights_.grad()),
                      {{DNNL_ARG_FROM, diff_weights.memory()}, {DNNL_ARG_TO, weights_.grad()}});
  }
  const Tensor& for_data = diff_dst_for_data_.tensor();
  diff_dst_for_weights_ =
      LayoutConversion(for_data && for_data.desc() == pd.diff_dst_desc() ? for_data : diff_dst,
                       pd.diff_dst_desc(), eng_);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src.memory()},
      {DNNL_ARG_DIFF_DST, diff_dst_for_weights_.tensor().memory()},
      {DNNL_ARG_DIFF_WEIGHTS, diff_weights.memory()}};
  if (bias_) args.insert({DNNL_ARG_DIFF_BIAS, bias_->grad()});
  backward_weights_ = PrimitiveCall(conv_weights(pd), std::move(args));
  return diff_src;
}

void Conv2DLayer::forward(const dnnl::stream& stream) {
  src_image_.sync();
  src_.run(stream);
  forward_.execute(stream);
}

void Conv2DLayer::backward(const dnnl::stream& stream) {
  diff_dst_for_data_.run(stream);
  diff_dst_for_weights_.run(stream);
  backward_weights_.execute(stream);
  if (!grad_from_kernel_.empty()) grad_from_kernel_.execute(stream);
  if (backward_data_.empty()) return;
  weights_for_data_.run(stream);
  backward_data_.execute(stream);
}

}  // namespace gradstream::engine

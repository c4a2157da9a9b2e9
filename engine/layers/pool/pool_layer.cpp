// Pool2DLayer: pooling_v2 forward and backward.
#include "engine/layers/pool/pool_layer.hpp"

namespace gradstream::engine {

dnnl::pooling_v2_forward::primitive_desc Pool2DLayer::forward_pd(const dnnl::memory::desc& src,
                                                                 dnnl::algorithm algorithm,
                                                                 const Window2D& window,
                                                                 bool training,
                                                                 const dnnl::engine& eng) {
  const Shape dims = src.dims();
  const dnnl::memory::desc dst({dims[0], dims[1], window.output[0], window.output[1]},
                               dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::pooling_v2_forward::desc desc(prop, algorithm, src, dst, window.strides(),
                                            window.kernel_dims(), window.holes(),
                                            window.padding_begin(), window.padding_end());
  return {desc, eng};
}

Pool2DLayer::Pool2DLayer(std::string name, const Tensor& src, dnnl::algorithm algorithm,
                         const Window2D& window, bool global_output, const LayerOptions& options,
                         const dnnl::engine& eng)
    : Layer(std::move(name)),
      eng_(eng),
      src_(src),
      algorithm_(algorithm),
      window_(window),
      global_output_(global_output) {
  forward_pd_ = forward_pd(src.desc(), algorithm, window, options.training, eng);
  pooled_ = Tensor::allocate(forward_pd_.dst_desc(), eng);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src.memory()},
                                             {DNNL_ARG_DST, pooled_.memory()}};
  if (options.training && forward_pd_.workspace_desc().get_size() > 0) {
    workspace_ = Tensor(dnnl::memory(forward_pd_.workspace_desc(), eng));
    args.insert({DNNL_ARG_WORKSPACE, workspace_.memory()});
  }
  forward_ = PrimitiveCall(dnnl::pooling_v2_forward(forward_pd_), std::move(args));
  if (!global_output_) {
    dst_ = pooled_;
    return;
  }
  rows_ = LayoutConversion(pooled_, plain_desc(pooled_.shape()), eng);
  rows_view_ = PlainView(rows_.tensor(), {src.batch(), src.channels()});
  dst_ = rows_view_.tensor();
}

Tensor Pool2DLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src) return {};
  const dnnl::memory::desc diff_dst_any(pooled_.shape(), dnnl::memory::data_type::f32,
                                        dnnl::memory::format_tag::any);
  const dnnl::pooling_v2_backward::desc desc(
      algorithm_, src_.desc(), diff_dst_any, window_.strides(), window_.kernel_dims(),
      window_.holes(), window_.padding_begin(), window_.padding_end());
  const dnnl::pooling_v2_backward::primitive_desc pd(desc, eng_, forward_pd_);
  Tensor diff_image = diff_dst;
  if (global_output_) {  // [N, C] seen as the [N, C, 1, 1] the primitive pooled into
    diff_plain_ = LayoutConversion(diff_dst, plain_desc(diff_dst.shape()), eng_);
    diff_image_ = PlainView(diff_plain_.tensor(), pooled_.shape());
    diff_image = diff_image_.tensor();
  }
  diff_dst_ = LayoutConversion(diff_image, pd.diff_dst_desc(), eng_);
  const Tensor diff_src = Tensor::allocate(pd.diff_src_desc(), eng_);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DIFF_DST, diff_dst_.tensor().memory()},
                                             {DNNL_ARG_DIFF_SRC, diff_src.memory()}};
  if (workspace_) args.insert({DNNL_ARG_WORKSPACE, workspace_.memory()});
  backward_ = PrimitiveCall(dnnl::pooling_v2_backward(pd), std::move(args));
  return diff_src;
}

void Pool2DLayer::forward(const dnnl::stream& stream) {
  forward_.execute(stream);
  rows_.run(stream);
  rows_view_.sync();
}

void Pool2DLayer::backward(const dnnl::stream& stream) {
  if (backward_.empty()) return;
  diff_plain_.run(stream);
  diff_image_.sync();
  diff_dst_.run(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine

// ViewLayer: plain views, with a reorder only for a src in another layout.
#include "engine/layers/view/view_layer.hpp"

namespace gradstream::engine {

ViewLayer::ViewLayer(std::string name, const Tensor& src, const Shape& sample,
                     const dnnl::engine& eng)
    : Layer(std::move(name)), eng_(eng), src_shape_(src.shape()) {
  src_plain_ = LayoutConversion(src, plain_desc(src.shape()), eng);
  dst_view_ = PlainView(src_plain_.tensor(), with_batch(src.batch(), sample));
  dst_ = dst_view_.tensor();
}

Tensor ViewLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src) return {};
  diff_dst_plain_ = LayoutConversion(diff_dst, plain_desc(diff_dst.shape()), eng_);
  diff_src_view_ = PlainView(diff_dst_plain_.tensor(), src_shape_);
  return diff_src_view_.tensor();
}

}  // namespace gradstream::engine

// ViewLayer: the sample seen with other dims (flatten, reshape), in row-major
// order. A plain src is only re-described, so nothing moves; a src in another
// layout is first reordered to plain. diff_src is diff_dst seen back in src's
// dims (plain), for the layer below to convert if it wants another layout.
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"

namespace gradstream::engine {

class ViewLayer : public Layer {
 public:
  // `sample` is the new shape of one sample (same element count as src's).
  ViewLayer(std::string name, const Tensor& src, const Shape& sample, const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override {
    src_plain_.run(stream);
    dst_view_.sync();
  }
  void backward(const dnnl::stream& stream) override {
    diff_dst_plain_.run(stream);
    diff_src_view_.sync();
  }

 private:
  dnnl::engine eng_;
  Shape src_shape_;
  LayoutConversion src_plain_;
  PlainView dst_view_;
  LayoutConversion diff_dst_plain_;
  PlainView diff_src_view_;
};

}  // namespace gradstream::engine

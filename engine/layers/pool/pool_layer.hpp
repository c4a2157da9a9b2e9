// Pool2DLayer: max or average pooling over 2-D windows, on oneDNN's
// pooling_v2, in its src's layout (dst in the layout oneDNN picks for it).
//   max: dst = max over the window;  diff_src: diff_dst to the argmax (oneDNN
//        keeps it in a workspace from forward)
//   avg: dst = mean over the window (its inside, or all of it with padding);
//        diff_src: diff_dst / count spread over the window
// With `global_output`, dst is then seen as [N, C] (global average pooling:
// the window is the whole image).
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/window_geometry.hpp"

namespace gradstream::engine {

class Pool2DLayer : public Layer {
 public:
  Pool2DLayer(std::string name, const Tensor& src, dnnl::algorithm algorithm,
              const Window2D& window, bool global_output, const LayerOptions& options,
              const dnnl::engine& eng);

  // The forward descriptor for `src` (4-D image layout); dst in `any`.
  static dnnl::pooling_v2_forward::primitive_desc forward_pd(const dnnl::memory::desc& src,
                                                             dnnl::algorithm algorithm,
                                                             const Window2D& window, bool training,
                                                             const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::engine eng_;
  Tensor src_;
  dnnl::algorithm algorithm_;
  Window2D window_;
  bool global_output_;
  dnnl::pooling_v2_forward::primitive_desc forward_pd_;
  Tensor pooled_;          // the primitive's dst, 4-D
  Tensor workspace_;       // max pooling in training
  LayoutConversion rows_;  // global: pooled_ in plain ...
  PlainView rows_view_;    // ... seen as [N, C]
  PrimitiveCall forward_;
  LayoutConversion diff_plain_;  // global: diff_dst [N, C] in plain ...
  PlainView diff_image_;         // ... seen as [N, C, 1, 1]
  LayoutConversion diff_dst_;    // in the layout the backward primitive reads
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

// Conv2DLayer: a 2-D convolution on oneDNN's convolution (direct algorithm).
//   dst[n, f, y, x] = bias[f] + sum_{c in f's group, i, j}
//                     src[n, c, y*s + i*d - p, x*s + j*d - p] * weights[f, c, i, j]
// Backward data and weights (+ bias) are oneDNN's too. The layer reads src in
// the layout its producer wrote when a fast implementation takes it (an image
// straight from the data is plain NCHW, which oneDNN's first-layer kernels
// read as it is), else converts it; dst and diff_src are in the layouts oneDNN
// picks (blocked channels on AVX-512 and AVX2). Weights are
// [filters, channels, kh, kw], or [groups, filters/groups, channels/groups,
// kh, kw] with groups, in the layout the model planned.
#pragma once

#include <optional>

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/window_geometry.hpp"

namespace gradstream::engine {

class Conv2DLayer : public Layer {
 public:
  // `bias` may be null. With options.post_op, dst holds the activation's output.
  Conv2DLayer(std::string name, const Tensor& src, Parameter& weights, Parameter* bias,
              const Window2D& window, int64_t filters, const LayerOptions& options,
              const dnnl::engine& eng);

  // The forward descriptor for `src` (an image layout, 4-D) and `weights_md`
  // (format any lets oneDNN choose). When oneDNN has only its reference
  // implementation for that src layout, the descriptor takes src as `any` (the
  // layer then converts): the reference code is orders of magnitude slower.
  static dnnl::convolution_forward::primitive_desc forward_pd(const dnnl::memory::desc& src,
                                                              const dnnl::memory::desc& weights_md,
                                                              bool has_bias, const Window2D& window,
                                                              int64_t filters, bool training,
                                                              const std::optional<PostOp>& post_op,
                                                              const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::engine eng_;
  Shape src_shape_;       // as given: [N, H, W] for one-channel images
  PlainView src_image_;   // [N, 1, H, W] for those, else src itself
  LayoutConversion src_;  // in the layout the convolution reads
  Parameter& weights_;
  Parameter* bias_;
  Window2D window_;
  dnnl::convolution_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_for_data_;
  LayoutConversion diff_dst_for_weights_;
  LayoutConversion weights_for_data_;  // the weights as backward data reads them
  PrimitiveCall backward_data_;
  PrimitiveCall backward_weights_;
  PrimitiveCall grad_from_kernel_;  // the kernel's weight gradient into the kept layout
};

// The shape of a 4-D image tensor for `src`: [N, 1, H, W] for [N, H, W].
Shape image_dims(const Shape& src);

}  // namespace gradstream::engine

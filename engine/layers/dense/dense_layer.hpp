// Dense (fully connected) layer on oneDNN's inner product, over all of the
// input's values (an [N, C, H, W] src is read as [N, C * H * W]):
//   dst[n, o] = sum_i src[n, i] * weights[o, i] + bias[o]
//   diff_src = diff_dst * weights;  diff_weights = diff_dst^T * src;  diff_bias = sum_n diff_dst
// The weights are used in the layout the model chose for them (DenseNode::
// plan_layouts: the one oneDNN prefers, blocked on AVX-512); dst and
// diff_src in the layouts oneDNN picks.
#pragma once

#include <optional>

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

class DenseLayer : public Layer {
 public:
  // `bias` may be null (no_bias). With options.post_op, dst holds the
  // activation's output (see EltwiseActivationLayer).
  DenseLayer(std::string name, const Tensor& src, Parameter& weights, Parameter* bias,
             const LayerOptions& options, const dnnl::engine& eng);

  // The inner product's forward descriptor for a [batch, inputs] src, weights
  // in `weights_md` (format any lets oneDNN choose them).
  static dnnl::inner_product_forward::primitive_desc forward_pd(
      int64_t batch, const dnnl::memory::desc& weights_md, bool has_bias, bool training,
      const std::optional<PostOp>& post_op, const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::engine eng_;
  Shape src_shape_;
  LayoutConversion src_plain_;  // src in the plain layout, when it came in another
  PlainView src_rows_;          // ... seen as [batch, inputs]
  Parameter& weights_;
  Parameter* bias_;
  dnnl::inner_product_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_for_data_;
  LayoutConversion diff_dst_for_weights_;
  PrimitiveCall backward_data_;  // empty for the first layer: nothing needs diff_src
  PrimitiveCall backward_weights_;
};

}  // namespace gradstream::engine

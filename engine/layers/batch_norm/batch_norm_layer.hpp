// BatchNormLayer: batch normalization over the channels, on oneDNN's
// batch_normalization, in its src's layout.
//   training:   y = scale[c] * (x - mean_B[c]) / sqrt(var_B[c] + eps) + shift[c]
//               with the batch's mean and (biased) variance over N and positions;
//               then running = (1 - momentum) * running + momentum * batch stat
//               (the variance unbiased: var_B * n / (n - 1)), as PyTorch
//   evaluation: the same with the running mean and variance
// Backward gives diff_src and the scale and shift gradients. With a ReLU
// post-op (LayerOptions::post_op) it runs oneDNN's fused norm-ReLU: y =
// max(BN(x), 0), its backward masking diff_dst where y was 0 (from a workspace).
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

struct BatchNormState {
  Parameter* scale = nullptr;  // null: no learned scale (1)
  Parameter* shift = nullptr;  // null: no learned shift (0)
  Parameter* running_mean = nullptr;
  Parameter* running_var = nullptr;
  float momentum = 0.1F;
  float epsilon = 1e-5F;
};

class BatchNormLayer : public Layer {
 public:
  BatchNormLayer(std::string name, const Tensor& src, const BatchNormState& state,
                 const LayerOptions& options, const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::normalization_flags flags(bool training) const;
  bool fused_relu_;
  void update_running_statistics();

  dnnl::engine eng_;
  Tensor src_;
  BatchNormState state_;
  bool training_;
  dnnl::batch_normalization_forward::primitive_desc forward_pd_;
  dnnl::memory workspace_;  // fused ReLU in training: where y was 0
  dnnl::memory mean_;       // training: this batch's statistics
  dnnl::memory variance_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

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
//
// With synchronised statistics (LayerOptions::synced_statistics) the batch is
// every rank's rows together (batch_norm_layer_sync.cpp):
//   forward:  oneDNN's training forward gives this rank's statistics; the
//             ranks merge them (SyncedStatistics) and a second forward
//             normalizes with the merged ones (use_global_stats);
//   backward: oneDNN's backward with the merged statistics gives this rank's
//             diff_scale and diff_shift (the per-channel sums of dy x_hat and
//             dy, the ReLU mask applied) and a diff_src whose mean terms are
//             over this rank's n_l values. The ranks sum diff_scale and
//             diff_shift (G_scale, G_shift over all n values), and one binary
//             primitive adds, in place, what turns the local mean terms into
//             global ones:
//               diff_src += k (B_l / n_l - G_shift / n)
//                         + k x_hat (S_l / n_l - G_scale / n),  k = scale / sqrt(var + eps)
//             an affine function of x per channel (x * s + t).
//   The parameter gradients stay this rank's sums; the step's allreduce adds
//   them up as it does every gradient.
#pragma once

#include <memory>

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/batch_norm/synced_statistics.hpp"

namespace gradstream::engine {

struct BatchNormState {
  Parameter* scale = nullptr;  // null: no learned scale (1)
  Parameter* shift = nullptr;  // null: no learned shift (0)
  Parameter* running_mean = nullptr;
  Parameter* running_var = nullptr;
  float momentum = 0.1F;
  float epsilon = 1e-5F;
};

// running = (1 - momentum) * running + momentum * batch statistic, the
// variance unbiased by count / (count - 1) (`count` values per channel).
void update_running_statistics(const BatchNormState& state, int64_t channels, const float* mean,
                               const float* variance, int64_t count);

class BatchNormLayer : public Layer {
 public:
  BatchNormLayer(std::string name, const Tensor& src, const BatchNormState& state,
                 const LayerOptions& options, const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  dnnl::normalization_flags flags(bool training) const;
  void update_running_statistics(int64_t count);  // from mean_ and variance_
  // Synchronised statistics (batch_norm_layer_sync.cpp).
  void build_synced_forward(std::unordered_map<int, dnnl::memory> args);
  void bind_synced_backward(const Tensor& diff_src);
  void forward_synced(const dnnl::stream& stream);
  void backward_synced(const dnnl::stream& stream);
  dnnl::memory channel_values(float value) const;  // a [C] buffer filled with `value`

  bool fused_relu_;
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

  // Synchronised statistics only.
  std::unique_ptr<SyncedStatistics> synced_;
  dnnl::memory scale_;       // the learned scale, or ones
  dnnl::memory shift_;       // the learned shift, or zeros
  dnnl::memory diff_scale_;  // its gradient, or a buffer for the sums anyway
  dnnl::memory diff_shift_;
  PrimitiveCall synced_forward_;   // normalizes with the merged statistics
  int64_t global_count_ = 0;       // values per channel over every rank
  dnnl::memory correction_scale_;  // s and t of diff_src += x * s + t, per channel
  dnnl::memory correction_shift_;
  PrimitiveCall correct_;
};

}  // namespace gradstream::engine

// BatchNormLayer: batch_normalization forward (training or with the running
// statistics) and backward, and the running statistics' update.
#include "engine/layers/batch_norm/batch_norm_layer.hpp"

#include <algorithm>

namespace gradstream::engine {

dnnl::normalization_flags BatchNormLayer::flags(bool training) const {
  // Synchronised statistics need diff_scale and diff_shift even when neither
  // is learned (they are the sums the ranks add up): ones and zeros stand in.
  auto f = dnnl::normalization_flags::none;
  if (state_.scale != nullptr || synced_) f = f | dnnl::normalization_flags::use_scale;
  if (state_.shift != nullptr || synced_) f = f | dnnl::normalization_flags::use_shift;
  if (!training) f = f | dnnl::normalization_flags::use_global_stats;
  if (fused_relu_) f = f | dnnl::normalization_flags::fuse_norm_relu;
  return f;
}

BatchNormLayer::BatchNormLayer(std::string name, const Tensor& src, const BatchNormState& state,
                               const LayerOptions& options, const dnnl::engine& eng)
    : Layer(std::move(name)),
      fused_relu_(options.post_op.has_value()),
      eng_(eng),
      src_(src),
      state_(state),
      training_(options.training) {
  if (training_ && options.synced_statistics != nullptr) {
    synced_ = std::make_unique<SyncedStatistics>(*options.synced_statistics, src.channels());
  }
  if (state.scale != nullptr) scale_ = state.scale->value();
  if (state.shift != nullptr) shift_ = state.shift->value();
  if (synced_ && state.scale == nullptr) scale_ = channel_values(1.0F);
  if (synced_ && state.shift == nullptr) shift_ = channel_values(0.0F);
  const auto prop =
      training_ ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::batch_normalization_forward::desc desc(prop, src.desc(), state.epsilon,
                                                     flags(training_));
  forward_pd_ = dnnl::batch_normalization_forward::primitive_desc(desc, eng);
  dst_ = Tensor::allocate(forward_pd_.dst_desc(), eng);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src.memory()},
                                             {DNNL_ARG_DST, dst_.memory()}};
  if (state.scale != nullptr || synced_) args.insert({DNNL_ARG_SCALE, scale_});
  if (state.shift != nullptr || synced_) args.insert({DNNL_ARG_SHIFT, shift_});
  if (training_) {
    mean_ = Tensor::allocate(forward_pd_.mean_desc(), eng).memory();
    variance_ = Tensor::allocate(forward_pd_.variance_desc(), eng).memory();
  } else {
    mean_ = state.running_mean->value();
    variance_ = state.running_var->value();
  }
  args.insert({DNNL_ARG_MEAN, mean_});
  args.insert({DNNL_ARG_VARIANCE, variance_});
  if (training_ && fused_relu_) {
    workspace_ = dnnl::memory(forward_pd_.workspace_desc(), eng);
    args.insert({DNNL_ARG_WORKSPACE, workspace_});
  }
  if (synced_) build_synced_forward(args);
  forward_ = PrimitiveCall(dnnl::batch_normalization_forward(forward_pd_), std::move(args));
}

dnnl::memory BatchNormLayer::channel_values(float value) const {
  const dnnl::memory::desc desc({src_.channels()}, dnnl::memory::data_type::f32,
                                dnnl::memory::format_tag::a);
  dnnl::memory m(desc, eng_);
  float* data = static_cast<float*>(m.get_data_handle());
  std::fill(data, data + src_.channels(), value);
  return m;
}

Tensor BatchNormLayer::bind_backward(const Tensor& diff_dst, bool /*needs_diff_src*/) {
  // oneDNN's backward always produces diff_src with the scale and shift gradients.
  const bool learned = state_.scale != nullptr || state_.shift != nullptr || synced_;
  const dnnl::batch_normalization_backward::desc desc(
      learned ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, src_.desc(),
      src_.desc(), state_.epsilon, flags(true));
  const dnnl::batch_normalization_backward::primitive_desc pd(desc, eng_, forward_pd_);
  diff_dst_ = LayoutConversion(diff_dst, pd.diff_dst_desc(), eng_);
  const Tensor diff_src = Tensor::allocate(pd.diff_src_desc(), eng_);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src_.memory()},
                                             {DNNL_ARG_MEAN, mean_},
                                             {DNNL_ARG_VARIANCE, variance_},
                                             {DNNL_ARG_DIFF_DST, diff_dst_.tensor().memory()},
                                             {DNNL_ARG_DIFF_SRC, diff_src.memory()}};
  if (workspace_) args.insert({DNNL_ARG_WORKSPACE, workspace_});
  if (state_.scale != nullptr || synced_) {
    diff_scale_ = state_.scale != nullptr ? state_.scale->grad() : channel_values(0.0F);
    args.insert({DNNL_ARG_SCALE, scale_});
    args.insert({DNNL_ARG_DIFF_SCALE, diff_scale_});
  }
  if (state_.shift != nullptr || synced_) {
    diff_shift_ = state_.shift != nullptr ? state_.shift->grad() : channel_values(0.0F);
    args.insert({DNNL_ARG_SHIFT, shift_});
    args.insert({DNNL_ARG_DIFF_SHIFT, diff_shift_});
  }
  backward_ = PrimitiveCall(dnnl::batch_normalization_backward(pd), std::move(args));
  if (synced_) bind_synced_backward(diff_src);
  return diff_src;
}

void update_running_statistics(const BatchNormState& state, int64_t channels, const float* mean,
                               const float* variance, int64_t count) {
  const auto n = static_cast<double>(count);
  const float unbias = n > 1 ? static_cast<float>(n / (n - 1)) : 1.0F;
  const float m = state.momentum;
  float* running_mean = state.running_mean->stored_value();
  float* running_var = state.running_var->stored_value();
  for (int64_t c = 0; c < channels; ++c) {
    running_mean[c] = (1.0F - m) * running_mean[c] + m * mean[c];
    running_var[c] = (1.0F - m) * running_var[c] + m * variance[c] * unbias;
  }
}

void BatchNormLayer::update_running_statistics(int64_t count) {
  engine::update_running_statistics(state_, src_.channels(),
                                    static_cast<const float*>(mean_.get_data_handle()),
                                    static_cast<const float*>(variance_.get_data_handle()), count);
}

void BatchNormLayer::forward(const dnnl::stream& stream) {
  if (synced_) {
    forward_synced(stream);
    return;
  }
  forward_.execute(stream);
  if (training_) update_running_statistics(src_.elements() / src_.channels());
}

void BatchNormLayer::backward(const dnnl::stream& stream) {
  diff_dst_.run(stream);
  backward_.execute(stream);
  if (synced_) backward_synced(stream);
}

}  // namespace gradstream::engine

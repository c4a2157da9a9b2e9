// BatchNormLayer: batch_normalization forward (training or with the running
// statistics) and backward, and the running statistics' update.
#include "engine/layers/batch_norm/batch_norm_layer.hpp"

namespace gradstream::engine {

dnnl::normalization_flags BatchNormLayer::flags(bool training) const {
  auto f = dnnl::normalization_flags::none;
  if (state_.scale != nullptr) f = f | dnnl::normalization_flags::use_scale;
  if (state_.shift != nullptr) f = f | dnnl::normalization_flags::use_shift;
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
  const auto prop =
      training_ ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::batch_normalization_forward::desc desc(prop, src.desc(), state.epsilon,
                                                     flags(training_));
  forward_pd_ = dnnl::batch_normalization_forward::primitive_desc(desc, eng);
  dst_ = Tensor::allocate(forward_pd_.dst_desc(), eng);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src.memory()},
                                             {DNNL_ARG_DST, dst_.memory()}};
  if (state.scale != nullptr) args.insert({DNNL_ARG_SCALE, state.scale->value()});
  if (state.shift != nullptr) args.insert({DNNL_ARG_SHIFT, state.shift->value()});
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
  forward_ = PrimitiveCall(dnnl::batch_normalization_forward(forward_pd_), std::move(args));
}

Tensor BatchNormLayer::bind_backward(const Tensor& diff_dst, bool /*needs_diff_src*/) {
  // oneDNN's backward always produces diff_src with the scale and shift gradients.
  const bool learned = state_.scale != nullptr || state_.shift != nullptr;
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
  if (state_.scale != nullptr) {
    args.insert({DNNL_ARG_SCALE, state_.scale->value()});
    args.insert({DNNL_ARG_DIFF_SCALE, state_.scale->grad()});
  }
  if (state_.shift != nullptr) {
    args.insert({DNNL_ARG_SHIFT, state_.shift->value()});
    args.insert({DNNL_ARG_DIFF_SHIFT, state_.shift->grad()});
  }
  backward_ = PrimitiveCall(dnnl::batch_normalization_backward(pd), std::move(args));
  return diff_src;
}

void BatchNormLayer::update_running_statistics() {
  // n values per channel went into each batch statistic.
  const double n = static_cast<double>(src_.elements() / src_.channels());
  const float unbias = n > 1 ? static_cast<float>(n / (n - 1)) : 1.0F;
  const float m = state_.momentum;
  const float* mean = static_cast<const float*>(mean_.get_data_handle());
  const float* variance = static_cast<const float*>(variance_.get_data_handle());
  float* running_mean = state_.running_mean->stored_value();
  float* running_var = state_.running_var->stored_value();
  for (int64_t c = 0; c < src_.channels(); ++c) {
    running_mean[c] = (1.0F - m) * running_mean[c] + m * mean[c];
    running_var[c] = (1.0F - m) * running_var[c] + m * variance[c] * unbias;
  }
}

void BatchNormLayer::forward(const dnnl::stream& stream) {
  forward_.execute(stream);
  if (training_) update_running_statistics();
}

void BatchNormLayer::backward(const dnnl::stream& stream) {
  diff_dst_.run(stream);
  backward_.execute(stream);
}

}  // namespace gradstream::engine

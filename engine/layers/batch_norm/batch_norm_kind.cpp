// BatchNorm: validation, parameter count, and the node that owns its scale,
// shift and running statistics.
#include "engine/layers/batch_norm/batch_norm_kind.hpp"

#include <vector>

#include "engine/base/field_checks.hpp"
#include "engine/layers/batch_norm/batch_norm_layer.hpp"
#include "engine/layers/batch_norm/synced_statistics.hpp"

namespace gradstream::engine {

namespace {

constexpr Range kMomentumRange{0.0F, 1.0F, false, false};  // [0, 1]
constexpr Range kEpsilonRange{0.0F, 1.0F, true, false};    // (0, 1]

class BatchNormNode : public LayerNode {
 public:
  BatchNormNode(std::string name, Shape shape, BatchNormState state)
      : LayerNode(std::move(name), shape, shape), state_(state) {}

  std::vector<Parameter*> parameters() const override {
    std::vector<Parameter*> out;
    if (state_.scale != nullptr) out.push_back(state_.scale);
    if (state_.shift != nullptr) out.push_back(state_.shift);
    return out;
  }
  // ReLU (not its leaky forms) as oneDNN's fused norm-ReLU, backward included.
  bool accepts_post_op(const PostOp& op) const override {
    return op.algorithm == dnnl::algorithm::eltwise_relu && op.alpha == 0.0F;
  }
  bool post_op_in_backward() const override { return true; }
  // A rank without rows adds nothing to the statistics and the sums, yet
  // keeps the running statistics every other rank keeps. It meets this once
  // an epoch at most (the last, short batch), so its buffers are made here.
  void sync_without_rows(Collective& collective, bool backward) const override {
    const int64_t channels = input_shape().empty() ? 1 : input_shape()[0];
    const auto size = static_cast<size_t>(channels);
    SyncedStatistics synced(collective, channels);
    if (backward) {
      const std::vector<float> zeros(size, 0.0F);
      synced.sum_gradients(zeros.data(), zeros.data());
      return;
    }
    std::vector<float> mean(size, 0.0F);
    std::vector<float> variance(size, 0.0F);
    const int64_t count = synced.merge(0, mean.data(), variance.data());
    if (count > 0) update_running_statistics(state_, channels, mean.data(), variance.data(), count);
  }
  std::vector<Parameter*> state() const override {
    return {state_.running_mean, state_.running_var};
  }
  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<BatchNormLayer>(name(), src, state_, options, eng);
  }

 private:
  BatchNormState state_;
};

Result<Shape> validate(const LayerSpecContext& ctx) {
  const v1::BatchNormSpec& bn = ctx.spec.batch_norm();
  const std::string path = ctx.path + ".batch_norm";
  if (Status s = first_error(
          {check_optional(path + ".momentum", bn.has_momentum(), bn.momentum(), kMomentumRange),
           check_optional(path + ".epsilon", bn.has_epsilon(), bn.epsilon(), kEpsilonRange)});
      !s.ok()) {
    return s;
  }
  return ctx.input;
}

int64_t count_parameters(const v1::LayerSpec& spec, const Shape& input) {
  const int64_t channels = input.empty() ? 1 : input[0];
  return channels *
         ((spec.batch_norm().no_scale() ? 0 : 1) + (spec.batch_norm().no_shift() ? 0 : 1));
}

Status build(LayerBuildContext& ctx) {
  const v1::BatchNormSpec& bn = ctx.spec.batch_norm();
  const int64_t channels = ctx.input[0];
  BatchNormState state;
  state.momentum = bn.has_momentum() ? bn.momentum() : kDefaultBatchNormMomentum;
  state.epsilon = bn.has_epsilon() ? bn.epsilon() : kDefaultBatchNormEpsilon;
  const std::vector<float> ones(static_cast<size_t>(channels), 1.0F);
  if (!bn.no_scale()) {
    state.scale = &ctx.add_parameter(ctx.name, "scale", {channels}, /*decay=*/false);
    state.scale->write_value(ones.data());
  }
  if (!bn.no_shift()) state.shift = &ctx.add_parameter(ctx.name, "shift", {channels}, false);
  state.running_mean = &ctx.add_parameter(ctx.name, "running_mean", {channels}, false);
  state.running_var = &ctx.add_parameter(ctx.name, "running_var", {channels}, false);
  state.running_var->write_value(ones.data());
  ctx.add_node(std::make_unique<BatchNormNode>(ctx.name, ctx.input, state));
  return ok_status();
}

}  // namespace

const LayerKind& batch_norm_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kBatchNorm, "batch_norm", validate, count_parameters,
                              build};
  return kind;
}

}  // namespace gradstream::engine

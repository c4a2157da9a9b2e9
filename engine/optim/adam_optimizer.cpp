// Adam / AdamW update loop; the formulas are in adam_optimizer.hpp.
#include "engine/optim/adam_optimizer.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "engine/base/cpu_clones.hpp"
#include "engine/base/parallel.hpp"

namespace gradstream::engine {

namespace {

struct AdamStep {
  float b1, b2, eps, step_size, inv_sqrt_correction2, l2, shrink;
};

// Cloned for AVX2 and the x86-64 baseline, picked at load time: the same
// IEEE operations in each (no FMA contraction), so the same bits either way.
GRADSTREAM_CPU_CLONES void adam_update(const AdamStep& s, float* __restrict w,
                                       const float* __restrict grad, float* __restrict m,
                                       float* __restrict v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    w[i] *= s.shrink;
    const float g = grad[i] + s.l2 * w[i];
    m[i] = s.b1 * m[i] + (1.0f - s.b1) * g;
    v[i] = s.b2 * v[i] + (1.0f - s.b2) * g * g;
    const float denom = std::sqrt(v[i]) * s.inv_sqrt_correction2 + s.eps;
    w[i] -= s.step_size * m[i] / denom;
  }
}

}  // namespace

AdamOptimizer::AdamOptimizer(const AdamOptions& options, std::vector<Parameter*> params)
    : Optimizer(options.decoupled ? "adamw" : "adam", std::move(params)),
      options_(options),
      m_(add_slot("m")),
      v_(add_slot("v")) {}

void AdamOptimizer::update(float learning_rate) {
  const float b1 = options_.beta1;
  const float b2 = options_.beta2;
  const float eps = options_.epsilon;
  // Bias corrections in double, as PyTorch computes them on Python floats: b2^t
  // approaches 1 slowly and float powers would lose digits in 1 - b2^t.
  const double t = static_cast<double>(steps());
  const double correction1 = 1.0 - std::pow(static_cast<double>(b1), t);
  const double correction2 = 1.0 - std::pow(static_cast<double>(b2), t);
  // lr * mhat / (sqrt(vhat) + eps) == (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps),
  // PyTorch's arrangement: two scalars per step instead of two divisions per element.
  const float step_size = static_cast<float>(learning_rate / correction1);
  const float inv_sqrt_correction2 = static_cast<float>(1.0 / std::sqrt(correction2));

  for (size_t k = 0; k < params_.size(); ++k) {
    Parameter& p = *params_[k];
    const float wd = p.decay() ? options_.weight_decay : 0.0f;
    AdamStep step;
    step.b1 = b1;
    step.b2 = b2;
    step.eps = eps;
    step.step_size = step_size;
    step.inv_sqrt_correction2 = inv_sqrt_correction2;
    // Exactly one of the two decay forms is non-zero.
    step.l2 = options_.decoupled ? 0.0f : wd;
    step.shrink = options_.decoupled ? 1.0f - learning_rate * wd : 1.0f;
    float* w = p.stored_value();
    const float* grad = p.stored_grad();
    float* m = m_[k].data();
    float* v = v_[k].data();
    parallel_chunks(p.stored(), [&](int64_t begin, int64_t end) {
      adam_update(step, w + begin, grad + begin, m + begin, v + begin, end - begin);
    });
  }
}

namespace {

// Adam and AdamW read the same AdamSpec from different oneof members.
const v1::AdamSpec& adam_fields(const v1::OptimizerSpec& spec) {
  // spec.adam() is the default instance when the oneof is unset: all defaults.
  return spec.kind_case() == v1::OptimizerSpec::kAdamw ? spec.adamw() : spec.adam();
}

Status validate_adam(const v1::OptimizerSpec& spec) {
  const v1::AdamSpec& adam = adam_fields(spec);
  const std::string path =
      spec.kind_case() == v1::OptimizerSpec::kAdamw ? "optimizer.adamw" : "optimizer.adam";
  return first_error(
      {check_optional(path + ".beta1", adam.has_beta1(), adam.beta1(), kFactorRange),
       check_optional(path + ".beta2", adam.has_beta2(), adam.beta2(), kFactorRange),
       check_optional(path + ".epsilon", adam.has_epsilon(), adam.epsilon(), kEpsilonRange)});
}

void fill_adam(v1::OptimizerSpec& spec) {
  v1::AdamSpec& adam =
      spec.kind_case() == v1::OptimizerSpec::kAdamw ? *spec.mutable_adamw() : *spec.mutable_adam();
  if (!adam.has_beta1()) adam.set_beta1(kDefaultAdamBeta1);
  if (!adam.has_beta2()) adam.set_beta2(kDefaultAdamBeta2);
  if (!adam.has_epsilon()) adam.set_epsilon(kDefaultAdamEpsilon);
}

std::unique_ptr<Optimizer> build_adam(const v1::OptimizerSpec& spec,
                                      std::vector<Parameter*> params) {
  const v1::AdamSpec& adam = adam_fields(spec);
  AdamOptions options;
  if (adam.has_beta1()) options.beta1 = adam.beta1();
  if (adam.has_beta2()) options.beta2 = adam.beta2();
  if (adam.has_epsilon()) options.epsilon = adam.epsilon();
  options.weight_decay = spec.weight_decay();
  options.decoupled = spec.kind_case() == v1::OptimizerSpec::kAdamw;
  return std::make_unique<AdamOptimizer>(options, std::move(params));
}

}  // namespace

const OptimizerKind& adam_optimizer_kind() {
  static const OptimizerKind kind{v1::OptimizerSpec::kAdam, kDefaultAdamLearningRate, validate_adam,
                                  fill_adam, build_adam};
  return kind;
}

const OptimizerKind& adamw_optimizer_kind() {
  static const OptimizerKind kind{v1::OptimizerSpec::kAdamw, kDefaultAdamLearningRate,
                                  validate_adam, fill_adam, build_adam};
  return kind;
}

}  // namespace gradstream::engine

// SGD update loops; the formulas are in sgd_optimizer.hpp.
#include "engine/optim/sgd_optimizer.hpp"

#include <utility>

#include "engine/base/cpu_clones.hpp"
#include "engine/base/parallel.hpp"

namespace gradstream::engine {

namespace {

// Cloned for AVX2 and the x86-64 baseline (same IEEE operations, same bits).
GRADSTREAM_CPU_CLONES void sgd_update(float lr, float wd, float* __restrict w,
                                      const float* __restrict grad, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    w[i] -= lr * g;
  }
}

GRADSTREAM_CPU_CLONES void sgd_momentum_update(float lr, float wd, float mu, bool first,
                                               bool nesterov, float* __restrict w,
                                               const float* __restrict grad, float* __restrict v,
                                               int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    v[i] = first ? g : mu * v[i] + g;
    const float d = nesterov ? g + mu * v[i] : v[i];
    w[i] -= lr * d;
  }
}

}  // namespace

SgdOptimizer::SgdOptimizer(const SgdOptions& options, std::vector<Parameter*> params)
    : Optimizer("sgd", std::move(params)), options_(options) {
  if (options_.momentum > 0.0f) velocity_ = &add_slot("velocity");
}

void SgdOptimizer::update(float learning_rate) {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (velocity_ == nullptr) {
      step_plain(*params_[i], learning_rate);
    } else {
      step_momentum(*params_[i], (*velocity_)[i], learning_rate);
    }
  }
}

void SgdOptimizer::step_plain(Parameter& p, float learning_rate) const {
  // Biases and slopes have decay off: a zero coefficient keeps the loop branch-free.
  const float wd = p.decay() ? options_.weight_decay : 0.0f;
  float* w = p.stored_value();
  const float* grad = p.stored_grad();
  const int64_t n = p.stored();
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    sgd_update(learning_rate, wd, w + begin, grad + begin, end - begin);
  });
}

void SgdOptimizer::step_momentum(Parameter& p, std::vector<float>& velocity,
                                 float learning_rate) const {
  const float wd = p.decay() ? options_.weight_decay : 0.0f;
  const float mu = options_.momentum;
  // PyTorch starts the buffer at the first gradient (buf = g), not at mu * 0 + g;
  // the two agree with dampening 0, but keeping its form keeps the equivalence obvious.
  const bool first = steps() == 1;
  const bool nesterov = options_.nesterov;
  float* w = p.stored_value();
  const float* grad = p.stored_grad();
  float* v = velocity.data();
  const int64_t n = p.stored();
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    sgd_momentum_update(learning_rate, wd, mu, first, nesterov, w + begin, grad + begin, v + begin,
                        end - begin);
  });
}

namespace {

Status validate_sgd(const v1::OptimizerSpec& spec) {
  const v1::SgdSpec& sgd = spec.sgd();
  if (Status s = check_float("optimizer.sgd.momentum", sgd.momentum(), kFactorRange); !s.ok()) {
    return s;
  }
  // Nesterov without momentum would silently be plain SGD.
  if (sgd.nesterov() && !(sgd.momentum() > 0.0f)) {
    return invalid_argument("optimizer.sgd.nesterov: needs momentum > 0");
  }
  return ok_status();
}

// Momentum and nesterov default to 0 and false, which proto3 has already.
void fill_sgd(v1::OptimizerSpec& /*spec*/) {}

std::unique_ptr<Optimizer> build_sgd(const v1::OptimizerSpec& spec,
                                     std::vector<Parameter*> params) {
  SgdOptions options;
  options.momentum = spec.sgd().momentum();
  options.nesterov = spec.sgd().nesterov();
  options.weight_decay = spec.weight_decay();
  return std::make_unique<SgdOptimizer>(options, std::move(params));
}

}  // namespace

const OptimizerKind& sgd_optimizer_kind() {
  static const OptimizerKind kind{v1::OptimizerSpec::kSgd, kDefaultSgdLearningRate, validate_sgd,
                                  fill_sgd, build_sgd};
  return kind;
}

}  // namespace gradstream::engine

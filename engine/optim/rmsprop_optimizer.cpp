// RMSprop update loops; the formulas are in rmsprop_optimizer.hpp.
#include "engine/optim/rmsprop_optimizer.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "engine/base/cpu_clones.hpp"
#include "engine/base/parallel.hpp"

namespace gradstream::engine {

namespace {

// Cloned for AVX2 and the x86-64 baseline (same IEEE operations, same bits).
GRADSTREAM_CPU_CLONES void rmsprop_update(float lr, float wd, float rho, float eps,
                                          float* __restrict w, const float* __restrict grad,
                                          float* __restrict sq, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    sq[i] = rho * sq[i] + (1.0f - rho) * g * g;
    w[i] -= lr * g / (std::sqrt(sq[i]) + eps);
  }
}

GRADSTREAM_CPU_CLONES void rmsprop_momentum_update(float lr, float wd, float rho, float eps,
                                                   float mu, float* __restrict w,
                                                   const float* __restrict grad,
                                                   float* __restrict sq, float* __restrict buf,
                                                   int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    sq[i] = rho * sq[i] + (1.0f - rho) * g * g;
    buf[i] = mu * buf[i] + g / (std::sqrt(sq[i]) + eps);
    w[i] -= lr * buf[i];
  }
}

}  // namespace

RmspropOptimizer::RmspropOptimizer(const RmspropOptions& options, std::vector<Parameter*> params)
    : Optimizer("rmsprop", std::move(params)),
      options_(options),
      square_avg_(add_slot("square_avg")) {
  if (options_.momentum > 0.0f) buffer_ = &add_slot("momentum_buffer");
}

void RmspropOptimizer::update(float learning_rate) {
  for (size_t k = 0; k < params_.size(); ++k) {
    if (buffer_ == nullptr) {
      step_plain(*params_[k], square_avg_[k], learning_rate);
    } else {
      step_momentum(*params_[k], square_avg_[k], (*buffer_)[k], learning_rate);
    }
  }
}

void RmspropOptimizer::step_plain(Parameter& p, std::vector<float>& square_avg,
                                  float learning_rate) const {
  const float wd = p.decay() ? options_.weight_decay : 0.0f;
  const float rho = options_.rho;
  const float eps = options_.epsilon;
  float* w = p.stored_value();
  const float* grad = p.stored_grad();
  float* sq = square_avg.data();
  const int64_t n = p.stored();
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    rmsprop_update(learning_rate, wd, rho, eps, w + begin, grad + begin, sq + begin, end - begin);
  });
}

void RmspropOptimizer::step_momentum(Parameter& p, std::vector<float>& square_avg,
                                     std::vector<float>& buffer, float learning_rate) const {
  const float wd = p.decay() ? options_.weight_decay : 0.0f;
  const float rho = options_.rho;
  const float eps = options_.epsilon;
  const float mu = options_.momentum;
  float* w = p.stored_value();
  const float* grad = p.stored_grad();
  float* sq = square_avg.data();
  float* buf = buffer.data();
  const int64_t n = p.stored();
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    rmsprop_momentum_update(learning_rate, wd, rho, eps, mu, w + begin, grad + begin, sq + begin,
                            buf + begin, end - begin);
  });
}

namespace {

Status validate_rmsprop(const v1::OptimizerSpec& spec) {
  const v1::RmspropSpec& rms = spec.rmsprop();
  const std::string path = "optimizer.rmsprop";
  return first_error(
      {check_optional(path + ".rho", rms.has_rho(), rms.rho(), kFactorRange),
       check_optional(path + ".epsilon", rms.has_epsilon(), rms.epsilon(), kEpsilonRange),
       check_float(path + ".momentum", rms.momentum(), kFactorRange)});
}

void fill_rmsprop(v1::OptimizerSpec& spec) {
  v1::RmspropSpec& rms = *spec.mutable_rmsprop();
  if (!rms.has_rho()) rms.set_rho(kDefaultRmspropRho);
  if (!rms.has_epsilon()) rms.set_epsilon(kDefaultRmspropEpsilon);
}

std::unique_ptr<Optimizer> build_rmsprop(const v1::OptimizerSpec& spec,
                                         std::vector<Parameter*> params) {
  const v1::RmspropSpec& rms = spec.rmsprop();
  RmspropOptions options;
  if (rms.has_rho()) options.rho = rms.rho();
  if (rms.has_epsilon()) options.epsilon = rms.epsilon();
  options.momentum = rms.momentum();
  options.weight_decay = spec.weight_decay();
  return std::make_unique<RmspropOptimizer>(options, std::move(params));
}

}  // namespace

const OptimizerKind& rmsprop_optimizer_kind() {
  static const OptimizerKind kind{v1::OptimizerSpec::kRmsprop, kDefaultRmspropLearningRate,
                                  validate_rmsprop, fill_rmsprop, build_rmsprop};
  return kind;
}

}  // namespace gradstream::engine

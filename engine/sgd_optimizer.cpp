// SGD update loops; the formulas are in sgd_optimizer.hpp.
#include "engine/sgd_optimizer.hpp"

#include <utility>

#include "engine/parallel.hpp"

namespace gradstream::engine {

SgdOptimizer::SgdOptimizer(const SgdOptions& options, std::vector<Parameter*> params)
    : options_(options), params_(std::move(params)) {
  if (options_.momentum > 0.0f) {
    velocity_.reserve(params_.size());
    for (const Parameter* p : params_) velocity_.emplace_back(static_cast<size_t>(p->size()), 0.0f);
  }
}

void SgdOptimizer::step(float learning_rate) {
  ++steps_taken_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (velocity_.empty()) {
      step_plain(*params_[i], learning_rate);
    } else {
      step_momentum(*params_[i], velocity_[i], learning_rate);
    }
  }
}

void SgdOptimizer::step_plain(Parameter& p, float learning_rate) const {
  // Biases and slopes have decay off: a zero coefficient keeps the loop branch-free.
  const float wd = p.decay ? options_.weight_decay : 0.0f;
  float* w = p.data();
  const float* grad = p.grad_data();
  const int64_t n = p.size();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    w[i] -= learning_rate * g;
  }
}

void SgdOptimizer::step_momentum(Parameter& p, std::vector<float>& velocity,
                                 float learning_rate) const {
  const float wd = p.decay ? options_.weight_decay : 0.0f;
  const float mu = options_.momentum;
  // PyTorch starts the buffer at the first gradient (buf = g), not at mu * 0 + g;
  // the two agree with dampening 0, but keeping its form keeps the equivalence obvious.
  const bool first = steps_taken_ == 1;
  const bool nesterov = options_.nesterov;
  float* w = p.data();
  const float* grad = p.grad_data();
  float* v = velocity.data();
  const int64_t n = p.size();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + wd * w[i];
    v[i] = first ? g : mu * v[i] + g;
    const float d = nesterov ? g + mu * v[i] : v[i];
    w[i] -= learning_rate * d;
  }
}

}  // namespace gradstream::engine

// Adam / AdamW update loop; the formulas are in adam_optimizer.hpp.
#include "engine/adam_optimizer.hpp"

#include <cmath>

#include "engine/parallel.hpp"
#include <utility>

namespace gradstream::engine {

AdamOptimizer::AdamOptimizer(const AdamOptions& options, std::vector<Parameter*> params)
    : options_(options), params_(std::move(params)) {
  m_.reserve(params_.size());
  v_.reserve(params_.size());
  for (const Parameter* p : params_) {
    m_.emplace_back(static_cast<size_t>(p->size()), 0.0f);
    v_.emplace_back(static_cast<size_t>(p->size()), 0.0f);
  }
}

void AdamOptimizer::step(float learning_rate) {
  ++t_;
  const float b1 = options_.beta1;
  const float b2 = options_.beta2;
  const float eps = options_.epsilon;
  // Bias corrections in double, as PyTorch computes them on Python floats: b2^t
  // approaches 1 slowly and float powers would lose digits in 1 - b2^t.
  const double t = static_cast<double>(t_);
  const double correction1 = 1.0 - std::pow(static_cast<double>(b1), t);
  const double correction2 = 1.0 - std::pow(static_cast<double>(b2), t);
  // lr * mhat / (sqrt(vhat) + eps) == (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps),
  // PyTorch's arrangement: two scalars per step instead of two divisions per element.
  const float step_size = static_cast<float>(learning_rate / correction1);
  const float inv_sqrt_correction2 = static_cast<float>(1.0 / std::sqrt(correction2));

  for (size_t k = 0; k < params_.size(); ++k) {
    Parameter& p = *params_[k];
    const float wd = p.decay ? options_.weight_decay : 0.0f;
    // Exactly one of the two decay forms is non-zero.
    const float l2 = options_.decoupled ? 0.0f : wd;
    const float shrink = options_.decoupled ? 1.0f - learning_rate * wd : 1.0f;
    float* w = p.data();
    const float* grad = p.grad_data();
    float* m = m_[k].data();
    float* v = v_[k].data();
    const int64_t n = p.size();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMinElements)
    for (int64_t i = 0; i < n; ++i) {
      w[i] *= shrink;
      const float g = grad[i] + l2 * w[i];
      m[i] = b1 * m[i] + (1.0f - b1) * g;
      v[i] = b2 * v[i] + (1.0f - b2) * g * g;
      const float denom = std::sqrt(v[i]) * inv_sqrt_correction2 + eps;
      w[i] -= step_size * m[i] / denom;
    }
  }
}

}  // namespace gradstream::engine

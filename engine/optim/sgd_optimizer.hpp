// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight
// decay, as torch.optim.SGD defines it (dampening 0):
//   g = grad + wd * w                       (only where Parameter::decay)
//   v = g on the first step, else v = mu * v + g
//   g = g + mu * v  (nesterov)   or   g = v  (classic momentum)
//   w = w - lr * g
#pragma once

#include <cstdint>
#include <vector>

#include "engine/optim/optimizer.hpp"
#include "engine/optim/optimizer_kind.hpp"

namespace gradstream::engine {

struct SgdOptions {
  float momentum = 0.0f;      // mu; 0 disables the velocity buffer
  bool nesterov = false;      // meaningful only with momentum > 0
  float weight_decay = 0.0f;  // L2 coefficient added to the gradient
};

class SgdOptimizer final : public Optimizer {
 public:
  // `params` are borrowed and must outlive the optimizer.
  SgdOptimizer(const SgdOptions& options, std::vector<Parameter*> params);

 private:
  void update(float learning_rate) override;
  void step_plain(Parameter& p, float learning_rate) const;
  void step_momentum(Parameter& p, std::vector<float>& velocity, float learning_rate) const;

  SgdOptions options_;
  std::vector<std::vector<float>>* velocity_ = nullptr;  // one per parameter; only with momentum
};

// optimizer.sgd: momentum in [0, 1), nesterov only with momentum.
const OptimizerKind& sgd_optimizer_kind();

}  // namespace gradstream::engine

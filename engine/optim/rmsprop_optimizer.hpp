// RMSprop (uncentered), as torch.optim.RMSprop defines it:
//   g = grad + wd * w                        (only where Parameter::decay)
//   sq = rho * sq + (1 - rho) * g^2
//   with momentum mu > 0:  buf = mu * buf + g / (sqrt(sq) + eps);  w = w - lr * buf
//   without:               w = w - lr * g / (sqrt(sq) + eps)
// Both sq and buf start at zero.
#pragma once

#include <vector>

#include "engine/optim/optimizer.hpp"
#include "engine/optim/optimizer_kind.hpp"

namespace gradstream::engine {

inline constexpr float kDefaultRmspropRho = 0.99f;
inline constexpr float kDefaultRmspropEpsilon = 1e-8f;

struct RmspropOptions {
  float rho = kDefaultRmspropRho;
  float epsilon = kDefaultRmspropEpsilon;
  float momentum = 0.0f;  // 0 disables the momentum buffer
  float weight_decay = 0.0f;
};

class RmspropOptimizer final : public Optimizer {
 public:
  // `params` are borrowed and must outlive the optimizer.
  RmspropOptimizer(const RmspropOptions& options, std::vector<Parameter*> params);

 private:
  void update(float learning_rate) override;
  void step_plain(Parameter& p, std::vector<float>& square_avg, float learning_rate) const;
  void step_momentum(Parameter& p, std::vector<float>& square_avg, std::vector<float>& buffer,
                     float learning_rate) const;

  RmspropOptions options_;
  std::vector<std::vector<float>>& square_avg_;        // one per parameter
  std::vector<std::vector<float>>* buffer_ = nullptr;  // one per parameter; only with momentum
};

// optimizer.rmsprop: rho and momentum in [0, 1), epsilon in (0, 1].
const OptimizerKind& rmsprop_optimizer_kind();

}  // namespace gradstream::engine

// Adam and AdamW, as torch.optim.Adam / torch.optim.AdamW define them. One class:
// they differ only in where weight decay enters. With t the 1-based step count:
//   AdamW only:  w = w - lr * wd * w                (decoupled decay)
//   Adam only:   g = grad + wd * w                  (L2 folded into the gradient)
//   m = b1 * m + (1 - b1) * g
//   v = b2 * v + (1 - b2) * g^2
//   mhat = m / (1 - b1^t),   vhat = v / (1 - b2^t)
//   w = w - lr * mhat / (sqrt(vhat) + eps)
// Weight decay applies only where Parameter::decay is set.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/optim/optimizer.hpp"
#include "engine/optim/optimizer_kind.hpp"

namespace gradstream::engine {

inline constexpr float kDefaultAdamBeta1 = 0.9f;
inline constexpr float kDefaultAdamBeta2 = 0.999f;
inline constexpr float kDefaultAdamEpsilon = 1e-8f;

struct AdamOptions {
  float beta1 = kDefaultAdamBeta1;
  float beta2 = kDefaultAdamBeta2;
  float epsilon = kDefaultAdamEpsilon;
  float weight_decay = 0.0f;
  bool decoupled = false;  // true: AdamW
};

class AdamOptimizer final : public Optimizer {
 public:
  // `params` are borrowed and must outlive the optimizer.
  AdamOptimizer(const AdamOptions& options, std::vector<Parameter*> params);

 private:
  // The bias corrections use t = steps(), this step included.
  void update(float learning_rate) override;

  AdamOptions options_;
  std::vector<std::vector<float>>& m_;  // first moment, one per parameter
  std::vector<std::vector<float>>& v_;  // second moment, one per parameter
};

// optimizer.adam and optimizer.adamw: beta1, beta2 in [0, 1), epsilon in (0, 1].
const OptimizerKind& adam_optimizer_kind();
const OptimizerKind& adamw_optimizer_kind();

}  // namespace gradstream::engine

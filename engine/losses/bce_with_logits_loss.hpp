// Binary cross-entropy on logits, in the stable form PyTorch uses:
//   l(x, t) = max(x, 0) - x t + log(1 + e^-|x|);   d l / d x = sigmoid(x) - t
// averaged over every element; t is the label (one unit) or one-hot (several).
#pragma once

#include "engine/losses/loss.hpp"

namespace gradstream::engine {

class BceWithLogitsLoss : public Loss {
 public:
  BceWithLogitsLoss(int64_t batch, int64_t units) : batch_(batch), units_(units) {}
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 protected:
  int32_t predict_one_unit(float logit) const override { return logit > 0.0F ? 1 : 0; }

 private:
  int64_t batch_;
  int64_t units_;
};

}  // namespace gradstream::engine

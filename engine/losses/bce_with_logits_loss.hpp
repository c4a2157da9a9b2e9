// Binary cross-entropy on logits, in the stable form PyTorch uses:
//   l(x, t) = max(x, 0) - x t + log(1 + e^-|x|);   d l / d x = sigmoid(x) - t
// averaged over every element; t is the label (one unit) or one-hot (several).
#pragma once

#include "engine/losses/loss.hpp"

namespace gradstream::engine {

class BceWithLogitsLoss : public Loss {
 public:
  // The gradient is divided by gradient_rows (make_loss; 0: batch), the loss by batch.
  BceWithLogitsLoss(int64_t batch, int64_t units, int64_t gradient_rows = 0)
      : batch_(batch), units_(units), gradient_rows_(gradient_rows > 0 ? gradient_rows : batch) {}
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 protected:
  int32_t predict_one_unit(float logit) const override { return logit > 0.0F ? 1 : 0; }

 private:
  int64_t batch_;
  int64_t units_;
  int64_t gradient_rows_;
};

}  // namespace gradstream::engine

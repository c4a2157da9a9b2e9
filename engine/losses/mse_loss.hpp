// Mean squared error against one-hot labels (several units) or the label value
// (one unit), averaged over every element as PyTorch's MSELoss does:
//   loss = 1/(N K) sum (y - t)^2;   d loss / d y = 2 (y - t) / (N K)
#pragma once

#include "engine/losses/loss.hpp"

namespace gradstream::engine {

class MseLoss : public Loss {
 public:
  // The gradient is divided by gradient_rows (make_loss; 0: batch), the loss by batch.
  MseLoss(int64_t batch, int64_t units, int64_t gradient_rows = 0)
      : batch_(batch), units_(units), gradient_rows_(gradient_rows > 0 ? gradient_rows : batch) {}
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 private:
  int64_t batch_;
  int64_t units_;
  int64_t gradient_rows_;
};

}  // namespace gradstream::engine

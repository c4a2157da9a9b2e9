// Softmax cross-entropy on logits, fused and stable: log-softmax is computed per
// row after subtracting the row maximum, with sums in double, so no exp
// overflows and confident predictions keep an accurate (tiny, >= 0) loss:
//   log p[n, c] = x[n, c] - m_n - log sum_j e^(x[n, j] - m_n),  m_n = max_j x[n, j]
//   loss = -1/N sum_n log p[n, y_n];   d loss / d logits = (p - onehot(y)) / N
// (oneDNN 2.6's JIT log-softmax is only accurate to ~4e-6 absolute, which made
// the loss of confident, correct rows negative.)
#pragma once

#include <vector>

#include "engine/losses/loss.hpp"

namespace gradstream::engine {

class SoftmaxCrossEntropyLoss : public Loss {
 public:
  // The gradient is divided by gradient_rows (make_loss; 0: batch), the loss by batch.
  SoftmaxCrossEntropyLoss(int64_t batch, int64_t units, int64_t gradient_rows = 0)
      : batch_(batch),
        units_(units),
        gradient_rows_(gradient_rows > 0 ? gradient_rows : batch),
        scratch_(static_cast<size_t>(units)) {}
  double compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                 const dnnl::stream& stream) override;

 private:
  int64_t batch_;
  int64_t units_;
  int64_t gradient_rows_;
  std::vector<float> scratch_;  // one row of exponentials when no gradient is wanted
};

}  // namespace gradstream::engine

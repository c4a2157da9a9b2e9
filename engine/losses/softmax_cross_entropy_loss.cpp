// SoftmaxCrossEntropyLoss: stable log-softmax, loss and gradient in one pass.
#include "engine/losses/softmax_cross_entropy_loss.hpp"

#include <algorithm>
#include <cmath>

namespace gradstream::engine {

double SoftmaxCrossEntropyLoss::compute(const dnnl::memory& output, const int32_t* labels,
                                        float* diff, const dnnl::stream& /*stream*/) {
  const float* logits = static_cast<const float*>(output.get_data_handle());
  const double inv_batch = 1.0 / static_cast<double>(batch_);
  const double inv_rows = 1.0 / static_cast<double>(gradient_rows_);
  double total = 0.0;
  for (int64_t n = 0; n < batch_; ++n) {
    const float* row = logits + n * units_;
    const float max = *std::max_element(row, row + units_);
    // e^(x - max) <= 1, kept in diff (or scratch) so each is computed once.
    float* e = diff != nullptr ? diff + n * units_ : scratch_.data();
    double sum = 0.0;
    for (int64_t c = 0; c < units_; ++c) {
      e[c] = std::exp(row[c] - max);
      sum += e[c];
    }
    total -= static_cast<double>(row[labels[n]]) - max - std::log(sum);
    if (diff == nullptr) continue;
    const auto scale = static_cast<float>(inv_rows / sum);
    for (int64_t c = 0; c < units_; ++c) e[c] *= scale;
    e[labels[n]] -= static_cast<float>(inv_rows);
  }
  return total * inv_batch;
}

}  // namespace gradstream::engine

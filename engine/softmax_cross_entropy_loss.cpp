// SoftmaxCrossEntropyLoss: stable log-softmax, loss and gradient in one pass.
#include "engine/softmax_cross_entropy_loss.hpp"

#include <algorithm>
#include <cmath>

namespace gradstream::engine {

double SoftmaxCrossEntropyLoss::compute(const dnnl::memory& output, const int32_t* labels,
                                        float* diff, const dnnl::stream& /*stream*/) {
  const float* logits = static_cast<const float*>(output.get_data_handle());
  const double inv_batch = 1.0 / static_cast<double>(batch_);
  double total = 0.0;
  for (int64_t n = 0; n < batch_; ++n) {
    const float* row = logits + n * units_;
    const double max = *std::max_element(row, row + units_);
    double sum = 0.0;
    for (int64_t c = 0; c < units_; ++c) sum += std::exp(row[c] - max);
    const double log_sum = std::log(sum);
    total -= row[labels[n]] - max - log_sum;
    if (diff == nullptr) continue;
    float* d = diff + n * units_;
    const double scale = inv_batch / sum;
    for (int64_t c = 0; c < units_; ++c) d[c] = static_cast<float>(std::exp(row[c] - max) * scale);
    d[labels[n]] -= static_cast<float>(inv_batch);
  }
  return total * inv_batch;
}

}  // namespace gradstream::engine

// BceWithLogitsLoss: loss and gradient.
#include "engine/losses/bce_with_logits_loss.hpp"

#include <algorithm>
#include <cmath>

namespace gradstream::engine {

double BceWithLogitsLoss::compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                                  const dnnl::stream& /*stream*/) {
  const float* x = static_cast<const float*>(output.get_data_handle());
  const double count = static_cast<double>(batch_ * units_);
  const float scale = static_cast<float>(1.0 / static_cast<double>(gradient_rows_ * units_));
  double total = 0.0;
  for (int64_t n = 0; n < batch_; ++n) {
    for (int64_t k = 0; k < units_; ++k) {
      const double v = x[n * units_ + k];
      const double t = target_value(labels[n], k, units_);
      total += std::max(v, 0.0) - v * t + std::log1p(std::exp(-std::abs(v)));
      if (diff != nullptr) {
        diff[n * units_ + k] = static_cast<float>((1.0 / (1.0 + std::exp(-v)) - t) * scale);
      }
    }
  }
  return total / count;
}

}  // namespace gradstream::engine

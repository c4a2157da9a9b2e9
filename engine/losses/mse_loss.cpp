// MseLoss: loss and gradient.
#include "engine/losses/mse_loss.hpp"

namespace gradstream::engine {

double MseLoss::compute(const dnnl::memory& output, const int32_t* labels, float* diff,
                        const dnnl::stream& /*stream*/) {
  const float* y = static_cast<const float*>(output.get_data_handle());
  const double count = static_cast<double>(batch_ * units_);
  const float scale = static_cast<float>(2.0 / static_cast<double>(gradient_rows_ * units_));
  double total = 0.0;
  for (int64_t n = 0; n < batch_; ++n) {
    for (int64_t k = 0; k < units_; ++k) {
      const float e = y[n * units_ + k] - target_value(labels[n], k, units_);
      total += static_cast<double>(e) * e;
      if (diff != nullptr) diff[n * units_ + k] = scale * e;
    }
  }
  return total / count;
}

}  // namespace gradstream::engine

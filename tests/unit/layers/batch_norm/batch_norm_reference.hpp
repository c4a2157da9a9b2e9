// Batch normalization in double precision, for the layer's tests: the
// formula with the batch's statistics (or given ones), as a LayerReference.
#pragma once

#include <cmath>
#include <vector>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine::testing {

// Normalising divides by sqrt(var + eps) ~ 0.6: errors of a few ulp of the
// sums, amplified a little. The backward mixes three sums per channel.
constexpr Tolerance kForward{1e-5, 2e-6};
constexpr Tolerance kBackward{1e-4, 1e-5};
constexpr double kEps = 1e-5;

// y = scale (x - mean) / sqrt(var + eps) + shift over each channel's N x P values.
inline std::vector<double> normalize(const std::vector<double>& x, int64_t batch, int64_t channels,
                                     int64_t positions, const std::vector<double>& scale,
                                     const std::vector<double>& shift,
                                     const std::vector<double>* mean,
                                     const std::vector<double>* var) {
  std::vector<double> y(x.size());
  for (int64_t c = 0; c < channels; ++c) {
    auto at = [&](int64_t n, int64_t p) { return (n * channels + c) * positions + p; };
    double m = 0;
    double v = 0;
    if (mean != nullptr) {
      m = (*mean)[c];
      v = (*var)[c];
    } else {
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < positions; ++p) m += x[at(n, p)];
      m /= double(batch * positions);
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < positions; ++p) v += (x[at(n, p)] - m) * (x[at(n, p)] - m);
      v /= double(batch * positions);  // biased, as the normalisation uses
    }
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < positions; ++p) {
        const double g = scale.empty() ? 1.0 : scale[c];
        const double b = shift.empty() ? 0.0 : shift[c];
        y[at(n, p)] = g * (x[at(n, p)] - m) / std::sqrt(v + kEps) + b;
      }
  }
  return y;
}

inline LayerReference training_reference(int64_t batch, int64_t channels, int64_t positions,
                                         bool scale, bool shift) {
  return [=](const std::vector<double>& x, const std::vector<std::vector<double>>& p) {
    size_t i = 0;
    const std::vector<double> none;
    const std::vector<double>& g = scale ? p[i++] : none;
    const std::vector<double>& b = shift ? p[i++] : none;
    return normalize(x, batch, channels, positions, g, b, nullptr, nullptr);
  };
}

}  // namespace gradstream::engine::testing

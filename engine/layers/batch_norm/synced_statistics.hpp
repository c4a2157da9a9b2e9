// SyncedStatistics: batch normalization's statistics over every data-parallel
// rank's rows (distributed.sync_batch_norm), as one process computes them
// over the global batch.
//   forward:  each rank's count n_r and its rows' mean m_r and (biased)
//             variance v_r, computed by oneDNN, travel in one allreduce (each
//             rank fills its own slot, so the sum gathers them all). Every
//             rank merges them in rank order, in double (Chan et al.'s
//             pairwise formula, no E[x^2] - mean^2 cancellation):
//               n = sum n_r,  mean = sum n_r m_r / n,
//               var = sum n_r (v_r + (m_r - mean)^2) / n
//             so every rank holds the same bits.
//   backward: one allreduce sums each channel's sum of dy and of dy * x_hat
//             (oneDNN's diff_shift and diff_scale over the rank's rows).
// A failed allreduce leaves this rank's own figures in place; the collective
// keeps the failure, and the trainer's next call reports it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/collective.hpp"

namespace gradstream::engine {

class SyncedStatistics {
 public:
  SyncedStatistics(Collective& collective, int64_t channels);

  // `mean` and `variance` hold this rank's statistics of `count` values per
  // channel; they are replaced by the global ones. Returns the global count.
  // A rank without rows takes part with `count` 0.
  int64_t merge(int64_t count, float* mean, float* variance);
  // Sums this rank's per-channel sums of dy and of dy * x_hat over the ranks;
  // the results (2 x channels: dy, then dy * x_hat) stay valid until the next call.
  const double* sum_gradients(const float* sum_dy, const float* sum_dy_xhat);

 private:
  Collective& collective_;
  int64_t channels_;
  std::vector<double> gathered_;  // per rank: count, means, variances
  std::vector<double> sums_;      // sum dy, sum dy * x_hat
};

}  // namespace gradstream::engine

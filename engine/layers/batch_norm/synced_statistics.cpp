// SyncedStatistics: the gather-by-sum of every rank's statistics, their merge
// in rank order, and the gradient sums.
#include "engine/layers/batch_norm/synced_statistics.hpp"

#include <algorithm>

namespace gradstream::engine {

namespace {

// One rank's slot in the gathered buffer: its count, then its means and variances.
size_t slot_size(int64_t channels) { return 1 + 2 * static_cast<size_t>(channels); }

}  // namespace

SyncedStatistics::SyncedStatistics(Collective& collective, int64_t channels)
    : collective_(collective),
      channels_(channels),
      gathered_(slot_size(channels) * static_cast<size_t>(collective.size())),
      sums_(2 * static_cast<size_t>(channels)) {}

int64_t SyncedStatistics::merge(int64_t count, float* mean, float* variance) {
  const size_t slot = slot_size(channels_);
  std::fill(gathered_.begin(), gathered_.end(), 0.0);
  double* own = gathered_.data() + slot * static_cast<size_t>(collective_.rank());
  own[0] = static_cast<double>(count);
  std::copy(mean, mean + channels_, own + 1);
  std::copy(variance, variance + channels_, own + 1 + channels_);
  if (!collective_.allreduce_sum(gathered_.data(), gathered_.size()).ok()) return count;

  double total = 0.0;
  for (int r = 0; r < collective_.size(); ++r) total += gathered_[slot * static_cast<size_t>(r)];
  for (int64_t c = 0; c < channels_; ++c) {
    double global_mean = 0.0;
    for (int r = 0; r < collective_.size(); ++r) {
      const double* rank = gathered_.data() + slot * static_cast<size_t>(r);
      global_mean += rank[0] * rank[1 + c];
    }
    global_mean /= total;
    double global_variance = 0.0;
    for (int r = 0; r < collective_.size(); ++r) {
      const double* rank = gathered_.data() + slot * static_cast<size_t>(r);
      const double apart = rank[1 + c] - global_mean;
      global_variance += rank[0] * (rank[1 + channels_ + c] + apart * apart);
    }
    mean[c] = static_cast<float>(global_mean);
    variance[c] = static_cast<float>(global_variance / total);
  }
  return static_cast<int64_t>(total);
}

const double* SyncedStatistics::sum_gradients(const float* sum_dy, const float* sum_dy_xhat) {
  std::copy(sum_dy, sum_dy + channels_, sums_.begin());
  std::copy(sum_dy_xhat, sum_dy_xhat + channels_, sums_.begin() + channels_);
  // On failure the rank's own sums stay: the step fails at the trainer's next call.
  (void)collective_.allreduce_sum(sums_.data(), sums_.size());
  return sums_.data();
}

}  // namespace gradstream::engine

// Batcher: cuts a Dataset into mini-batches in a per-epoch order, copying each
// batch into a contiguous buffer; optionally a worker thread gathers batch k+1
// while the caller trains on batch k (double buffering).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "engine/io/dataset.hpp"

namespace gradstream::engine {

// Fisher-Yates over `order`, drawing j = rng() % (i + 1). Written out rather
// than std::shuffle, whose algorithm is implementation-defined: the same seed
// must give the same order on every standard library. (The modulo bias is
// below 2^-40 for any data set that fits in memory.)
void shuffle_indices(std::vector<int64_t>& order, std::mt19937_64& rng);

// One batch: `size` rows of the dataset's sample_size() floats, and `size` labels.
struct BatchView {
  const float* features;
  const int32_t* labels;
  int64_t size;
};

class Batcher {
 public:
  // `data` must outlive the Batcher. batch_size is clamped to [1, data.count]
  // for buffer sizing (validation of the spec happens elsewhere). With
  // prefetch, one worker thread is started here and lives until destruction.
  Batcher(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed, bool prefetch);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Fixes this epoch's order: a permutation seeded by (seed, epoch) when
  // shuffling, else 0..n-1; the worker starts gathering batch `first_batch`.
  // The batches before it are skipped without being gathered (a resumed run
  // starts mid-epoch), so next() returns batch first_batch first. Views from
  // the previous epoch become invalid.
  void start_epoch(uint32_t epoch, int64_t first_batch = 0);

  // ceil(count / batch_size): the last, partial batch is kept.
  int64_t batches_per_epoch() const;

  // The epoch's next batch, or nullopt once all were returned (or before the
  // first start_epoch). Valid until the following next() or start_epoch().
  std::optional<BatchView> next();

 private:
  // A buffer is free, being filled by the worker, ready for the caller, or
  // held by the caller (until its next call).
  enum class SlotState { kFree, kFilling, kReady, kInUse };
  struct Slot {
    std::vector<float> features;
    std::vector<int32_t> labels;
    int64_t size = 0;
    SlotState state = SlotState::kFree;
  };

  void gather(int64_t batch, Slot& slot) const;
  void worker_loop();
  Slot& slot_for(int64_t batch) { return slots_[static_cast<size_t>(batch) % slots_.size()]; }

  const Dataset& data_;
  const int64_t sample_size_;
  const int64_t batch_size_;
  const bool shuffle_;
  const uint64_t seed_;
  const bool prefetch_;

  std::vector<int64_t> order_;  // this epoch's sample order
  std::vector<Slot> slots_;     // two with prefetch, one without
  int64_t batches_ = 0;         // in this epoch; 0 until start_epoch
  int64_t next_to_return_ = 0;  // caller's cursor
  int64_t next_to_fill_ = 0;    // worker's cursor

  std::mutex mutex_;
  std::condition_variable changed_;  // any slot state or cursor changed
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace gradstream::engine

// Batcher: batch b of an epoch always lives in slot b % slots, so with two
// slots the worker fills slot (k+1) % 2 while the caller reads slot k % 2, and
// the caller releasing batch k-1 is what frees the slot for batch k+1.
#include "engine/data/batcher.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/base/parallel.hpp"

namespace gradstream::engine {

namespace {

constexpr size_t kPrefetchSlots = 2;
constexpr size_t kSynchronousSlots = 1;

// splitmix64's finalizer: turns (seed, epoch) into well-spread seeds, so
// neighbouring epochs (or seeds) do not start mt19937_64 from similar states.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

void shuffle_indices(std::vector<int64_t>& order, std::mt19937_64& rng) {
  for (size_t i = order.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(order[i - 1], order[j]);
  }
}

Batcher::Batcher(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                 bool prefetch)
    : data_(data),
      sample_size_(data.sample_size()),
      batch_size_(std::max<int64_t>(1, batch_size)),
      shuffle_(shuffle),
      seed_(seed),
      prefetch_(prefetch && data.count > 0),
      order_(static_cast<size_t>(data.count)),
      slots_(prefetch_ ? kPrefetchSlots : kSynchronousSlots) {
  // Buffers are sized once for the largest batch; no allocation per batch.
  const int64_t rows = std::min(batch_size_, std::max<int64_t>(1, data.count));
  for (Slot& slot : slots_) {
    slot.features.resize(static_cast<size_t>(rows * sample_size_));
    slot.labels.resize(static_cast<size_t>(rows));
  }
  if (prefetch_) worker_ = std::thread([this] { worker_loop(); });
}

Batcher::~Batcher() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

int64_t Batcher::batches_per_epoch() const { return (data_.count + batch_size_ - 1) / batch_size_; }

void Batcher::start_epoch(uint32_t epoch, int64_t first_batch) {
  std::unique_lock lock(mutex_);
  // The worker reads order_ while filling; let it finish the batch in hand.
  changed_.wait(lock, [this] {
    return std::none_of(slots_.begin(), slots_.end(),
                        [](const Slot& s) { return s.state == SlotState::kFilling; });
  });
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (shuffle_) {
    std::mt19937_64 rng(mix(seed_ ^ mix(epoch)));
    shuffle_indices(order_, rng);
  }
  for (Slot& slot : slots_) slot.state = SlotState::kFree;
  batches_ = batches_per_epoch();
  // Batch b lives in slot b % slots whatever the first one is.
  next_to_return_ = std::clamp<int64_t>(first_batch, 0, batches_);
  next_to_fill_ = next_to_return_;
  lock.unlock();
  changed_.notify_all();
}

std::optional<BatchView> Batcher::next() {
  std::unique_lock lock(mutex_);
  // The caller is done with the batch it holds; its slot may be refilled.
  for (Slot& slot : slots_)
    if (slot.state == SlotState::kInUse) slot.state = SlotState::kFree;
  if (next_to_return_ >= batches_) return std::nullopt;

  const int64_t batch = next_to_return_++;
  Slot& slot = slot_for(batch);
  if (prefetch_) {
    changed_.notify_all();
    changed_.wait(lock, [&] { return slot.state == SlotState::kReady; });
  } else {
    gather(batch, slot);
  }
  slot.state = SlotState::kInUse;
  return BatchView{slot.features.data(), slot.labels.data(), slot.size};
}

void Batcher::gather(int64_t batch, Slot& slot) const {
  const int64_t first = batch * batch_size_;
  slot.size = std::min(batch_size_, data_.count - first);
  const size_t row_bytes = static_cast<size_t>(sample_size_) * sizeof(float);
  // Without a prefetch thread the training thread's OpenMP team (the job's
  // whole budget) gathers; the prefetch thread gathers alone.
#pragma omp parallel for schedule(static) if (!prefetch_ && \
                                              slot.size * sample_size_ >= kParallelMinElements)
  for (int64_t i = 0; i < slot.size; ++i) {
    const int64_t src = order_[static_cast<size_t>(first + i)];
    std::memcpy(slot.features.data() + i * sample_size_, data_.features.data() + src * sample_size_,
                row_bytes);
    slot.labels[static_cast<size_t>(i)] = data_.labels[static_cast<size_t>(src)];
  }
}

void Batcher::worker_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] {
      return stopping_ ||
             (next_to_fill_ < batches_ && slot_for(next_to_fill_).state == SlotState::kFree);
    });
    if (stopping_) return;
    const int64_t batch = next_to_fill_++;
    Slot& slot = slot_for(batch);
    slot.state = SlotState::kFilling;
    lock.unlock();
    gather(batch, slot);
    lock.lock();
    slot.state = SlotState::kReady;
    changed_.notify_all();
  }
}

}  // namespace gradstream::engine

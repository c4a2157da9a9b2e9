// Tests of Batcher: every sample once per epoch (partial last batch included),
// reproducible shuffles, and prefetching that changes nothing but timing.
#include "engine/data/batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace gradstream::engine {
namespace {

// n samples of 3 features; sample i holds (i, 10 i, 100 i) and label i.
Dataset numbered(int64_t n) {
  Dataset d;
  d.sample_shape = {3};
  d.count = n;
  for (int64_t i = 0; i < n; ++i) {
    d.features.insert(d.features.end(), {float(i), float(10 * i), float(100 * i)});
    d.labels.push_back(static_cast<int32_t>(i));
  }
  return d;
}

struct Epoch {
  std::vector<int64_t> sizes;
  std::vector<int32_t> labels;
  std::vector<float> features;
};

// The epoch's batches from `first` on (start_epoch(epoch, first)).
Epoch run_epoch_from(Batcher& b, uint32_t epoch, int64_t first) {
  Epoch out;
  b.start_epoch(epoch, first);
  while (auto batch = b.next()) {
    out.sizes.push_back(batch->size);
    out.labels.insert(out.labels.end(), batch->labels, batch->labels + batch->size);
    out.features.insert(out.features.end(), batch->features, batch->features + batch->size * 3);
  }
  return out;
}

Epoch run_epoch(Batcher& b, uint32_t epoch) { return run_epoch_from(b, epoch, 0); }

TEST(BatcherTest, BatchesPerEpochKeepsPartialBatch) {
  const Dataset d = numbered(10);
  EXPECT_EQ(Batcher(d, 4, false, 1, false).batches_per_epoch(), 3);
  EXPECT_EQ(Batcher(d, 5, false, 1, false).batches_per_epoch(), 2);
  EXPECT_EQ(Batcher(d, 1, false, 1, false).batches_per_epoch(), 10);
  EXPECT_EQ(Batcher(d, 64, false, 1, true).batches_per_epoch(), 1);
}

TEST(BatcherTest, NoShuffleYieldsFileOrderWithPartialLastBatch) {
  const Dataset d = numbered(10);
  for (bool prefetch : {false, true}) {
    Batcher b(d, 4, false, 7, prefetch);
    const Epoch e = run_epoch(b, 0);
    EXPECT_EQ(e.sizes, (std::vector<int64_t>{4, 4, 2}));
    std::vector<int32_t> expected(10);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(e.labels, expected);
    EXPECT_EQ(e.features, d.features);
  }
}

TEST(BatcherTest, ShuffledEpochCoversEverySampleOnce) {
  const Dataset d = numbered(103);
  for (bool prefetch : {false, true}) {
    Batcher b(d, 16, true, 42, prefetch);
    for (uint32_t epoch = 0; epoch < 3; ++epoch) {
      const Epoch e = run_epoch(b, epoch);
      EXPECT_EQ(e.sizes.size(), 7u);
      EXPECT_EQ(e.sizes.back(), 103 - 6 * 16);
      // Rows travel with their labels.
      for (size_t i = 0; i < e.labels.size(); ++i) {
        EXPECT_EQ(e.features[3 * i], float(e.labels[i]));
        EXPECT_EQ(e.features[3 * i + 2], float(100 * e.labels[i]));
      }
      std::vector<int32_t> sorted = e.labels;
      std::sort(sorted.begin(), sorted.end());
      std::vector<int32_t> expected(103);
      std::iota(expected.begin(), expected.end(), 0);
      EXPECT_EQ(sorted, expected);
    }
  }
}

TEST(BatcherTest, PrefetchGivesIdenticalBatches) {
  const Dataset d = numbered(257);
  Batcher sync(d, 32, true, 9, false);
  Batcher async(d, 32, true, 9, true);
  for (uint32_t epoch = 0; epoch < 4; ++epoch) {
    const Epoch a = run_epoch(sync, epoch);
    const Epoch b = run_epoch(async, epoch);
    EXPECT_EQ(a.sizes, b.sizes);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.features, b.features);
  }
}

TEST(BatcherTest, SameSeedAndEpochGiveSameOrder) {
  const Dataset d = numbered(50);
  Batcher first(d, 8, true, 1234, true);
  Batcher second(d, 8, true, 1234, false);
  EXPECT_EQ(run_epoch(first, 3).labels, run_epoch(second, 3).labels);
  // Replaying an epoch on the same Batcher gives it again.
  const Epoch again = run_epoch(first, 0);
  run_epoch(first, 1);
  EXPECT_EQ(run_epoch(first, 0).labels, again.labels);
}

TEST(BatcherTest, DifferentEpochsAndSeedsGiveDifferentOrders) {
  const Dataset d = numbered(50);
  Batcher b(d, 8, true, 1234, true);
  const Epoch e0 = run_epoch(b, 0);
  const Epoch e1 = run_epoch(b, 1);
  EXPECT_NE(e0.labels, e1.labels);
  Batcher other_seed(d, 8, true, 1235, true);
  EXPECT_NE(run_epoch(other_seed, 0).labels, e0.labels);
  std::vector<int32_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(e0.labels, identity);
}

TEST(BatcherTest, ShuffleIndicesIsAPinnedFisherYates) {
  // mt19937_64's output is fixed by the standard and so is our swap sequence:
  // this order must come out on every platform and standard library.
  std::vector<int64_t> order = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::mt19937_64 rng(5);
  shuffle_indices(order, rng);
  EXPECT_EQ(order, (std::vector<int64_t>{8, 7, 1, 3, 5, 9, 6, 0, 4, 2}));
}

TEST(BatcherTest, RestartingMidEpochStartsOver) {
  const Dataset d = numbered(40);
  for (bool prefetch : {false, true}) {
    Batcher b(d, 4, true, 3, prefetch);
    const Epoch full = run_epoch(b, 2);
    b.start_epoch(5);
    ASSERT_TRUE(b.next().has_value());
    ASSERT_TRUE(b.next().has_value());
    // Abandon epoch 5 after two batches; epoch 2 must come out whole and unchanged.
    const Epoch replay = run_epoch(b, 2);
    EXPECT_EQ(replay.labels, full.labels);
    EXPECT_EQ(replay.features, full.features);
  }
}

TEST(BatcherTest, StartingAtABatchGivesTheRestOfTheEpochUnchanged) {
  // 103 samples in batches of 16: 6 full batches and one of 7.
  const Dataset d = numbered(103);
  for (bool prefetch : {false, true}) {
    SCOPED_TRACE(prefetch ? "prefetch" : "synchronous");
    Batcher b(d, 16, true, 42, prefetch);
    const Epoch full = run_epoch(b, 2);
    for (int64_t first : {1, 3, 6}) {  // an odd and an even slot, and the partial batch
      const Epoch rest = run_epoch_from(b, 2, first);
      EXPECT_EQ(rest.sizes, std::vector<int64_t>(full.sizes.begin() + first, full.sizes.end()));
      EXPECT_EQ(rest.labels,
                std::vector<int32_t>(full.labels.begin() + first * 16, full.labels.end()));
      EXPECT_EQ(rest.features,
                std::vector<float>(full.features.begin() + first * 16 * 3, full.features.end()));
    }
    // Past the last batch: nothing left; the next epoch starts whole again.
    EXPECT_TRUE(run_epoch_from(b, 2, 7).sizes.empty());
    EXPECT_EQ(run_epoch(b, 2).labels, full.labels);
  }
}

TEST(BatcherTest, BatchLargerThanDataAndEmptyData) {
  const Dataset d = numbered(7);
  Batcher b(d, 100, true, 1, true);
  const Epoch e = run_epoch(b, 0);
  EXPECT_EQ(e.sizes, (std::vector<int64_t>{7}));

  const Dataset empty = numbered(0);
  Batcher none(empty, 8, true, 1, true);
  EXPECT_EQ(none.batches_per_epoch(), 0);
  none.start_epoch(0);
  EXPECT_FALSE(none.next().has_value());
}

TEST(BatcherTest, NextBeforeStartEpochAndAfterEndIsEmpty) {
  const Dataset d = numbered(5);
  Batcher b(d, 2, false, 1, true);
  EXPECT_FALSE(b.next().has_value());
  run_epoch(b, 0);
  EXPECT_FALSE(b.next().has_value());
  EXPECT_FALSE(b.next().has_value());
}

}  // namespace
}  // namespace gradstream::engine

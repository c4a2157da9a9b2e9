// ModelCache: holds at most its capacity in bytes, dropping the least recently
// used entry first (get counts as use); an entry bigger than the capacity is
// not kept; erase and replace keep the byte count right; an evicted entry a
// caller holds stays valid; the observer sees every change; concurrent
// get/put/erase keep the bound and the count consistent.
#include "server/model_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace gradstream::server {
namespace {

std::shared_ptr<const std::string> model_of(size_t bytes, char fill = 'm') {
  return std::make_shared<const std::string>(bytes, fill);
}

void put(ModelFileCache& cache, const std::string& id, size_t bytes) {
  cache.put(id, model_of(bytes), bytes);
}

TEST(ModelCacheTest, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
  ModelFileCache cache(100);
  put(cache, "a", 40);
  put(cache, "b", 40);
  EXPECT_EQ(cache.bytes(), 80U);
  ASSERT_NE(cache.get("a"), nullptr);  // a is now more recent than b
  put(cache, "c", 40);                 // 120 > 100: b goes
  EXPECT_EQ(cache.get("b"), nullptr);
  EXPECT_NE(cache.get("a"), nullptr);
  EXPECT_NE(cache.get("c"), nullptr);
  EXPECT_EQ(cache.bytes(), 80U);
  EXPECT_EQ(cache.size(), 2U);
  put(cache, "d", 100);  // fills it alone: a and c go
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(cache.bytes(), 100U);
  EXPECT_NE(cache.get("d"), nullptr);
}

TEST(ModelCacheTest, AnEntryBiggerThanTheCapacityIsServedButNotKept) {
  ModelFileCache cache(100);
  put(cache, "small", 30);
  const auto big = model_of(101, 'b');
  cache.put("big", big, big->size());
  EXPECT_EQ(cache.get("big"), nullptr);
  EXPECT_EQ(*big, std::string(101, 'b'));  // its caller still has it
  EXPECT_NE(cache.get("small"), nullptr);  // and it pushed nothing out
  EXPECT_EQ(cache.bytes(), 30U);
}

TEST(ModelCacheTest, ACapacityOfZeroKeepsNothing) {
  ModelFileCache cache(0);
  put(cache, "a", 1);
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 0U);
}

TEST(ModelCacheTest, ReplacingAndErasingKeepTheByteCount) {
  ModelFileCache cache(100);
  put(cache, "a", 60);
  cache.put("a", model_of(20, 'n'), 20);  // a new model under the same id
  EXPECT_EQ(cache.bytes(), 20U);
  EXPECT_EQ(*cache.get("a"), std::string(20, 'n'));
  put(cache, "b", 70);  // 90: fits beside the new a
  EXPECT_EQ(cache.size(), 2U);
  cache.erase("a");
  cache.erase("unknown");
  EXPECT_EQ(cache.get("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 70U);
  EXPECT_EQ(cache.size(), 1U);
}

TEST(ModelCacheTest, AnEvictedEntryStaysValidForItsHolder) {
  ModelFileCache cache(10);
  put(cache, "a", 10);
  const std::shared_ptr<const std::string> held = cache.get("a");  // an export streaming it
  put(cache, "b", 10);
  EXPECT_EQ(cache.get("a"), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, std::string(10, 'm'));
}

TEST(ModelCacheTest, TheObserverSeesTheBytesAfterEveryChange) {
  std::vector<size_t> seen;
  ModelFileCache cache(100, [&seen](size_t bytes) { seen.push_back(bytes); });
  put(cache, "a", 60);
  put(cache, "b", 60);  // a goes
  cache.erase("b");
  cache.erase("b");  // nothing to drop: not told again
  EXPECT_EQ(seen, (std::vector<size_t>{60, 60, 0}));
}

TEST(ModelCacheTest, ConcurrentUseKeepsTheBoundAndTheCount) {
  constexpr size_t kCapacity = 1000;
  constexpr int kThreads = 4;
  constexpr int kRounds = 5000;
  std::atomic<size_t> over_bound{0};
  ModelFileCache cache(kCapacity, [&over_bound](size_t bytes) {
    if (bytes > kCapacity) ++over_bound;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string id = "job-" + std::to_string((i * 7 + t) % 23);
        const size_t bytes = 50 + static_cast<size_t>((i + t) % 200);
        if (i % 3 == 0) {
          cache.erase(id);
        } else if (auto model = cache.get(id)) {
          ASSERT_GE(model->size(), 50U);  // a whole model, never a torn one
        } else {
          put(cache, id, bytes);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(over_bound.load(), 0U);
  EXPECT_LE(cache.bytes(), kCapacity);
  // The count matches what is there: every id still cached, summed.
  size_t sum = 0;
  for (int id = 0; id < 23; ++id) {
    if (auto model = cache.get("job-" + std::to_string(id))) sum += model->size();
  }
  EXPECT_EQ(sum, cache.bytes());
}

}  // namespace
}  // namespace gradstream::server

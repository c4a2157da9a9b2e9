// GlooCollective over Gloo's HashStore and loopback TCP, every rank a thread of
// this process: sums checked against a double-precision reference, every rank
// holding the same bits, the maximum, and the failures (arguments, a rank that
// never arrives) as a Status naming the rank, within the timeout.
#include "engine/distributed/gloo_collective.hpp"

#include <gloo/rendezvous/hash_store.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace gradstream::engine {
namespace {

using std::chrono::milliseconds;

// Runs body(collective) on `ranks` threads joined through one HashStore.
void on_ranks(int ranks, const std::function<void(Collective&)>& body) {
  gloo::rendezvous::HashStore store;
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      auto collective = GlooCollective::connect(store, r, ranks);
      ASSERT_TRUE(collective.ok()) << collective.status().message();
      EXPECT_EQ((*collective)->rank(), r);
      EXPECT_EQ((*collective)->size(), ranks);
      body(**collective);
    });
  }
  for (auto& t : threads) t.join();
}

// Rank r's values: a deterministic draw per (rank, index).
std::vector<float> values_of(int rank, size_t count) {
  std::mt19937_64 rng(1000 + static_cast<uint64_t>(rank));
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(static_cast<double>(rng() >> 11) / 9e15 - 0.5);
  return v;
}

class GlooCollectiveSumTest : public ::testing::TestWithParam<int> {};

TEST_P(GlooCollectiveSumTest, SumsMatchADoubleReferenceAndAreTheSameBitsOnEveryRank) {
  const int ranks = GetParam();
  // Not a multiple of the ranks, and over Gloo's 1 MiB segment, so the ring
  // splits it unevenly into several segments.
  constexpr size_t kCount = 300007;
  std::vector<double> reference(kCount, 0.0);
  for (int r = 0; r < ranks; ++r) {
    const std::vector<float> v = values_of(r, kCount);
    for (size_t i = 0; i < kCount; ++i) reference[i] += v[i];
  }
  std::vector<std::vector<float>> results(static_cast<size_t>(ranks));
  on_ranks(ranks, [&](Collective& c) {
    std::vector<float> v = values_of(c.rank(), kCount);
    const Status s = c.allreduce_sum(v.data(), v.size());
    EXPECT_TRUE(s.ok()) << s.message();
    results[static_cast<size_t>(c.rank())] = std::move(v);
  });
  double worst = 0.0;
  for (size_t i = 0; i < kCount; ++i) {
    worst = std::max(worst, std::abs(results[0][i] - reference[i]));
  }
  // Each float addition rounds by at most half an ulp of |sum| <= ranks / 2.
  EXPECT_LT(worst, ranks * 0.5 * std::ldexp(1.0, -23));
  for (int r = 1; r < ranks; ++r) {
    EXPECT_EQ(std::memcmp(results[0].data(), results[static_cast<size_t>(r)].data(),
                          kCount * sizeof(float)),
              0)
        << "rank " << r << " holds other bits than rank 0";
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, GlooCollectiveSumTest, ::testing::Values(2, 3, 4));

TEST(GlooCollectiveTest, DoublesSumAndMaximum) {
  on_ranks(3, [](Collective& c) {
    const double r = c.rank();
    double sums[] = {r, 0.25 * r, -r};
    ASSERT_TRUE(c.allreduce_sum(sums, 3).ok());
    EXPECT_EQ(sums[0], 3.0);  // 0 + 1 + 2
    EXPECT_EQ(sums[1], 0.75);
    EXPECT_EQ(sums[2], -3.0);
    double maxima[] = {r, -r, r == 1 ? 7.5 : 0.0};
    ASSERT_TRUE(c.allreduce_max(maxima, 3).ok());
    EXPECT_EQ(maxima[0], 2.0);
    EXPECT_EQ(maxima[1], 0.0);
    EXPECT_EQ(maxima[2], 7.5);
  });
}

TEST(GlooCollectiveTest, OneRankNeedsNoPeer) {
  gloo::rendezvous::HashStore store;
  auto c = GlooCollective::connect(store, 0, 1);
  ASSERT_TRUE(c.ok()) << c.status().message();
  float v[] = {1.5F, -2.0F};
  ASSERT_TRUE((*c)->allreduce_sum(v, 2).ok());
  EXPECT_EQ(v[0], 1.5F);
  EXPECT_EQ(v[1], -2.0F);
}

TEST(GlooCollectiveTest, RefusesRanksOutOfRange) {
  gloo::rendezvous::HashStore store;
  auto rank = GlooCollective::connect(store, 2, 2);
  ASSERT_FALSE(rank.ok());
  EXPECT_EQ(rank.status().message(), "distributed: rank 2 is out of range [0, 1]");
  auto size = GlooCollective::connect(store, 0, 65);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(), "distributed: 65 ranks is out of range [1, 64]");
}

TEST(GlooCollectiveTest, ARankThatNeverArrivesFailsWithinTheTimeoutNamingTheRank) {
  gloo::rendezvous::HashStore store;
  GlooOptions options;
  options.timeout = milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  auto c = GlooCollective::connect(store, 0, 2, options);  // rank 1 never comes
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(
      c.status().message().rfind(
          "distributed: rank 0 of 2: connecting to the other ranks (within 500 ms) failed: ", 0),
      0u)
      << c.status().message();
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(GlooCollectiveTest, APeerThatLeavesFailsTheOtherRanksAllreduce) {
  gloo::rendezvous::HashStore store;
  GlooOptions options;
  options.timeout = milliseconds(2000);
  Status second;
  std::chrono::steady_clock::duration waited{};
  std::thread leaver([&] {
    auto c = GlooCollective::connect(store, 1, 2, options);
    ASSERT_TRUE(c.ok()) << c.status().message();
    float v = 1.0F;
    EXPECT_TRUE((*c)->allreduce_sum(&v, 1).ok());
  });  // its collective is destroyed: the sockets close
  auto c = GlooCollective::connect(store, 0, 2, options);
  ASSERT_TRUE(c.ok()) << c.status().message();
  float v = 2.0F;
  ASSERT_TRUE((*c)->allreduce_sum(&v, 1).ok());
  EXPECT_EQ(v, 3.0F);
  leaver.join();
  const auto start = std::chrono::steady_clock::now();
  second = (*c)->allreduce_sum(&v, 1);
  waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.message().rfind("distributed: rank 0 of 2: allreduce of 4 bytes failed: ", 0),
            0u)
      << second.message();
  EXPECT_LT(waited, std::chrono::seconds(5));
  // After a failure the collective returns it again rather than hang on a
  // broken mesh: whoever calls next (the trainer, after a batch norm that
  // could not report it) reports the first failure.
  const auto again = std::chrono::steady_clock::now();
  const Status after = (*c)->allreduce_sum(&v, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - again, std::chrono::milliseconds(100));
  EXPECT_EQ(after.code(), second.code());
  EXPECT_EQ(after.message(), second.message());
}

}  // namespace
}  // namespace gradstream::engine

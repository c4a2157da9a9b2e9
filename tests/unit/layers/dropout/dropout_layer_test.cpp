// DropoutLayer (inverted dropout): in training every output is either dropped
// (0) or kept and scaled by 1 / (1 - rate), the kept fraction is 1 - rate, the
// backward applies the same mask, the mask depends on the seed only; in
// evaluation the layer is the identity.
#include "engine/layers/dropout/dropout_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

// A large tensor for the statistics: 2^18 elements.
constexpr int64_t kRows = 256;
constexpr int64_t kCols = 1024;
constexpr float kRate = 0.3F;
constexpr uint64_t kSeed = 42;

LayerOptions options(bool training, uint64_t seed) {
  LayerOptions o = testing::layer_options(training);
  o.seed = seed;
  return o;
}

class DropoutLayerTest : public ::testing::Test {
 protected:
  // src in [0.5, 1.5]: never 0, so dst / src recovers the mask exactly enough.
  const std::vector<float> x_ = testing::uniform_values(kRows * kCols, 0.5F, 1.5F, 9);
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_F(DropoutLayerTest, TrainingMaskIsZeroOrInverseKeepProbability) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  DropoutLayer layer("dropout_0", src, kRate, options(true, kSeed), eng_);

  layer.forward(stream_);
  stream_.wait();

  const double keep_scale = 1.0 / (1.0 - kRate);  // 1/0.7 = 1.428571...
  const std::vector<float> y = testing::read(layer.dst());
  int64_t kept = 0;
  int64_t bad = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0.0F) continue;
    ++kept;
    const double mask = double(y[i]) / x_[i];
    if (std::abs(mask - keep_scale) > 1e-6 * keep_scale) ++bad;
  }
  EXPECT_EQ(bad, 0) << "outputs that are neither 0 nor src / (1 - rate)";
  // Binomial: the kept fraction's standard deviation is sqrt(0.7 * 0.3 / 2^18)
  // = 9e-4; 5 sigma is 4.5e-3.
  const double kept_fraction = double(kept) / double(y.size());
  EXPECT_NEAR(kept_fraction, 1.0 - kRate, 5e-3);
}

TEST_F(DropoutLayerTest, ExpectedOutputEqualsInput) {
  // The point of inverted dropout: E[dst] = src. All-ones src, mean of dst ~ 1.
  const Tensor src =
      testing::plain_tensor(eng_, {kRows, kCols}, std::vector<float>(kRows * kCols, 1.0F));
  DropoutLayer layer("dropout_0", src, 0.5F, options(true, kSeed), eng_);

  layer.forward(stream_);
  stream_.wait();

  double sum = 0;
  for (float v : testing::read(layer.dst())) {
    EXPECT_TRUE(v == 0.0F || v == 2.0F) << v;
    sum += v;
  }
  // Each output is 0 or 2 with equal odds: std of the mean = 1 / sqrt(2^18) ~ 2e-3.
  EXPECT_NEAR(sum / (kRows * kCols), 1.0, 1e-2);
}

TEST_F(DropoutLayerTest, BackwardAppliesTheForwardMask) {
  const std::vector<float> dd = testing::uniform_values(kRows * kCols, -1, 1, 10);
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  const Tensor diff_dst = testing::plain_tensor(eng_, {kRows, kCols}, dd);
  DropoutLayer layer("dropout_0", src, kRate, options(true, kSeed), eng_);
  const Tensor diff_src = layer.bind_backward(diff_dst, /*needs_diff_src=*/true);
  ASSERT_TRUE(diff_src);

  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  const float keep_scale = 1.0F / (1.0F - kRate);
  const std::vector<float> y = testing::read(layer.dst());
  const std::vector<float> dx = testing::read(diff_src);
  int64_t mismatches = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    // diff_src = diff_dst * mask, with mask = 0 where dst was dropped.
    const double expected = y[i] == 0.0F ? 0.0 : double(dd[i]) * keep_scale;
    if (std::abs(dx[i] - expected) > 1e-6) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_F(DropoutLayerTest, EachForwardDrawsAFreshMaskAndBackwardUsesTheLatest) {
  const std::vector<float> dd(kRows * kCols, 1.0F);
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  const Tensor diff_dst = testing::plain_tensor(eng_, {kRows, kCols}, dd);
  DropoutLayer layer("dropout_0", src, kRate, options(true, kSeed), eng_);
  const Tensor diff_src = layer.bind_backward(diff_dst, true);

  layer.forward(stream_);
  stream_.wait();
  const std::vector<float> first = testing::read(layer.dst());
  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();
  const std::vector<float> second = testing::read(layer.dst());
  const std::vector<float> dx = testing::read(diff_src);

  int64_t differ = 0;
  int64_t backward_mismatch = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    differ += (first[i] == 0.0F) != (second[i] == 0.0F) ? 1 : 0;
    backward_mismatch += (second[i] == 0.0F) != (dx[i] == 0.0F) ? 1 : 0;
  }
  // Independent masks disagree on 2 * 0.3 * 0.7 = 42% of the elements.
  EXPECT_GT(differ, kRows * kCols / 4);
  EXPECT_EQ(backward_mismatch, 0);
}

TEST_F(DropoutLayerTest, CountersRestoredGiveTheMasksThatWouldHaveComeNext) {
  const Tensor src = testing::plain_tensor(eng_, {8, 64}, std::vector<float>(8 * 64, 1.0F));
  DropoutLayer first("dropout_0", src, kRate, options(true, kSeed), eng_);
  EXPECT_EQ(first.counters(), (std::vector<uint64_t>{0}));
  for (int i = 0; i < 3; ++i) first.forward(stream_);
  EXPECT_EQ(first.counters(), (std::vector<uint64_t>{3}));
  // Another layer (another pipeline, another process) given the count draws
  // the mask the first one draws next, not its own first mask.
  DropoutLayer resumed("dropout_0", src, kRate, options(true, kSeed), eng_);
  resumed.set_counters(first.counters());
  first.forward(stream_);
  resumed.forward(stream_);
  stream_.wait();
  EXPECT_EQ(testing::read(resumed.mask()), testing::read(first.mask()));
  DropoutLayer fresh("dropout_0", src, kRate, options(true, kSeed), eng_);
  fresh.forward(stream_);
  stream_.wait();
  EXPECT_NE(testing::read(fresh.mask()), testing::read(first.mask()));
}

TEST_F(DropoutLayerTest, SameSeedGivesSameMaskOtherSeedDoesNot) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  DropoutLayer a("dropout_0", src, kRate, options(true, kSeed), eng_);
  DropoutLayer b("dropout_0", src, kRate, options(true, kSeed), eng_);
  DropoutLayer c("dropout_0", src, kRate, options(true, kSeed + 1), eng_);

  a.forward(stream_);
  b.forward(stream_);
  c.forward(stream_);
  stream_.wait();

  const std::vector<float> ya = testing::read(a.dst());
  EXPECT_EQ(ya, testing::read(b.dst()));
  const std::vector<float> yc = testing::read(c.dst());
  int64_t differ = 0;
  for (size_t i = 0; i < ya.size(); ++i) differ += (ya[i] == 0.0F) != (yc[i] == 0.0F) ? 1 : 0;
  EXPECT_GT(differ, kRows * kCols / 4);
}

TEST_F(DropoutLayerTest, EvaluationPassesSrcThroughUnchanged) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  DropoutLayer layer("dropout_0", src, kRate, options(false, kSeed), eng_);

  layer.forward(stream_);
  stream_.wait();

  EXPECT_EQ(testing::read(layer.dst()), x_);
  // Not even a copy: dst is src's buffer.
  EXPECT_EQ(layer.dst().data(), src.data());
}

TEST_F(DropoutLayerTest, RateZeroKeepsEverythingUnscaled) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x_);
  DropoutLayer layer("dropout_0", src, 0.0F, options(true, kSeed), eng_);

  layer.forward(stream_);
  stream_.wait();

  EXPECT_EQ(testing::read(layer.dst()), x_);
}

TEST_F(DropoutLayerTest, NoDiffSrcNeededReturnsEmptyMemory) {
  const Tensor src = testing::plain_tensor(eng_, {2, 3}, std::vector<float>(6, 1.0F));
  const Tensor diff_dst = testing::plain_tensor(eng_, {2, 3}, std::vector<float>(6, 1.0F));
  DropoutLayer layer("dropout_0", src, kRate, options(true, kSeed), eng_);

  EXPECT_FALSE(layer.bind_backward(diff_dst, /*needs_diff_src=*/false));
  layer.forward(stream_);
  layer.backward(stream_);  // a no-op
  stream_.wait();
  EXPECT_EQ(layer.activation(), nullptr);
}

}  // namespace
}  // namespace gradstream::engine

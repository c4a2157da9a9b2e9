// initialize_weights: each kind's bound and variance over many draws, the exact
// mapping from raw engine output (what makes results library-independent), and
// determinism for a seed.
#include "engine/layers/initializer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

namespace gradstream::engine {
namespace {

constexpr int64_t kDraws = 100000;
constexpr int64_t kFanIn = 300;
constexpr int64_t kFanOut = 100;
constexpr uint64_t kSeed = 42;

struct Moments {
  double mean = 0;
  double variance = 0;
  double max_abs = 0;
};

Moments moments(const std::vector<float>& x) {
  Moments m;
  for (float v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (float v : x) {
    m.variance += (v - m.mean) * (v - m.mean);
    m.max_abs = std::max(m.max_abs, std::abs(static_cast<double>(v)));
  }
  m.variance /= static_cast<double>(x.size());
  return m;
}

std::vector<float> draw(v1::Initializer kind, uint64_t seed, int64_t count = kDraws) {
  std::mt19937_64 rng(seed);
  std::vector<float> dst(static_cast<size_t>(count));
  initialize_weights(kind, kFanIn, kFanOut, rng, dst.data(), count);
  return dst;
}

struct UniformCase {
  v1::Initializer kind;
  double limit;
};

TEST(InitializerTest, UniformKindsStayWithinLimitWithVarianceLimitSquaredOverThree) {
  const UniformCase cases[] = {
      {v1::GLOROT_UNIFORM, std::sqrt(6.0 / (kFanIn + kFanOut))},  // 0.1225
      {v1::HE_UNIFORM, std::sqrt(6.0 / kFanIn)},                  // 0.1414
      {v1::LECUN_UNIFORM, std::sqrt(3.0 / kFanIn)},               // 0.1
  };
  for (const UniformCase& c : cases) {
    SCOPED_TRACE(v1::Initializer_Name(c.kind));
    const Moments m = moments(draw(c.kind, kSeed));
    // U(-a, a): mean 0, variance a^2 / 3; the sample max comes close to a.
    EXPECT_LE(m.max_abs, static_cast<float>(c.limit));
    EXPECT_GT(m.max_abs, 0.999 * c.limit);
    EXPECT_NEAR(m.mean, 0.0, 0.01 * c.limit);
    EXPECT_NEAR(m.variance, c.limit * c.limit / 3.0, 0.02 * c.limit * c.limit / 3.0);
  }
}

struct NormalCase {
  v1::Initializer kind;
  double stddev;
};

TEST(InitializerTest, NormalKindsHaveExpectedStdAndBellShape) {
  const NormalCase cases[] = {
      {v1::GLOROT_NORMAL, std::sqrt(2.0 / (kFanIn + kFanOut))},  // 0.0707
      {v1::HE_NORMAL, std::sqrt(2.0 / kFanIn)},                  // 0.0816
      {v1::LECUN_NORMAL, std::sqrt(1.0 / kFanIn)},               // 0.0577
  };
  for (const NormalCase& c : cases) {
    SCOPED_TRACE(v1::Initializer_Name(c.kind));
    const std::vector<float> x = draw(c.kind, kSeed);
    const Moments m = moments(x);
    EXPECT_NEAR(m.mean, 0.0, 0.02 * c.stddev);
    EXPECT_NEAR(m.variance, c.stddev * c.stddev, 0.03 * c.stddev * c.stddev);
    // P(|z| < 1) = 0.6827 for a normal; a uniform of the same variance gives 0.577.
    int64_t within_one_std = 0;
    for (float v : x) within_one_std += std::abs(v) < c.stddev;
    EXPECT_NEAR(static_cast<double>(within_one_std) / kDraws, 0.6827, 0.01);
    // Not truncated: some draws lie beyond 3 std (expected 0.27%, ~270 of 100k).
    EXPECT_GT(m.max_abs, 3.0 * c.stddev);
  }
}

TEST(InitializerTest, UniformDrawIsTop53BitsOfEngineOutputScaledToLimit) {
  // The documented mapping, replayed on our own engine: x = a * (2u - 1),
  // u = (r >> 11) * 2^-53.
  const std::vector<float> x = draw(v1::LECUN_UNIFORM, kSeed, 8);
  std::mt19937_64 replay(kSeed);
  const double limit = std::sqrt(3.0 / kFanIn);
  for (float v : x) {
    const double u = static_cast<double>(replay() >> 11) * 0x1p-53;
    EXPECT_EQ(v, static_cast<float>(limit * (2.0 * u - 1.0)));
  }
}

TEST(InitializerTest, NormalDrawIsBoxMullerOnEngineOutput) {
  // z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2),
  // u1 = 1 - (r1 >> 11) 2^-53, u2 = (r2 >> 11) 2^-53, scaled by std.
  const std::vector<float> x = draw(v1::LECUN_NORMAL, kSeed, 4);
  std::mt19937_64 replay(kSeed);
  const double stddev = std::sqrt(1.0 / kFanIn);
  for (int pair = 0; pair < 2; ++pair) {
    const double u1 = 1.0 - static_cast<double>(replay() >> 11) * 0x1p-53;
    const double u2 = static_cast<double>(replay() >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    EXPECT_EQ(x[2 * pair], static_cast<float>(stddev * r * std::cos(2 * std::numbers::pi * u2)));
    EXPECT_EQ(x[2 * pair + 1],
              static_cast<float>(stddev * r * std::sin(2 * std::numbers::pi * u2)));
  }
}

TEST(InitializerTest, OddCountNormalFillsEveryElementAndUsesWholePairs) {
  std::mt19937_64 rng(kSeed);
  std::vector<float> x(5, std::numeric_limits<float>::quiet_NaN());
  initialize_weights(v1::HE_NORMAL, kFanIn, kFanOut, rng, x.data(), 5);
  for (float v : x) EXPECT_FALSE(std::isnan(v));
  std::mt19937_64 replay(kSeed);
  replay.discard(6);  // three Box-Muller pairs
  EXPECT_EQ(rng(), replay());
}

TEST(InitializerTest, SameSeedGivesSameBits) {
  for (v1::Initializer kind : {v1::GLOROT_UNIFORM, v1::HE_NORMAL}) {
    EXPECT_EQ(draw(kind, kSeed, 1000), draw(kind, kSeed, 1000));
  }
}

TEST(InitializerTest, DifferentSeedsGiveDifferentWeights) {
  EXPECT_NE(draw(v1::GLOROT_UNIFORM, kSeed, 1000), draw(v1::GLOROT_UNIFORM, kSeed + 1, 1000));
}

TEST(InitializerTest, UnspecifiedIsTreatedAsGlorotUniform) {
  EXPECT_EQ(draw(v1::INITIALIZER_UNSPECIFIED, kSeed, 1000), draw(v1::GLOROT_UNIFORM, kSeed, 1000));
}

TEST(InitializerTest, NonPositiveFanIsReadAsOne) {
  std::mt19937_64 rng(kSeed);
  std::vector<float> x(1000);
  initialize_weights(v1::HE_UNIFORM, 0, 0, rng, x.data(), 1000);
  // fan_in 1: limit sqrt(6); everything finite and inside it.
  for (float v : x) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_LE(std::abs(v), static_cast<float>(std::sqrt(6.0)));
  }
}

}  // namespace
}  // namespace gradstream::engine

// PreluLayer: forward with one learned slope per unit, and the gradients with
// respect to src and to the slopes against the hand formula and central
// finite differences of a double-precision reference.
//   f(x)[n, c] = x if x > 0 else a[c] x
#include "engine/layers/prelu_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/layers/activation_catalog.hpp"
#include "engine/core/parameter.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// PReLU is exact in float apart from one rounding of a[c] x; diff_slope sums
// kBatch float products of magnitude <= 3, so its error is bounded by about
// kBatch * 6e-8 * 3 ~ 1e-6 absolute: 2e-6 leaves a margin and still catches
// any wrong term (the smallest term here is ~0.01).
constexpr Tolerance kTolerance{2e-6, 2e-6};

constexpr int64_t kBatch = 4;
constexpr int64_t kUnits = 5;

// Includes 0 (no leak), 1 (identity) and a negative slope, which learning can reach.
const std::vector<float> kSlopes = {0.25F, 0.1F, 0.0F, 1.0F, -0.3F};

// Values away from the kink at 0, both signs in every column.
std::vector<float> src_values() {
  return {1.5F,  -2.0F, 0.3F,  -0.7F, 2.5F,   //
          -1.2F, 0.8F,  -3.0F, 1.1F,  -0.4F,  //
          0.6F,  -0.9F, -1.7F, 2.2F,  -2.6F,  //
          -0.5F, 1.9F,  2.4F,  -1.3F, 0.2F};
}

double prelu(double x, double a) { return x > 0 ? x : a * x; }

// L(x, a) = sum diff_dst * f(x; a): its gradient is what backward computes.
double weighted_output(const std::vector<double>& x, const std::vector<double>& a,
                       const std::vector<float>& dd) {
  double sum = 0;
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t c = 0; c < kUnits; ++c) sum += dd[n * kUnits + c] * prelu(x[n * kUnits + c], a[c]);
  }
  return sum;
}

class PreluLayerTest : public ::testing::Test {
 protected:
  PreluLayerTest() : slope_(make_parameter(eng_, "prelu_0", "slope", {1, kUnits}, false)) {
    testing::write(slope_.value, kSlopes);
    // A gradient left from a previous step must be overwritten, not added to.
    testing::write(slope_.grad, std::vector<float>(kUnits, 77.0F));
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
  const ActivationInfo& info_ = *find_activation("prelu");
  Parameter slope_;
};

TEST_F(PreluLayerTest, ForwardAppliesEachUnitsSlopeToNegativeInputs) {
  const std::vector<float> x = src_values();
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kUnits, x);
  PreluLayer layer("prelu_0", src, info_, slope_, /*training=*/true, eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<float> y = testing::read(layer.dst());
  ASSERT_EQ(y.size(), x.size());
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t c = 0; c < kUnits; ++c) {
      const int64_t i = n * kUnits + c;
      EXPECT_TRUE(IsClose(y[i], prelu(x[i], kSlopes[c]), kTolerance)) << "n=" << n << " c=" << c;
    }
  }
  // Spot values by hand: row 0 is [1.5, -2.0 * 0.1, 0.3, -0.7 * 1.0, 2.5].
  EXPECT_FLOAT_EQ(y[0], 1.5F);
  EXPECT_FLOAT_EQ(y[1], -0.2F);
  EXPECT_FLOAT_EQ(y[3], -0.7F);
  // Column 2 has slope 0: negative inputs die; column 4 has slope -0.3: they flip.
  EXPECT_FLOAT_EQ(y[1 * kUnits + 2], 0.0F);
  EXPECT_FLOAT_EQ(y[2 * kUnits + 4], 0.78F);
}

TEST_F(PreluLayerTest, InferenceForwardMatchesTraining) {
  const std::vector<float> x = src_values();
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kUnits, x);
  PreluLayer layer("prelu_0", src, info_, slope_, /*training=*/false, eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<float> y = testing::read(layer.dst());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_TRUE(IsClose(y[i], prelu(x[i], kSlopes[i % kUnits]), kTolerance)) << i;
  }
}

TEST_F(PreluLayerTest, BackwardGivesDiffSrcAndDiffSlope) {
  const std::vector<float> x = src_values();
  const std::vector<float> dd = testing::uniform_values(x.size(), -1, 1, 3);
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kUnits, x);
  dnnl::memory diff_dst = testing::matrix_memory(eng_, kBatch, kUnits, dd);
  PreluLayer layer("prelu_0", src, info_, slope_, /*training=*/true, eng_);
  const dnnl::memory diff_src = layer.bind_backward(diff_dst, /*needs_diff_src=*/true);
  ASSERT_TRUE(diff_src);

  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  const std::vector<double> xd = testing::to_double(x);
  const std::vector<double> ad = testing::to_double(kSlopes);
  const std::vector<double> fd_src = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return weighted_output(v, ad, dd); }, xd);
  const std::vector<double> fd_slope = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return weighted_output(xd, v, dd); }, ad);

  const std::vector<float> dx = testing::read(diff_src);
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t c = 0; c < kUnits; ++c) {
      const int64_t i = n * kUnits + c;
      SCOPED_TRACE(::testing::Message() << "n=" << n << " c=" << c);
      const double formula = dd[i] * (x[i] > 0 ? 1.0 : kSlopes[c]);
      EXPECT_TRUE(IsClose(dx[i], formula, kTolerance)) << "vs formula";
      EXPECT_TRUE(IsClose(dx[i], fd_src[i], kTolerance)) << "vs finite differences";
    }
  }
  const std::vector<float> da = testing::read(slope_.grad);
  for (int64_t c = 0; c < kUnits; ++c) {
    SCOPED_TRACE(::testing::Message() << "c=" << c);
    double formula = 0;  // sum_n diff_dst * min(x, 0)
    for (int64_t n = 0; n < kBatch; ++n) {
      formula += dd[n * kUnits + c] * std::min<double>(x[n * kUnits + c], 0.0);
    }
    EXPECT_TRUE(IsClose(da[c], formula, kTolerance)) << "vs formula";
    EXPECT_TRUE(IsClose(da[c], fd_slope[c], kTolerance)) << "vs finite differences";
  }
}

TEST_F(PreluLayerTest, ReportsItsCatalogEntry) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kUnits, src_values());
  PreluLayer layer("prelu_0", src, info_, slope_, true, eng_);
  EXPECT_EQ(layer.activation(), &info_);
}

}  // namespace
}  // namespace gradstream::engine

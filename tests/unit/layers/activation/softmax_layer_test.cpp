// SoftmaxLayer for softmax and log_softmax: forward against a stable double
// reference (rows with +-1000 would overflow a naive e^x), backward against
// central finite differences of L(x) = sum diff_dst * f(x).
#include "engine/layers/activation/softmax_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/layers/activation/activation_catalog.hpp"
#include "tests/unit/support/gradient_check.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// Softmax in float after subtracting the row max: each output within a few
// ulp (relative) plus one rounding of the row sum (measured <= 6e-7 relative);
// 1e-5 relative leaves a wide margin. The absolute part covers probabilities
// that underflow to 0.
constexpr Tolerance kForward{1e-5, 1e-6};
// log_softmax: oneDNN 2.6's JIT kernel takes the log of the row sum with a
// polynomial log whose absolute error is up to ~4.4e-6 (measured over 20000
// random rows of 2..100 units), so log p near 0 can even come out slightly
// positive (+1.4e-6 for the row holding 20 below). Relative 1e-5 covers the
// float rounding of large |log p| (ulp 1.2e-4 at -2000).
constexpr Tolerance kLogForward{1e-5, 5e-6};
// softmax: dx = y (dd - sum dd y); log_softmax: dx = dd - e^y sum dd. Both
// subtract O(1) float sums over 7 units: ~7 * 6e-8 absolute at worst.
constexpr Tolerance kBackward{1e-5, 1e-6};

constexpr int64_t kRows = 5;
constexpr int64_t kUnits = 7;  // not a multiple of a vector width

std::vector<float> src_values() {
  std::vector<float> x = {
      0.1F,    -0.3F,   2.0F,    1.0F,    -1.0F,   0.5F,    0.0F,     // ordinary
      1000.F,  -1000.F, 0.0F,    999.F,   998.F,   -999.F,  1000.F,   // huge both ways
      -1000.F, -1000.F, -1000.F, -1000.F, -1000.F, -1000.F, -1000.F,  // all equal, huge
      1e-6F,   0.0F,    -1e-6F,  20.F,    -20.F,   3.F,     -3.F,     // tiny and saturating
  };
  const std::vector<float> random = testing::uniform_values(kUnits, -5, 5, 21);
  x.insert(x.end(), random.begin(), random.end());
  return x;
}

// Row-wise reference in double, stable: shift by the row max first.
std::vector<double> reference(const std::vector<double>& x, bool log) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < kRows; ++n) {
    const double* row = x.data() + n * kUnits;
    const double max = *std::max_element(row, row + kUnits);
    double sum = 0;
    for (int64_t c = 0; c < kUnits; ++c) sum += std::exp(row[c] - max);
    for (int64_t c = 0; c < kUnits; ++c) {
      y[n * kUnits + c] = log ? row[c] - max - std::log(sum) : std::exp(row[c] - max) / sum;
    }
  }
  return y;
}

class SoftmaxLayerTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool log() const { return GetParam() == "log_softmax"; }
  Tolerance forward_tolerance() const { return log() ? kLogForward : kForward; }
  const ActivationInfo& info() const { return *find_activation(GetParam()); }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_P(SoftmaxLayerTest, ForwardMatchesStableReference) {
  const std::vector<float> x = src_values();
  const Tensor src = testing::plain_tensor(eng_, {kRows, kUnits}, x);
  SoftmaxLayer layer("out", src, info(), testing::layer_options(true), eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<double> expected = reference(testing::to_double(x), log());
  const std::vector<float> y = testing::read(layer.dst());
  ASSERT_EQ(y.size(), expected.size());
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_TRUE(IsClose(y[i], expected[i], forward_tolerance()))
        << "row " << i / kUnits << " x " << x[i];
  }
  // Spot values by hand: an all-equal row is uniform; in the +-1000 row the two
  // 1000s share almost all the mass: e^0 / (2 + e^-1 + e^-2).
  const double uniform = 1.0 / kUnits;
  const double top = 1.0 / (2 + std::exp(-1.0) + std::exp(-2.0));
  const double near = forward_tolerance().abs;
  EXPECT_NEAR(y[2 * kUnits], log() ? std::log(uniform) : uniform, near);
  EXPECT_NEAR(y[1 * kUnits], log() ? std::log(top) : top, near);
  // log p of -1000 next to 1000 is about -2000: finite, not -inf.
  if (log()) {
    EXPECT_NEAR(y[1 * kUnits + 1], -2000.0 + std::log(top), 1e-3);
  }
}

TEST_P(SoftmaxLayerTest, InferenceForwardMatchesStableReference) {
  const std::vector<float> x = src_values();
  const Tensor src = testing::plain_tensor(eng_, {kRows, kUnits}, x);
  SoftmaxLayer layer("out", src, info(), testing::layer_options(false), eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<double> expected = reference(testing::to_double(x), log());
  const std::vector<float> y = testing::read(layer.dst());
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_TRUE(IsClose(y[i], expected[i], forward_tolerance())) << i;
  }
}

TEST_P(SoftmaxLayerTest, BackwardMatchesFiniteDifferences) {
  // As the last layer of a network (LayerHarness), through the common check.
  // Softmax is shift invariant, so an absolute step (the default 1e-4) fits
  // even the rows at +-1000.
  v1::LayerSpec spec;
  spec.mutable_activation()->set_name(GetParam());
  testing::LayerHarness h({spec}, {kUnits}, kRows);
  const bool is_log = log();
  testing::check_layer_gradients(
      h,
      [is_log](const std::vector<double>& x, const std::vector<std::vector<double>>&) {
        return reference(x, is_log);
      },
      src_values(), testing::uniform_values(kRows * kUnits, -1, 1, 5),
      {forward_tolerance(), kBackward});
}

TEST_P(SoftmaxLayerTest, NoDiffSrcNeededReturnsEmptyMemory) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kUnits}, src_values());
  const Tensor diff_dst = testing::plain_tensor(eng_, {kRows, kUnits}, src_values());
  SoftmaxLayer layer("out", src, info(), testing::layer_options(true), eng_);

  EXPECT_FALSE(layer.bind_backward(diff_dst, /*needs_diff_src=*/false));
  layer.forward(stream_);
  layer.backward(stream_);  // nothing bound: a no-op
  stream_.wait();
  EXPECT_EQ(layer.activation(), &info());
}

INSTANTIATE_TEST_SUITE_P(SoftmaxCatalog, SoftmaxLayerTest,
                         ::testing::Values(std::string("softmax"), std::string("log_softmax")),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(SoftmaxLayerRowsTest, SoftmaxRowsSumToOne) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  const Tensor src = testing::plain_tensor(eng, {kRows, kUnits}, src_values());
  SoftmaxLayer layer("out", src, *find_activation("softmax"), testing::layer_options(false), eng);

  layer.forward(stream);
  stream.wait();

  const std::vector<float> y = testing::read(layer.dst());
  for (int64_t n = 0; n < kRows; ++n) {
    double sum = 0;
    for (int64_t c = 0; c < kUnits; ++c) {
      EXPECT_GE(y[n * kUnits + c], 0.0F);
      sum += y[n * kUnits + c];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << n;
  }
}

}  // namespace
}  // namespace gradstream::engine

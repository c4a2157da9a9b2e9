// PreluLayer, built through the registry (LayerHarness): one learned slope per
// unit, or per channel for [C, H, W] samples; forward by hand, and diff_src and
// diff_slope against finite differences of a double-precision reference.
//   f(x)[n, c, ...] = x if x > 0 else a[c] x
#include "engine/layers/activation/prelu_layer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::layer_spec;
using testing::LayerHarness;

// PReLU is exact in float apart from one rounding of a[c] x; diff_slope sums
// up to 16 float products of magnitude <= 3, so its error is bounded by about
// 16 * 6e-8 * 3 ~ 3e-6 absolute: 5e-6 leaves a margin and still catches any
// wrong term (the smallest term here is ~0.01).
constexpr testing::Tolerance kTolerance{2e-6, 5e-6};

constexpr int64_t kBatch = 4;
constexpr int64_t kUnits = 5;

// Includes 0 (no leak), 1 (identity) and a negative slope, which learning can reach.
const std::vector<float> kSlopes = {0.25F, 0.1F, 0.0F, 1.0F, -0.3F};

// Values away from the kink at 0, both signs in every column.
const std::vector<float> kSrc = {1.5F,  -2.0F, 0.3F,  -0.7F, 2.5F,   //
                                 -1.2F, 0.8F,  -3.0F, 1.1F,  -0.4F,  //
                                 0.6F,  -0.9F, -1.7F, 2.2F,  -2.6F,  //
                                 -0.5F, 1.9F,  2.4F,  -1.3F, 0.2F};

// positions: values per channel and sample (1 for [units]).
testing::LayerReference prelu_reference(int64_t channels, int64_t positions) {
  return [=](const std::vector<double>& x, const std::vector<std::vector<double>>& p) {
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const double a = p[0][(i / positions) % channels];
      y[i] = x[i] > 0 ? x[i] : a * x[i];
    }
    return y;
  };
}

LayerHarness prelu_harness(Shape sample, bool training = true) {
  return LayerHarness({layer_spec(R"({"activation": {"name": "prelu"}})")}, std::move(sample),
                      kBatch, training);
}

TEST(PreluLayerTest, ForwardAppliesEachUnitsSlopeToNegativeInputs) {
  LayerHarness h = prelu_harness({kUnits}, /*training=*/false);
  h.parameter(0).write_value(kSlopes.data());

  const std::vector<float> y = h.forward(kSrc);

  // Row 0 is [1.5, -2.0 * 0.1, 0.3, -0.7 * 1.0, 2.5].
  EXPECT_FLOAT_EQ(y[0], 1.5F);
  EXPECT_FLOAT_EQ(y[1], -0.2F);
  EXPECT_FLOAT_EQ(y[3], -0.7F);
  // Column 2 has slope 0: negative inputs die; column 4 has slope -0.3: they flip.
  EXPECT_FLOAT_EQ(y[1 * kUnits + 2], 0.0F);
  EXPECT_FLOAT_EQ(y[2 * kUnits + 4], 0.78F);
}

TEST(PreluLayerTest, SlopesStartAtAlphaOnePerUnit) {
  LayerHarness h({layer_spec(R"({"activation": {"name": "prelu", "alpha": 0.5}})")}, {kUnits},
                 kBatch);
  EXPECT_EQ(h.parameter(0).shape(), (Shape{1, kUnits}));
  EXPECT_EQ(h.parameter(0).value_values(), std::vector<float>(kUnits, 0.5F));
}

TEST(PreluLayerTest, GradientsMatchFiniteDifferences) {
  LayerHarness h = prelu_harness({kUnits});
  h.parameter(0).write_value(kSlopes.data());
  testing::check_layer_gradients(h, prelu_reference(kUnits, 1), kSrc,
                                 testing::uniform_values(kSrc.size(), -1, 1, 3),
                                 {kTolerance, kTolerance});
}

TEST(PreluLayerTest, ImageSamplesLearnOneSlopePerChannel) {
  // [C=3, H=2, W=2]: the slope is [1, 3, 1, 1]; each sums over 4 positions.
  LayerHarness h = prelu_harness({3, 2, 2});
  EXPECT_EQ(h.parameter(0).shape(), (Shape{1, 3, 1, 1}));
  const std::vector<float> slopes = {0.2F, -0.1F, 0.7F};
  h.parameter(0).write_value(slopes.data());
  std::vector<float> x = testing::uniform_values(kBatch * 12, -2, 2, 5);
  for (float& v : x) v = std::abs(v) < 0.01F ? 0.5F : v;  // away from the kink
  testing::check_layer_gradients(h, prelu_reference(3, 4), x,
                                 testing::uniform_values(x.size(), -1, 1, 6),
                                 {kTolerance, kTolerance});
}

TEST(PreluLayerTest, ReportsItsCatalogEntry) {
  LayerHarness h = prelu_harness({kUnits});
  EXPECT_EQ(h.layer().activation(), find_activation("prelu"));
  EXPECT_EQ(h.layer().name(), "prelu_0");
}

}  // namespace
}  // namespace gradstream::engine

// Formula activations as layers: every catalog entry a formula can express,
// written as one, against oneDNN's catalog layer (forward and backward) on a
// grid from -1e4 to 1e4 through 0 and +-1e-6; backward and learnable
// parameters' gradients against central finite differences of a double
// reference; formulas in dense and conv2d fields and in blocked layouts.
#include "engine/layers/activation/formula_activation_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/support/gradient_check.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::check_layer_gradients;
using testing::GradientCheck;
using testing::IsClose;
using testing::layer_spec;
using testing::LayerHarness;
using testing::Tolerance;

// The grid the issue names (0, +-1e-6, +-20, +-1e4) and points between, away
// from the kinks at +-3 (hardswish) where the one-sided values are conventions.
std::vector<float> grid() {
  std::vector<float> xs = {0.0F};
  for (float v :
       {1e-6F, 1e-3F, 0.1F, 0.5F, 1.0F, 1.7F, 2.5F, 4.0F, 7.5F, 20.0F, 55.0F, 100.0F, 1e3F, 1e4F}) {
    xs.push_back(v);
    xs.push_back(-v);
  }
  return xs;
}

struct Twin {
  std::string catalog;  // the catalog layer's JSON
  std::string formula;  // the same function as a formula's JSON
};

// Every catalog entry the language can express (prelu learns a slope per
// unit, softmax mixes units: they are not element-wise scalar formulas).
const std::vector<Twin>& twins() {
  static const std::vector<Twin> all = {
      {R"j({"name": "identity"})j", R"j({"expression": "x"})j"},
      {R"j({"name": "sigmoid"})j", R"j({"expression": "sigmoid(x)"})j"},
      {R"j({"name": "tanh"})j", R"j({"expression": "tanh(x)"})j"},
      {R"j({"name": "relu"})j", R"j({"expression": "relu(x)"})j"},
      {R"j({"name": "leaky_relu", "alpha": 0.05})j",
       R"j({"expression": "where(x > 0, x, 0.05 * x)"})j"},
      {R"j({"name": "elu", "alpha": 0.7})j",
       R"j({"expression": "where(x > 0, x, 0.7 * (exp(x) - 1))"})j"},
      {R"j({"name": "selu"})j",
       R"j({"expression": "lambda * where(x > 0, x, alpha * (exp(x) - 1))",
           "constants": {"lambda": 1.0507009873554805, "alpha": 1.6732632423543772}})j"},
      {R"j({"name": "swish", "beta": 1.5})j", R"j({"expression": "x * sigmoid(1.5 * x)"})j"},
      {R"j({"name": "silu"})j", R"j({"expression": "x * sigmoid(x)"})j"},
      {R"j({"name": "mish"})j", R"j({"expression": "x * tanh(softplus(x))"})j"},
      {R"j({"name": "gelu_erf"})j", R"j({"expression": "x / 2 * (1 + erf(x / sqrt(2)))"})j"},
      {R"j({"name": "gelu_tanh"})j",
       R"j({"expression": "x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))"})j"},
      {R"j({"name": "softplus"})j", R"j({"expression": "softplus(x)"})j"},
      {R"j({"name": "hardswish"})j", R"j({"expression": "x * clip(x + 3, 0, 6) / 6"})j"},
  };
  return all;
}

v1::LayerSpec activation_layer(const std::string& activation_json) {
  return layer_spec(R"({"activation": )" + activation_json + "}");
}

// Two float computations of the same function (oneDNN's polynomial kernels,
// libmvec's): each within a few ulp of the truth, so 2e-5 relative between
// them; the absolute part as the catalog's own test allows for tails
// (softplus(-20) and the like) and for f' as a sum of O(1) terms.
constexpr Tolerance kForward{2e-5, 6e-6};
constexpr Tolerance kBackward{2e-5, 4e-6};

TEST(FormulaActivationLayer, CatalogEntriesWrittenAsFormulasMatchOneDnn) {
  const std::vector<float> xs = grid();
  const int64_t n = static_cast<int64_t>(xs.size());
  std::vector<float> diff_dst(xs.size());
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(-1.0F, 1.0F);
  for (float& d : diff_dst) d = unit(rng);
  for (const Twin& twin : twins()) {
    LayerHarness catalog({activation_layer(twin.catalog)}, {n}, 1);
    LayerHarness formula({activation_layer(twin.formula)}, {n}, 1);
    const std::vector<float> want = catalog.forward(xs);
    const std::vector<float> got = formula.forward(xs);
    const std::vector<float> want_diff = catalog.backward(diff_dst);
    const std::vector<float> got_diff = formula.backward(diff_dst);
    for (size_t i = 0; i < xs.size(); ++i) {
      EXPECT_TRUE(IsClose(got[i], want[i], kForward)) << twin.formula << " at x = " << xs[i];
      EXPECT_TRUE(IsClose(got_diff[i], want_diff[i], kBackward))
          << twin.formula << "' at x = " << xs[i];
    }
  }
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<float> random_inputs(size_t n, float scale, uint32_t seed) {
  std::vector<float> v(n);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0F, scale);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(FormulaActivationLayer, BackwardAndLearnedParametersMatchFiniteDifferences) {
  // Swish with a learned beta (the README's example) and ReLU + a learned
  // cosine, on [batch 3, 4 channels, 2 x 2] samples.
  LayerHarness swish({activation_layer(R"j({"expression": "x * sigmoid(b * x)",
                                           "parameters": {"b": 1.3}})j")},
                     {4, 2, 2}, 3);
  ASSERT_EQ(swish.model().parameters().size(), 1U);
  EXPECT_EQ(swish.parameter(0).name(), "b");
  EXPECT_EQ(swish.parameter(0).value_values(), std::vector<float>{1.3F});
  const auto swish_reference = [](const std::vector<double>& x,
                                  const std::vector<std::vector<double>>& p) {
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * sigmoid(p[0][0] * x[i]);
    return y;
  };
  const size_t count = 3 * 16;
  check_layer_gradients(swish, swish_reference, random_inputs(count, 2.0F, 1),
                        random_inputs(count, 1.0F, 2));

  LayerHarness cosine({activation_layer(R"j({"expression": "relu(x) + a * cos(k * x)",
                                            "constants": {"k": 2}, "parameters": {"a": 0.1}})j")},
                      {4, 2, 2}, 3);
  const auto cosine_reference = [](const std::vector<double>& x,
                                   const std::vector<std::vector<double>>& p) {
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = std::max(x[i], 0.0) + p[0][0] * std::cos(2 * x[i]);
    return y;
  };
  GradientCheck check;
  check.skip_src = [](size_t, double x) { return std::fabs(x) < 1e-3; };  // relu's kink
  check_layer_gradients(cosine, cosine_reference, random_inputs(count, 2.0F, 3),
                        random_inputs(count, 1.0F, 4), check);
}

TEST(FormulaActivationLayer, InDenseAndConvFieldsAndBlockedLayouts) {
  // 3 filters: on AVX-512 oneDNN may write nChw16c, padded to 16 channels,
  // which the formula layer reorders to plain; either way the values match
  // the same convolution with identity followed by the formula in double.
  const std::string conv = R"j({"conv2d": {"filters": 3, "kernel": [3], "padding": [1],
                                           "activation": %s}})j";
  auto with = [&](const std::string& activation) {
    std::string json = conv;
    json.replace(json.find("%s"), 2, activation);
    return layer_spec(json);
  };
  LayerHarness plain({with(R"j({"name": "identity"})j")}, {2, 5, 5}, 4, true, 9);
  LayerHarness formula({with(R"j({"expression": "relu(x) + 0.1 * cos(x)"})j")}, {2, 5, 5}, 4, true,
                       9);
  const std::vector<float> src = random_inputs(4 * 2 * 25, 1.0F, 6);
  const std::vector<float> linear = plain.forward(src);
  const std::vector<float> got = formula.forward(src);
  ASSERT_EQ(got.size(), linear.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double z = linear[i];
    EXPECT_TRUE(IsClose(got[i], std::max(z, 0.0) + 0.1 * std::cos(z), {1e-5, 1e-6})) << i;
  }
  EXPECT_EQ(formula.layer(1).name(), "conv2d_0/formula");
  EXPECT_EQ(formula.layer(1).activation()->name, "relu(x)+0.1*cos(x)");

  LayerHarness dense({layer_spec(R"j({"dense": {"units": 5, "activation":
                                     {"expression": "x * sigmoid(b * x)", "name": "swish_b",
                                      "parameters": {"b": 1.0}}}})j")},
                     {7}, 2);
  EXPECT_EQ(dense.layer(1).name(), "dense_0/swish_b");
  EXPECT_EQ(dense.layer(1).activation()->name, "swish_b");
  ASSERT_EQ(dense.model().parameters().size(), 3U);  // weights, bias, b
  EXPECT_EQ(dense.parameter(2).layer(), "dense_0/swish_b");
  dense.forward(random_inputs(14, 1.0F, 8));
  dense.backward(random_inputs(10, 1.0F, 9));
  EXPECT_NE(dense.parameter(2).grad_values()[0], 0.0F);  // b learns
}

TEST(FormulaActivationLayer, FlatnessCountsValuesAndUnitsWithoutSlope) {
  // sigmoid(x) is flat (|f'| < 0.01) for |x| > 4.6: unit 0 always, unit 1 never,
  // unit 2 for one sample of two.
  LayerHarness h({activation_layer(R"j({"expression": "sigmoid(x)"})j")}, {3}, 2);
  h.forward({10.0F, 0.0F, -9.0F, -12.0F, 1.0F, 0.5F});
  const auto& layer = dynamic_cast<const FormulaActivationLayer&>(h.layer(0));
  dnnl::stream stream(h.engine());
  const DerivativeFlatness flat = layer.flatness(stream);
  EXPECT_FLOAT_EQ(flat.flat_outputs, 3.0F / 6.0F);
  EXPECT_FLOAT_EQ(flat.flat_units, 1.0F / 3.0F);
}

}  // namespace
}  // namespace gradstream::engine

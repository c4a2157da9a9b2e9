// DenseLayer, built through the registry like every layer (LayerHarness): the
// weights in the layout oneDNN prefers (blocked, with padding, on AVX-512),
// forward against a double matmul plus bias, diff_src, diff_weights and
// diff_bias against finite differences of the double reference; the no-bias
// and fused-activation variants, an input of rank 3 (read as its flat rows),
// a first layer that computes no diff_src, and a small example by hand.
#include "engine/layers/dense/dense_layer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::check_layer_gradients;
using testing::GradientCheck;
using testing::layer_spec;
using testing::LayerHarness;

// Sums of 5 to 12 float products of magnitude <= 1: a few ulp of the terms,
// well under 1e-6.
constexpr testing::Tolerance kTolerance{1e-5, 1e-6};
constexpr int64_t kBatch = 3;

// dst[n, o] = sum_i src[n, i] weights[o, i] + bias[o]  (bias empty: none)
std::vector<double> matmul_plus_bias(const std::vector<double>& src,
                                     const std::vector<double>& weights,
                                     const std::vector<double>& bias, int64_t units) {
  const int64_t inputs = static_cast<int64_t>(weights.size()) / units;
  const int64_t batch = static_cast<int64_t>(src.size()) / inputs;
  std::vector<double> dst(static_cast<size_t>(batch * units));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < units; ++o) {
      double sum = bias.empty() ? 0.0 : bias[o];
      for (int64_t i = 0; i < inputs; ++i) sum += src[n * inputs + i] * weights[o * inputs + i];
      dst[n * units + o] = sum;
    }
  }
  return dst;
}

testing::LayerReference dense_reference(int64_t units) {
  return [units](const std::vector<double>& src, const std::vector<std::vector<double>>& p) {
    return matmul_plus_bias(src, p[0], p.size() > 1 ? p[1] : std::vector<double>{}, units);
  };
}

TEST(DenseLayerTest, GradientsMatchFiniteDifferences) {
  LayerHarness h({layer_spec(R"({"dense": {"units": 4}})")}, {5}, kBatch);
  check_layer_gradients(h, dense_reference(4), testing::uniform_values(kBatch * 5, -1, 1, 1),
                        testing::uniform_values(kBatch * 4, -1, 1, 2), {kTolerance, kTolerance});
}

int64_t nonzero(const float* values, int64_t count) {
  int64_t n = 0;
  for (int64_t i = 0; i < count; ++i) n += values[i] != 0.0F ? 1 : 0;
  return n;
}

TEST(DenseLayerTest, UnitsThatPadABlockedLayoutStillGiveExactGradients) {
  // 10 units: oneDNN's AVX-512 kernels keep the weights in 16-unit blocks, so
  // 6 of every 16 stored rows are padding; 19 inputs are no block multiple either.
  LayerHarness h({layer_spec(R"({"dense": {"units": 10}})")}, {19}, kBatch);
  check_layer_gradients(h, dense_reference(10), testing::uniform_values(kBatch * 19, -1, 1, 3),
                        testing::uniform_values(kBatch * 10, -1, 1, 4), {kTolerance, kTolerance});
  // Backward wrote zeros into the gradient's padding, if the layout has any:
  // the stored floats hold no more non-zeros than the 190 row-major ones.
  Parameter& w = h.parameter(0);
  const std::vector<float> grad = w.grad_values();
  EXPECT_EQ(nonzero(w.stored_grad(), w.stored()), nonzero(grad.data(), w.size()));
}

TEST(DenseLayerTest, NoBiasHasOnlyWeights) {
  LayerHarness h({layer_spec(R"({"dense": {"units": 4, "noBias": true}})")}, {5}, kBatch);
  ASSERT_EQ(h.model().parameters().size(), 1u);
  EXPECT_EQ(h.parameter(0).name(), "weights");
  check_layer_gradients(h, dense_reference(4), testing::uniform_values(kBatch * 5, -1, 1, 5),
                        testing::uniform_values(kBatch * 4, -1, 1, 6), {kTolerance, kTolerance});
}

TEST(DenseLayerTest, ReadsAnInputOfAnyRankAsItsFlatRows) {
  // [2, 3] per sample is 6 features in row-major order: the same as [6].
  LayerHarness h({layer_spec(R"({"dense": {"units": 4}})")}, {2, 3}, kBatch);
  EXPECT_EQ(h.parameter(0).shape(), (Shape{4, 6}));
  check_layer_gradients(h, dense_reference(4), testing::uniform_values(kBatch * 6, -1, 1, 7),
                        testing::uniform_values(kBatch * 4, -1, 1, 8), {kTolerance, kTolerance});
}

TEST(DenseLayerTest, FusedReluMatchesTheReferenceAwayFromTheKink) {
  // relu after the inner product runs as its post-op: one layer does both.
  LayerHarness h({layer_spec(R"({"dense": {"units": 4, "activation": {"name": "relu"}}})")}, {5},
                 kBatch);
  const testing::LayerReference reference = [](const std::vector<double>& src,
                                               const std::vector<std::vector<double>>& p) {
    std::vector<double> y = matmul_plus_bias(src, p[0], p[1], 4);
    for (double& v : y) v = v > 0 ? v : 0;
    return y;
  };
  const std::vector<float> x = testing::uniform_values(kBatch * 5, -1, 1, 9);
  const std::vector<float> y = h.forward(x);
  std::vector<std::vector<double>> params;
  for (Parameter* p : h.model().parameters())
    params.push_back(testing::to_double(p->value_values()));
  const std::vector<double> pre = matmul_plus_bias(testing::to_double(x), params[0], params[1], 4);
  for (double v : pre) ASSERT_GT(std::abs(v), 1e-3) << "an output on the kink: pick other values";
  check_layer_gradients(h, reference, x, testing::uniform_values(kBatch * 4, -1, 1, 10),
                        {kTolerance, kTolerance});
  EXPECT_EQ(h.pipeline().layers().size(), 2u);
}

TEST(DenseLayerTest, ForwardByHandOnASmallExample) {
  // [1 2] . [[1 0] [0.5 -1]]^T + [0.25 -0.25] = [1.25, -1.75]
  LayerHarness h({layer_spec(R"({"dense": {"units": 2, "initialWeights": [1, 0, 0.5, -1],
                                           "initialBias": [0.25, -0.25]}})")},
                 {2}, 1, /*training=*/false);
  const std::vector<float> y = h.forward({1.0F, 2.0F});
  EXPECT_FLOAT_EQ(y[0], 1.25F);
  EXPECT_FLOAT_EQ(y[1], -1.75F);
}

TEST(DenseLayerTest, FirstLayerOfATrainingPipelineComputesNoDiffSrc) {
  // Nothing below the first layer has parameters: backward data is skipped.
  LayerHarness h({layer_spec(R"({"dense": {"units": 4}})")}, {5}, kBatch);
  Pipeline training(h.model(), kBatch, /*training=*/true, h.engine());
  EXPECT_FALSE(training.diff_input());
}

TEST(DenseLayerTest, KeepsWeightsInTheLayoutItsForwardPrimitivePrefers) {
  LayerHarness h({layer_spec(R"({"dense": {"units": 10}})")}, {128}, 128);
  const dnnl::memory::desc any({10, 128}, dnnl::memory::data_type::f32,
                               dnnl::memory::format_tag::any);
  const auto pd = DenseLayer::forward_pd(128, any, true, true, std::nullopt, h.engine());
  EXPECT_TRUE(h.parameter(0).value().get_desc() == pd.weights_desc());
  EXPECT_TRUE(h.parameter(0).grad().get_desc() == pd.weights_desc());
  EXPECT_EQ(h.layer().activation(), nullptr);
  EXPECT_EQ(h.layer().dst().shape(), (Shape{128, 10}));
}

}  // namespace
}  // namespace gradstream::engine

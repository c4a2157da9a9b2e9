// predict: outputs of a tiny model with given weights against a double
// computation by hand; probabilities for cross-entropy models.
#include "engine/train/predictor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"

namespace gradstream::engine {
namespace {

// 3 inputs -> 2 units, W = [[1, -2, 0.5], [0.25, 1, -1]], b = [0.1, -0.2].
constexpr double kW[2][3] = {{1, -2, 0.5}, {0.25, 1, -1}};
constexpr double kB[2] = {0.1, -0.2};

v1::TrainingSpec tiny_spec(const std::string& loss) {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [3], "layers": [
      {"dense": {"units": 2, "initialWeights": [1, -2, 0.5, 0.25, 1, -1],
                 "initialBias": [0.1, -0.2]}}]},
    "loss": ")" + loss + R"(", "data": {"builtin": "in-memory"}, "epochs": 1, "batchSize": 1})",
                              "tiny spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return with_defaults(*spec);
}

std::vector<float> inputs_for(int64_t count) {
  std::vector<float> x(static_cast<size_t>(count * 3));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11) * 0.3F - 1.5F;
  return x;
}

double logit(const std::vector<float>& x, int64_t n, int c) {
  double z = kB[c];
  for (int k = 0; k < 3; ++k) z += kW[c][k] * x[static_cast<size_t>(n * 3 + k)];
  return z;
}

struct PredictorTest : ::testing::Test {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
};

TEST_F(PredictorTest, RawOutputsMatchADoubleComputation) {
  const v1::TrainingSpec spec = tiny_spec("MSE");
  auto model = Model::build(spec, eng);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_FALSE(predicts_probabilities(spec, **model));
  const auto x = inputs_for(4);
  auto out = predict(**model, x.data(), 4, eng, predicts_probabilities(spec, **model));
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 8U);
  for (int64_t n = 0; n < 4; ++n) {
    for (int c = 0; c < 2; ++c) EXPECT_NEAR((*out)[n * 2 + c], logit(x, n, c), 1e-5);
  }
}

TEST_F(PredictorTest, CrossEntropyGivesSoftmaxProbabilitiesAcrossPartialBatches) {
  const v1::TrainingSpec spec = tiny_spec("SOFTMAX_CROSS_ENTROPY");
  auto model = Model::build(spec, eng);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(predicts_probabilities(spec, **model));
  constexpr int64_t kCount = kPredictBatch + 37;  // one full pipeline, one partial
  const auto x = inputs_for(kCount);
  auto out = predict(**model, x.data(), kCount, eng, true);
  ASSERT_TRUE(out.ok()) << out.status().message();
  for (int64_t n = 0; n < kCount; ++n) {
    const double z0 = logit(x, n, 0);
    const double z1 = logit(x, n, 1);
    const double p0 = 1.0 / (1.0 + std::exp(z1 - z0));
    EXPECT_NEAR((*out)[n * 2], p0, 1e-6) << "row " << n;
    EXPECT_NEAR((*out)[n * 2] + (*out)[n * 2 + 1], 1.0, 1e-6) << "row " << n;
  }
}

TEST_F(PredictorTest, FusedSoftmaxRowsSumToOne) {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [3], "layers": [
      {"dense": {"units": 10}}, {"activation": {"name": "softmax"}}]},
    "data": {"builtin": "in-memory"}, "epochs": 1, "batchSize": 1})",
                              "fused");
  ASSERT_TRUE(spec.ok());
  auto model = Model::build(with_defaults(*spec), eng);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE((*model)->softmax_fused());
  const auto x = inputs_for(5);
  auto out = predict(**model, x.data(), 5, eng);  // softmax_fused() picks probabilities
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 50U);
  for (int64_t n = 0; n < 5; ++n) {
    const double sum = std::accumulate(out->begin() + n * 10, out->begin() + n * 10 + 10, 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST_F(PredictorTest, RefusesAnEmptyBatch) {
  auto model = Model::build(tiny_spec("MSE"), eng);
  ASSERT_TRUE(model.ok());
  auto out = predict(**model, nullptr, 0, eng);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gradstream::engine

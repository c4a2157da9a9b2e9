// BatchNormLayer through the registry: training mode against the formula with
// the batch's statistics and its gradients (through the statistics too)
// against finite differences, for [C] and [C, H, W] samples, without scale or
// shift; the running statistics after a step; evaluation mode equal to the
// formula with the running statistics; and model files keep those.
#include "engine/layers/batch_norm/batch_norm_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/model/model_file.hpp"
#include "gradstream/v1/model_file.pb.h"
#include "tests/unit/layers/batch_norm/batch_norm_reference.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::kBackward;
using testing::kForward;
using testing::layer_spec;
using testing::LayerHarness;
using testing::normalize;
using testing::training_reference;

void set_values(Parameter& p, const std::vector<float>& values) { p.write_value(values.data()); }

TEST(BatchNormLayerTest, TrainingNormalizesImagesPerChannelWithExactGradients) {
  LayerHarness h({layer_spec(R"({"batchNorm": {}})"), layer_spec(R"({"flatten": {}})")}, {3, 2, 2},
                 4);
  set_values(h.parameter(0), {0.5F, -1.5F, 2.0F});  // scale
  set_values(h.parameter(1), {0.1F, 0.0F, -0.3F});  // shift
  testing::check_layer_gradients(h, training_reference(4, 3, 4, true, true),
                                 testing::uniform_values(48, -1, 1, 1),
                                 testing::uniform_values(48, -1, 1, 2), {kForward, kBackward});
}

TEST(BatchNormLayerTest, AFollowingReluRunsAsOneDnnsFusedNormRelu) {
  // y = max(BN(x), 0); its gradient is zero wherever y is, through the
  // statistics elsewhere. Inputs whose normalised value sits near 0 would put
  // the finite differences across the kink: none here (checked below).
  LayerHarness h(
      {layer_spec(R"({"batchNorm": {}})"), layer_spec(R"({"activation": {"name": "relu"}})"),
       layer_spec(R"({"flatten": {}})")},
      {3, 2, 2}, 4);
  set_values(h.parameter(0), {0.5F, -1.5F, 2.0F});
  set_values(h.parameter(1), {0.1F, 0.0F, -0.3F});
  const std::vector<float> x = testing::uniform_values(48, -1, 1, 7);
  const auto bn = training_reference(4, 3, 4, true, true);
  for (double y : bn(testing::to_double(x), {testing::to_double(h.parameter(0).value_values()),
                                             testing::to_double(h.parameter(1).value_values())})) {
    // A 1e-4 step in x moves y by at most |scale| / std * 1e-4 < 4e-4.
    ASSERT_GT(std::abs(y), 1e-3) << "a normalised value on relu's kink: pick other values";
  }
  testing::check_layer_gradients(
      h,
      [&](const std::vector<double>& xs, const std::vector<std::vector<double>>& params) {
        std::vector<double> y = bn(xs, params);
        for (double& v : y) v = v > 0 ? v : 0;
        return y;
      },
      x, testing::uniform_values(48, -1, 1, 8), {kForward, kBackward});
}

TEST(BatchNormLayerTest, AfterADenseLayerAndWithoutScaleOrShift) {
  for (const std::string& spec :
       {std::string(R"({"batchNorm": {"noScale": true}})"),
        std::string(R"({"batchNorm": {"noShift": true}})"),
        std::string(R"({"batchNorm": {"noScale": true, "noShift": true}})")}) {
    SCOPED_TRACE(spec);
    LayerHarness h({layer_spec(spec)}, {5}, 6);
    const bool scale = spec.find("noScale") == std::string::npos;
    const bool shift = spec.find("noShift") == std::string::npos;
    EXPECT_EQ(h.model().parameters().size(), size_t(scale) + size_t(shift));
    testing::check_layer_gradients(h, training_reference(6, 5, 1, scale, shift),
                                   testing::uniform_values(30, -1, 1, 3),
                                   testing::uniform_values(30, -1, 1, 4), {kForward, kBackward});
  }
}

TEST(BatchNormLayerTest, EachTrainingStepMovesTheRunningStatistics) {
  // momentum 0.25: running = 0.75 * running + 0.25 * batch, the variance
  // unbiased (n / (n - 1) with n = 4 samples x 1 position).
  LayerHarness h({layer_spec(R"({"batchNorm": {"momentum": 0.25}})")}, {2}, 4);
  h.forward({1, 10, 2, 20, 3, 30, 6, 40});  // channel 0: 1 2 3 6, channel 1: 10 20 30 40
  Parameter& mean = *h.model().tensors()[2];
  Parameter& var = *h.model().tensors()[3];
  EXPECT_EQ(mean.name(), "running_mean");
  // Channel 0: mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14/3.
  // Channel 1: mean 25, unbiased variance (225 + 25 + 25 + 225) / 3 = 500/3.
  const std::vector<float> m = mean.value_values();
  const std::vector<float> v = var.value_values();
  EXPECT_FLOAT_EQ(m[0], 0.25F * 3);
  EXPECT_FLOAT_EQ(m[1], 0.25F * 25);
  EXPECT_NEAR(v[0], 0.75 * 1 + 0.25 * 14.0 / 3, 1e-5);
  EXPECT_NEAR(v[1], 0.75 * 1 + 0.25 * 500.0 / 3, 1e-4);
}

TEST(BatchNormLayerTest, EvaluationUsesTheRunningStatistics) {
  LayerHarness h({layer_spec(R"({"batchNorm": {}})"), layer_spec(R"({"flatten": {}})")}, {2, 1, 3},
                 2, /*training=*/false);
  const std::vector<float> scale = {2.0F, 0.5F};
  const std::vector<float> shift = {1.0F, -1.0F};
  const std::vector<float> mean = {0.5F, -0.25F};
  const std::vector<float> var = {4.0F, 0.09F};
  std::vector<Parameter*> tensors = h.model().tensors();
  set_values(*tensors[0], scale);
  set_values(*tensors[1], shift);
  set_values(*tensors[2], mean);
  set_values(*tensors[3], var);
  const std::vector<float> x = testing::uniform_values(12, -1, 1, 5);
  const std::vector<float> y = h.forward(x);
  const std::vector<double> md = testing::to_double(mean);
  const std::vector<double> vd = testing::to_double(var);
  const std::vector<double> expected =
      normalize(testing::to_double(x), 2, 2, 3, testing::to_double(scale),
                testing::to_double(shift), &md, &vd);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_TRUE(testing::IsClose(y[i], expected[i], kForward));
}

TEST(BatchNormLayerTest, ModelFilesKeepTheRunningStatisticsAfterTheParameters) {
  LayerHarness h({layer_spec(R"({"batchNorm": {}})")}, {2}, 4);
  h.forward({1, 10, 2, 20, 3, 30, 6, 40});
  v1::TrainingSpec spec;
  spec.mutable_model()->add_input_shape(2);
  *spec.mutable_model()->add_layers() = layer_spec(R"({"batchNorm": {}})");
  auto bytes = serialize_model(spec, h.model());
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  ASSERT_EQ(file.tensors_size(), 4);
  EXPECT_EQ(file.tensors(0).name(), "scale");
  EXPECT_EQ(file.tensors(1).name(), "shift");
  EXPECT_EQ(file.tensors(2).name(), "running_mean");
  EXPECT_EQ(file.tensors(3).name(), "running_var");
  EXPECT_FLOAT_EQ(file.tensors(2).values(0), 0.1F * 3);  // default momentum 0.1
  // The optimizer never sees the running statistics.
  EXPECT_EQ(h.model().parameters().size(), 2u);
}

}  // namespace
}  // namespace gradstream::engine

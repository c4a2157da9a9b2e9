// Pipeline: layers wired front to back and back to front, including an
// activation fused into the Dense below it as a post-op. Checked against a
// double-precision forward and backward written out here. Its layers'
// counters (dropout's) for checkpoints.
#include "engine/model/pipeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/layers/activation/eltwise_activation_layer.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

constexpr int64_t kBatch = 3;
constexpr int64_t kIn = 4;
constexpr int64_t kHidden = 5;
constexpr int64_t kOut = 2;

double activate(const std::string& name, double z) {
  if (name == "relu") return z > 0 ? z : 0.0;
  if (name == "tanh") return std::tanh(z);
  if (name == "sigmoid") return 1.0 / (1.0 + std::exp(-z));
  if (name == "elu") return z > 0 ? z : std::exp(z) - 1.0;
  return z / (1.0 + std::exp(-z));  // swish, beta 1
}

double derivative(const std::string& name, double z) {
  if (name == "relu") return z > 0 ? 1.0 : 0.0;
  if (name == "tanh") return 1.0 - std::tanh(z) * std::tanh(z);
  const double s = 1.0 / (1.0 + std::exp(-z));
  if (name == "sigmoid") return s * (1.0 - s);
  if (name == "elu") return z > 0 ? 1.0 : std::exp(z);
  return s + z * s * (1.0 - s);
}

v1::TrainingSpec two_layer_spec(const std::string& activation) {
  std::ostringstream w1;
  std::ostringstream w2;
  for (int i = 0; i < kHidden * kIn; ++i) w1 << (i ? "," : "") << 0.37 * std::sin(i + 1.0);
  for (int i = 0; i < kOut * kHidden; ++i) w2 << (i ? "," : "") << 0.41 * std::cos(i + 2.0);
  auto spec = parse_spec_json(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 5, "activation": {"name": ")" +
                                  activation + R"("},
                 "initialWeights": [)" +
                                  w1.str() + R"(], "initialBias": [0.1, -0.2, 0.3, -0.05, 0]}},
      {"dense": {"units": 2, "initialWeights": [)" +
                                  w2.str() + R"(]}}]},
      "data": {"builtin": "x"}, "epochs": 1, "batchSize": 3})",
                              "pipeline spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return *spec;
}

class PipelineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PipelineTest, ForwardAndGradientsMatchDoubleReference) {
  const std::string activation = GetParam();
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  auto model = Model::build(two_layer_spec(activation), eng, LayoutHint{kBatch, true});
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<Parameter*> params = (*model)->parameters();  // w1, b1, w2, b2
  // Row-major copies: the stored weights may be blocked.
  const std::vector<float> w1 = params[0]->value_values();
  const std::vector<float> b1 = params[1]->value_values();
  const std::vector<float> w2 = params[2]->value_values();
  const std::vector<float> b2 = params[3]->value_values();

  const std::vector<float> x = {0.5F,  -1.0F, 2.0F, 0.25F, -0.3F, 0.8F,
                                -1.5F, 1.1F,  1.7F, 0.2F,  -0.6F, -2.0F};
  const std::vector<float> diff_out = {0.3F, -0.7F, 1.1F, 0.4F, -0.2F, 0.9F};

  // Double reference: z = x W1^T + b1, h = f(z), y = h W2^T + b2.
  std::vector<double> z(kBatch * kHidden), h(kBatch * kHidden), y(kBatch * kOut);
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t j = 0; j < kHidden; ++j) {
      double acc = b1[j];
      for (int64_t i = 0; i < kIn; ++i)
        acc += static_cast<double>(x[n * kIn + i]) * w1[j * kIn + i];
      z[n * kHidden + j] = acc;
      h[n * kHidden + j] = activate(activation, acc);
    }
    for (int64_t k = 0; k < kOut; ++k) {
      double acc = b2[k];
      for (int64_t j = 0; j < kHidden; ++j) acc += h[n * kHidden + j] * w2[k * kHidden + j];
      y[n * kOut + k] = acc;
    }
  }
  // Backward: dW2 = dy^T h, dh = dy W2, dz = dh f'(z), dW1 = dz^T x, db1 = sum dz.
  std::vector<double> dw1(kHidden * kIn, 0.0), db1(kHidden, 0.0), dw2(kOut * kHidden, 0.0);
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t j = 0; j < kHidden; ++j) {
      double dh = 0.0;
      for (int64_t k = 0; k < kOut; ++k) {
        dh += diff_out[n * kOut + k] * static_cast<double>(w2[k * kHidden + j]);
        dw2[k * kHidden + j] += diff_out[n * kOut + k] * h[n * kHidden + j];
      }
      const double dz = dh * derivative(activation, z[n * kHidden + j]);
      db1[j] += dz;
      for (int64_t i = 0; i < kIn; ++i) dw1[j * kIn + i] += dz * x[n * kIn + i];
    }
  }

  for (bool training : {false, true}) {
    SCOPED_TRACE(training ? "training" : "inference");
    Pipeline pipeline(**model, kBatch, training, eng);
    pipeline.set_input(x.data());
    pipeline.forward(stream);
    for (int64_t i = 0; i < kBatch * kOut; ++i) {
      EXPECT_NEAR(pipeline.output_data()[i], y[i], 1e-5 * (1.0 + std::abs(y[i]))) << i;
    }
    // The activation layer's output is h whether it ran itself or as a post-op.
    const Layer& act = *pipeline.layers()[1];
    const std::vector<float> act_out = testing::read(act.dst());
    for (int64_t i = 0; i < kBatch * kHidden; ++i) EXPECT_NEAR(act_out[i], h[i], 1e-5) << i;
    if (!training) continue;
    std::copy(diff_out.begin(), diff_out.end(), pipeline.diff_output_data());
    pipeline.backward(stream);
    const std::vector<float> g1 = params[0]->grad_values();
    const std::vector<float> gb1 = params[1]->grad_values();
    const std::vector<float> g2 = params[2]->grad_values();
    for (int64_t i = 0; i < kHidden * kIn; ++i) EXPECT_NEAR(g1[i], dw1[i], 1e-5) << i;
    for (int64_t i = 0; i < kHidden; ++i) EXPECT_NEAR(gb1[i], db1[i], 1e-5) << i;
    for (int64_t i = 0; i < kOut * kHidden; ++i) EXPECT_NEAR(g2[i], dw2[i], 1e-5) << i;
  }
}

// relu, tanh, sigmoid and elu fuse into the Dense (dst-based backward); swish
// cannot in training (its backward needs the input) and runs as its own layer.
INSTANTIATE_TEST_SUITE_P(PipelineActivations, PipelineTest,
                         ::testing::Values("relu", "tanh", "sigmoid", "elu", "swish"));

TEST(PipelineFusionTest, FusesOnlyWhereTheInputIsNotNeededLater) {
  EXPECT_TRUE(EltwiseActivationLayer::can_fuse(*find_activation("relu"), true));
  EXPECT_TRUE(EltwiseActivationLayer::can_fuse(*find_activation("tanh"), true));
  EXPECT_FALSE(EltwiseActivationLayer::can_fuse(*find_activation("swish"), true));
  EXPECT_TRUE(EltwiseActivationLayer::can_fuse(*find_activation("swish"), false));
  EXPECT_FALSE(EltwiseActivationLayer::can_fuse(*find_activation("selu"), false));  // two stages
  EXPECT_FALSE(EltwiseActivationLayer::can_fuse(*find_activation("prelu"), false));
}

// Two dropout layers between three Dense layers, batch 3.
std::unique_ptr<Model> dropout_model(const dnnl::engine& eng) {
  auto spec = parse_spec_json(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 6}}, {"dropout": {"rate": 0.5}}, {"dense": {"units": 6}},
      {"dropout": {"rate": 0.5}}, {"dense": {"units": 2}}]},
      "data": {"builtin": "x"}, "epochs": 1, "batchSize": 3, "seed": 4})",
                              "dropout spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  auto model = Model::build(*spec, eng);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model).value();
}

std::vector<float> forward(Pipeline& pipeline, const std::vector<float>& input,
                           dnnl::stream& stream) {
  pipeline.set_input(input.data());
  pipeline.forward(stream);
  stream.wait();
  return std::vector<float>(pipeline.output_data(), pipeline.output_data() + kBatch * kOut);
}

TEST(PipelineCountersTest, RestoredCountersDrawTheMasksThatWouldHaveComeNext) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  const std::unique_ptr<Model> model = dropout_model(eng);
  const std::vector<float> input = testing::uniform_values(kBatch * kIn, -1.0F, 1.0F, 2);
  Pipeline first(*model, kBatch, /*training=*/true, eng);
  forward(first, input, stream);
  forward(first, input, stream);
  const v1::PipelineState state = first.counters_state();
  EXPECT_EQ(state.ShortDebugString(),
            "batch: 3 layers { layer: \"dropout_1\" counters: 2 } "
            "layers { layer: \"dropout_3\" counters: 2 }");

  Pipeline resumed(*model, kBatch, /*training=*/true, eng);
  ASSERT_TRUE(resumed.check_counters_state(state, "pipelines[0]").ok());
  resumed.restore_counters_state(state);
  const std::vector<float> third = forward(first, input, stream);
  EXPECT_EQ(forward(resumed, input, stream), third);
  Pipeline fresh(*model, kBatch, /*training=*/true, eng);
  EXPECT_NE(forward(fresh, input, stream), third);  // its first masks, not the third
}

TEST(PipelineCountersTest, CountersOfAnotherPipelineAreRefused) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  const std::unique_ptr<Model> model = dropout_model(eng);
  const Pipeline pipeline(*model, kBatch, /*training=*/true, eng);
  const v1::PipelineState state = pipeline.counters_state();
  const Pipeline other_batch(*model, kBatch + 1, /*training=*/true, eng);
  EXPECT_EQ(other_batch.check_counters_state(state, "pipelines[1]").message(),
            "pipelines[1].batch: 3, expected 4");
  v1::PipelineState renamed = state;
  renamed.mutable_layers(1)->set_layer("dropout_2");
  EXPECT_EQ(pipeline.check_counters_state(renamed, "pipelines[1]").message(),
            "pipelines[1].layers[1].layer: \"dropout_2\", expected \"dropout_3\"");
  v1::PipelineState two_counters = state;
  two_counters.mutable_layers(0)->add_counters(5);
  EXPECT_EQ(pipeline.check_counters_state(two_counters, "pipelines[1]").message(),
            "pipelines[1].layers[0].counters: 2 values, layer \"dropout_1\" keeps 1");
  v1::PipelineState one_layer = state;
  one_layer.mutable_layers()->RemoveLast();
  EXPECT_EQ(pipeline.check_counters_state(one_layer, "pipelines[1]").message(),
            "pipelines[1].layers[1]: missing, layer \"dropout_3\" keeps counters");
  v1::PipelineState three_layers = state;
  *three_layers.add_layers() = state.layers(0);
  EXPECT_EQ(pipeline.check_counters_state(three_layers, "pipelines[1]").message(),
            "pipelines[1].layers: 3 layers keep counters, this pipeline has 2");
}

}  // namespace
}  // namespace gradstream::engine

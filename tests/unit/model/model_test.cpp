// Model::build: the nodes and parameters a spec becomes (a Dense with an
// activation is two nodes; a final softmax folds into cross-entropy), default
// names and initializers, seeds, and given initial weights exported back
// exactly from whatever layout the weights are kept in.
#include "engine/model/model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/io/spec_io.hpp"
#include "engine/model/model_file.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "gradstream/v1/model_file.pb.h"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

v1::TrainingSpec spec_of(const std::string& model,
                         const std::string& loss = "SOFTMAX_CROSS_ENTROPY") {
  auto spec = parse_spec_json(R"({"model": )" + model + R"(, "loss": ")" + loss + R"(",
      "data": {"builtin": "fashion-mnist"}, "epochs": 1, "batchSize": 128, "seed": 5})",
                              "model test");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return with_defaults(*spec);
}

std::unique_ptr<Model> build(const v1::TrainingSpec& spec) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  auto model = Model::build(spec, eng, LayoutHint{128, true});
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? std::move(model).value() : nullptr;
}

std::vector<std::string> node_names(const Model& model) {
  std::vector<std::string> names;
  for (const auto& node : model.nodes()) names.push_back(node->name());
  return names;
}

TEST(ModelTest, DenseWithActivationIsTwoNodesAndSoftmaxFoldsIntoTheLoss) {
  const auto model = build(spec_of(R"({"inputShape": [784], "layers": [
      {"dense": {"units": 256, "activation": {"name": "relu"}}},
      {"dense": {"units": 10}}, {"activation": {"name": "softmax"}}]})"));
  EXPECT_EQ(node_names(*model), (std::vector<std::string>{"dense_0", "dense_0/relu", "dense_1"}));
  EXPECT_TRUE(model->softmax_fused());
  EXPECT_EQ(model->input_shape(), (Shape{784}));
  EXPECT_EQ(model->output_units(), 10);
  std::vector<std::string> params;
  for (Parameter* p : model->parameters()) params.push_back(p->layer() + "/" + p->name());
  EXPECT_EQ(params, (std::vector<std::string>{"dense_0/weights", "dense_0/bias", "dense_1/weights",
                                              "dense_1/bias"}));
  EXPECT_EQ(model->parameters()[0]->shape(), (Shape{256, 784}));
}

TEST(ModelTest, SoftmaxStaysWithAnotherLoss) {
  const auto model = build(spec_of(R"({"inputShape": [4], "layers": [
      {"dense": {"units": 3}}, {"activation": {"name": "softmax"}}]})",
                                   "MSE"));
  EXPECT_FALSE(model->softmax_fused());
  EXPECT_EQ(node_names(*model), (std::vector<std::string>{"dense_0", "softmax_1"}));
}

TEST(ModelTest, DefaultInitializerFollowsTheActivation) {
  // relu: He normal, std sqrt(2 / 784) = 0.0505; tanh: Glorot uniform, every
  // weight within sqrt(6 / (784 + 256)) = 0.0760, std 0.0760 / sqrt(3) = 0.0439.
  for (const auto& [activation, std_expected] :
       {std::pair{"relu", std::sqrt(2.0 / 784)},
        std::pair{"tanh", std::sqrt(6.0 / 1040) / std::sqrt(3.0)}}) {
    SCOPED_TRACE(activation);
    const auto model = build(spec_of(std::string(R"({"inputShape": [784], "layers": [
        {"dense": {"units": 256, "activation": {"name": ")") +
                                     activation + R"("}}},
        {"dense": {"units": 10}}]})"));
    const std::vector<float> w = model->parameters()[0]->value_values();
    double sum_sq = 0;
    for (float v : w) sum_sq += double(v) * v;
    // 200704 draws: the sample std is within 1% of the true one.
    EXPECT_NEAR(std::sqrt(sum_sq / w.size()), std_expected, 0.01 * std_expected);
    if (std::string(activation) == "tanh") {
      const float max = *std::max_element(
          w.begin(), w.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
      EXPECT_LE(std::abs(max), std::sqrt(6.0 / 1040));
    }
  }
}

TEST(ModelTest, TheSeedFixesTheWeightsAndEachLayerDrawsItsOwn) {
  const std::string layers = R"({"inputShape": [8], "layers": [
      {"dense": {"units": 8}}, {"dense": {"units": 8}}]})";
  const auto a = build(spec_of(layers));
  const auto b = build(spec_of(layers));
  EXPECT_EQ(a->parameters()[0]->value_values(), b->parameters()[0]->value_values());
  EXPECT_NE(a->parameters()[0]->value_values(), a->parameters()[2]->value_values());
  v1::TrainingSpec other = spec_of(layers);
  other.set_seed(6);
  EXPECT_NE(build(other)->parameters()[0]->value_values(), a->parameters()[0]->value_values());
}

TEST(ModelTest, GivenInitialWeightsAreExportedBackExactly) {
  // 10 units of 19 inputs: padded in a blocked layout on CPUs with one.
  const std::vector<float> weights = testing::uniform_values(190, -1, 1, 4);
  const std::vector<float> bias = testing::uniform_values(10, -1, 1, 5);
  v1::TrainingSpec spec = spec_of(R"({"inputShape": [19], "layers": [{"dense": {"units": 10}}]})");
  v1::DenseSpec* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  dense->mutable_initial_weights()->Add(weights.begin(), weights.end());
  dense->mutable_initial_bias()->Add(bias.begin(), bias.end());
  const auto model = build(spec);

  auto bytes = serialize_model(spec, *model);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  ASSERT_EQ(file.tensors_size(), 2);
  EXPECT_EQ(std::vector<float>(file.tensors(0).values().begin(), file.tensors(0).values().end()),
            weights);
  EXPECT_EQ(std::vector<float>(file.tensors(1).values().begin(), file.tensors(1).values().end()),
            bias);
  // The file keeps the trained tensors, not the spec's copy of the initial ones.
  EXPECT_EQ(file.spec().model().layers(0).dense().initial_weights_size(), 0);
}

}  // namespace
}  // namespace gradstream::engine

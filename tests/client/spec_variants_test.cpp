// Replacing a spec's hidden activations for `gradstream compare`.
#include "client/spec_variants.hpp"

#include <gtest/gtest.h>

#include "engine/io/spec_io.hpp"

namespace gradstream::client {
namespace {

gradstream::v1::TrainingSpec parse(const std::string& json) {
  auto spec = engine::parse_spec_json(json, "test");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : gradstream::v1::TrainingSpec{};
}

const gradstream::v1::ActivationSpec& dense_activation(const gradstream::v1::TrainingSpec& spec,
                                                       int layer) {
  return spec.model().layers(layer).dense().activation();
}

TEST(SpecVariantsTest, ReplacesDenseActivationsBeforeTheLastDenseAndDropsParameters) {
  auto spec = parse(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 8, "activation": {"name": "relu"}}},
      {"dense": {"units": 8, "activation": {"name": "leaky_relu", "alpha": 0.1}}},
      {"dense": {"units": 3, "activation": {"name": "softmax"}}}]},
    "data": {"builtin": "fashion-mnist"}, "epochs": 2, "batchSize": 16, "seed": 7})");
  const auto original = spec;

  EXPECT_EQ(replace_hidden_activations("tanh", &spec), 2u);

  EXPECT_EQ(dense_activation(spec, 0).name(), "tanh");
  EXPECT_EQ(dense_activation(spec, 1).name(), "tanh");
  EXPECT_FALSE(dense_activation(spec, 1).has_alpha());
  EXPECT_EQ(dense_activation(spec, 2).name(), "softmax");
  // Everything but the activations is untouched.
  EXPECT_EQ(spec.seed(), 7u);
  EXPECT_EQ(spec.epochs(), 2u);
  EXPECT_EQ(spec.batch_size(), 16u);
  EXPECT_EQ(spec.data().builtin(), "fashion-mnist");
  EXPECT_EQ(spec.model().layers(0).dense().units(), 8u);
  EXPECT_EQ(spec.model().layers(2).dense().units(), 3u);
  EXPECT_EQ(original.model().layers(1).dense().activation().alpha(), 0.1f);
}

TEST(SpecVariantsTest, ReplacesConvolutionActivationsToo) {
  auto spec = parse(R"({"model": {"inputShape": [1, 8, 8], "layers": [
      {"conv2d": {"filters": 4, "kernel": [3], "activation": {"name": "relu"}}},
      {"maxPool2d": {"kernel": [2]}},
      {"conv2d": {"filters": 4, "kernel": [3]}},
      {"activation": {"name": "elu", "alpha": 0.5}},
      {"flatten": {}},
      {"dense": {"units": 3}}]},
    "data": {"builtin": "fashion-mnist"}, "epochs": 1, "batchSize": 16})");

  EXPECT_EQ(replace_hidden_activations("swish", &spec), 2u);

  EXPECT_EQ(spec.model().layers(0).conv2d().activation().name(), "swish");
  EXPECT_FALSE(spec.model().layers(2).conv2d().has_activation());  // none to replace
  EXPECT_EQ(spec.model().layers(3).activation().name(), "swish");
  EXPECT_FALSE(spec.model().layers(3).activation().has_alpha());
}

TEST(SpecVariantsTest, KeepsTheLastDenseLayersActivationEvenWhenItIsNotSoftmax) {
  auto spec = parse(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 8, "activation": {"name": "relu"}}},
      {"dense": {"units": 1, "activation": {"name": "sigmoid"}}}]}})");

  EXPECT_EQ(replace_hidden_activations("elu", &spec), 1u);

  EXPECT_EQ(dense_activation(spec, 0).name(), "elu");
  EXPECT_EQ(dense_activation(spec, 1).name(), "sigmoid");
}

TEST(SpecVariantsTest, ReplacesStandaloneHiddenActivationsButNotTheOutputSoftmax) {
  auto spec = parse(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 8}},
      {"activation": {"name": "swish", "beta": 2.0}},
      {"dropout": {"rate": 0.5}},
      {"dense": {"units": 8}},
      {"activation": {"name": "prelu", "alpha": 0.3}},
      {"dense": {"units": 3}},
      {"activation": {"name": "softmax"}}]}})");

  EXPECT_EQ(replace_hidden_activations("sigmoid", &spec), 2u);

  const auto& layers = spec.model().layers();
  EXPECT_FALSE(layers[0].dense().has_activation());  // a linear Dense stays linear
  EXPECT_EQ(layers[1].activation().name(), "sigmoid");
  EXPECT_FALSE(layers[1].activation().has_beta());
  EXPECT_DOUBLE_EQ(layers[2].dropout().rate(), 0.5);
  EXPECT_FALSE(layers[3].dense().has_activation());
  EXPECT_EQ(layers[4].activation().name(), "sigmoid");
  EXPECT_FALSE(layers[4].activation().has_alpha());
  EXPECT_EQ(layers[6].activation().name(), "softmax");
}

TEST(SpecVariantsTest, ReportsZeroWhenThereIsNoHiddenActivation) {
  auto spec = parse(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 3, "activation": {"name": "relu"}}}]}})");

  EXPECT_EQ(replace_hidden_activations("tanh", &spec), 0u);
  EXPECT_EQ(dense_activation(spec, 0).name(), "relu");
}

TEST(SpecVariantsTest, PassesUnknownNamesThroughForTheServerToReject) {
  auto spec = parse(R"({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 8, "activation": {"name": "relu"}}}, {"dense": {"units": 3}}]}})");

  EXPECT_EQ(replace_hidden_activations("swishy", &spec), 1u);
  EXPECT_EQ(dense_activation(spec, 0).name(), "swishy");
}

TEST(SpecVariantsTest, FormulasReplaceLikeNamesAndAreReplacedThemselves) {
  auto spec = parse(R"j({"model": {"inputShape": [4], "layers": [
      {"dense": {"units": 8, "activation": {"expression": "x * sigmoid(b * x)",
                                            "parameters": {"b": 1}}}},
      {"activation": {"name": "elu", "alpha": 0.5}},
      {"dense": {"units": 3}}]},
    "data": {"builtin": "fashion-mnist"}, "epochs": 2, "batchSize": 16, "seed": 7})j");
  EXPECT_EQ(replace_hidden_activations("relu(x) + 0.1 * cos(x)", &spec), 2u);
  EXPECT_EQ(dense_activation(spec, 0).expression(), "relu(x) + 0.1 * cos(x)");
  EXPECT_EQ(dense_activation(spec, 0).name(), "");
  EXPECT_TRUE(dense_activation(spec, 0).parameters().empty());  // b belonged to the old one
  EXPECT_EQ(spec.model().layers(1).activation().expression(), "relu(x) + 0.1 * cos(x)");
  EXPECT_FALSE(spec.model().layers(1).activation().has_alpha());
  // A plain name is a catalog entry; x alone is the identity formula.
  EXPECT_EQ(replace_hidden_activations("leaky_relu", &spec), 2u);
  EXPECT_EQ(dense_activation(spec, 0).name(), "leaky_relu");
  EXPECT_EQ(dense_activation(spec, 0).expression(), "");
  EXPECT_EQ(replace_hidden_activations("x", &spec), 2u);
  EXPECT_EQ(dense_activation(spec, 0).expression(), "x");
}

TEST(SpecVariantsTest, ActivationListsSplitOutsideParentheses) {
  EXPECT_EQ(split_activation_list("relu,x*sigmoid(x),relu(x)+0.1*cos(x)"),
            (std::vector<std::string>{"relu", "x*sigmoid(x)", "relu(x)+0.1*cos(x)"}));
  EXPECT_EQ(split_activation_list(" tanh , where(x > 0, x, 0.1 * x), max(x, min(x, 1))"),
            (std::vector<std::string>{"tanh", "where(x > 0, x, 0.1 * x)", "max(x, min(x, 1))"}));
  EXPECT_EQ(split_activation_list("relu,,elu"), (std::vector<std::string>{"relu", "", "elu"}));
  EXPECT_EQ(split_activation_list("relu"), (std::vector<std::string>{"relu"}));
}

}  // namespace
}  // namespace gradstream::client

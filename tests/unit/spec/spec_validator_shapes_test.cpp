// validate_spec's shape inference, through the layer registry: sample shapes
// of any rank flow from model.input_shape through each layer; a shape error
// names the layer's field path and both shapes; the network's output must be
// one dimension for the loss; count_parameters follows the inferred shapes.
#include <gtest/gtest.h>

#include <string>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::engine {
namespace {

v1::TrainingSpec spec_with(const std::string& model) {
  const std::string json = R"({"model": )" + model +
                           R"(, "data": {"builtin": "fashion-mnist"}, "epochs": 1,
                                 "batchSize": 8, "loss": "MSE"})";
  auto spec = parse_spec_json(json, "shapes test");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? *spec : v1::TrainingSpec{};
}

std::string error_of(const std::string& model) {
  const Status s = validate_spec(spec_with(model));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << model;
  return s.message();
}

TEST(SpecValidatorShapesTest, ImageShapesFlowThroughReshapeChannelsAndFlatten) {
  // [784] -> [1, 28, 28] -> prelu (one slope per channel: 1) -> [784] -> [10].
  const v1::TrainingSpec spec = spec_with(R"({"inputShape": [784], "layers": [
      {"reshape": {"shape": [1, 28, 28]}}, {"activation": {"name": "prelu"}},
      {"flatten": {}}, {"dense": {"units": 10}}]})");
  EXPECT_TRUE(validate_spec(spec).ok()) << validate_spec(spec).message();
  EXPECT_EQ(count_parameters(spec), 1 + 784 * 10 + 10);
}

TEST(SpecValidatorShapesTest, PreluOverChannelsCountsOneSlopePerChannel) {
  const v1::TrainingSpec spec = spec_with(R"({"inputShape": [3, 4, 4], "layers": [
      {"activation": {"name": "prelu"}}, {"flatten": {}}, {"dense": {"units": 2}}]})");
  EXPECT_TRUE(validate_spec(spec).ok());
  EXPECT_EQ(count_parameters(spec), 3 + 48 * 2 + 2);
}

TEST(SpecValidatorShapesTest, DenseReadsAnInputOfAnyRankAsItsValues) {
  const v1::TrainingSpec spec =
      spec_with(R"({"inputShape": [28, 28], "layers": [{"dense": {"units": 10}}]})");
  EXPECT_TRUE(validate_spec(spec).ok());
  EXPECT_EQ(count_parameters(spec), 784 * 10 + 10);
}

TEST(SpecValidatorShapesTest, AReshapeHoldingOtherValuesNamesItsPathAndBothShapes) {
  EXPECT_EQ(error_of(R"({"inputShape": [784], "layers": [
                {"dense": {"units": 100}}, {"reshape": {"shape": [10, 9]}},
                {"flatten": {}}, {"dense": {"units": 10}}]})"),
            "model.layers[1].reshape.shape: [10, 9] holds 90 values, the input [100] holds 100");
}

TEST(SpecValidatorShapesTest, TheOutputMustBeOneDimension) {
  EXPECT_EQ(error_of(R"({"inputShape": [784], "layers": [
                {"reshape": {"shape": [1, 28, 28]}}, {"activation": {"name": "relu"}}]})"),
            "model.layers: the network's output has shape [1, 28, 28]; the loss needs one "
            "dimension, [units] (end with a flatten or dense layer)");
}

TEST(SpecValidatorShapesTest, InitialWeightsAreCountedAgainstTheInferredInput) {
  EXPECT_EQ(error_of(R"({"inputShape": [2, 3], "layers": [
                {"flatten": {}}, {"dense": {"units": 2, "initialWeights": [1, 2, 3, 4, 5]}}]})"),
            "model.layers[1].dense.initial_weights: has 5 values, expected 12 (units 2 x "
            "inputs 6)");
}

TEST(SpecValidatorShapesTest, AtMostElevenInputDimensions) {
  EXPECT_EQ(error_of(R"({"inputShape": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2],
                         "layers": [{"dense": {"units": 2}}]})"),
            "model.input_shape: 12 dimensions, at most 11");
}

}  // namespace
}  // namespace gradstream::engine

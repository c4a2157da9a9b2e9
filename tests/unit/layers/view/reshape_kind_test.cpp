// Shape inference through the layer registry, as the spec validator runs it:
// reshape and flatten shapes, and each way a reshape can be wrong, with the
// error naming the field path and both shapes.
#include "engine/layers/view/reshape_kind.hpp"

#include <gtest/gtest.h>

#include <string>

#include "engine/layers/view/flatten_kind.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

Result<Shape> infer(const LayerKind& kind, const std::string& json, const Shape& input) {
  const v1::LayerSpec spec = testing::layer_spec(json);
  const std::string path = "model.layers[2]";
  return kind.validate({spec, path, input, false});
}

TEST(ReshapeKindTest, InfersTheShapeItNames) {
  auto out = infer(reshape_layer_kind(), R"({"reshape": {"shape": [1, 28, 28]}})", {784});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, (Shape{1, 28, 28}));
}

TEST(ReshapeKindTest, FlattenMakesOneDimension) {
  auto out = infer(flatten_layer_kind(), R"({"flatten": {}})", {3, 4, 5});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, (Shape{60}));
}

TEST(ReshapeKindTest, AnotherValueCountNamesBothShapes) {
  auto out = infer(reshape_layer_kind(), R"({"reshape": {"shape": [10, 10]}})", {784});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(),
            "model.layers[2].reshape.shape: [10, 10] holds 100 values, the input [784] holds 784");
}

TEST(ReshapeKindTest, EmptyZeroAndTooManyDimensionsAreRefused) {
  EXPECT_EQ(infer(reshape_layer_kind(), R"({"reshape": {}})", {4}).status().message(),
            "model.layers[2].reshape.shape: must have at least one dimension");
  EXPECT_EQ(
      infer(reshape_layer_kind(), R"({"reshape": {"shape": [4, 0]}})", {4}).status().message(),
      "model.layers[2].reshape.shape[1]: 0 is out of range [1, 16777216]");
  EXPECT_EQ(infer(reshape_layer_kind(),
                  R"({"reshape": {"shape": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4]}})", {4})
                .status()
                .message(),
            "model.layers[2].reshape.shape: 12 dimensions, at most 11");
}

}  // namespace
}  // namespace gradstream::engine

// ViewLayer (flatten, reshape): the values pass through in row-major order,
// moving no data for a plain src, and the gradient comes back in src's shape;
// a dense layer after a reshape sees the same features as without it.
#include "engine/layers/view/view_layer.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::layer_spec;
using testing::LayerHarness;

testing::LayerReference identity() {
  return [](const std::vector<double>& x, const std::vector<std::vector<double>>&) { return x; };
}

TEST(ViewLayerTest, ReshapeThenFlattenIsTheIdentityWithGradients) {
  LayerHarness h(
      {layer_spec(R"({"reshape": {"shape": [2, 3, 2]}})"), layer_spec(R"({"flatten": {}})")}, {12},
      3);
  EXPECT_EQ(h.layer(0).dst().shape(), (Shape{3, 2, 3, 2}));
  EXPECT_EQ(h.layer(1).dst().shape(), (Shape{3, 12}));
  testing::check_layer_gradients(h, identity(), testing::uniform_values(36, -1, 1, 1),
                                 testing::uniform_values(36, -1, 1, 2));
}

TEST(ViewLayerTest, APlainSrcIsOnlyRedescribed) {
  LayerHarness h(
      {layer_spec(R"({"reshape": {"shape": [4, 3]}})"), layer_spec(R"({"flatten": {}})")}, {12}, 2,
      /*training=*/false);
  std::vector<float> x(24);
  std::iota(x.begin(), x.end(), 0.0F);
  EXPECT_EQ(h.forward(x), x);
  // Same buffer all the way through: the batch the input points at.
  EXPECT_EQ(h.layer(0).dst().data(), h.layer(1).dst().data());
}

TEST(ViewLayerTest, DenseAfterAReshapeSeesTheSameFeatures) {
  // [6] -> [2, 3] -> dense reads the same 6 features as [6] -> [6] -> dense:
  // same weights (same seed and layer index), same outputs.
  LayerHarness reshaped(
      {layer_spec(R"({"reshape": {"shape": [2, 3]}})"), layer_spec(R"({"dense": {"units": 4}})")},
      {6}, 2, false);
  LayerHarness flat({layer_spec(R"({"flatten": {}})"), layer_spec(R"({"dense": {"units": 4}})")},
                    {6}, 2, false);
  const std::vector<float> x = testing::uniform_values(12, -1, 1, 3);
  EXPECT_EQ(reshaped.parameter(0).value_values(), flat.parameter(0).value_values());
  EXPECT_EQ(reshaped.forward(x), flat.forward(x));
}

}  // namespace
}  // namespace gradstream::engine

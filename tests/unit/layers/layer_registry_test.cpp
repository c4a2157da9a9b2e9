// The layer registry: one entry for every kind a LayerSpec can hold (so a new
// oneof field without a registration fails here), named after its field, and
// the default layer names.
#include "engine/layers/layer_registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

TEST(LayerRegistryTest, EveryLayerSpecKindHasExactlyOneEntryNamedAfterItsField) {
  const google::protobuf::OneofDescriptor* kind =
      v1::LayerSpec::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  std::set<std::string> names;
  for (int i = 0; i < kind->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = kind->field(i);
    const LayerKind* entry =
        find_layer_kind(static_cast<v1::LayerSpec::KindCase>(field->number()));
    ASSERT_NE(entry, nullptr) << field->name() << " has no registry entry";
    EXPECT_EQ(entry->name, field->name());
    names.insert(std::string(entry->name));
  }
  EXPECT_EQ(layer_kinds().size(), names.size());
  EXPECT_EQ(find_layer_kind(v1::LayerSpec::KIND_NOT_SET), nullptr);
  EXPECT_EQ(layer_kind_names(),
            "dense, activation, dropout, flatten, reshape, conv2d, max_pool2d, avg_pool2d, "
            "global_avg_pool, batch_norm");
}

TEST(LayerRegistryTest, DefaultNamesAreTheKindOrActivationWithTheIndex) {
  EXPECT_EQ(layer_name(testing::layer_spec(R"({"dense": {"units": 2}})"), 0), "dense_0");
  EXPECT_EQ(layer_name(testing::layer_spec(R"({"activation": {"name": "tanh"}})"), 3), "tanh_3");
  EXPECT_EQ(layer_name(testing::layer_spec(R"({"reshape": {"shape": [2]}})"), 1), "reshape_1");
  EXPECT_EQ(layer_name(testing::layer_spec(R"({"name": "hidden", "dropout": {}})"), 2), "hidden");
}

}  // namespace
}  // namespace gradstream::engine

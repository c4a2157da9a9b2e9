// validate_spec's bounds (spec_bounds.cpp): names (length, characters,
// unique layer names, generated ones included), strings, the spec's size and
// the gradient tensors one event may carry; and non-finite given weights.
// Each bad spec is one mutation of the example and fails naming the field.
#include "engine/spec/spec_bounds.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::engine {
namespace {

using Mutation = std::function<void(v1::TrainingSpec&)>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

v1::TrainingSpec example() {
  auto spec =
      read_spec_file(std::string(GRADSTREAM_SOURCE_DIR) + "/examples/fashion-mnist-mlp.json");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : v1::TrainingSpec{};
}

v1::LayerSpec& layer(v1::TrainingSpec& spec, int index) {
  return *spec.mutable_model()->mutable_layers(index);
}

TEST(SpecBoundsTest, ExampleNamesPass) {
  v1::TrainingSpec spec = example();
  layer(spec, 0).set_name("hidden-1.a_B");
  layer(spec, 1).set_name(std::string(64, 'x'));  // exactly the limit
  const Status status = validate_spec(spec);
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(SpecBoundsTest, EveryExampleSpecStaysValid) {
  for (const char* name : {"deep-sigmoid", "fashion-mnist-cnn-bn", "fashion-mnist-cnn",
                           "fashion-mnist-formula", "fashion-mnist-mlp"}) {
    auto spec = read_spec_file(std::string(GRADSTREAM_SOURCE_DIR) + "/examples/" + name + ".json");
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    const Status status = validate_spec(*spec);
    EXPECT_TRUE(status.ok()) << name << ": " << status.message();
  }
}

struct BadCase {
  const char* name;
  Mutation mutate;
  std::string message;  // the whole message, or a prefix ending in ": " or "; "
};

class SpecBoundsRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(SpecBoundsRejects, WithMessage) {
  v1::TrainingSpec spec = example();
  GetParam().mutate(spec);
  const Status status = validate_spec(spec);
  ASSERT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  if (GetParam().message.ends_with(": ") || GetParam().message.ends_with("; ")) {
    EXPECT_EQ(status.message().rfind(GetParam().message, 0), 0u) << status.message();
  } else {
    EXPECT_EQ(status.message(), GetParam().message);
  }
}

const BadCase kBadCases[] = {
    {"job_name_too_long", [](auto& s) { s.set_name(std::string(65, 'n')); },
     "name: 65 characters, at most 64 characters of [A-Za-z0-9._-]"},
    {"job_name_with_space", [](auto& s) { s.set_name("my job"); },
     "name: character 2 (' ') is not allowed; a name is at most 64 characters of "
     "[A-Za-z0-9._-]"},
    {"job_name_with_newline", [](auto& s) { s.set_name("a\nb"); },
     "name: character 1 (0x0a) is not allowed; a name is at most 64 characters of "
     "[A-Za-z0-9._-]"},
    {"layer_name_too_long", [](auto& s) { layer(s, 1).set_name(std::string(1 << 20, 'l')); },
     "model.layers[1].name: 1048576 characters, at most 64 characters of [A-Za-z0-9._-]"},
    {"layer_name_with_quote", [](auto& s) { layer(s, 0).set_name("a\"b"); },
     "model.layers[0].name: character 1 ('\"') is not allowed; a name is at most 64 "
     "characters of [A-Za-z0-9._-]"},
    {"layer_name_with_slash", [](auto& s) { layer(s, 0).set_name("a/b"); },
     "model.layers[0].name: character 1 ('/') is not allowed; "},
    {"duplicate_given_layer_names",
     [](auto& s) {
       layer(s, 0).set_name("hidden");
       layer(s, 2).set_name("hidden");
     },
     "model.layers[2].name: \"hidden\" is already the name of model.layers[0]; layer names "
     "must be unique within the model (they name reports and metric series)"},
    {"given_name_equals_generated_one", [](auto& s) { layer(s, 0).set_name("dense_2"); },
     "model.layers[2].name: \"dense_2\" is already the name of model.layers[0]; "},
    {"builtin_with_bad_characters", [](auto& s) { s.mutable_data()->set_builtin("../etc"); },
     "data.builtin: character 2 ('/') is not allowed; "},
    {"dataset_id_too_long",
     [](auto& s) { s.mutable_data()->set_dataset_id("sha256:" + std::string(200, 'a')); },
     "data.dataset_id: 207 bytes, at most 128"},
    {"file_path_too_long",
     [](auto& s) {
       s.mutable_data()->mutable_files()->set_train_features("/d/" + std::string(5000, 'f') +
                                                             ".csv");
     },
     "data.files.train_features: 5007 bytes, at most 4096"},
    {"nan_initial_weight",
     [](auto& s) {
       auto* weights = layer(s, 2).mutable_dense()->mutable_initial_weights();
       weights->Resize(128 * 10, 0.5f);
       weights->Set(7, kNaN);
     },
     "model.layers[2].dense.initial_weights[7]: nan is not a finite number"},
    {"infinite_initial_bias",
     [](auto& s) {
       auto* bias = layer(s, 2).mutable_dense()->mutable_initial_bias();
       bias->Resize(10, 0.0f);
       bias->Set(9, -kInf);
     },
     "model.layers[2].dense.initial_bias[9]: -inf is not a finite number"},
    {"nan_learning_rate", [](auto& s) { s.mutable_optimizer()->set_learning_rate(kNaN); },
     "optimizer.learning_rate: nan is out of range (0, 10] (0 selects the optimizer's default)"},
    {"spec_too_big",
     [](auto& s) {
       // A million and one floats are past 4 MiB on their own; the size is
       // checked before the weights' count.
       layer(s, 0).mutable_dense()->mutable_initial_weights()->Resize((1 << 20) + 1, 0.0f);
     },
     "spec: "},
    {"gradient_tensors_of_a_big_model",
     [](auto& s) {
       s.mutable_reporting()->set_send_gradient_tensors(true);
       // 784 x 2048 + 2048  +  2048 x 128 + 128  +  128 x 10 + 10
       s.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(2048);
     },
     "reporting.send_gradient_tensors: the model has 1871242 parameters and one gradient event "
     "would carry them all; at most 1048576 when sending tensors"},
};

INSTANTIATE_TEST_SUITE_P(SpecBounds, SpecBoundsRejects, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SpecBoundsTest, SpecSizeMessageSaysBytesAndLimit) {
  v1::TrainingSpec spec = example();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_initial_weights()->Resize(
      2 << 20, 1.0f);  // 8 MiB of floats, checked before the counts
  const Status status = validate_spec_size(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("spec: " + std::to_string(spec.ByteSizeLong()) +
                                       " bytes serialized, at most 4194304 ",
                                   0),
            0u)
      << status.message();
}

TEST(SpecBoundsTest, GradientTensorsOfASmallModelPass) {
  v1::TrainingSpec spec = example();  // 235146 parameters
  spec.mutable_reporting()->set_send_gradient_tensors(true);
  const Status status = validate_spec(spec);
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace gradstream::engine

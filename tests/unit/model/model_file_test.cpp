// Model file: a serialized model loads back with the same parameters and the
// same predictions; damaged files are refused with data_loss naming the problem.
#include "engine/model/model_file.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "engine/train/predictor.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {
namespace {

// 4 -> 3 (relu) -> 2 (softmax) with seeded random weights, and a PReLU between.
v1::TrainingSpec small_spec() {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [2, 2], "layers": [
      {"dense": {"units": 3, "activation": {"name": "relu"}}},
      {"activation": {"name": "prelu"}},
      {"dense": {"units": 2}},
      {"activation": {"name": "softmax"}}]},
    "data": {"builtin": "in-memory"}, "epochs": 1, "batchSize": 1, "seed": 7})",
                              "small spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return with_defaults(*spec);
}

struct ModelFileTest : ::testing::Test {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};

  std::unique_ptr<Model> build() {
    auto model = Model::build(small_spec(), eng);
    EXPECT_TRUE(model.ok()) << model.status().message();
    // Distinct values everywhere, so a swapped tensor would show.
    float v = 0.05F;
    for (Parameter* p : (*model)->parameters()) {
      std::vector<float> values(static_cast<size_t>(p->size()));
      for (size_t i = 0; i < values.size(); ++i) values[i] = (v += 0.037F) * (i % 2 ? -1 : 1);
      p->write_value(values.data());
    }
    return std::move(model).value();
  }
};

TEST_F(ModelFileTest, RoundTripKeepsEveryParameterAndPrediction) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();

  auto loaded = load_model(*bytes, eng);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const auto original = model->parameters();
  const auto copy = (*loaded)->parameters();
  ASSERT_EQ(copy.size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(copy[i]->layer(), original[i]->layer());
    EXPECT_EQ(copy[i]->name(), original[i]->name());
    EXPECT_EQ(copy[i]->shape(), original[i]->shape());
    EXPECT_EQ(copy[i]->value_values(), original[i]->value_values());
  }
  EXPECT_EQ((*loaded)->input_features(), 4);
  EXPECT_TRUE((*loaded)->softmax_fused());

  const std::vector<float> inputs = {0.5F, -1.0F, 2.0F, 0.25F, -0.3F, 0.7F, 1.1F, -2.0F};
  auto expected = predict(*model, inputs.data(), 2, eng);
  auto actual = predict(**loaded, inputs.data(), 2, eng);
  ASSERT_TRUE(expected.ok() && actual.ok());
  EXPECT_EQ(*actual, *expected);
}

TEST_F(ModelFileTest, StoresTheSpecAndNamedTensorsInModelOrder) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  EXPECT_EQ(file.spec().seed(), 7U);
  ASSERT_EQ(file.tensors_size(), 5);
  EXPECT_EQ(file.tensors(0).layer(), "dense_0");
  EXPECT_EQ(file.tensors(0).name(), "weights");
  EXPECT_EQ(std::vector<uint32_t>(file.tensors(0).shape().begin(), file.tensors(0).shape().end()),
            (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(file.tensors(1).name(), "bias");
  EXPECT_EQ(file.tensors(2).name(), "slope");
  EXPECT_EQ(file.tensors(3).layer(), "dense_2");
  auto spec = model_file_spec(*bytes);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->model().input_shape_size(), 2);
}

TEST_F(ModelFileTest, RefusesCorruptedBytes) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok());
  for (const std::string& damaged : {bytes->substr(0, bytes->size() - 7),
                                     std::string("\xff\xff\xff\xff garbage", 12), std::string()}) {
    auto loaded = load_model(damaged, eng);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(loaded.status().message().find("model file: "), std::string::npos);
  }
}

TEST_F(ModelFileTest, ShapeMismatchNamesTheTensor) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  file.mutable_tensors(3)->set_shape(0, 4);  // dense_2/weights [2, 3] -> [4, 3]
  file.mutable_tensors(3)->set_shape(1, 3);
  auto loaded = load_model(file.SerializeAsString(), eng);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("dense_2/weights"), std::string::npos)
      << loaded.status().message();
}

TEST_F(ModelFileTest, ValueCountMismatchNamesTheTensor) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  file.mutable_tensors(1)->add_values(1.0F);  // dense_0/bias: 4 values for shape [3]
  auto loaded = load_model(file.SerializeAsString(), eng);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("dense_0/bias"), std::string::npos)
      << loaded.status().message();
}

TEST_F(ModelFileTest, MisnamedOrMissingTensorsAreRefused) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile renamed;
  ASSERT_TRUE(renamed.ParseFromString(*bytes));
  renamed.mutable_tensors(1)->set_name("offset");
  auto loaded = load_model(renamed.SerializeAsString(), eng);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("dense_0/offset"), std::string::npos)
      << loaded.status().message();

  v1::ModelFile shorter;
  ASSERT_TRUE(shorter.ParseFromString(*bytes));
  shorter.mutable_tensors()->RemoveLast();
  loaded = load_model(shorter.SerializeAsString(), eng);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
}

TEST_F(ModelFileTest, KeepsThePreprocessingTrainingUsed) {
  auto model = build();
  InputPreprocessing standardize;
  standardize.kind = v1::STANDARDIZE;
  standardize.mean = {0.5, -1.25, 3.0, 1e-3};
  standardize.inv_std = {2.0, 0.125, 1e6, 7.0 / 3.0};
  auto bytes = serialize_model(small_spec(), *model, standardize);
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile file;
  ASSERT_TRUE(file.ParseFromString(*bytes));
  EXPECT_EQ(file.preprocessing().kind(), v1::STANDARDIZE);
  ASSERT_EQ(file.preprocessing().inv_std_size(), 4);
  EXPECT_EQ(file.preprocessing().inv_std(3), 7.0 / 3.0);  // doubles, not rounded to float

  auto kept = model_file_preprocessing(*bytes);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->kind, v1::STANDARDIZE);
  EXPECT_EQ(kept->mean, standardize.mean);
  EXPECT_EQ(kept->inv_std, standardize.inv_std);

  auto scaled =
      model_file_preprocessing(*serialize_model(small_spec(), *model, InputPreprocessing::scale()));
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->kind, v1::SCALE);
  EXPECT_EQ(scaled->scale_divisor, 255.0F);
}

TEST_F(ModelFileTest, AFileWithoutPreprocessingLoadsAsNone) {
  auto model = build();
  auto bytes = serialize_model(small_spec(), *model, InputPreprocessing::scale());
  ASSERT_TRUE(bytes.ok());
  v1::ModelFile older;  // as written before model files carried their preprocessing
  ASSERT_TRUE(older.ParseFromString(*bytes));
  older.clear_preprocessing();
  const std::string older_bytes = older.SerializeAsString();
  auto loaded = load_model(older_bytes, eng);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto preprocessing = model_file_preprocessing(older_bytes);
  ASSERT_TRUE(preprocessing.ok()) << preprocessing.status().message();
  EXPECT_EQ(preprocessing->kind, v1::NONE);
}

TEST_F(ModelFileTest, PreprocessingThatDoesNotFitTheModelIsDataLoss) {
  auto model = build();
  InputPreprocessing three_features;
  three_features.kind = v1::STANDARDIZE;
  three_features.mean = {0.0, 0.0, 0.0};
  three_features.inv_std = {1.0, 1.0, 1.0};
  auto bytes = serialize_model(small_spec(), *model, three_features);
  ASSERT_TRUE(bytes.ok());
  auto preprocessing = model_file_preprocessing(*bytes);
  ASSERT_FALSE(preprocessing.ok());
  EXPECT_EQ(preprocessing.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(preprocessing.status().message(),
            "model file: preprocessing.mean: has 3 values, the model takes 4 features");
}

}  // namespace
}  // namespace gradstream::engine

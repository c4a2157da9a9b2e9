// ModelTensors: a model file's tensors come out in order, and a name, a count
// or a tensor too many or too few is data_loss naming the tensor.
#include "engine/onnx/model_tensors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradstream::engine::onnx_export {
namespace {

v1::ModelFile two_tensors() {
  v1::ModelFile file;
  v1::Tensor* weights = file.add_tensors();
  weights->set_layer("dense_0");
  weights->set_name("weights");
  for (float v : {1.0F, 2.0F, 3.0F, 4.0F}) weights->add_values(v);
  v1::Tensor* bias = file.add_tensors();
  bias->set_layer("dense_0");
  bias->set_name("bias");
  for (float v : {-1.0F, -2.0F}) bias->add_values(v);
  return file;
}

TEST(ModelTensorsTest, TakesTensorsInOrder) {
  const v1::ModelFile file = two_tensors();
  ModelTensors tensors(file);
  auto weights = tensors.take("weights", 4);
  ASSERT_TRUE(weights.ok()) << weights.status().message();
  EXPECT_EQ(std::vector<float>(weights->begin(), weights->end()),
            (std::vector<float>{1.0F, 2.0F, 3.0F, 4.0F}));
  EXPECT_FALSE(tensors.check_all_taken().ok());
  auto bias = tensors.take("bias", 2);
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ((*bias)[1], -2.0F);
  EXPECT_TRUE(tensors.check_all_taken().ok());
}

TEST(ModelTensorsTest, MismatchesAreDataLossNamingTheTensor) {
  const v1::ModelFile file = two_tensors();
  ModelTensors wrong_name(file);
  auto renamed = wrong_name.take("slope", 4);
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(renamed.status().message(),
            "model file: tensors[0] dense_0/weights: expected a \"slope\" tensor");

  ModelTensors wrong_count(file);
  auto counted = wrong_count.take("weights", 6);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.status().message(),
            "model file: tensors[0] dense_0/weights: has 4 values, expected 6");

  ModelTensors too_few(file);
  ASSERT_TRUE(too_few.take("weights", 4).ok());
  ASSERT_TRUE(too_few.take("bias", 2).ok());
  auto missing = too_few.take("slope", 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(missing.status().message().find("tensors[2]: missing"), std::string::npos);
}

}  // namespace
}  // namespace gradstream::engine::onnx_export

// Tensor messages: a parameter's name, shape and row-major values whatever its
// layout, and the mismatches named as model files and checkpoints report them.
#include "engine/core/tensor_message.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "engine/core/tensor.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

// [3, 5] in 16 x 16 blocks: 256 stored floats for 15 values.
const Shape kShape{3, 5};
const dnnl::memory::desc kBlocked(kShape, dnnl::memory::data_type::f32,
                                  dnnl::memory::format_tag::AB16b16a);

class TensorMessageTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  const std::vector<float> values_ = testing::uniform_values(15, -1.0F, 1.0F, 5);
};

TEST_F(TensorMessageTest, WritesNameShapeAndRowMajorValuesOfABlockedParameter) {
  Parameter p(eng_, "dense_1", "weights", kShape, true);
  p.write_value(values_.data());
  p.set_layout(kBlocked);
  v1::Tensor tensor;
  write_tensor_message(p, &tensor);
  EXPECT_EQ(tensor.layer(), "dense_1");
  EXPECT_EQ(tensor.name(), "weights");
  EXPECT_EQ(std::vector<uint32_t>(tensor.shape().begin(), tensor.shape().end()),
            (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(std::vector<float>(tensor.values().begin(), tensor.values().end()), values_);
}

TEST_F(TensorMessageTest, WritesABufferLaidOutLikeTheValue) {
  Parameter p(eng_, "dense_1", "weights", kShape, true);
  p.set_layout(kBlocked);
  std::vector<float> moment(static_cast<size_t>(p.stored()));
  p.write_like_value(values_.data(), moment.data());
  v1::Tensor tensor;
  write_tensor_message(p, moment.data(), &tensor);
  EXPECT_EQ(std::vector<float>(tensor.values().begin(), tensor.values().end()), values_);
  EXPECT_EQ(tensor_size_mismatch(tensor, p), std::nullopt);
  EXPECT_EQ(tensor_identity_mismatch(tensor, p, "tensors[0]"), std::nullopt);
}

TEST_F(TensorMessageTest, NamesWhatDoesNotMatch) {
  Parameter p(eng_, "dense_1", "weights", kShape, true);
  v1::Tensor tensor;
  write_tensor_message(p, &tensor);
  v1::Tensor other_name = tensor;
  other_name.set_name("bias");
  EXPECT_EQ(tensor_identity_mismatch(other_name, p, "tensors[4]"),
            "tensors[4] is \"dense_1/bias\", the spec's model expects \"dense_1/weights\" there");
  v1::Tensor other_shape = tensor;
  other_shape.set_shape(1, 4);
  EXPECT_EQ(tensor_identity_mismatch(other_shape, p, "tensors[4]"),
            "tensor \"dense_1/weights\": shape [3, 4] does not match the model's [3, 5]");
  v1::Tensor short_values = tensor;
  short_values.mutable_values()->RemoveLast();
  EXPECT_EQ(tensor_size_mismatch(short_values, p),
            "tensor \"dense_1/weights\": has 14 values, its shape [3, 5] needs 15");
}

}  // namespace
}  // namespace gradstream::engine

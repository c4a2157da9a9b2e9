// Parameter: row-major values (and buffers laid out like them) in and out of
// any layout, exactly; the padding of a blocked layout stays zero under 100
// Adam and AdamW steps with weight decay, which give bit for bit the values
// they give on plain storage.
#include "engine/core/parameter.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "engine/core/tensor.hpp"
#include "engine/optim/optimizer.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

// [10, 19] in 16 x 16 blocks (the layout oneDNN's AVX-512 inner product picks
// for such weights): 16 * 32 = 512 stored floats for 190 values.
const Shape kShape{10, 19};
const dnnl::memory::desc kBlocked(kShape, dnnl::memory::data_type::f32,
                                  dnnl::memory::format_tag::AB16b16a);

int64_t nonzero(const float* values, int64_t count) {
  int64_t n = 0;
  for (int64_t i = 0; i < count; ++i) n += values[i] != 0.0F ? 1 : 0;
  return n;
}

class ParameterTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  const std::vector<float> values_ = testing::uniform_values(190, 0.1F, 1.0F, 3);  // none 0
};

TEST_F(ParameterTest, StartsZeroedAndPlain) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  EXPECT_TRUE(p.plain());
  EXPECT_EQ(p.size(), 190);
  EXPECT_EQ(p.stored(), 190);
  EXPECT_EQ(p.value_values(), std::vector<float>(190, 0.0F));
  EXPECT_EQ(p.grad_values(), std::vector<float>(190, 0.0F));
}

TEST_F(ParameterTest, ValuesRoundTripThroughABlockedLayoutExactly) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  p.write_value(values_.data());

  p.set_layout(kBlocked);

  EXPECT_FALSE(p.plain());
  EXPECT_EQ(p.stored(), 512);
  EXPECT_EQ(p.value_values(), values_);  // set_layout kept them
  // Every stored float is one of the 190 values or padding, and padding is 0.
  EXPECT_EQ(nonzero(p.stored_value(), p.stored()), 190);
  const std::vector<float> other = testing::uniform_values(190, -1.0F, -0.1F, 4);
  p.write_value(other.data());
  EXPECT_EQ(p.value_values(), other);
  EXPECT_EQ(std::vector<float>(p.plain_value(), p.plain_value() + 190), other);
}

TEST_F(ParameterTest, GradientsReadBackInRowMajorOrder) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  p.set_layout(kBlocked);
  testing::write_grad(p, values_);
  EXPECT_EQ(p.grad_values(), values_);
  EXPECT_EQ(std::vector<float>(p.plain_grad(), p.plain_grad() + 190), values_);
  // The two plain views have buffers of their own.
  EXPECT_NE(p.plain_grad(), p.plain_value());
}

TEST_F(ParameterTest, BuffersLaidOutLikeTheValueConvertToAndFromRowMajor) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  p.set_layout(kBlocked);
  // An optimizer's moment buffer: stored() floats in the value's layout, here
  // dirty, as if reused.
  std::vector<float> slot(512, std::numeric_limits<float>::quiet_NaN());
  p.write_like_value(values_.data(), slot.data());
  // The 190 values, and the 322 padded floats zeroed (NaN would count).
  EXPECT_EQ(nonzero(slot.data(), 512), 190);
  std::vector<float> back(190);
  p.read_like_value(slot.data(), back.data());
  EXPECT_EQ(back, values_);
  // Laid out exactly as the value would be.
  p.write_value(values_.data());
  EXPECT_EQ(std::vector<float>(p.stored_value(), p.stored_value() + 512), slot);
}

TEST_F(ParameterTest, BuffersOfAPlainParameterAreRowMajorAlready) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  std::vector<float> slot(190);
  p.write_like_value(values_.data(), slot.data());
  EXPECT_EQ(slot, values_);
  std::vector<float> back(190);
  p.read_like_value(slot.data(), back.data());
  EXPECT_EQ(back, values_);
}

TEST_F(ParameterTest, ALayoutOfOtherDimsIsRefused) {
  Parameter p(eng_, "dense_0", "weights", kShape, true);
  EXPECT_THROW(p.set_layout(plain_desc({19, 10})), std::logic_error);
}

// 100 steps of `spec` on a plain and a blocked copy of the same parameter with
// the same gradients: the padding stays 0 and the values agree bit for bit.
void expect_blocked_matches_plain(const std::string& kind, const dnnl::engine& eng,
                                  const std::vector<float>& values) {
  SCOPED_TRACE(kind);
  Parameter plain(eng, "dense_0", "weights", kShape, true);
  Parameter blocked(eng, "dense_0", "weights", kShape, true);
  plain.write_value(values.data());
  blocked.write_value(values.data());
  blocked.set_layout(kBlocked);
  v1::OptimizerSpec spec;
  spec.set_weight_decay(0.1F);
  if (kind == "adamw") {
    spec.mutable_adamw();
  } else {
    spec.mutable_adam();
  }
  auto plain_opt = make_optimizer(spec, {&plain});
  auto blocked_opt = make_optimizer(spec, {&blocked});
  ASSERT_TRUE(plain_opt.ok() && blocked_opt.ok());
  for (int step = 0; step < 100; ++step) {
    const std::vector<float> grad =
        testing::uniform_values(190, -1.0F, 1.0F, static_cast<uint32_t>(100 + step));
    testing::write_grad(plain, grad);
    testing::write_grad(blocked, grad);
    (*plain_opt)->step(0.01F);
    (*blocked_opt)->step(0.01F);
  }
  EXPECT_EQ(blocked.value_values(), plain.value_values());
  // The values moved (so the comparison above says something) ...
  EXPECT_NE(plain.value_values(), values);
  // ... and the 322 padded floats are still exactly 0.
  EXPECT_EQ(nonzero(blocked.stored_value(), blocked.stored()), 190);
}

TEST_F(ParameterTest, PaddingStaysZeroUnderAdamWithWeightDecay) {
  expect_blocked_matches_plain("adam", eng_, values_);
  expect_blocked_matches_plain("adamw", eng_, values_);
}

}  // namespace
}  // namespace gradstream::engine

// StepReduction against a stand-in Collective that plays two ranks holding
// the same values plus a second rank's own: the gradients and figures come
// back summed, the flags raised when any rank raised them, the byte count is
// the buffer's, and a collective failure is passed on.
#include "engine/train/step_reduction.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gradstream::engine {
namespace {

// Rank 0 of 2; the other rank's buffer is `other` (same size as the call's).
class TwoRanks : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  Status allreduce_sum(float* data, size_t count) override {
    if (fail) return unavailable("distributed: rank 0 of 2: allreduce failed: peer gone");
    sent.assign(data, data + count);
    for (size_t i = 0; i < count; ++i) data[i] += i < other.size() ? other[i] : 0.0F;
    return ok_status();
  }
  Status allreduce_sum(double* data, size_t count) override {
    for (size_t i = 0; i < count; ++i) data[i] += other_flags.at(i);
    return ok_status();
  }
  Status allreduce_max(double*, size_t) override { return ok_status(); }
  std::vector<float> other;
  std::vector<double> other_flags;
  std::vector<float> sent;
  bool fail = false;
};

class StepReductionTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  Parameter weights_{eng_, "dense_0", "weights", {2, 3}, true};
  Parameter bias_{eng_, "dense_0", "bias", {2}, false};
};

TEST_F(StepReductionTest, SumsGradientsFiguresAndFlagsInOneBuffer) {
  for (int i = 0; i < 6; ++i) weights_.stored_grad()[i] = 0.5F * static_cast<float>(i);
  bias_.stored_grad()[0] = -1.0F;
  bias_.stored_grad()[1] = 2.0F;
  auto two = std::make_shared<TwoRanks>();
  // The other rank: gradients 1 each, loss sum 3.5 over 5 rows, 4 correct,
  // cancel raised, waited 0.25 s in the previous step.
  two->other = {1, 1, 1, 1, 1, 1, 1, 1, 3.5F, 4, 5, 1, 0, 0, 0, 0.25F};
  StepReduction reduction(two, {&weights_, &bias_});
  EXPECT_EQ(reduction.bytes_per_step(), (6u + 2u + 6u + 2u) * sizeof(float));

  StepFigures local;
  local.loss_sum = 1.25;
  local.correct = 2;
  local.seen = 3;
  local.flags.interrupt = true;
  Result<StepFigures> global = reduction.reduce(local);
  ASSERT_TRUE(global.ok()) << global.status().message();
  EXPECT_EQ(global.value().loss_sum, 4.75);
  EXPECT_EQ(global.value().correct, 6);
  EXPECT_EQ(global.value().seen, 8);
  EXPECT_TRUE(global.value().flags.cancel);
  EXPECT_TRUE(global.value().flags.interrupt);
  EXPECT_FALSE(global.value().flags.checkpoint);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(weights_.stored_grad()[i], 0.5F * i + 1.0F) << i;
  EXPECT_EQ(bias_.stored_grad()[0], 0.0F);
  EXPECT_EQ(bias_.stored_grad()[1], 3.0F);
  // Rank 0 sent its gradients, its figures, its flags and a zero wait (no step before).
  const std::vector<float> sent = {0, 0.5F, 1, 1.5F, 2, 2.5F, -1, 2, 1.25F, 2, 3, 0, 1, 0, 0, 0};
  EXPECT_EQ(two->sent, sent);

  const AllreduceWindow window = reduction.take_window();
  EXPECT_EQ(window.bytes, reduction.bytes_per_step());
  EXPECT_GE(window.seconds, 0.0);
  // The other rank waited 0.25 s, this one 0 (its first step): spread 0.25 s.
  EXPECT_DOUBLE_EQ(window.straggler_seconds, 0.25);
  const AllreduceWindow empty = reduction.take_window();
  EXPECT_EQ(empty.seconds, 0.0);
  EXPECT_EQ(empty.straggler_seconds, 0.0);
}

TEST_F(StepReductionTest, AgreesOnFlagsAlone) {
  auto two = std::make_shared<TwoRanks>();
  two->other_flags = {0, 0, 1};
  StepReduction reduction(two, {&weights_});
  RunFlags local;
  local.cancel = true;
  Result<RunFlags> agreed = reduction.agree(local);
  ASSERT_TRUE(agreed.ok());
  EXPECT_TRUE(agreed.value().cancel);
  EXPECT_FALSE(agreed.value().interrupt);
  EXPECT_TRUE(agreed.value().checkpoint);
}

TEST_F(StepReductionTest, PassesACollectiveFailureOn) {
  auto two = std::make_shared<TwoRanks>();
  two->fail = true;
  StepReduction reduction(two, {&weights_});
  Result<StepFigures> global = reduction.reduce(StepFigures{});
  ASSERT_FALSE(global.ok());
  EXPECT_EQ(global.status().message(), "distributed: rank 0 of 2: allreduce failed: peer gone");
}

}  // namespace
}  // namespace gradstream::engine

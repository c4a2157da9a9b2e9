// LrSchedule: each kind at chosen steps, with and without warm-up, against the
// formulas in lr_schedule.hpp worked out here in double.
#include "engine/optim/lr_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace gradstream::engine {
namespace {

constexpr float kBase = 0.1f;
constexpr uint64_t kTotalSteps = 100;
constexpr uint64_t kStepsPerEpoch = 10;

TEST(LrScheduleTest, UnsetKindIsConstant) {
  v1::ScheduleSpec spec;
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(0), 0.1f);
  EXPECT_FLOAT_EQ(s.at(57), 0.1f);
  EXPECT_FLOAT_EQ(s.at(1000), 0.1f);
}

TEST(LrScheduleTest, ConstantWithLinearWarmup) {
  v1::ScheduleSpec spec;
  spec.mutable_constant();
  spec.set_warmup_steps(4);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(0), 0.1 * 1.0 / 4.0);  // 0.025
  EXPECT_FLOAT_EQ(s.at(1), 0.1 * 2.0 / 4.0);  // 0.05
  EXPECT_FLOAT_EQ(s.at(3), 0.1 * 4.0 / 4.0);  // last warm-up step reaches the base
  EXPECT_FLOAT_EQ(s.at(4), 0.1);
  EXPECT_FLOAT_EQ(s.at(99), 0.1);
}

TEST(LrScheduleTest, StepDecaysByGammaEveryNEpochs) {
  v1::ScheduleSpec spec;
  spec.mutable_step()->set_every_epochs(2);
  spec.mutable_step()->set_gamma(0.5f);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(0), 0.1);                     // epoch 0 -> 0.5^0
  EXPECT_FLOAT_EQ(s.at(19), 0.1);                    // epoch 1 -> 0.5^floor(1/2) = 1
  EXPECT_FLOAT_EQ(s.at(20), 0.1 * 0.5);              // epoch 2 -> 0.5^1
  EXPECT_FLOAT_EQ(s.at(39), 0.1 * 0.5);              // epoch 3 -> 0.5^1
  EXPECT_FLOAT_EQ(s.at(40), 0.1 * 0.5 * 0.5);        // epoch 4 -> 0.5^2
  EXPECT_FLOAT_EQ(s.at(65), 0.1 * 0.5 * 0.5 * 0.5);  // epoch 6 -> 0.5^3
}

TEST(LrScheduleTest, ExponentialDecaysByGammaEachEpoch) {
  v1::ScheduleSpec spec;
  spec.mutable_exponential()->set_gamma(0.9f);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(0), 0.1);
  EXPECT_FLOAT_EQ(s.at(9), 0.1);               // still epoch 0
  EXPECT_FLOAT_EQ(s.at(10), 0.1 * 0.9);        // 0.09
  EXPECT_FLOAT_EQ(s.at(25), 0.1 * 0.9 * 0.9);  // epoch 2: 0.081
}

TEST(LrScheduleTest, CosineAnnealsFromBaseToMinimum) {
  v1::ScheduleSpec spec;
  spec.mutable_cosine()->set_min_learning_rate(0.01f);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  const double lo = 0.01, hi = 0.1, pi = std::numbers::pi;
  EXPECT_FLOAT_EQ(s.at(0), hi);                                            // cos 0 = 1
  EXPECT_FLOAT_EQ(s.at(25), lo + (hi - lo) * (1 + std::cos(pi / 4)) / 2);  // ~0.08682
  EXPECT_FLOAT_EQ(s.at(50), lo + (hi - lo) / 2);                           // cos(pi/2) = 0: 0.055
  EXPECT_FLOAT_EQ(s.at(75), lo + (hi - lo) * (1 + std::cos(3 * pi / 4)) / 2);
  EXPECT_FLOAT_EQ(s.at(100), lo);  // cos pi = -1
}

TEST(LrScheduleTest, CosineHoldsMinimumPastTheEnd) {
  v1::ScheduleSpec spec;
  spec.mutable_cosine()->set_min_learning_rate(0.01f);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(150), 0.01);
  EXPECT_FLOAT_EQ(s.at(200), 0.01);
}

TEST(LrScheduleTest, WarmupScalesCosine) {
  v1::ScheduleSpec spec;
  spec.mutable_cosine();  // min 0
  spec.set_warmup_steps(10);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  const double pi = std::numbers::pi;
  EXPECT_FLOAT_EQ(s.at(0), 0.1 * (1 + std::cos(0.0)) / 2 * (1.0 / 10));  // 0.01
  EXPECT_FLOAT_EQ(s.at(4), 0.1 * (1 + std::cos(pi * 4 / 100)) / 2 * (5.0 / 10));
  EXPECT_FLOAT_EQ(s.at(9), 0.1 * (1 + std::cos(pi * 9 / 100)) / 2 * (10.0 / 10));
  EXPECT_FLOAT_EQ(s.at(10), 0.1 * (1 + std::cos(pi * 10 / 100)) / 2);
}

TEST(LrScheduleTest, WarmupScalesStepSchedule) {
  v1::ScheduleSpec spec;
  spec.mutable_step()->set_every_epochs(1);
  spec.mutable_step()->set_gamma(0.5f);
  spec.set_warmup_steps(20);  // longer than an epoch: both factors apply
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  EXPECT_FLOAT_EQ(s.at(4), 0.1 * (5.0 / 20));          // epoch 0
  EXPECT_FLOAT_EQ(s.at(14), 0.1 * 0.5 * (15.0 / 20));  // epoch 1
  EXPECT_FLOAT_EQ(s.at(20), 0.1 * 0.5 * 0.5);          // epoch 2, warm-up over
}

TEST(LrScheduleTest, AnswerDoesNotDependOnCallOrder) {
  v1::ScheduleSpec spec;
  spec.mutable_exponential()->set_gamma(0.9f);
  spec.set_warmup_steps(5);
  LrSchedule s(spec, kBase, kTotalSteps, kStepsPerEpoch);
  const float first = s.at(42);
  s.at(0);
  s.at(99);
  s.at(3);
  EXPECT_EQ(s.at(42), first);
}

TEST(LrScheduleTest, ZeroStepsPerEpochDoesNotDivideByZero) {
  v1::ScheduleSpec spec;
  spec.mutable_exponential()->set_gamma(0.5f);
  LrSchedule s(spec, kBase, kTotalSteps, /*steps_per_epoch=*/0);
  EXPECT_FLOAT_EQ(s.at(2), 0.1 * 0.5 * 0.5);  // read as one step per epoch
}

}  // namespace
}  // namespace gradstream::engine

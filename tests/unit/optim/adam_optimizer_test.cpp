// AdamOptimizer (Adam and AdamW), built through make_optimizer: the first steps on
// one-element parameters against torch.optim.Adam / AdamW's formulas worked out
// here in double. m is the first moment, s the second (v in the papers).
#include "engine/optim/adam_optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "engine/optim/optimizer.hpp"
#include "engine/core/parameter.hpp"

namespace gradstream::engine {
namespace {

constexpr double kTolerance = 1e-6;
constexpr double kLr = 0.01;
constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-8;  // PyTorch's defaults

class AdamOptimizerTest : public ::testing::Test {
 protected:
  Parameter scalar(float w, bool decay = true) {
    Parameter p = Parameter(eng_, "dense_0", decay ? "weights" : "bias", {1}, decay);
    p.stored_value()[0] = w;
    return p;
  }

  std::unique_ptr<Optimizer> build(const v1::OptimizerSpec& spec, std::vector<Parameter*> ps) {
    auto built = make_optimizer(spec, std::move(ps));
    EXPECT_TRUE(built.ok()) << built.status().message();
    return built.ok() ? std::move(built).value() : nullptr;
  }

  // Steps with w0 = 0.5 and gradients 0.2, -0.1, 0.3, checking w after each
  // against `expected`.
  void run_three_steps(const v1::OptimizerSpec& spec, const double (&expected)[3],
                       bool decay = true) {
    Parameter p = scalar(0.5f, decay);
    auto opt = build(spec, {&p});
    ASSERT_NE(opt, nullptr);
    const float grads[] = {0.2f, -0.1f, 0.3f};
    for (int t = 0; t < 3; ++t) {
      p.stored_grad()[0] = grads[t];
      opt->step(static_cast<float>(kLr));
      EXPECT_NEAR(p.stored_value()[0], expected[t], kTolerance) << "after step " << t + 1;
    }
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
};

// Plain Adam with defaults, w0 = 0.5, grads 0.2, -0.1, 0.3, lr 0.01.
void plain_adam_reference(double (&w)[3]) {
  // t = 1
  const double m1 = (1 - kB1) * 0.2;                     // 0.02
  const double s1 = (1 - kB2) * 0.2 * 0.2;               // 4e-5
  const double mhat1 = m1 / (1 - kB1);                   // 0.2
  const double shat1 = s1 / (1 - kB2);                   // 0.04
  w[0] = 0.5 - kLr * mhat1 / (std::sqrt(shat1) + kEps);  // ~0.49
  // t = 2
  const double m2 = kB1 * m1 + (1 - kB1) * -0.1;  // 0.008
  const double s2 = kB2 * s1 + (1 - kB2) * 0.01;  // 4.996e-5
  const double mhat2 = m2 / (1 - kB1 * kB1);      // 0.008 / 0.19
  const double shat2 = s2 / (1 - kB2 * kB2);      // 4.996e-5 / 0.001999
  w[1] = w[0] - kLr * mhat2 / (std::sqrt(shat2) + kEps);
  // t = 3
  const double m3 = kB1 * m2 + (1 - kB1) * 0.3;  // 0.0372
  const double s3 = kB2 * s2 + (1 - kB2) * 0.09;
  const double mhat3 = m3 / (1 - kB1 * kB1 * kB1);  // 0.0372 / 0.271
  const double shat3 = s3 / (1 - kB2 * kB2 * kB2);
  w[2] = w[1] - kLr * mhat3 / (std::sqrt(shat3) + kEps);
}

TEST_F(AdamOptimizerTest, DefaultsMatchHandComputedSteps) {
  double expected[3];
  plain_adam_reference(expected);
  v1::OptimizerSpec spec;
  spec.mutable_adam();  // every optional field unset: defaults apply
  run_three_steps(spec, expected);
}

TEST_F(AdamOptimizerTest, UnsetKindIsAdamWithDefaults) {
  double expected[3];
  plain_adam_reference(expected);
  v1::OptimizerSpec spec;  // no oneof member set
  run_three_steps(spec, expected);
}

TEST_F(AdamOptimizerTest, ExplicitBetasAndEpsilonAreUsed) {
  // Betas 0.5 / 0.75 and a large eps make every term visible; eps is added
  // outside the square root.
  v1::OptimizerSpec spec;
  spec.mutable_adam()->set_beta1(0.5f);
  spec.mutable_adam()->set_beta2(0.75f);
  spec.mutable_adam()->set_epsilon(0.1f);
  const double b1 = 0.5, b2 = 0.75, eps = 0.1;
  double expected[3];
  const double m1 = (1 - b1) * 0.2;   // 0.1
  const double s1 = (1 - b2) * 0.04;  // 0.01
  expected[0] =
      0.5 - kLr * (m1 / (1 - b1)) / (std::sqrt(s1 / (1 - b2)) + eps);  // 0.5 - 0.01 * 0.2 / 0.3
  const double m2 = b1 * m1 + (1 - b1) * -0.1;                         // 0.0
  const double s2 = b2 * s1 + (1 - b2) * 0.01;                         // 0.01
  expected[1] = expected[0] - kLr * (m2 / (1 - b1 * b1)) / (std::sqrt(s2 / (1 - b2 * b2)) + eps);
  const double m3 = b1 * m2 + (1 - b1) * 0.3;   // 0.15
  const double s3 = b2 * s2 + (1 - b2) * 0.09;  // 0.03
  expected[2] =
      expected[1] - kLr * (m3 / (1 - b1 * b1 * b1)) / (std::sqrt(s3 / (1 - b2 * b2 * b2)) + eps);
  run_three_steps(spec, expected);
}

TEST_F(AdamOptimizerTest, WeightDecayIsL2InTheGradient) {
  v1::OptimizerSpec spec;
  spec.mutable_adam();
  spec.set_weight_decay(0.1f);
  const double wd = 0.1;
  double expected[3];
  // t = 1
  const double g1 = 0.2 + wd * 0.5;  // 0.25
  const double m1 = (1 - kB1) * g1;
  const double s1 = (1 - kB2) * g1 * g1;
  expected[0] = 0.5 - kLr * (m1 / (1 - kB1)) / (std::sqrt(s1 / (1 - kB2)) + kEps);
  // t = 2
  const double g2 = -0.1 + wd * expected[0];
  const double m2 = kB1 * m1 + (1 - kB1) * g2;
  const double s2 = kB2 * s1 + (1 - kB2) * g2 * g2;
  expected[1] =
      expected[0] - kLr * (m2 / (1 - kB1 * kB1)) / (std::sqrt(s2 / (1 - kB2 * kB2)) + kEps);
  // t = 3
  const double g3 = 0.3 + wd * expected[1];
  const double m3 = kB1 * m2 + (1 - kB1) * g3;
  const double s3 = kB2 * s2 + (1 - kB2) * g3 * g3;
  expected[2] = expected[1] -
                kLr * (m3 / (1 - kB1 * kB1 * kB1)) / (std::sqrt(s3 / (1 - kB2 * kB2 * kB2)) + kEps);
  run_three_steps(spec, expected);
}

TEST_F(AdamOptimizerTest, AdamWDecaysWeightsBeforeTheAdamStep) {
  v1::OptimizerSpec spec;
  spec.mutable_adamw();
  spec.set_weight_decay(0.1f);
  const double wd = 0.1;
  double expected[3];
  // The moments see the raw gradient: same m, s as plain Adam.
  // t = 1
  const double m1 = (1 - kB1) * 0.2;
  const double s1 = (1 - kB2) * 0.04;
  const double shrunk1 = 0.5 - kLr * wd * 0.5;                                          // 0.4995
  expected[0] = shrunk1 - kLr * (m1 / (1 - kB1)) / (std::sqrt(s1 / (1 - kB2)) + kEps);  // ~0.4895
  // t = 2
  const double m2 = kB1 * m1 + (1 - kB1) * -0.1;
  const double s2 = kB2 * s1 + (1 - kB2) * 0.01;
  const double shrunk2 = expected[0] - kLr * wd * expected[0];
  expected[1] = shrunk2 - kLr * (m2 / (1 - kB1 * kB1)) / (std::sqrt(s2 / (1 - kB2 * kB2)) + kEps);
  // t = 3
  const double m3 = kB1 * m2 + (1 - kB1) * 0.3;
  const double s3 = kB2 * s2 + (1 - kB2) * 0.09;
  const double shrunk3 = expected[1] - kLr * wd * expected[1];
  expected[2] =
      shrunk3 - kLr * (m3 / (1 - kB1 * kB1 * kB1)) / (std::sqrt(s3 / (1 - kB2 * kB2 * kB2)) + kEps);
  run_three_steps(spec, expected);
}

TEST_F(AdamOptimizerTest, AdamWAndAdamWithL2Differ) {
  // Same data, same weight decay: after one step Adam's L2 form moves w by about
  // lr (normalized step) while AdamW additionally shrinks it by lr * wd * w.
  Parameter a = scalar(0.5f);
  Parameter b = scalar(0.5f);
  v1::OptimizerSpec adam_spec;
  adam_spec.mutable_adam();
  adam_spec.set_weight_decay(0.1f);
  v1::OptimizerSpec adamw_spec;
  adamw_spec.mutable_adamw();
  adamw_spec.set_weight_decay(0.1f);
  auto adam = build(adam_spec, {&a});
  auto adamw = build(adamw_spec, {&b});
  ASSERT_NE(adam, nullptr);
  ASSERT_NE(adamw, nullptr);
  a.stored_grad()[0] = 0.2f;
  b.stored_grad()[0] = 0.2f;
  adam->step(static_cast<float>(kLr));
  adamw->step(static_cast<float>(kLr));
  // Adam:  0.5 - 0.01 * 0.25 / (0.25 + eps)          = 0.49
  // AdamW: 0.5 * (1 - 0.01 * 0.1) - 0.01 * 0.2 / 0.2  = 0.4895
  EXPECT_NEAR(a.stored_value()[0] - b.stored_value()[0], 0.49 - 0.4895, kTolerance);
}

TEST_F(AdamOptimizerTest, AdamWSkipsDecayWhereDecayIsFalse) {
  double expected[3];
  plain_adam_reference(expected);
  v1::OptimizerSpec spec;
  spec.mutable_adamw();
  spec.set_weight_decay(0.1f);
  run_three_steps(spec, expected, /*decay=*/false);
}

TEST_F(AdamOptimizerTest, AdamSkipsL2WhereDecayIsFalse) {
  double expected[3];
  plain_adam_reference(expected);
  v1::OptimizerSpec spec;
  spec.mutable_adam();
  spec.set_weight_decay(0.1f);
  run_three_steps(spec, expected, /*decay=*/false);
}

TEST_F(AdamOptimizerTest, FactoryRejectsBeta1OutOfRange) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_adam()->set_beta1(1.5f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(built.status().message(), "optimizer.adam.beta1: 1.5 is out of range [0, 1)");
}

TEST_F(AdamOptimizerTest, FactoryNamesTheAdamWFieldForAdamW) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_adamw()->set_beta2(1.0f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(), "optimizer.adamw.beta2: 1 is out of range [0, 1)");
}

TEST_F(AdamOptimizerTest, FactoryRejectsZeroAndNanEpsilon) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_adam()->set_epsilon(0.0f);
  auto zero = make_optimizer(spec, {&p});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "optimizer.adam.epsilon: 0 is out of range (0, 1]");

  spec.mutable_adam()->set_epsilon(std::nanf(""));
  auto nan = make_optimizer(spec, {&p});
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gradstream::engine

// RmspropOptimizer, built through make_optimizer: the first steps on one-element
// parameters against torch.optim.RMSprop's formulas worked out here in double.
#include "engine/optim/rmsprop_optimizer.hpp"

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
constexpr double kRho = 0.99, kEps = 1e-8;  // PyTorch's defaults

class RmspropOptimizerTest : public ::testing::Test {
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

  // Steps with w0 = 0.5 and gradients 0.2, 0.1, -0.2, checking w after each
  // against `expected`.
  void run_three_steps(const v1::OptimizerSpec& spec, const double (&expected)[3],
                       bool decay = true) {
    Parameter p = scalar(0.5f, decay);
    auto opt = build(spec, {&p});
    ASSERT_NE(opt, nullptr);
    const float grads[] = {0.2f, 0.1f, -0.2f};
    for (int t = 0; t < 3; ++t) {
      p.stored_grad()[0] = grads[t];
      opt->step(static_cast<float>(kLr));
      EXPECT_NEAR(p.stored_value()[0], expected[t], kTolerance) << "after step " << t + 1;
    }
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
};

// Defaults, no momentum, no decay: w0 = 0.5, grads 0.2, 0.1, -0.2, lr 0.01.
void plain_rmsprop_reference(double (&w)[3]) {
  const double sq1 = (1 - kRho) * 0.04;               // 4e-4, sqrt 0.02
  w[0] = 0.5 - kLr * 0.2 / (std::sqrt(sq1) + kEps);   // ~0.4
  const double sq2 = kRho * sq1 + (1 - kRho) * 0.01;  // 4.96e-4
  w[1] = w[0] - kLr * 0.1 / (std::sqrt(sq2) + kEps);
  const double sq3 = kRho * sq2 + (1 - kRho) * 0.04;  // 8.9104e-4
  w[2] = w[1] - kLr * -0.2 / (std::sqrt(sq3) + kEps);
}

TEST_F(RmspropOptimizerTest, DefaultsMatchHandComputedSteps) {
  double expected[3];
  plain_rmsprop_reference(expected);
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop();
  run_three_steps(spec, expected);
}

TEST_F(RmspropOptimizerTest, MomentumAccumulatesNormalizedGradient) {
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_momentum(0.9f);
  const double mu = 0.9;
  double expected[3];
  const double sq1 = (1 - kRho) * 0.04;                           // 4e-4
  const double buf1 = 0.2 / (std::sqrt(sq1) + kEps);              // ~10 (buffer starts at 0)
  expected[0] = 0.5 - kLr * buf1;                                 // ~0.4
  const double sq2 = kRho * sq1 + (1 - kRho) * 0.01;              // 4.96e-4
  const double buf2 = mu * buf1 + 0.1 / (std::sqrt(sq2) + kEps);  // ~13.49
  expected[1] = expected[0] - kLr * buf2;                         // ~0.2651
  const double sq3 = kRho * sq2 + (1 - kRho) * 0.04;
  const double buf3 = mu * buf2 + -0.2 / (std::sqrt(sq3) + kEps);
  expected[2] = expected[1] - kLr * buf3;
  run_three_steps(spec, expected);
}

TEST_F(RmspropOptimizerTest, ExplicitRhoAndEpsilonAreUsed) {
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_rho(0.5f);
  spec.mutable_rmsprop()->set_epsilon(0.1f);
  const double rho = 0.5, eps = 0.1;
  double expected[3];
  const double sq1 = (1 - rho) * 0.04;  // 0.02
  expected[0] = 0.5 - kLr * 0.2 / (std::sqrt(sq1) + eps);
  const double sq2 = rho * sq1 + (1 - rho) * 0.01;  // 0.015
  expected[1] = expected[0] - kLr * 0.1 / (std::sqrt(sq2) + eps);
  const double sq3 = rho * sq2 + (1 - rho) * 0.04;  // 0.0275
  expected[2] = expected[1] - kLr * -0.2 / (std::sqrt(sq3) + eps);
  run_three_steps(spec, expected);
}

TEST_F(RmspropOptimizerTest, ExplicitZeroRhoIsNotReplacedByDefault) {
  // rho = 0 is set, so sq = g^2 and each step is lr * g / (|g| + eps).
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_rho(0.0f);
  double expected[3];
  expected[0] = 0.5 - kLr * 0.2 / (0.2 + kEps);           // ~0.49
  expected[1] = expected[0] - kLr * 0.1 / (0.1 + kEps);   // ~0.48
  expected[2] = expected[1] - kLr * -0.2 / (0.2 + kEps);  // ~0.49
  run_three_steps(spec, expected);
}

TEST_F(RmspropOptimizerTest, WeightDecayAddsL2TermToGradient) {
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop();
  spec.set_weight_decay(0.1f);
  const double wd = 0.1;
  double expected[3];
  const double g1 = 0.2 + wd * 0.5;                        // 0.25
  const double sq1 = (1 - kRho) * g1 * g1;                 // 6.25e-4
  expected[0] = 0.5 - kLr * g1 / (std::sqrt(sq1) + kEps);  // ~0.4
  const double g2 = 0.1 + wd * expected[0];
  const double sq2 = kRho * sq1 + (1 - kRho) * g2 * g2;
  expected[1] = expected[0] - kLr * g2 / (std::sqrt(sq2) + kEps);
  const double g3 = -0.2 + wd * expected[1];
  const double sq3 = kRho * sq2 + (1 - kRho) * g3 * g3;
  expected[2] = expected[1] - kLr * g3 / (std::sqrt(sq3) + kEps);
  run_three_steps(spec, expected);
}

TEST_F(RmspropOptimizerTest, WeightDecaySkippedWhereDecayIsFalse) {
  double expected[3];
  plain_rmsprop_reference(expected);
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop();
  spec.set_weight_decay(0.1f);
  run_three_steps(spec, expected, /*decay=*/false);
}

TEST_F(RmspropOptimizerTest, FactoryRejectsRhoOutOfRange) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_rho(1.0f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(built.status().message(), "optimizer.rmsprop.rho: 1 is out of range [0, 1)");
}

TEST_F(RmspropOptimizerTest, FactoryRejectsNegativeMomentum) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_momentum(-0.25f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(), "optimizer.rmsprop.momentum: -0.25 is out of range [0, 1)");
}

TEST_F(RmspropOptimizerTest, FactoryRejectsEpsilonAboveOne) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_rmsprop()->set_epsilon(2.0f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().message(), "optimizer.rmsprop.epsilon: 2 is out of range (0, 1]");
}

}  // namespace
}  // namespace gradstream::engine

// SgdOptimizer, built through make_optimizer: the first steps on one-element
// parameters against torch.optim.SGD's formulas worked out here in double.
#include "engine/optim/sgd_optimizer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/optim/optimizer.hpp"
#include "engine/core/parameter.hpp"

namespace gradstream::engine {
namespace {

// float state against a double reference over a few steps.
constexpr double kTolerance = 1e-6;

class SgdOptimizerTest : public ::testing::Test {
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

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
};

TEST_F(SgdOptimizerTest, PlainStepSubtractsLearningRateTimesGradient) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd();
  auto opt = build(spec, {&p});
  ASSERT_NE(opt, nullptr);
  const double lr = 0.1;

  p.stored_grad()[0] = 0.2f;
  opt->step(static_cast<float>(lr));
  const double w1 = 0.5 - lr * 0.2;  // 0.48
  EXPECT_NEAR(p.stored_value()[0], w1, kTolerance);

  p.stored_grad()[0] = -0.4f;
  opt->step(static_cast<float>(lr));
  const double w2 = w1 - lr * -0.4;  // 0.52
  EXPECT_NEAR(p.stored_value()[0], w2, kTolerance);
}

TEST_F(SgdOptimizerTest, MomentumStartsBufferAtFirstGradient) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd()->set_momentum(0.9f);
  auto opt = build(spec, {&p});
  ASSERT_NE(opt, nullptr);
  const double lr = 0.1, mu = 0.9;

  p.stored_grad()[0] = 0.2f;
  opt->step(static_cast<float>(lr));
  const double buf1 = 0.2;            // buf = g on the first step
  const double w1 = 0.5 - lr * buf1;  // 0.48
  EXPECT_NEAR(p.stored_value()[0], w1, kTolerance);

  p.stored_grad()[0] = 0.1f;
  opt->step(static_cast<float>(lr));
  const double buf2 = mu * buf1 + 0.1;  // 0.28
  const double w2 = w1 - lr * buf2;     // 0.452
  EXPECT_NEAR(p.stored_value()[0], w2, kTolerance);

  p.stored_grad()[0] = -0.3f;
  opt->step(static_cast<float>(lr));
  const double buf3 = mu * buf2 + -0.3;  // -0.048
  const double w3 = w2 - lr * buf3;      // 0.4568
  EXPECT_NEAR(p.stored_value()[0], w3, kTolerance);
}

TEST_F(SgdOptimizerTest, NesterovLooksAheadAlongVelocity) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd()->set_momentum(0.9f);
  spec.mutable_sgd()->set_nesterov(true);
  auto opt = build(spec, {&p});
  ASSERT_NE(opt, nullptr);
  const double lr = 0.1, mu = 0.9;

  p.stored_grad()[0] = 0.2f;
  opt->step(static_cast<float>(lr));
  const double buf1 = 0.2;
  const double d1 = 0.2 + mu * buf1;  // 0.38
  const double w1 = 0.5 - lr * d1;    // 0.462
  EXPECT_NEAR(p.stored_value()[0], w1, kTolerance);

  p.stored_grad()[0] = 0.1f;
  opt->step(static_cast<float>(lr));
  const double buf2 = mu * buf1 + 0.1;  // 0.28
  const double d2 = 0.1 + mu * buf2;    // 0.352
  const double w2 = w1 - lr * d2;       // 0.4268
  EXPECT_NEAR(p.stored_value()[0], w2, kTolerance);
}

TEST_F(SgdOptimizerTest, WeightDecayAddsL2TermToGradient) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd();
  spec.set_weight_decay(0.01f);
  auto opt = build(spec, {&p});
  ASSERT_NE(opt, nullptr);
  const double lr = 0.1, wd = 0.01;

  p.stored_grad()[0] = 0.2f;
  opt->step(static_cast<float>(lr));
  const double w1 = 0.5 - lr * (0.2 + wd * 0.5);  // 0.4795
  EXPECT_NEAR(p.stored_value()[0], w1, kTolerance);

  opt->step(static_cast<float>(lr));            // same gradient
  const double w2 = w1 - lr * (0.2 + wd * w1);  // 0.4590205
  EXPECT_NEAR(p.stored_value()[0], w2, kTolerance);
}

TEST_F(SgdOptimizerTest, WeightDecaySkippedWhereDecayIsFalse) {
  Parameter weights = scalar(0.5f, /*decay=*/true);
  Parameter bias = scalar(0.5f, /*decay=*/false);
  v1::OptimizerSpec spec;
  spec.mutable_sgd()->set_momentum(0.9f);
  spec.set_weight_decay(0.01f);
  auto opt = build(spec, {&weights, &bias});
  ASSERT_NE(opt, nullptr);
  const double lr = 0.1, wd = 0.01;

  weights.stored_grad()[0] = 0.2f;
  bias.stored_grad()[0] = 0.2f;
  opt->step(static_cast<float>(lr));
  EXPECT_NEAR(weights.stored_value()[0], 0.5 - lr * (0.2 + wd * 0.5), kTolerance);  // 0.4795
  EXPECT_NEAR(bias.stored_value()[0], 0.5 - lr * 0.2, kTolerance);                  // 0.48
}

TEST_F(SgdOptimizerTest, UpdatesEveryElementIndependently) {
  Parameter p = Parameter(eng_, "dense_0", "weights", {2, 2}, true);
  const float w0[] = {0.5f, -0.25f, 1.0f, 0.0f};
  const float g[] = {0.2f, 0.4f, -1.0f, 0.5f};
  for (int i = 0; i < 4; ++i) {
    p.stored_value()[i] = w0[i];
    p.stored_grad()[i] = g[i];
  }
  v1::OptimizerSpec spec;
  spec.mutable_sgd();
  auto opt = build(spec, {&p});
  ASSERT_NE(opt, nullptr);

  opt->step(0.5f);
  EXPECT_NEAR(p.stored_value()[0], 0.5 - 0.5 * 0.2, kTolerance);    // 0.4
  EXPECT_NEAR(p.stored_value()[1], -0.25 - 0.5 * 0.4, kTolerance);  // -0.45
  EXPECT_NEAR(p.stored_value()[2], 1.0 - 0.5 * -1.0, kTolerance);   // 1.5
  EXPECT_NEAR(p.stored_value()[3], 0.0 - 0.5 * 0.5, kTolerance);    // -0.25
}

TEST_F(SgdOptimizerTest, FactoryRejectsMomentumOutOfRange) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd()->set_momentum(1.0f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(built.status().message(), "optimizer.sgd.momentum: 1 is out of range [0, 1)");
}

TEST_F(SgdOptimizerTest, FactoryRejectsNesterovWithoutMomentum) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd()->set_nesterov(true);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(built.status().message(), "optimizer.sgd.nesterov: needs momentum > 0");
}

TEST_F(SgdOptimizerTest, FactoryRejectsWeightDecayOutOfRange) {
  Parameter p = scalar(0.5f);
  v1::OptimizerSpec spec;
  spec.mutable_sgd();
  spec.set_weight_decay(-0.5f);
  auto built = make_optimizer(spec, {&p});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(built.status().message(), "optimizer.weight_decay: -0.5 is out of range [0, 1)");
}

TEST_F(SgdOptimizerTest, FactoryRejectsNullParameter) {
  v1::OptimizerSpec spec;
  spec.mutable_sgd();
  auto built = make_optimizer(spec, {nullptr});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gradstream::engine

// validate_optimizer: each field at the ends of its range, accepted inside and
// rejected just outside with the whole message; NaN and infinity rejected;
// unset / 0 accepted where with_defaults fills a value in, and the filled-in
// values too; the cosine floor against the given or default learning rate;
// the first problem in field order. The ranges are spec.proto's comments
// (learning_rate (0, 10], weight_decay and the decay factors [0, 1), epsilons
// and gammas (0, 1], every_epochs at least 1 and at most the 10000 epochs a
// spec may ask for); the warm-up limit, 10^9 steps, is optimizer_validator.hpp's.
#include "engine/optim/optimizer_validator.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <ostream>
#include <string>

namespace gradstream::engine {
namespace {

using Mutation = std::function<void(v1::OptimizerSpec&)>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// ----- accepted ----------------------------------------------------------------

struct AcceptedCase {
  const char* name;
  Mutation mutate;  // applied to an empty OptimizerSpec
};

void PrintTo(const AcceptedCase& c, std::ostream* out) { *out << c.name; }

class OptimizerValidatorAccepts : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(OptimizerValidatorAccepts, Variation) {
  v1::OptimizerSpec spec;
  GetParam().mutate(spec);

  const Status status = validate_optimizer(spec);

  EXPECT_TRUE(status.ok()) << status.message();
}

const AcceptedCase kAcceptedCases[] = {
    // Unset everything: Adam with its defaults, the default rate, constant.
    {"all_unset", [](auto&) {}},
    {"rmsprop_fields_unset", [](auto& s) { s.mutable_rmsprop(); }},
    // What with_defaults writes for an empty spec (spec.proto's defaults).
    {"adam_defaults_filled_in",
     [](auto& s) {
       s.set_learning_rate(0.001f);
       s.mutable_adam()->set_beta1(0.9f);
       s.mutable_adam()->set_beta2(0.999f);
       s.mutable_adam()->set_epsilon(1e-8f);
       s.mutable_schedule()->mutable_constant();
     }},
    {"rmsprop_defaults_filled_in",
     [](auto& s) {
       s.set_learning_rate(0.01f);
       s.mutable_rmsprop()->set_rho(0.99f);
       s.mutable_rmsprop()->set_epsilon(1e-8f);
     }},
    // learning_rate (0, 10]; 0 selects the optimizer's default.
    {"learning_rate_zero_is_the_default", [](auto& s) { s.set_learning_rate(0.0f); }},
    {"learning_rate_smallest_positive",
     [](auto& s) { s.set_learning_rate(std::numeric_limits<float>::denorm_min()); }},
    {"learning_rate_at_the_limit", [](auto& s) { s.set_learning_rate(10.0f); }},
    // weight_decay [0, 1)
    {"weight_decay_zero", [](auto& s) { s.set_weight_decay(0.0f); }},
    {"weight_decay_just_under_one", [](auto& s) { s.set_weight_decay(0.999f); }},
    // sgd: momentum [0, 1), nesterov with momentum > 0
    {"sgd_momentum_zero", [](auto& s) { s.mutable_sgd()->set_momentum(0.0f); }},
    {"sgd_momentum_just_under_one", [](auto& s) { s.mutable_sgd()->set_momentum(0.999f); }},
    {"sgd_nesterov_with_momentum",
     [](auto& s) {
       s.mutable_sgd()->set_momentum(0.9f);
       s.mutable_sgd()->set_nesterov(true);
     }},
    // adam / adamw: beta1, beta2 [0, 1), epsilon (0, 1]
    {"adam_betas_zero",
     [](auto& s) {
       s.mutable_adam()->set_beta1(0.0f);
       s.mutable_adam()->set_beta2(0.0f);
     }},
    {"adam_epsilon_one", [](auto& s) { s.mutable_adam()->set_epsilon(1.0f); }},
    {"adamw_epsilon_tiny", [](auto& s) { s.mutable_adamw()->set_epsilon(1e-30f); }},
    // rmsprop: rho [0, 1), epsilon (0, 1], momentum [0, 1)
    {"rmsprop_rho_zero_epsilon_one_momentum_just_under_one",
     [](auto& s) {
       s.mutable_rmsprop()->set_rho(0.0f);
       s.mutable_rmsprop()->set_epsilon(1.0f);
       s.mutable_rmsprop()->set_momentum(0.999f);
     }},
    // schedule
    {"step_every_one_gamma_one",
     [](auto& s) {
       s.mutable_schedule()->mutable_step()->set_every_epochs(1);
       s.mutable_schedule()->mutable_step()->set_gamma(1.0f);
     }},
    {"step_every_the_most_epochs",
     [](auto& s) {
       s.mutable_schedule()->mutable_step()->set_every_epochs(10000);
       s.mutable_schedule()->mutable_step()->set_gamma(0.5f);
     }},
    {"exponential_gamma_one",
     [](auto& s) { s.mutable_schedule()->mutable_exponential()->set_gamma(1.0f); }},
    {"cosine_floor_zero", [](auto& s) { s.mutable_schedule()->mutable_cosine(); }},
    {"cosine_floor_equal_to_rate",
     [](auto& s) {
       s.set_learning_rate(0.05f);
       s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.05f);
     }},
    // Adam's default rate is 0.001; SGD's is 0.01.
    {"cosine_floor_equal_to_adams_default_rate",
     [](auto& s) { s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.001f); }},
    {"cosine_floor_under_sgds_default_rate",
     [](auto& s) {
       s.mutable_sgd();
       s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.005f);
     }},
    {"warmup_at_the_limit", [](auto& s) { s.mutable_schedule()->set_warmup_steps(1000000000); }},
};

INSTANTIATE_TEST_SUITE_P(OptimizerValidator, OptimizerValidatorAccepts,
                         ::testing::ValuesIn(kAcceptedCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ----- rejected ----------------------------------------------------------------

struct RejectedCase {
  const char* name;
  Mutation mutate;  // applied to an empty OptimizerSpec
  const char* message;
};

void PrintTo(const RejectedCase& c, std::ostream* out) { *out << c.name; }

class OptimizerValidatorRejects : public ::testing::TestWithParam<RejectedCase> {};

TEST_P(OptimizerValidatorRejects, WithTheWholeMessage) {
  v1::OptimizerSpec spec;
  GetParam().mutate(spec);

  const Status status = validate_optimizer(spec);

  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().message);
}

const RejectedCase kRejectedCases[] = {
    // learning_rate
    {"learning_rate_negative", [](auto& s) { s.set_learning_rate(-0.1f); },
     "optimizer.learning_rate: -0.1 is out of range (0, 10] (0 selects the optimizer's default)"},
    {"learning_rate_over_the_limit", [](auto& s) { s.set_learning_rate(10.5f); },
     "optimizer.learning_rate: 10.5 is out of range (0, 10] (0 selects the optimizer's default)"},
    {"learning_rate_nan", [](auto& s) { s.set_learning_rate(kNaN); },
     "optimizer.learning_rate: nan is out of range (0, 10] (0 selects the optimizer's default)"},
    {"learning_rate_infinite", [](auto& s) { s.set_learning_rate(kInf); },
     "optimizer.learning_rate: inf is out of range (0, 10] (0 selects the optimizer's default)"},
    // weight_decay
    {"weight_decay_one", [](auto& s) { s.set_weight_decay(1.0f); },
     "optimizer.weight_decay: 1 is out of range [0, 1)"},
    {"weight_decay_negative", [](auto& s) { s.set_weight_decay(-0.1f); },
     "optimizer.weight_decay: -0.1 is out of range [0, 1)"},
    {"weight_decay_nan", [](auto& s) { s.set_weight_decay(kNaN); },
     "optimizer.weight_decay: nan is out of range [0, 1)"},
    // sgd
    {"sgd_momentum_one", [](auto& s) { s.mutable_sgd()->set_momentum(1.0f); },
     "optimizer.sgd.momentum: 1 is out of range [0, 1)"},
    {"sgd_momentum_negative", [](auto& s) { s.mutable_sgd()->set_momentum(-0.5f); },
     "optimizer.sgd.momentum: -0.5 is out of range [0, 1)"},
    {"sgd_momentum_nan", [](auto& s) { s.mutable_sgd()->set_momentum(kNaN); },
     "optimizer.sgd.momentum: nan is out of range [0, 1)"},
    {"sgd_nesterov_without_momentum", [](auto& s) { s.mutable_sgd()->set_nesterov(true); },
     "optimizer.sgd.nesterov: needs momentum > 0"},
    // adam
    {"adam_beta1_one", [](auto& s) { s.mutable_adam()->set_beta1(1.0f); },
     "optimizer.adam.beta1: 1 is out of range [0, 1)"},
    {"adam_beta1_negative", [](auto& s) { s.mutable_adam()->set_beta1(-0.25f); },
     "optimizer.adam.beta1: -0.25 is out of range [0, 1)"},
    {"adam_beta2_one", [](auto& s) { s.mutable_adam()->set_beta2(1.0f); },
     "optimizer.adam.beta2: 1 is out of range [0, 1)"},
    {"adam_beta2_nan", [](auto& s) { s.mutable_adam()->set_beta2(kNaN); },
     "optimizer.adam.beta2: nan is out of range [0, 1)"},
    {"adam_epsilon_zero", [](auto& s) { s.mutable_adam()->set_epsilon(0.0f); },
     "optimizer.adam.epsilon: 0 is out of range (0, 1]"},
    {"adam_epsilon_over_one", [](auto& s) { s.mutable_adam()->set_epsilon(1.5f); },
     "optimizer.adam.epsilon: 1.5 is out of range (0, 1]"},
    // adamw: the same fields, under its own path
    {"adamw_beta1_one", [](auto& s) { s.mutable_adamw()->set_beta1(1.0f); },
     "optimizer.adamw.beta1: 1 is out of range [0, 1)"},
    {"adamw_beta2_negative", [](auto& s) { s.mutable_adamw()->set_beta2(-0.5f); },
     "optimizer.adamw.beta2: -0.5 is out of range [0, 1)"},
    {"adamw_epsilon_zero", [](auto& s) { s.mutable_adamw()->set_epsilon(0.0f); },
     "optimizer.adamw.epsilon: 0 is out of range (0, 1]"},
    {"adamw_epsilon_nan", [](auto& s) { s.mutable_adamw()->set_epsilon(kNaN); },
     "optimizer.adamw.epsilon: nan is out of range (0, 1]"},
    // rmsprop
    {"rmsprop_rho_one", [](auto& s) { s.mutable_rmsprop()->set_rho(1.0f); },
     "optimizer.rmsprop.rho: 1 is out of range [0, 1)"},
    {"rmsprop_rho_nan", [](auto& s) { s.mutable_rmsprop()->set_rho(kNaN); },
     "optimizer.rmsprop.rho: nan is out of range [0, 1)"},
    {"rmsprop_epsilon_zero", [](auto& s) { s.mutable_rmsprop()->set_epsilon(0.0f); },
     "optimizer.rmsprop.epsilon: 0 is out of range (0, 1]"},
    {"rmsprop_epsilon_over_one", [](auto& s) { s.mutable_rmsprop()->set_epsilon(2.0f); },
     "optimizer.rmsprop.epsilon: 2 is out of range (0, 1]"},
    {"rmsprop_momentum_one", [](auto& s) { s.mutable_rmsprop()->set_momentum(1.0f); },
     "optimizer.rmsprop.momentum: 1 is out of range [0, 1)"},
    {"rmsprop_momentum_negative", [](auto& s) { s.mutable_rmsprop()->set_momentum(-0.5f); },
     "optimizer.rmsprop.momentum: -0.5 is out of range [0, 1)"},
    // schedule.step
    {"step_every_zero", [](auto& s) { s.mutable_schedule()->mutable_step()->set_gamma(0.5f); },
     "optimizer.schedule.step.every_epochs: 0 is out of range [1, 10000]"},
    {"step_every_more_than_the_most_epochs",
     [](auto& s) {
       s.mutable_schedule()->mutable_step()->set_every_epochs(10001);
       s.mutable_schedule()->mutable_step()->set_gamma(0.5f);
     },
     "optimizer.schedule.step.every_epochs: 10001 is out of range [1, 10000]"},
    {"step_gamma_zero", [](auto& s) { s.mutable_schedule()->mutable_step()->set_every_epochs(2); },
     "optimizer.schedule.step.gamma: 0 is out of range (0, 1]"},
    {"step_gamma_over_one",
     [](auto& s) {
       s.mutable_schedule()->mutable_step()->set_every_epochs(2);
       s.mutable_schedule()->mutable_step()->set_gamma(1.5f);
     },
     "optimizer.schedule.step.gamma: 1.5 is out of range (0, 1]"},
    // schedule.exponential
    {"exponential_gamma_zero", [](auto& s) { s.mutable_schedule()->mutable_exponential(); },
     "optimizer.schedule.exponential.gamma: 0 is out of range (0, 1]"},
    {"exponential_gamma_over_one",
     [](auto& s) { s.mutable_schedule()->mutable_exponential()->set_gamma(1.5f); },
     "optimizer.schedule.exponential.gamma: 1.5 is out of range (0, 1]"},
    {"exponential_gamma_nan",
     [](auto& s) { s.mutable_schedule()->mutable_exponential()->set_gamma(kNaN); },
     "optimizer.schedule.exponential.gamma: nan is out of range (0, 1]"},
    // schedule.cosine: [0, learning_rate], the default rate when it is 0
    {"cosine_floor_above_rate",
     [](auto& s) {
       s.set_learning_rate(0.05f);
       s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.1f);
     },
     "optimizer.schedule.cosine.min_learning_rate: 0.1 is out of range [0, 0.05] (at most the "
     "learning rate)"},
    {"cosine_floor_above_adams_default_rate",
     [](auto& s) { s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.002f); },
     "optimizer.schedule.cosine.min_learning_rate: 0.002 is out of range [0, 0.001] (at most the "
     "learning rate)"},
    {"cosine_floor_above_sgds_default_rate",
     [](auto& s) {
       s.mutable_sgd();
       s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(0.02f);
     },
     "optimizer.schedule.cosine.min_learning_rate: 0.02 is out of range [0, 0.01] (at most the "
     "learning rate)"},
    {"cosine_floor_negative",
     [](auto& s) { s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(-1e-4f); },
     "optimizer.schedule.cosine.min_learning_rate: -0.0001 is out of range [0, 0.001] (at most "
     "the learning rate)"},
    {"cosine_floor_nan",
     [](auto& s) { s.mutable_schedule()->mutable_cosine()->set_min_learning_rate(kNaN); },
     "optimizer.schedule.cosine.min_learning_rate: nan is out of range [0, 0.001] (at most the "
     "learning rate)"},
    // schedule.warmup_steps
    {"warmup_over_the_limit", [](auto& s) { s.mutable_schedule()->set_warmup_steps(1000000001); },
     "optimizer.schedule.warmup_steps: 1000000001 is out of range [0, 1000000000]"},
};

INSTANTIATE_TEST_SUITE_P(OptimizerValidator, OptimizerValidatorRejects,
                         ::testing::ValuesIn(kRejectedCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ----- order -------------------------------------------------------------------

TEST(OptimizerValidatorTest, ReportsTheFirstProblemInFieldOrder) {
  // learning_rate, weight_decay, the kind's fields, then the schedule.
  v1::OptimizerSpec spec;
  spec.mutable_schedule()->set_warmup_steps(1000000001);
  spec.mutable_adam()->set_epsilon(0.0f);
  spec.mutable_adam()->set_beta2(1.0f);
  EXPECT_EQ(validate_optimizer(spec).message(), "optimizer.adam.beta2: 1 is out of range [0, 1)");
  spec.set_weight_decay(1.0f);
  EXPECT_EQ(validate_optimizer(spec).message(), "optimizer.weight_decay: 1 is out of range [0, 1)");
  spec.set_learning_rate(-1.0f);
  EXPECT_EQ(validate_optimizer(spec).message(),
            "optimizer.learning_rate: -1 is out of range (0, 10] (0 selects the optimizer's "
            "default)");
}

TEST(OptimizerValidatorTest, AScheduleErrorComesBeforeTheWarmUp) {
  v1::OptimizerSpec spec;
  spec.mutable_schedule()->mutable_exponential()->set_gamma(2.0f);
  spec.mutable_schedule()->set_warmup_steps(1000000001);

  EXPECT_EQ(validate_optimizer(spec).message(),
            "optimizer.schedule.exponential.gamma: 2 is out of range (0, 1]");
}

TEST(OptimizerValidatorTest, OnlyTheChosenKindsFieldsAreChecked) {
  // A oneof holds one kind: setting sgd drops the bad adam fields.
  v1::OptimizerSpec spec;
  spec.mutable_adam()->set_beta1(5.0f);
  spec.mutable_sgd()->set_momentum(0.5f);

  EXPECT_TRUE(validate_optimizer(spec).ok()) << validate_optimizer(spec).message();
}

}  // namespace
}  // namespace gradstream::engine

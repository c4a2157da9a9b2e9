// with_defaults: every defaulted field becomes explicit, explicit values and
// fields whose 0 means something are kept, and a second pass changes nothing.
// The expected defaults are the documented ones, written out: Adam's and
// RMSprop's coefficients and the reporting defaults from the comments in
// proto/gradstream/v1/spec.proto, threads and loss from spec_defaults.hpp's
// contract, the learning rates from the optimizers' conventions
// (optimizer.hpp: Adam and AdamW 1e-3, SGD and RMSprop 1e-2).
#include "engine/spec/spec_defaults.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"

namespace gradstream::engine {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::TrainingSpec example() {
  auto spec =
      read_spec_file(std::string(GRADSTREAM_SOURCE_DIR) + "/examples/fashion-mnist-mlp.json");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec.ok() ? spec.value() : v1::TrainingSpec{};
}

TEST(SpecDefaultsTest, FillsEveryDefaultOfAnEmptySpec) {
  const v1::TrainingSpec spec = with_defaults(v1::TrainingSpec{});

  EXPECT_EQ(spec.threads(), 1u);
  EXPECT_EQ(spec.loss(), v1::SOFTMAX_CROSS_ENTROPY);
  ASSERT_TRUE(spec.optimizer().has_adam());
  EXPECT_FLOAT_EQ(spec.optimizer().learning_rate(), 0.001f);
  ASSERT_TRUE(spec.optimizer().adam().has_beta1());
  ASSERT_TRUE(spec.optimizer().adam().has_beta2());
  ASSERT_TRUE(spec.optimizer().adam().has_epsilon());
  EXPECT_FLOAT_EQ(spec.optimizer().adam().beta1(), 0.9f);
  EXPECT_FLOAT_EQ(spec.optimizer().adam().beta2(), 0.999f);
  EXPECT_FLOAT_EQ(spec.optimizer().adam().epsilon(), 1e-8f);
  EXPECT_TRUE(spec.optimizer().schedule().has_constant());
  EXPECT_EQ(spec.reporting().step_every(), 1u);
  EXPECT_EQ(spec.reporting().histogram_bins(), 16u);
  EXPECT_EQ(spec.reporting().max_tensor_elements(), 65536u);
  EXPECT_EQ(spec.reporting().diagnostics_every(), 20u);  // README: default 20
  EXPECT_FALSE(spec.reporting().no_diagnostics());       // diagnostics are on
  ASSERT_TRUE(spec.has_distributed());                   // one worker, explicit
  EXPECT_EQ(spec.distributed().workers(), 1u);
  EXPECT_FALSE(spec.distributed().sync_batch_norm());
}

TEST(SpecDefaultsTest, LeavesFieldsWhereZeroIsMeaningful) {
  const v1::TrainingSpec spec = with_defaults(v1::TrainingSpec{});

  EXPECT_EQ(spec.reporting().gradient_every(), 0u);    // once per epoch
  EXPECT_EQ(spec.reporting().activation_every(), 0u);  // once per epoch
  EXPECT_EQ(spec.data().validation_fraction(), 0.0f);
  EXPECT_EQ(spec.optimizer().weight_decay(), 0.0f);
  EXPECT_EQ(spec.seed(), 0u);
  EXPECT_EQ(spec.data().preprocess(), v1::PREPROCESS_UNSPECIFIED);  // depends on the data
  EXPECT_EQ(spec.model().init(), v1::INITIALIZER_UNSPECIFIED);      // depends on the activation
}

TEST(SpecDefaultsTest, LearningRateDefaultsPerOptimizer) {
  v1::TrainingSpec sgd;
  sgd.mutable_optimizer()->mutable_sgd();
  EXPECT_FLOAT_EQ(with_defaults(sgd).optimizer().learning_rate(), 0.01f);

  v1::TrainingSpec rmsprop;
  rmsprop.mutable_optimizer()->mutable_rmsprop();
  const v1::TrainingSpec r = with_defaults(rmsprop);
  EXPECT_FLOAT_EQ(r.optimizer().learning_rate(), 0.01f);
  ASSERT_TRUE(r.optimizer().rmsprop().has_rho());
  ASSERT_TRUE(r.optimizer().rmsprop().has_epsilon());
  EXPECT_FLOAT_EQ(r.optimizer().rmsprop().rho(), 0.99f);
  EXPECT_FLOAT_EQ(r.optimizer().rmsprop().epsilon(), 1e-8f);
  EXPECT_EQ(r.optimizer().rmsprop().momentum(), 0.0f);

  v1::TrainingSpec adamw;
  adamw.mutable_optimizer()->mutable_adamw();
  const v1::TrainingSpec w = with_defaults(adamw);
  EXPECT_TRUE(w.optimizer().has_adamw());
  EXPECT_FLOAT_EQ(w.optimizer().learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(w.optimizer().adamw().beta1(), 0.9f);
  EXPECT_FLOAT_EQ(w.optimizer().adamw().beta2(), 0.999f);
  EXPECT_FLOAT_EQ(w.optimizer().adamw().epsilon(), 1e-8f);
}

TEST(SpecDefaultsTest, KeepsExplicitValues) {
  v1::TrainingSpec spec;
  spec.set_threads(2);
  spec.set_loss(v1::MSE);
  v1::OptimizerSpec& opt = *spec.mutable_optimizer();
  opt.set_learning_rate(0.05f);
  opt.mutable_adam()->set_beta1(0.8f);
  opt.mutable_adam()->set_epsilon(1e-6f);
  opt.mutable_schedule()->mutable_exponential()->set_gamma(0.5f);
  spec.mutable_reporting()->set_step_every(10);
  spec.mutable_reporting()->set_histogram_bins(64);
  spec.mutable_reporting()->set_max_tensor_elements(100);
  spec.mutable_reporting()->set_gradient_every(5);

  const v1::TrainingSpec out = with_defaults(spec);
  EXPECT_EQ(out.threads(), 2u);
  EXPECT_EQ(out.loss(), v1::MSE);
  EXPECT_FLOAT_EQ(out.optimizer().learning_rate(), 0.05f);
  EXPECT_FLOAT_EQ(out.optimizer().adam().beta1(), 0.8f);
  EXPECT_FLOAT_EQ(out.optimizer().adam().beta2(), 0.999f);  // only the absent one is filled
  EXPECT_FLOAT_EQ(out.optimizer().adam().epsilon(), 1e-6f);
  EXPECT_FLOAT_EQ(out.optimizer().schedule().exponential().gamma(), 0.5f);
  EXPECT_EQ(out.reporting().step_every(), 10u);
  EXPECT_EQ(out.reporting().histogram_bins(), 64u);
  EXPECT_EQ(out.reporting().max_tensor_elements(), 100u);
  EXPECT_EQ(out.reporting().gradient_every(), 5u);
}

TEST(SpecDefaultsTest, ExplicitZeroBetaIsKept) {
  // beta1 = 0 is a legal value (no momentum), distinct from absent.
  v1::TrainingSpec spec;
  spec.mutable_optimizer()->mutable_adam()->set_beta1(0.0f);
  const v1::TrainingSpec out = with_defaults(spec);
  EXPECT_EQ(out.optimizer().adam().beta1(), 0.0f);
}

TEST(SpecDefaultsTest, IsIdempotent) {
  v1::TrainingSpec sgd = example();
  sgd.mutable_optimizer()->mutable_sgd()->set_momentum(0.9f);
  v1::TrainingSpec rmsprop = example();
  rmsprop.mutable_optimizer()->mutable_rmsprop();
  for (const v1::TrainingSpec& spec : {v1::TrainingSpec{}, example(), sgd, rmsprop}) {
    const v1::TrainingSpec once = with_defaults(spec);
    const v1::TrainingSpec twice = with_defaults(once);
    EXPECT_TRUE(MessageDifferencer::Equals(once, twice)) << once.DebugString();
  }
}

TEST(SpecDefaultsTest, DefaultedExampleStillValidates) {
  const Status status = validate_spec(with_defaults(example()));
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(SpecDefaultsTest, DefaultLearningRateTable) {
  // An unset kind is Adam.
  EXPECT_FLOAT_EQ(default_learning_rate(v1::OptimizerSpec::KIND_NOT_SET), 0.001f);
  EXPECT_FLOAT_EQ(default_learning_rate(v1::OptimizerSpec::kAdam), 0.001f);
  EXPECT_FLOAT_EQ(default_learning_rate(v1::OptimizerSpec::kAdamw), 0.001f);
  EXPECT_FLOAT_EQ(default_learning_rate(v1::OptimizerSpec::kSgd), 0.01f);
  EXPECT_FLOAT_EQ(default_learning_rate(v1::OptimizerSpec::kRmsprop), 0.01f);
}

}  // namespace
}  // namespace gradstream::engine

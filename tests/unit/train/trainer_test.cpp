// Trainer: learning a small problem end to end, determinism (with dropout),
// failure on non-finite loss, cancellation, reports with values worked out
// from the setup.
#include "engine/train/trainer.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>
#include <random>
#include <tuple>

#include "engine/io/spec_io.hpp"
#include "engine/model/model_file.hpp"
#include "engine/spec/spec_validator.hpp"
#include "tests/unit/train/trainer_test_support.hpp"

namespace gradstream::engine {
namespace {

using testing::corner_images;
using testing::Recorder;
using testing::spiral_spec;
using testing::spiral_splits;
using testing::train;

TEST(TrainerTest, LearnsTwoSpirals) {
  Recorder recorder;
  const v1::DoneReport done = train(spiral_spec(), spiral_splits(), recorder);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  EXPECT_EQ(done.epochs(), 300U);
  EXPECT_EQ(done.steps(), 300U * 13U);  // 400 samples / 32 = 12 full batches + 1 partial
  ASSERT_EQ(recorder.done_calls, 1);
  EXPECT_GT(recorder.epochs.back().train_accuracy(), 0.97F);
  EXPECT_GT(done.final_test_accuracy(), 0.95F);
  EXPECT_LT(recorder.epochs.back().train_loss(), 0.1F * recorder.epochs.front().train_loss());
}

// Trains `spec` and returns its losses and the trained model's file.
std::pair<std::vector<float>, std::string> losses_and_model(const v1::TrainingSpec& spec) {
  auto trainer = Trainer::create(spec, spiral_splits());
  EXPECT_TRUE(trainer.ok()) << trainer.status().message();
  Recorder recorder;
  std::atomic<bool> cancel{false};
  (*trainer)->run(recorder, cancel);
  auto bytes = serialize_model((*trainer)->spec(), (*trainer)->model());
  EXPECT_TRUE(bytes.ok());
  return {recorder.losses, bytes.ok() ? *bytes : std::string()};
}

TEST(TrainerTest, SameSpecSeedThreadsAndIsaGiveIdenticalLossesAndWeights) {
  // Dropout at 0.3 between the hidden layers: its masks are part of what must
  // repeat (hashed from seed, call and index, whatever the thread count).
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(5);
  spec.set_threads(2);
  v1::LayerSpec dropout;
  dropout.mutable_dropout()->set_rate(0.3F);
  auto* layers = spec.mutable_model()->mutable_layers();
  *layers->Add() = dropout;
  for (int i = layers->size() - 1; i > 1; --i) layers->SwapElements(i, i - 1);  // after dense_0
  ASSERT_TRUE(validate_spec(spec).ok());

  const auto [first, first_model] = losses_and_model(spec);
  const auto [second, second_model] = losses_and_model(spec);
  ASSERT_EQ(first.size(), 5U * 13U);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(first[i], second[i]) << "step " << i + 1;  // bit for bit
  }
  EXPECT_EQ(first_model, second_model);  // every trained weight, bit for bit

  // The dropout is live: without it the very first loss already differs ...
  v1::TrainingSpec no_dropout = spec;
  no_dropout.mutable_model()->mutable_layers(1)->mutable_dropout()->set_rate(0.0F);
  EXPECT_NE(losses_and_model(no_dropout).first.front(), first.front());
  // ... and so does another seed.
  spec.set_seed(8);
  EXPECT_NE(losses_and_model(spec).first.front(), first.front());
}

TEST(TrainerTest, ACnnWithBatchNormAndDropoutRepeatsBitForBit) {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [1, 8, 8], "layers": [
      {"conv2d": {"filters": 8, "kernel": [3], "padding": [1], "noBias": true}},
      {"batchNorm": {}}, {"activation": {"name": "relu"}}, {"maxPool2d": {"kernel": [2]}},
      {"dropout": {"rate": 0.3}}, {"flatten": {}}, {"dense": {"units": 2}}]},
    "optimizer": {"adam": {}, "learningRate": 0.01},
    "data": {"builtin": "in-memory"}, "epochs": 3, "batchSize": 32, "seed": 5, "threads": 2})",
                              "cnn spec");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  auto run = [&](const v1::TrainingSpec& s) {
    auto trainer = Trainer::create(s, corner_images(9));
    EXPECT_TRUE(trainer.ok()) << trainer.status().message();
    Recorder recorder;
    std::atomic<bool> cancel{false};
    const v1::DoneReport done = (*trainer)->run(recorder, cancel);
    EXPECT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
    auto bytes = serialize_model((*trainer)->spec(), (*trainer)->model());
    return std::make_tuple(recorder.losses, bytes.ok() ? *bytes : std::string(),
                           recorder.epochs.back().train_accuracy());
  };
  const auto [losses, model, accuracy] = run(*spec);
  const auto [again, again_model, again_accuracy] = run(*spec);
  ASSERT_EQ(losses.size(), 3U * 8U);
  EXPECT_EQ(losses, again);       // bit for bit
  EXPECT_EQ(model, again_model);  // weights and running statistics too
  EXPECT_GT(accuracy, 0.9F);      // and it learned the corners
  v1::TrainingSpec other = *spec;
  other.set_seed(6);
  EXPECT_NE(std::get<0>(run(other)), losses);
}

TEST(TrainerTest, NonFiniteLossFailsNamingStepAndLayer) {
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(1);
  // Weights of 3e38 overflow float in the first layer's output (relu, unlike
  // tanh, passes the overflow on).
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  dense->mutable_activation()->set_name("relu");
  for (int i = 0; i < 2 * 64; ++i) dense->add_initial_weights(3e38F);
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(3e38F);
  Recorder recorder;
  const v1::DoneReport done = train(spec, spiral_splits(), recorder);
  EXPECT_EQ(done.outcome(), v1::DoneReport::FAILED);
  EXPECT_NE(done.reason().find("step 1:"), std::string::npos) << done.reason();
  EXPECT_NE(done.reason().find("dense_0"), std::string::npos) << done.reason();
  EXPECT_EQ(done.steps(), 1U);
}

class CancelAfter : public Recorder {
 public:
  CancelAfter(std::atomic<bool>& flag, uint64_t steps) : flag_(flag), steps_(steps) {}
  void on_step(const v1::StepReport& r) override {
    Recorder::on_step(r);
    if (r.step() == steps_) flag_ = true;
  }

 private:
  std::atomic<bool>& flag_;
  uint64_t steps_;
};

TEST(TrainerTest, CancellationStopsBetweenSteps) {
  auto trainer = Trainer::create(spiral_spec(), spiral_splits());
  ASSERT_TRUE(trainer.ok());
  std::atomic<bool> cancel{false};
  CancelAfter observer(cancel, 3);
  const v1::DoneReport done = (*trainer)->run(observer, cancel);
  EXPECT_EQ(done.outcome(), v1::DoneReport::CANCELLED);
  EXPECT_EQ(done.steps(), 3U);
  EXPECT_EQ(observer.losses.size(), 3U);
}

TEST(TrainerTest, ReportsGradientsAndActivationsEachEpoch) {
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(2);
  // Plain SGD, so the update is lr * gradient: its ratio to the weights is known.
  constexpr float kLr = 0.05F;
  spec.mutable_optimizer()->mutable_sgd();
  spec.mutable_optimizer()->set_learning_rate(kLr);
  spec.mutable_reporting()->set_send_gradient_tensors(true);
  spec.mutable_reporting()->set_max_tensor_elements(128);
  Recorder recorder;
  train(spec, spiral_splits(), recorder);
  ASSERT_EQ(recorder.gradients.size(), 2U);  // gradient_every 0: once per epoch
  const v1::GradientReport& g = recorder.gradients[0];
  ASSERT_EQ(g.parameters_size(), 6);  // three dense layers, weights and bias each
  EXPECT_EQ(g.parameters(0).layer(), "dense_0");
  EXPECT_EQ(g.parameters(0).parameter(), "weights");
  EXPECT_EQ(g.parameters(0).gradient_size(), 128);  // 64 x 2 <= 128: sent
  EXPECT_EQ(g.parameters(2).gradient_size(), 0);    // 64 x 64 > 128: not sent
  uint64_t in_histogram = 0;
  for (uint64_t c : g.parameters(2).gradient_histogram().counts()) in_histogram += c;
  EXPECT_EQ(in_histogram, 64U * 64U);
  double norm = 0;
  for (float v : g.parameters(0).gradient()) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(g.parameters(0).gradient_norm(), std::sqrt(norm), 1e-5);
  // ||w_after - w_before|| / ||w_after|| = lr ||g|| / ||w_after||.
  for (const v1::ParameterReport& p : g.parameters()) {
    const double expected = kLr * p.gradient_norm() / p.weight_norm();
    EXPECT_NEAR(p.update_ratio(), expected, 1e-4 * expected) << p.layer() << "/" << p.parameter();
  }
  ASSERT_EQ(recorder.activations.size(), 2U);
  ASSERT_EQ(recorder.activations[0].layers_size(), 2);
  EXPECT_EQ(recorder.activations[0].layers(0).layer(), "dense_0/tanh");
  EXPECT_EQ(recorder.activations[0].layers(0).activation(), "tanh");
}

TEST(TrainerTest, ActivationReportsMeasureSaturation) {
  // dense_0's weights 0 and biases +100 for 32 units, 0 for the other 32: the
  // first half outputs tanh(100) = 1 (saturated), the other tanh(0) = 0 for
  // every sample. A learning rate of 1e-7 keeps the weights where they are.
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(1);
  spec.mutable_optimizer()->set_learning_rate(1e-7F);
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 2 * 64; ++i) dense->add_initial_weights(0.0F);
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(i < 32 ? 100.0F : 0.0F);
  Recorder recorder;
  train(spec, spiral_splits(), recorder);
  ASSERT_EQ(recorder.activations.size(), 1U);
  const v1::ActivationLayerReport& tanh = recorder.activations[0].layers(0);
  EXPECT_NEAR(tanh.saturated_fraction(), 0.5F, 1e-6F);
  EXPECT_NEAR(tanh.mean(), 0.5F, 1e-4F);  // half 1, half 0
  EXPECT_NEAR(tanh.std(), 0.5F, 1e-4F);
}

TEST(TrainerTest, DeadReluLayerRaisesWarning) {
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(1);
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  dense->mutable_activation()->set_name("relu");
  // A large negative bias makes every unit output zero for every input.
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(-100.0F);
  Recorder recorder;
  train(spec, spiral_splits(), recorder);
  ASSERT_FALSE(recorder.activations.empty());
  EXPECT_EQ(recorder.activations[0].layers(0).dead_fraction(), 1.0F);
  ASSERT_FALSE(recorder.warnings.empty());
  EXPECT_EQ(recorder.warnings[0].kind(), "dead_relu");
  EXPECT_EQ(recorder.warnings[0].layer(), "dense_0/relu");
}

// Observers run on the trainer's thread, so they see its OpenMP budget.
class ThreadBudgetProbe : public Recorder {
 public:
  void on_step(const v1::StepReport& r) override {
    Recorder::on_step(r);
    max_threads = std::max(max_threads, omp_get_max_threads());
  }
  int max_threads = 0;
};

TEST(TrainerTest, RunsWithExactlyTheSpecsThreadBudget) {
  for (uint32_t threads : {1U, 2U}) {
    omp_set_num_threads(8);  // whatever the caller had must not leak into the job
    v1::TrainingSpec spec = spiral_spec();
    spec.set_epochs(1);
    spec.set_threads(threads);
    auto trainer = Trainer::create(spec, spiral_splits());
    ASSERT_TRUE(trainer.ok());
    ThreadBudgetProbe probe;
    std::atomic<bool> cancel{false};
    (*trainer)->run(probe, cancel);
    EXPECT_EQ(probe.max_threads, static_cast<int>(threads));
  }
}

TEST(TrainerTest, RejectsDataThatDoesNotFitTheModel) {
  v1::TrainingSpec spec = spiral_spec();
  spec.mutable_model()->set_input_shape(0, 3);
  auto trainer = Trainer::create(spec, spiral_splits());
  ASSERT_FALSE(trainer.ok());
  EXPECT_EQ(trainer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(trainer.status().message(),
            "model.input_shape: describes 3 features but the data's samples have 2");
}

}  // namespace
}  // namespace gradstream::engine

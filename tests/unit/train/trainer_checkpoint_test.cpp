// Trainer checkpoints: a run interrupted at step K and resumed by a new
// trainer from its checkpoint's bytes ends exactly where the uninterrupted run
// ends (every loss bit for bit, every report after K, the done report, the
// model file byte for byte), for specs that between them hold every kind of
// state a step depends on; also in a chain of interruptions and from every
// checkpoint taken by time.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/unit/train/checkpoint_test_support.hpp"

namespace gradstream::engine {
namespace {

using testing::Case;
using testing::EventLog;
using testing::expect_same_outcome;
using testing::make_trainer;
using testing::Outcome;
using testing::parse_checkpoint;
using testing::parse_spec;
using testing::train_in_pieces;
using testing::train_whole;

// Adam over the two spirals, one thread (so batches are gathered on a
// prefetch thread), gradient, activation and diagnostics reports off the
// epoch's rhythm. 400 samples in batches of 32: 12 full and one of 16.
Case spirals_adam() {
  v1::TrainingSpec spec = testing::spiral_spec();
  spec.set_epochs(3);
  spec.mutable_reporting()->set_gradient_every(5);
  spec.mutable_reporting()->set_activation_every(7);
  spec.mutable_reporting()->set_diagnostics_every(3);
  return {"spirals_adam", spec, testing::spiral_splits, 13};
}

// Dropout 0.3 after each hidden layer (both training pipelines, full and
// partial batch, draw masks), SGD with Nesterov momentum and weight decay, a
// step schedule halving the rate each epoch.
Case dropout_sgd_step() {
  return {"dropout_sgd_step", parse_spec(R"({
    "model": {"inputShape": [2], "layers": [
      {"dense": {"units": 48, "activation": {"name": "relu"}}}, {"dropout": {"rate": 0.3}},
      {"dense": {"units": 48, "activation": {"name": "relu"}}}, {"dropout": {"rate": 0.3}},
      {"dense": {"units": 2}}]},
    "optimizer": {"sgd": {"momentum": 0.9, "nesterov": true}, "learningRate": 0.05,
                  "weightDecay": 0.0001, "schedule": {"step": {"gamma": 0.5, "everyEpochs": 1}}},
    "data": {"builtin": "in-memory"}, "epochs": 3, "batchSize": 32, "seed": 11, "threads": 2,
    "reporting": {"stepEvery": 1, "gradientEvery": 4, "activationEvery": 6}})"),
          testing::spiral_splits, 13};
}

// RMSprop with momentum (both of its slots) under a cosine schedule with
// warm-up; half of dense_0's tanh units start saturated (bias 100), so the
// diagnostics warn early in each epoch and must not warn again after a resume.
Case rmsprop_cosine_saturated() {
  v1::TrainingSpec spec = parse_spec(R"({
    "model": {"inputShape": [2], "layers": [
      {"dense": {"units": 32, "activation": {"name": "tanh"}}},
      {"dense": {"units": 32, "activation": {"name": "sigmoid"}}}, {"dense": {"units": 2}}]},
    "optimizer": {"rmsprop": {"momentum": 0.5}, "learningRate": 0.005, "weightDecay": 0.001,
                  "schedule": {"cosine": {"minLearningRate": 0.0005}, "warmupSteps": 6}},
    "data": {"builtin": "in-memory"}, "epochs": 3, "batchSize": 32, "seed": 3, "threads": 2,
    "reporting": {"stepEvery": 1, "gradientEvery": 9, "diagnosticsEvery": 2}})");
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 32; ++i) dense->add_initial_bias(i < 16 ? 100.0F : 0.0F);
  return {"rmsprop_cosine_saturated", spec, testing::spiral_splits, 13};
}

// A CNN with batch norm (running statistics) and ReLU (dead-unit maxima per
// channel) on 8 x 8 images; 256 samples in batches of 24: 10 full and one of 16.
Case cnn_batch_norm() {
  return {"cnn_batch_norm", parse_spec(R"({
    "model": {"inputShape": [1, 8, 8], "layers": [
      {"conv2d": {"filters": 8, "kernel": [3], "padding": [1], "noBias": true}},
      {"batchNorm": {}}, {"activation": {"name": "relu"}}, {"maxPool2d": {"kernel": [2]}},
      {"flatten": {}}, {"dense": {"units": 2}}]},
    "optimizer": {"adam": {}, "learningRate": 0.01},
    "data": {"builtin": "in-memory"}, "epochs": 2, "batchSize": 24, "seed": 5, "threads": 2,
    "reporting": {"stepEvery": 1, "gradientEvery": 5, "activationEvery": 3,
                  "diagnosticsEvery": 2}})"),
          [] {
            DataSplits splits = testing::corner_images(9);
            splits.test = testing::corner_images(10).train;
            splits.has_test = true;
            return splits;
          },
          11};
}

// AdamW with batches that divide the data (400 / 40: no partial batch, one
// training pipeline), a validation set evaluated at each epoch's end, and a
// formula activation with a learned parameter (a trained scalar with its own
// moments).
Case adamw_even_batches() {
  v1::TrainingSpec spec = testing::spiral_spec();
  spec.set_epochs(3);
  spec.set_batch_size(40);
  spec.set_threads(2);
  spec.mutable_optimizer()->mutable_adamw();
  spec.mutable_optimizer()->set_weight_decay(0.01F);
  v1::ActivationSpec* swish =
      spec.mutable_model()->mutable_layers(1)->mutable_dense()->mutable_activation();
  swish->Clear();
  swish->set_expression("x * sigmoid(b * x)");
  (*swish->mutable_parameters())["b"] = 1.0F;
  return {"adamw_even_batches", spec,
          [] {
            DataSplits splits = testing::spiral_splits();
            splits.validation = testing::two_spirals(30, 3);
            splits.has_validation = true;
            return splits;
          },
          10};
}

class TrainerCheckpointTest : public ::testing::TestWithParam<Case (*)()> {
 protected:
  void SetUp() override {
    case_ = GetParam()();
    EventLog log;
    whole_ = train_whole(case_, log);
    ASSERT_EQ(whole_.done.outcome(), v1::DoneReport::SUCCEEDED) << whole_.done.reason();
    total_ = static_cast<uint64_t>(case_.batches_per_epoch) * case_.spec.epochs();
    ASSERT_EQ(whole_.losses.size(), total_);  // stepEvery 1: a loss per step
  }

  Case case_;
  Outcome whole_;
  uint64_t total_ = 0;
};

TEST_P(TrainerCheckpointTest, AResumedRunEndsExactlyAsTheUninterruptedOne) {
  const auto b = static_cast<uint64_t>(case_.batches_per_epoch);
  // Before the first step, after it, before an epoch's last (partial) batch,
  // right after an epoch's end, mid-epoch, before the run's last step.
  for (const uint64_t k : {uint64_t{0}, uint64_t{1}, b - 1, b, b + 3, total_ - 1}) {
    SCOPED_TRACE(case_.name + ", interrupted at step " + std::to_string(k));
    expect_same_outcome(train_in_pieces(case_, {k}), whole_);
  }
}

TEST_P(TrainerCheckpointTest, AChainOfInterruptionsEndsExactlyAsTheUninterruptedRun) {
  const auto b = static_cast<uint64_t>(case_.batches_per_epoch);
  SCOPED_TRACE(case_.name);
  // Twice at the same step (interrupted again as soon as it resumed), then
  // at an epoch's end and right after the resume that follows it.
  expect_same_outcome(train_in_pieces(case_, {b / 2, b / 2, b, b + 1, total_ - 2}), whole_);
}

TEST_P(TrainerCheckpointTest, EveryCheckpointTakenByTimeResumesExactly) {
  SCOPED_TRACE(case_.name);
  EventLog log;
  // An interval shorter than any step: a checkpoint before every step.
  const Outcome timed = train_whole(case_, log, 1e-9);
  expect_same_outcome(timed, whole_);  // checkpoints change nothing
  ASSERT_EQ(log.checkpoints.size(), total_);
  for (size_t i = 0; i < log.checkpoints.size(); i += 3) {
    const v1::TrainingCheckpoint checkpoint = parse_checkpoint(log.checkpoints[i]);
    ASSERT_EQ(checkpoint.step(), i);
    std::unique_ptr<Trainer> trainer = make_trainer(case_);
    ASSERT_TRUE(trainer->resume_from(checkpoint).ok()) << "step " << i;
    EventLog rest;
    std::atomic<bool> cancel{false};
    const v1::DoneReport done = trainer->run(rest, cancel);
    EXPECT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED);
    EXPECT_EQ(rest.losses,
              std::vector<float>(whole_.losses.begin() + log.losses_before[i], whole_.losses.end()))
        << "from step " << i;
    testing::expect_same_events(
        rest.events, std::vector<std::string>(whole_.events.begin() + log.events_before[i],
                                              whole_.events.end()));
    EXPECT_EQ(rest.done.ShortDebugString(), whole_.done.ShortDebugString());
    EXPECT_TRUE(testing::model_bytes(*trainer) == whole_.model) << "from step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Specs, TrainerCheckpointTest,
                         ::testing::Values(spirals_adam, dropout_sgd_step, rmsprop_cosine_saturated,
                                           cnn_batch_norm, adamw_even_batches));

TEST(TrainerCheckpointRunTest, TheSaturatedSpecWarnsMidEpoch) {
  // The resume tests above are only as strong as their reports: this spec's
  // warnings must exist, and come before its epochs' ends (steps 13, 26, 39).
  const Case c = rmsprop_cosine_saturated();
  testing::Recorder recorder;
  testing::train(c.spec, c.data(), recorder);
  size_t mid_epoch = 0;
  for (const v1::Warning& w : recorder.warnings) mid_epoch += w.step() % 13 != 0 ? 1 : 0;
  EXPECT_GE(mid_epoch, 3U);
}

TEST(TrainerCheckpointRunTest, AnInterruptDuringTheLastStepComesTooLate) {
  const Case c = spirals_adam();
  const uint64_t last = 3 * 13;
  EventLog log(last);
  std::unique_ptr<Trainer> trainer = make_trainer(c);
  RunControl control;
  control.interrupt = &log.interrupt;
  const v1::DoneReport done = trainer->run(log, control);
  EXPECT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED);
  EXPECT_EQ(done.steps(), last);
  EXPECT_TRUE(log.checkpoints.empty());
}

TEST(TrainerCheckpointRunTest, IntervalsThatAreNotPositiveOrTooLongTakeNoCheckpoint) {
  for (const double every : {0.0, -1.0, std::nan(""), 1e300}) {
    EventLog log;
    const Outcome outcome = train_whole(spirals_adam(), log, every);
    EXPECT_EQ(outcome.done.outcome(), v1::DoneReport::SUCCEEDED) << every;
    EXPECT_TRUE(log.checkpoints.empty()) << every;
  }
}

TEST(TrainerCheckpointRunTest, CancelWinsOverInterruptAndTakesNoCheckpoint) {
  std::unique_ptr<Trainer> trainer = make_trainer(spirals_adam());
  EventLog log(0);
  std::atomic<bool> cancel{true};
  RunControl control;
  control.cancel = &cancel;
  control.interrupt = &log.interrupt;
  const v1::DoneReport done = trainer->run(log, control);
  EXPECT_EQ(done.outcome(), v1::DoneReport::CANCELLED);
  EXPECT_TRUE(log.checkpoints.empty());
}

TEST(TrainerCheckpointRunTest, ATrainerInterruptedRunsOnFromWhereItStopped) {
  const Case c = dropout_sgd_step();
  EventLog whole_log;
  const Outcome whole = train_whole(c, whole_log);
  std::unique_ptr<Trainer> trainer = make_trainer(c);
  EventLog first(17);
  RunControl control;
  control.interrupt = &first.interrupt;
  ASSERT_EQ(trainer->run(first, control).outcome(), v1::DoneReport::INTERRUPTED);
  // The same trainer, without a checkpoint: it goes on from step 18. (Its
  // checkpoint now differs from the one taken only in the run's seconds and
  // so in its digest.)
  v1::TrainingCheckpoint now = trainer->checkpoint();
  v1::TrainingCheckpoint taken = parse_checkpoint(first.checkpoints.at(0));
  EXPECT_GE(now.run_seconds(), taken.run_seconds());
  for (v1::TrainingCheckpoint* c : {&now, &taken}) {
    c->clear_run_seconds();
    c->clear_digest();
  }
  EXPECT_EQ(now.SerializeAsString(), taken.SerializeAsString());
  EventLog second;
  std::atomic<bool> cancel{false};
  const v1::DoneReport done = trainer->run(second, cancel);
  EXPECT_EQ(done.steps(), whole.done.steps());
  first.losses.insert(first.losses.end(), second.losses.begin(), second.losses.end());
  EXPECT_EQ(first.losses, whole.losses);
  EXPECT_TRUE(testing::model_bytes(*trainer) == whole.model);
}

TEST(TrainerCheckpointRunTest, TheCheckpointSaysWhereTheRunIs) {
  const Case c = cnn_batch_norm();
  std::unique_ptr<Trainer> trainer = make_trainer(c);
  EventLog log(11 + 4);  // epoch 2, after 4 of its 11 batches
  RunControl control;
  control.interrupt = &log.interrupt;
  const v1::DoneReport done = trainer->run(log, control);
  EXPECT_EQ(done.epochs(), 2U);
  const v1::TrainingCheckpoint checkpoint = parse_checkpoint(log.checkpoints.at(0));
  EXPECT_EQ(checkpoint.step(), 15U);
  EXPECT_EQ(checkpoint.epoch(), 2U);
  EXPECT_EQ(checkpoint.batch(), 4U);
  EXPECT_EQ(checkpoint.epoch_progress().seen(), 4 * 24);
  // Each layer's parameters, then its state (batch norm's running statistics).
  std::vector<std::string> names;
  for (const v1::Tensor& t : checkpoint.tensors()) names.push_back(t.name());
  EXPECT_EQ(names, (std::vector<std::string>{"weights", "scale", "shift", "running_mean",
                                             "running_var", "weights", "bias"}));
  EXPECT_EQ(checkpoint.optimizer().kind(), "adam");
  EXPECT_EQ(checkpoint.optimizer().steps(), 15U);
  ASSERT_EQ(checkpoint.pipelines_size(), 2);  // batches of 16 and 24, no dropout
  EXPECT_EQ(checkpoint.pipelines(0).batch(), 16);
  EXPECT_EQ(checkpoint.pipelines(1).batch(), 24);
  ASSERT_EQ(checkpoint.diagnostics().relu_maxima_size(), 1);
  EXPECT_EQ(checkpoint.diagnostics().relu_maxima(0).maxima_size(), 8);  // a maximum per channel
  EXPECT_EQ(checkpoint.threads(), 2U);
  EXPECT_FALSE(checkpoint.isa().empty());
  // An epoch report was sent for epoch 1 only.
  size_t epoch_reports = 0;
  for (const std::string& e : log.events) epoch_reports += e.rfind("epoch", 0) == 0 ? 1 : 0;
  EXPECT_EQ(epoch_reports, 1U);
}

}  // namespace
}  // namespace gradstream::engine

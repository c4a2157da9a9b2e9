// Trainer::resume_from refusing what it cannot resume exactly: a checkpoint of
// another spec or data (failed_precondition), a damaged or truncated one
// (invalid_argument), each named; a refused checkpoint leaves the trainer as
// create left it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/train/checkpoint_test_support.hpp"

namespace gradstream::engine {
namespace {

using testing::Case;
using testing::EventLog;
using testing::make_trainer;
using testing::parse_checkpoint;
using testing::train_whole;

// The two spirals with small layers (a small checkpoint to cut at every
// byte), dropout (pipeline counters) and ReLU (dead-unit maxima); 13 batches
// an epoch.
Case small_spirals() {
  v1::TrainingSpec spec = testing::spiral_spec();
  spec.set_epochs(2);
  auto* layers = spec.mutable_model()->mutable_layers();
  for (int i = 0; i < 2; ++i) {
    layers->Mutable(i)->mutable_dense()->set_units(8);
    layers->Mutable(i)->mutable_dense()->mutable_activation()->set_name("relu");
  }
  v1::LayerSpec dropout;
  dropout.mutable_dropout()->set_rate(0.25F);
  *layers->Add() = dropout;
  for (int i = layers->size() - 1; i > 1; --i) layers->SwapElements(i, i - 1);  // after dense_0
  return {"small_spirals", spec, testing::spiral_splits, 13};
}

class TrainerCheckpointRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    case_ = small_spirals();
    EventLog log;
    whole_ = train_whole(case_, log, 1e-9);  // a checkpoint before every step
    ASSERT_EQ(log.checkpoints.size(), 26U);
    bytes_ = log.checkpoints[17];
    checkpoint_ = parse_checkpoint(bytes_);
  }

  // A trainer of `other` (the case's by default) that refuses `checkpoint`
  // with `code` and a message holding `says` (the whole message, or a part).
  void expect_refused(const v1::TrainingCheckpoint& checkpoint, StatusCode code,
                      const std::string& says, const Case* other = nullptr) {
    std::unique_ptr<Trainer> trainer = make_trainer(other != nullptr ? *other : case_);
    const Status status = trainer->resume_from(checkpoint);
    EXPECT_EQ(status.code(), code) << status.message();
    EXPECT_NE(status.message().find(says), std::string::npos) << status.message();
    EXPECT_EQ(status.message().rfind("checkpoint: ", 0), 0U) << status.message();
  }

  Case case_;
  testing::Outcome whole_;
  std::string bytes_;
  v1::TrainingCheckpoint checkpoint_;
};

TEST_F(TrainerCheckpointRefusalTest, ACheckpointOfALayerOfAnotherSizeNamesTheTensor) {
  Case wider = case_;
  wider.spec.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(9);
  expect_refused(checkpoint_, StatusCode::kFailedPrecondition,
                 "checkpoint: tensor \"dense_0/weights\": shape [8, 2] does not match the "
                 "model's [9, 2]",
                 &wider);
}

TEST_F(TrainerCheckpointRefusalTest, ACheckpointOfAnotherSeedNamesTheSeeds) {
  Case reseeded = case_;
  reseeded.spec.set_seed(8);
  expect_refused(checkpoint_, StatusCode::kFailedPrecondition,
                 "checkpoint: fingerprint.seed: seed 7 in the checkpoint, seed 8 for this "
                 "trainer; resume with the spec and data it was taken from",
                 &reseeded);
}

TEST_F(TrainerCheckpointRefusalTest, ACheckpointOfAnotherSpecOrDataIsRefused) {
  Case faster = case_;
  faster.spec.mutable_optimizer()->set_learning_rate(0.02F);
  expect_refused(checkpoint_, StatusCode::kFailedPrecondition, "fingerprint.spec_hash", &faster);
  Case longer = case_;
  longer.spec.set_epochs(3);  // the schedule and the epochs to run depend on it
  expect_refused(checkpoint_, StatusCode::kFailedPrecondition, "fingerprint.spec_hash", &longer);
  Case fewer = case_;
  fewer.data = [] {
    DataSplits splits = testing::spiral_splits();
    splits.train = testing::two_spirals(150, 1);
    return splits;
  };
  expect_refused(checkpoint_, StatusCode::kFailedPrecondition,
                 "fingerprint.train_samples: 400 training samples in the checkpoint, 300", &fewer);
}

TEST_F(TrainerCheckpointRefusalTest, AnotherThreadCountIsNotAnotherSpec) {
  // Threads change the last bits of sums, not what is trained: a job may
  // resume with another budget (exactly only with the same).
  Case two_threads = case_;
  two_threads.spec.set_threads(2);
  std::unique_ptr<Trainer> trainer = make_trainer(two_threads);
  ASSERT_TRUE(trainer->resume_from(checkpoint_).ok());
  EventLog log;
  std::atomic<bool> cancel{false};
  EXPECT_EQ(trainer->run(log, cancel).outcome(), v1::DoneReport::SUCCEEDED);
  EXPECT_EQ(log.losses.size(), 26U - 17U);
}

TEST_F(TrainerCheckpointRefusalTest, DamagedCheckpointsAreRefusedNamingTheField) {
  const auto damaged = [&](auto damage) {
    v1::TrainingCheckpoint c = checkpoint_;
    damage(c);
    return c;
  };
  using C = v1::TrainingCheckpoint;
  constexpr auto kInvalid = StatusCode::kInvalidArgument;
  expect_refused(v1::TrainingCheckpoint(), StatusCode::kFailedPrecondition,
                 "tensors: 0, the spec's model has 6");
  expect_refused(damaged([](C& c) { c.mutable_tensors(3)->mutable_values()->RemoveLast(); }),
                 kInvalid, "tensor \"dense_2/bias\": has 7 values, its shape [8] needs 8");
  expect_refused(damaged([](C& c) { c.mutable_tensors()->SwapElements(0, 1); }),
                 StatusCode::kFailedPrecondition,
                 "tensors[0] is \"dense_0/bias\", the spec's model expects \"dense_0/weights\"");
  expect_refused(damaged([](C& c) { c.set_epoch(3); }), kInvalid,
                 "epoch: 3 is out of range [1, 2]");
  expect_refused(damaged([](C& c) { c.set_batch(13); }), kInvalid,
                 "batch: 13 is out of range [0, 13)");
  expect_refused(damaged([](C& c) { c.set_step(18); }), kInvalid,
                 "step: 18, epoch 2 after 4 batches is step 17");
  expect_refused(damaged([](C& c) { c.mutable_epoch_progress()->set_seen(100); }), kInvalid,
                 "epoch_progress.seen: 100, 4 batches of 32 make 128");
  expect_refused(damaged([](C& c) { c.mutable_epoch_progress()->set_correct(129); }), kInvalid,
                 "epoch_progress.correct: 129 is out of range [0, 128]");
  expect_refused(damaged([](C& c) { c.mutable_optimizer()->set_kind("sgd"); }), kInvalid,
                 "optimizer.kind: \"sgd\", this trainer's is \"adam\"");
  expect_refused(damaged([](C& c) { c.mutable_optimizer()->mutable_slots()->RemoveLast(); }),
                 kInvalid, "optimizer.slots: 1 slots, adam here keeps 2");
  expect_refused(damaged([](C& c) {
                   c.mutable_optimizer()->mutable_slots(1)->mutable_tensors(2)->clear_values();
                 }),
                 kInvalid, "optimizer.slots[1]: tensor \"dense_2/weights\": has 0 values");
  expect_refused(damaged([](C& c) { c.mutable_optimizer()->set_steps(16); }), kInvalid,
                 "optimizer.steps: 16, one update a step makes 17");
  expect_refused(damaged([](C& c) { c.mutable_pipelines()->RemoveLast(); }), kInvalid,
                 "pipelines: 1, this trainer has 2 (one per batch size)");
  expect_refused(damaged([](C& c) { c.mutable_pipelines(0)->set_batch(32); }), kInvalid,
                 "pipelines[0].batch: 32, expected 16");
  expect_refused(damaged([](C& c) { c.mutable_pipelines(1)->mutable_layers(0)->add_counters(1); }),
                 kInvalid,
                 "pipelines[1].layers[0].counters: 2 values, layer \"dropout_1\" keeps 1");
  expect_refused(damaged([](C& c) { c.clear_diagnostics(); }), kInvalid,
                 "diagnostics: missing, this spec runs them");
  expect_refused(damaged([](C& c) {
                   c.mutable_diagnostics()->mutable_relu_maxima(0)->mutable_maxima()->RemoveLast();
                 }),
                 kInvalid, "diagnostics.relu_maxima[0].maxima: 7 values, layer");
  // Damage that still fits every field: the digest catches it.
  expect_refused(damaged([](C& c) { c.mutable_tensors(0)->set_values(5, 0.5F); }), kInvalid,
                 "digest: ");
  expect_refused(damaged([](C& c) { c.set_run_seconds(c.run_seconds() + 1); }), kInvalid,
                 "does not match the content's");
  expect_refused(damaged([](C& c) { c.clear_digest(); }), kInvalid, "digest: missing");
}

TEST_F(TrainerCheckpointRefusalTest, EveryTruncationThatStillParsesIsRefused) {
  std::unique_ptr<Trainer> trainer = make_trainer(case_);
  int parsed = 0;
  for (size_t size = 0; size < bytes_.size(); ++size) {
    v1::TrainingCheckpoint cut;
    // A prefix ending between two fields parses as a valid (smaller) message.
    if (!cut.ParseFromString(bytes_.substr(0, size))) continue;
    ++parsed;
    const Status status = trainer->resume_from(cut);
    EXPECT_FALSE(status.ok()) << "cut to " << size << " of " << bytes_.size() << " bytes";
  }
  EXPECT_GT(parsed, 10);  // the refusals above were resume_from's, not the parser's
  // The refusals changed nothing: the trainer trains as a new one.
  EventLog log;
  std::atomic<bool> cancel{false};
  trainer->run(log, cancel);
  EXPECT_EQ(log.losses, whole_.losses);
  EXPECT_TRUE(testing::model_bytes(*trainer) == whole_.model);
}

TEST_F(TrainerCheckpointRefusalTest, AfterARefusalTheRightCheckpointStillResumesExactly) {
  std::unique_ptr<Trainer> trainer = make_trainer(case_);
  v1::TrainingCheckpoint bad = checkpoint_;
  bad.mutable_diagnostics()->mutable_relu_maxima(0)->set_layer("dense_9/relu");
  ASSERT_FALSE(trainer->resume_from(bad).ok());
  ASSERT_TRUE(trainer->resume_from(checkpoint_).ok());
  EventLog log;
  std::atomic<bool> cancel{false};
  const v1::DoneReport done = trainer->run(log, cancel);
  EXPECT_EQ(log.losses, std::vector<float>(whole_.losses.begin() + 17, whole_.losses.end()));
  EXPECT_TRUE(testing::model_bytes(*trainer) == whole_.model);
  // The run's seconds go on from the checkpoint's.
  EXPECT_GE(done.seconds(), checkpoint_.run_seconds());
}

}  // namespace
}  // namespace gradstream::engine

// What the data-parallel trainer tests share: a 10-class synthetic problem
// (Gaussian blobs in 20 dimensions), and runs of N ranks, each a thread of
// this process with its own Trainer (1 OpenMP thread) and GlooCollective over
// one HashStore and loopback TCP, set against the same spec in one process.
#pragma once

#include <gloo/rendezvous/hash_store.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/distributed/gloo_collective.hpp"
#include "engine/model/model_file.hpp"
#include "tests/unit/train/checkpoint_test_support.hpp"
#include "tests/unit/train/trainer_test_support.hpp"

namespace gradstream::engine::testing {

inline constexpr int64_t kBlobFeatures = 20;
inline constexpr int kBlobClasses = 10;

// Class c's rows scatter (sd 1.2) around a centre drawn once (seed 99), so
// the classes overlap: accuracy stays below 1 and keeps moving while training.
inline Dataset blobs(int64_t count, uint64_t seed) {
  std::mt19937_64 centres_rng(99);
  std::normal_distribution<double> unit;
  std::vector<double> centres(kBlobClasses * kBlobFeatures);
  for (double& c : centres) c = unit(centres_rng);
  Dataset d;
  d.sample_shape = {kBlobFeatures};
  d.count = count;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng() % kBlobClasses);
    for (int64_t f = 0; f < kBlobFeatures; ++f) {
      d.features.push_back(
          static_cast<float>(centres[label * kBlobFeatures + f] + 1.2 * unit(rng)));
    }
    d.labels.push_back(label);
  }
  return d;
}

inline DataSplits blob_splits(int64_t train_rows) {
  DataSplits splits;
  splits.train = blobs(train_rows, 1);
  splits.test = blobs(1000, 2);
  splits.has_test = true;
  splits.num_classes = kBlobClasses;
  return splits;
}

// An MLP on the blobs; `extra` is JSON spliced into the spec's top level.
inline v1::TrainingSpec blob_mlp_spec(
    int workers, int batch, int epochs,
    const std::string& layers =
        R"({"dense": {"units": 64, "activation": {"name": "relu"}}},
       {"dense": {"units": 32, "activation": {"name": "tanh"}}},)") {
  return parse_spec(R"({
    "model": {"inputShape": [20], "init": "HE_NORMAL", "layers": [)" +
                    layers + R"(
      {"dense": {"units": 10}}]},
    "optimizer": {"sgd": {"momentum": 0.9}, "learningRate": 0.02},
    "data": {"builtin": "in-memory"},
    "epochs": )" + std::to_string(epochs) +
                    R"(, "batchSize": )" + std::to_string(batch) +
                    R"(, "seed": 11, "threads": 1,
    "distributed": {"workers": )" +
                    std::to_string(workers) +
                    R"(},
    "reporting": {"stepEvery": 1, "noDiagnostics": true}})");
}

// What one rank's run produced.
struct RankRun {
  v1::DoneReport done;
  std::vector<float> losses;                // its step reports (rank 0 only)
  std::vector<v1::StepReport> steps;        // the same reports whole
  std::vector<std::string> checkpoints;     // serialized, rank 0 only
  std::vector<std::vector<float>> tensors;  // every model tensor at the end, row-major
  std::string model;                        // serialize_model at the end
};

class RankLog : public EventLog {
 public:
  using EventLog::EventLog;
  void on_step(const v1::StepReport& r) override {
    EventLog::on_step(r);
    steps.push_back(r);
    if (step_hook) step_hook(r);
  }
  std::vector<v1::StepReport> steps;
  std::function<void(const v1::StepReport&)> step_hook;
};

// Per rank, before its run: a checkpoint to resume from, its RunControl's
// flags and a hook called with rank 0's step reports.
struct RankSetup {
  std::string resume;  // serialized checkpoint, empty: from the start
  std::function<void(int rank, RunControl&)> control;
  std::function<void(const v1::StepReport&)> rank0_step_hook;
  GlooOptions gloo;
};

inline std::vector<std::vector<float>> model_tensors(Trainer& trainer) {
  std::vector<std::vector<float>> out;
  for (const Parameter* p : trainer.model().parameters()) {
    std::vector<float> v(static_cast<size_t>(p->size()));
    p->read_value(v.data());
    out.push_back(std::move(v));
  }
  return out;
}

// Trains `spec` on `ranks` threads, each with a copy of `data`.
inline std::vector<RankRun> train_ranks(const v1::TrainingSpec& spec, const DataSplits& data,
                                        int ranks, const RankSetup& setup = {}) {
  gloo::rendezvous::HashStore store;
  std::vector<RankRun> runs(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      auto collective = GlooCollective::connect(store, r, ranks, setup.gloo);
      ASSERT_TRUE(collective.ok()) << collective.status().message();
      auto trainer =
          Trainer::create(spec, data, std::shared_ptr<Collective>(std::move(collective).value()));
      ASSERT_TRUE(trainer.ok()) << trainer.status().message();
      if (!setup.resume.empty()) {
        const Status resumed = (*trainer)->resume_from(parse_checkpoint(setup.resume));
        ASSERT_TRUE(resumed.ok()) << resumed.message();
      }
      RankLog log;
      if (r == 0) log.step_hook = setup.rank0_step_hook;
      RunControl control;
      if (setup.control) setup.control(r, control);
      RankRun& run = runs[static_cast<size_t>(r)];
      run.done = (*trainer)->run(log, control);
      EXPECT_EQ(log.done_calls, 1);
      run.losses = log.losses;
      run.steps = log.steps;
      run.checkpoints = log.checkpoints;
      run.tensors = model_tensors(**trainer);
      run.model = model_bytes(**trainer);
    });
  }
  for (auto& t : threads) t.join();
  return runs;
}

// The same spec with one worker, in this thread.
inline RankRun train_one_process(v1::TrainingSpec spec, const DataSplits& data) {
  spec.mutable_distributed()->set_workers(1);
  auto trainer = Trainer::create(spec, data);
  EXPECT_TRUE(trainer.ok()) << trainer.status().message();
  RankLog log;
  RunControl control;
  RankRun run;
  run.done = (*trainer)->run(log, control);
  run.losses = log.losses;
  run.steps = log.steps;
  run.tensors = model_tensors(**trainer);
  return run;
}

// Every step's loss within `relative` of the one-process run's.
inline void expect_losses_near(const std::vector<float>& got, const std::vector<float>& want,
                               double relative) {
  ASSERT_EQ(got.size(), want.size());
  double worst = 0.0;
  size_t worst_step = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::abs(static_cast<double>(got[i]) - want[i]) / std::abs(want[i]);
    if (d > worst) {
      worst = d;
      worst_step = i + 1;
    }
  }
  EXPECT_LE(worst, relative) << "worst at step " << worst_step;
  char text[32];
  std::snprintf(text, sizeof text, "%.3g at step %zu", worst, worst_step);
  ::testing::Test::RecordProperty("worst_relative_loss_difference", text);
}

}  // namespace gradstream::engine::testing

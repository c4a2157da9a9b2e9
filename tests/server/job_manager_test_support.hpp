// Shared by the JobManager tests: tiny separable data sets and specs whose jobs
// live for milliseconds, loaders, and waiting for a job's log or state.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_validator.hpp"
#include "server/job_manager.hpp"

namespace gradstream::server::job_manager_test {

inline constexpr std::chrono::seconds kTimeout{60};

// Points on either side of the line x0 + x1 = 0: a tiny MLP learns it in a
// few epochs, so a job's whole life takes milliseconds.
inline engine::Dataset separable(int64_t count, uint64_t seed) {
  engine::Dataset d;
  d.sample_shape = {2};
  d.count = count;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
  for (int64_t i = 0; i < count; ++i) {
    const float x0 = uniform(rng);
    const float x1 = uniform(rng);
    d.features.insert(d.features.end(), {x0, x1});
    d.labels.push_back(x0 + x1 > 0.0F ? 1 : 0);
  }
  return d;
}

inline engine::DataSplits splits(int64_t train_count = 64) {
  engine::DataSplits s;
  s.train = separable(train_count, 1);
  s.test = separable(64, 2);
  s.has_test = true;
  s.num_classes = 2;
  return s;
}

// What a job is queued with: a loader giving it splits() when it starts.
inline JobManager::DataLoader loader() {
  return []() -> engine::Result<engine::DataSplits> { return splits(); };
}

inline v1::TrainingSpec spec(uint32_t epochs, uint32_t batch_size = 16) {
  auto parsed = engine::parse_spec_json(R"({
      "model": {"inputShape": [2], "layers": [
        {"dense": {"units": 8, "activation": {"name": "tanh"}}}, {"dense": {"units": 2}}]},
      "optimizer": {"adam": {}, "learningRate": 0.05},
      "data": {"datasetId": "in-memory"}, "seed": 3})",
                                        "test spec");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  parsed->set_epochs(epochs);
  parsed->set_batch_size(batch_size);
  return *parsed;
}

// 10000 epochs (the most a spec may ask for, spec.proto) of 256 samples / batch 8 = 32
// steps: runs for many seconds unless cancelled.
inline constexpr uint32_t kLongSpecEpochs = 10000;
inline constexpr uint64_t kLongSpecStepsPerEpoch = 32;
inline v1::TrainingSpec long_spec() { return spec(kLongSpecEpochs, 8); }
inline JobManager::DataLoader long_loader() {
  return []() -> engine::Result<engine::DataSplits> { return splits(256); };
}

inline std::vector<v1::TrainingEvent> all_events(const EventLog& log) {
  return log.read(1, log.size() + 1);
}

template <class Predicate>
inline bool eventually(Predicate predicate, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline bool has_step_event(const EventLog& log) {
  const auto events = all_events(log);
  return std::any_of(events.begin(), events.end(), [](const auto& e) { return e.has_step(); });
}

// The step of the newest step report in `log`, 0 when there is none. These
// specs report every step (reporting.step_every defaults to 1), and a job that
// is stopped stops before the step after the last one it reported.
inline uint64_t last_reported_step(const EventLog& log) {
  uint64_t step = 0;
  for (const v1::TrainingEvent& e : all_events(log)) {
    if (e.has_step()) step = e.step().step();
  }
  return step;
}

// What a job stopped after `steps` of long_spec() shows: those steps, the
// whole epochs they make up, and `why` with the step in its reason.
inline void expect_stopped_at(const v1::Job& job, uint64_t steps, const std::string& why) {
  EXPECT_EQ(job.state(), v1::CANCELLED);
  EXPECT_EQ(job.steps(), steps);
  EXPECT_EQ(job.epochs(), steps / kLongSpecStepsPerEpoch);
  EXPECT_EQ(job.reason(), why + " (stopped at step " + std::to_string(steps) + ")");
}

inline v1::JobState state_of(const JobManager& manager, const std::string& id) {
  auto job = manager.get_job(id);
  return job.ok() ? job->state() : v1::JOB_STATE_UNSPECIFIED;
}

// The log of every ended job: done report with `outcome`, final `state`, closed.
inline void expect_ending(const EventLog& log, v1::DoneReport::Outcome outcome,
                          v1::JobState state) {
  const auto events = all_events(log);
  ASSERT_GE(events.size(), 3U);
  EXPECT_TRUE(log.closed());
  ASSERT_TRUE(events[events.size() - 2].has_done());
  EXPECT_EQ(events[events.size() - 2].done().outcome(), outcome);
  ASSERT_EQ(events.back().event_case(), v1::TrainingEvent::kState);
  EXPECT_EQ(events.back().state(), state);
}

}  // namespace gradstream::server::job_manager_test

// JobObserver: the TrainingObserver of a server job. It turns the engine's
// reports into TrainingEvents appended to the job's EventLog and keeps the job's
// progress counters current, so GetJob never has to ask the training thread;
// and, when the job is exported, its Prometheus series (JobSeries).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "engine/train/training_observer.hpp"
#include "gradstream/v1/trainer.pb.h"
#include "server/event_log.hpp"
#include "server/job_series.hpp"

namespace gradstream::server {

// Written by the training thread, read by any RPC thread. Atomics rather than
// the manager's mutex: the trainer must never wait for a lock that a ListJobs
// over thousands of jobs is holding.
struct JobProgress {
  std::atomic<uint64_t> steps{0};   // newest step reported
  std::atomic<uint32_t> epochs{0};  // epochs completed
  std::atomic<float> final_test_accuracy{0.0F};
  std::atomic<bool> has_test{false};
  // The run ended because a loss went NaN/Inf: the engine's "non_finite"
  // warning, which it sends before every such failure.
  std::atomic<bool> non_finite_loss{false};
};

// A TrainingEvent carrying one state transition, for the manager's appends.
v1::TrainingEvent state_event(v1::JobState state);

// SUCCEEDED, FAILED or CANCELLED: the job has ended.
bool is_final(v1::JobState state);

// Copies and returns at once: the trainer calls it between steps, so anything
// slow here (formatting, I/O) would slow training down.
class JobObserver : public engine::TrainingObserver {
 public:
  // `series`: the job's metrics, or null when the job is not exported.
  // `after_epoch` (optional) runs once each epoch's report is stored: the job
  // manager saves the job's progress there, one short write per epoch.
  // `run` (optional, the job's Job.run) goes into the done report when the
  // engine sent it without one.
  // `on_checkpoint` (optional) stores a checkpoint the trainer took.
  JobObserver(std::shared_ptr<EventLog> log, std::shared_ptr<JobProgress> progress,
              std::shared_ptr<JobSeries> series = nullptr,
              std::function<void()> after_epoch = nullptr,
              std::optional<v1::RunRecord> run = std::nullopt,
              std::function<void(const v1::TrainingCheckpoint&)> on_checkpoint = nullptr);

  void on_step(const v1::StepReport& report) override;
  void on_epoch(const v1::EpochReport& report) override;
  void on_gradients(const v1::GradientReport& report) override;
  void on_activations(const v1::ActivationReport& report) override;
  void on_warning(const v1::Warning& warning) override;
  void on_done(const v1::DoneReport& report) override;
  void on_checkpoint(const v1::TrainingCheckpoint& checkpoint) override;

 private:
  std::shared_ptr<EventLog> log_;
  std::shared_ptr<JobProgress> progress_;
  std::shared_ptr<JobSeries> series_;
  std::function<void()> after_epoch_;
  std::optional<v1::RunRecord> run_;
  std::function<void(const v1::TrainingCheckpoint&)> on_checkpoint_;
};

}  // namespace gradstream::server

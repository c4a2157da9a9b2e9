// JobManager's jobs on workers: run_remote_job hands a job to the worker a
// dispatcher reserved (WorkerRegistry) and takes the worker's reports into
// the job's observer, in order, exactly as a local trainer's calls: the log,
// the progress, the series, the checkpoints in the store and the end are the
// same code either way. A lost worker's job goes back to the queue.
#include <google/protobuf/util/time_util.h>

#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/json_text.hpp"
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"
#include "server/log.hpp"

namespace gradstream::server {
namespace {

// What a data-parallel job's ranks reported at their ends, in order.
struct RankEnds {
  std::set<uint32_t> ended;
  std::optional<v1::WorkerReport> first_failure;
};

// Whether the end of `rank` decides the job's. Rank 0's success does (the
// others end with it); a failure waits for every rank: a rank whose peer died
// fails with "connection closed", and the dead peer's worker, once declared
// lost, makes the attempt moved instead (take() returns false). Once every
// rank has ended, the first failure is the job's.
bool decides_the_end(const v1::JobFinished& end, RankEnds& ends, size_t ranks) {
  ends.ended.insert(end.rank());
  if (end.done().outcome() == v1::DoneReport::FAILED) {
    if (!ends.first_failure) *ends.first_failure.emplace().mutable_finished() = end;
  } else if (!ends.first_failure) {
    return end.rank() == 0;
  }
  return ends.ended.size() == ranks;
}

}  // namespace

JobManager::Ending JobManager::run_remote_job(
    JobRecord& job, const std::vector<std::shared_ptr<RemoteRun>>& ranks) {
  // Rank 0 reports for the job; the other ranks' failures reach its mailbox.
  const std::shared_ptr<RemoteRun>& run = ranks.front();
  auto release = [&] {
    for (const auto& rank : ranks) remote_->release(*rank);
  };
  const v1::TrainingSpec& spec = job.job.spec();
  std::optional<JobObserver> observer;
  auto observe = [&](std::shared_ptr<JobSeries> series) -> JobObserver& {
    if (!observer) {
      observer.emplace(
          job.log, job.progress, std::move(series), [this, &job] { save_progress(job); },
          std::nullopt,
          [this, &job](const v1::TrainingCheckpoint& checkpoint) {
            save_checkpoint(job, checkpoint);
          });
    }
    return *observer;
  };
  auto moved = [] {
    Ending ending;
    ending.moved = true;
    return ending;
  };
  auto fail = [&](const std::string& reason) {
    observe(nullptr).on_done(done_report(v1::DoneReport::FAILED, reason));
    release();
    return Ending{v1::DoneReport::FAILED, reason, job.progress->steps.load(),
                  job.progress->epochs.load(), nullptr};
  };
  // Workers read data.files at the same paths (a shared volume): the roots and
  // the fingerprints are this server's to check, before the worker reads a byte.
  try {
    if (engine::Status s = check_data_files(job); !s.ok()) return fail(s.message());
  } catch (const std::exception& e) {
    return fail(std::string("checking data files: ") + e.what());
  }
  v1::JobAssignment assignment;
  assignment.set_job_id(job.job.id());
  assignment.set_attempt(run->attempt());
  *assignment.mutable_spec() = spec;
  if (job.resuming) {
    for (const StoredCheckpoint& stored : job.checkpoints) assignment.add_checkpoints(stored.bytes);
  }
  assignment.set_checkpoint_every_seconds(store_ != nullptr ? checkpoint_every_seconds_ : 0.0);
  assignment.set_world_size(static_cast<uint32_t>(ranks.size()));
  std::string workers;
  for (const auto& rank : ranks) {
    assignment.set_rank(rank->rank());
    remote_->assign(rank, assignment);
    workers += (workers.empty() ? "" : ",") + engine::json_quoted(rank->worker_name());
  }
  log_line("info", "job dispatched",
           ",\"job_id\":" + engine::json_quoted(job.job.id()) + ",\"workers\":[" + workers +
               "],\"attempt\":" + std::to_string(run->attempt()));

  v1::RunRecord worker_run;  // the worker's machine, from JobStarted
  RankEnds ends;             // a data-parallel job's ranks that have ended
  std::vector<v1::WorkerReport> reports;
  while (run->take(reports)) {
    for (v1::WorkerReport& report : reports) {
      switch (report.report_case()) {
        case v1::WorkerReport::kStarted: {
          const v1::JobStarted& started = report.started();
          std::shared_ptr<JobSeries> series;
          if (metrics_ != nullptr) {
            series = metrics_->jobs().start_job(
                job.job.id(),
                JobShape{started.train_samples(), static_cast<int64_t>(spec.batch_size())});
          }
          observe(std::move(series));
          worker_run = started.run();
          {
            std::lock_guard lock(mutex_);
            *job.job.mutable_run() = worker_run;
          }
          const int index = started.resumed_checkpoint();
          if (job.resuming) {
            const bool restored = index >= 0 && static_cast<size_t>(index) < job.checkpoints.size();
            const uint64_t step = mark_resumed(job, restored ? &job.checkpoints[index] : nullptr);
            log_line("info", "job resumed",
                     ",\"job_id\":" + engine::json_quoted(job.job.id()) +
                         ",\"worker\":" + engine::json_quoted(run->worker_name()) +
                         ",\"from_step\":" + std::to_string(step));
          }
          // Stored RUNNING (and, resumed, counted) before its first step.
          save_progress(job);
          break;
        }
        case v1::WorkerReport::kStep:
          observe(nullptr).on_step(report.step());
          break;
        case v1::WorkerReport::kEpoch:
          observe(nullptr).on_epoch(report.epoch());
          break;
        case v1::WorkerReport::kGradients:
          observe(nullptr).on_gradients(report.gradients());
          break;
        case v1::WorkerReport::kActivations:
          observe(nullptr).on_activations(report.activations());
          break;
        case v1::WorkerReport::kWarning:
          observe(nullptr).on_warning(report.warning());
          break;
        case v1::WorkerReport::kCheckpoint:
          observe(nullptr).on_checkpoint(report.checkpoint());
          break;
        case v1::WorkerReport::kFinished: {
          if (ranks.size() > 1 && !decides_the_end(report.finished(), ends, ranks.size())) break;
          if (ends.first_failure) report = std::move(*ends.first_failure);
          v1::DoneReport& done = *report.mutable_finished()->mutable_done();
          release();
          // The worker stopped it (its own shutdown) after its checkpoint:
          // the job moves on, unless this server is the one stopping.
          if (done.outcome() == v1::DoneReport::INTERRUPTED && !job.interrupt.load()) {
            return moved();
          }
          if (!done.has_run() && !worker_run.cpu_model().empty()) *done.mutable_run() = worker_run;
          observe(nullptr).on_done(done);
          Ending ending{done.outcome(), done.reason(), done.steps(), done.epochs(), nullptr};
          if (done.outcome() == v1::DoneReport::SUCCEEDED) {
            ending.model = std::make_shared<const std::string>(
                std::move(*report.mutable_finished()->mutable_model()));
          }
          return ending;
        }
        case v1::WorkerReport::REPORT_NOT_SET:
          break;
      }
    }
    reports.clear();
  }
  release();
  return moved();
}

void JobManager::requeue_moved(JobRecord& job) {
  log_line("warning", "job moved off a lost worker",
           ",\"job_id\":" + engine::json_quoted(job.job.id()) +
               ",\"worker\":" + engine::json_quoted(job.job.worker()) +
               ",\"step\":" + std::to_string(job.progress->steps.load()));
  if (metrics_ != nullptr) {
    metrics_->jobs().end_job(job.job.id());
    metrics_->workers().count_moved();
  }
  // Read before the lock, like a restart's: the checkpoints are in the store.
  std::vector<StoredCheckpoint> checkpoints;
  if (store_ != nullptr) {
    size_t damaged = 0;
    auto stored = store_->checkpoints(job.job.id(), &damaged);
    if (stored.ok()) checkpoints = std::move(stored).value();
  }
  {
    std::lock_guard lock(mutex_);
    job.resuming = true;
    job.checkpoints = std::move(checkpoints);
    if (stopping_) {
      // Still RUNNING in the store with its checkpoints: the next server resumes it.
      job.log->interrupt();
      return;
    }
    queue_.push_front(std::shared_ptr<JobRecord>(jobs_.at(job.job.id())));
    if (metrics_ != nullptr) metrics_->set_queue_length(queue_.size());
  }
  work_ready_.notify_all();
}

void JobManager::describe_waiting(v1::Job& job) const {
  const uint32_t ranks = job.spec().distributed().workers();
  if (ranks <= 1 || remote_ == nullptr) return;
  const WorkerRegistry::Room room = remote_->room();
  job.set_waiting(std::to_string(ranks) + " workers with a free slot, one rank on each; " +
                  std::to_string(room.joined) + " joined, " + std::to_string(room.with_room) +
                  " with a free slot");
}

}  // namespace gradstream::server

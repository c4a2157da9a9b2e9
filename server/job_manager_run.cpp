// JobManager's workers: the loop that takes jobs off the queue, and run_job,
// one job's life on its worker thread from loading its data to its model
// file (every failure, thrown or returned, ends in an Ending), and how it ended.
#include <google/protobuf/util/time_util.h>

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "engine/base/json_text.hpp"
#include "engine/core/run_record.hpp"
#include "engine/model/model_file.hpp"
#include "engine/train/trainer.hpp"
#include "server/data_file_fingerprints.hpp"
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"
#include "server/log.hpp"

namespace gradstream::server {

using google::protobuf::util::TimeUtil;

void JobManager::worker_loop(Runner runner) {
  for (;;) {
    std::shared_ptr<JobRecord> record;
    std::vector<std::shared_ptr<RemoteRun>> ranks;  // on workers: the attempt's runs
    DataLoader load;
    {
      std::unique_lock lock(mutex_);
      auto next = queue_.end();
      for (;;) {
        while (!stopping_ && (next = next_runnable(runner)) == queue_.end()) {
          if (unstored_ends_.empty()) {
            work_ready_.wait(lock);
          } else if (work_ready_.wait_for(lock, kMostStoreRetry) == std::cv_status::timeout) {
            lock.unlock();
            retry_unstored_ends();  // an idle worker retries the ends nobody waits for
            lock.lock();
          }
        }
        // A stopping server starts nothing: what is still queued either was
        // cancelled or waits for the next server.
        if (stopping_) return;
        if (runner == Runner::kLocal) break;
        ranks = remote_->reserve_group((*next)->job.id(), ++(*next)->attempts,
                                       ranks_of((*next)->job.spec()), &(*next)->cancel,
                                       &(*next)->interrupt);
        if (!ranks.empty()) break;  // else the room went (a worker lost meanwhile): wait again
      }
      record = *next;
      queue_.erase(next);
      ++running_by_tenant_[record->job.tenant()];
      if (metrics_ != nullptr) metrics_->set_queue_length(queue_.size());
      // The spec's threads and seed are explicit (with_defaults, thread budget).
      // A worker's job gets the worker's own record when it starts.
      *record->job.mutable_run() =
          engine::describe_run(record->job.spec().threads(), record->job.spec().seed());
      record->job.set_worker(ranks.empty() ? std::string() : ranks.front()->worker_name());
      // A resuming job is RUNNING already, its RUNNING event in its log.
      if (!record->resuming) {
        if (metrics_ != nullptr) metrics_->job_state_changed(v1::QUEUED, v1::RUNNING);
        record->job.set_state(v1::RUNNING);
        *record->job.mutable_started() = TimeUtil::GetCurrentTime();
        record->running_sequence = record->log->append(state_event(v1::RUNNING));
      }
      // A job trained on a worker keeps its loader: if that worker is lost,
      // the job may go on here.
      if (runner == Runner::kLocal) load = std::move(record->load);
      ++running_;
    }
    // No lock while loading and training: the data, the trainer and everything
    // they hold are gone by the time the job is marked finished, so wait_idle
    // means memory freed.
    const Ending ending =
        !ranks.empty() ? run_remote_job(*record, ranks) : run_job(*record, std::move(load));
    if (ending.moved) {
      requeue_moved(*record);
    } else {
      finish_run(*record, ending);
      persist();
      wait_until_stored(*record);
    }
    // Idle only once the end is stored and shown.
    std::lock_guard lock(mutex_);
    --running_;
    if (--running_by_tenant_[record->job.tenant()] == 0) {
      running_by_tenant_.erase(record->job.tenant());
    }
    idle_.notify_all();
    // The tenant's running slot is free: a worker may start its next job.
    work_ready_.notify_all();
  }
}

void JobManager::finish_run(JobRecord& record, const Ending& ending) {
  std::lock_guard lock(mutex_);
  if (metrics_ != nullptr && ending.outcome == v1::DoneReport::FAILED &&
      record.progress->non_finite_loss.load(std::memory_order_relaxed)) {
    metrics_->count_nonfinite_loss();
  }
  switch (ending.outcome) {
    case v1::DoneReport::INTERRUPTED:
      // Checkpointed for the next server: still RUNNING, in the store too.
      if (metrics_ != nullptr) metrics_->jobs().end_job(record.job.id());
      record.log->interrupt();
      return;
    case v1::DoneReport::SUCCEEDED:
      record.model = ending.model;
      // DESIGN: every end has a reason, success included.
      end_job(record, v1::SUCCEEDED,
              "completed " + std::to_string(ending.epochs) + " epochs (" +
                  std::to_string(ending.steps) + " steps)");
      break;
    case v1::DoneReport::CANCELLED:
      end_job(record, v1::CANCELLED,
              record.cancel_reason + " (stopped at step " + std::to_string(ending.steps) + ")");
      break;
    default:
      end_job(record, v1::FAILED, ending.reason);
  }
  forget_oldest_finished();
}

JobManager::Ending JobManager::run_job(JobRecord& job, DataLoader load) {
  // The spec is read without the lock: it is written only before the job is queued.
  const v1::TrainingSpec& spec = job.job.spec();
  // Loaded first: the job's series need the training set's size.
  engine::Result<engine::DataSplits> data = [&]() -> engine::Result<engine::DataSplits> {
    try {
      if (engine::Status s = check_data_files(job); !s.ok()) return s;
      return load ? load() : engine::internal_error("job has no data loader");
    } catch (const std::exception& e) {
      return engine::internal_error(std::string("loading data: ") + e.what());
    }
  }();
  std::shared_ptr<JobSeries> series;
  if (metrics_ != nullptr) {
    const JobShape shape{data.ok() ? data->train.count : 0,
                         static_cast<int64_t>(spec.batch_size())};
    series = metrics_->jobs().start_job(job.job.id(), shape);
  }
  // Job.run, like the spec, was written before this worker took the job.
  JobObserver observer(
      job.log, job.progress, std::move(series), [this, &job] { save_progress(job); }, job.job.run(),
      [this, &job](const v1::TrainingCheckpoint& checkpoint) { save_checkpoint(job, checkpoint); });
  // What the manager reports itself when the engine could not produce a done report.
  auto fail = [&](const std::string& reason) {
    observer.on_done(done_report(v1::DoneReport::FAILED, reason));
    return Ending{v1::DoneReport::FAILED, reason, job.progress->steps.load(),
                  job.progress->epochs.load(), nullptr};
  };
  if (!data.ok()) return fail(data.status().message());
  try {
    auto trainer = engine::Trainer::create(spec, std::move(data).value());
    if (!trainer.ok()) return fail(trainer.status().message());
    // Stored RUNNING before its first step: killed from here on, it resumes
    // (and is counted as resumed) rather than starting over as a queued job.
    if (!job.resuming) save_progress(job);
    if (job.resuming) {
      const uint64_t step = resume(job, **trainer);
      // Counted in the store before training goes on, and logged after that.
      save_progress(job);
      log_line("info", "job resumed",
               ",\"job_id\":" + engine::json_quoted(job.job.id()) +
                   ",\"from_step\":" + std::to_string(step));
    }
    engine::RunControl control;
    control.cancel = &job.cancel;
    control.interrupt = &job.interrupt;
    // Checkpoints go to the store; without one there is nothing to resume from.
    control.checkpoint_every_seconds = store_ != nullptr ? checkpoint_every_seconds_ : 0.0;
    const v1::DoneReport done = (*trainer)->run(observer, control);
    Ending ending{done.outcome(), done.reason(), done.steps(), done.epochs(), nullptr};
    if (done.outcome() == v1::DoneReport::SUCCEEDED) {
      // Kept so ExportModel and Predict can use the model after the trainer is gone.
      auto bytes = engine::serialize_model((*trainer)->spec(), (*trainer)->model(),
                                           (*trainer)->preprocessing());
      if (!bytes.ok()) {
        ending.outcome = v1::DoneReport::FAILED;
        ending.reason = bytes.status().message();
      } else {
        ending.model = std::make_shared<const std::string>(std::move(bytes).value());
      }
    }
    return ending;
  } catch (const std::exception& e) {
    // One job's failure (bad_alloc on a huge model, a bug) must not take the
    // server or the other jobs down.
    return fail(std::string("internal error while training: ") + e.what());
  } catch (...) {
    return fail("internal error while training: unknown exception");
  }
}

engine::Status JobManager::check_data_files(JobRecord& job) {
  // Spec and fingerprints are written by no other thread now: read without the lock.
  const v1::DataSpec& data = job.job.spec().data();
  if (data.source_case() != v1::DataSpec::kFiles) return engine::ok_status();
  // Before any byte is read: the file may have been swapped for a symlink, or
  // the root dropped, since CreateJob (or the job predates --data-root).
  if (engine::Status s = data_roots_.check_resolved(data.files()); !s.ok()) return s;
  // A job resumed before its fingerprints reached the store records them now.
  if (job.resuming && job.job.data_files_size() > 0)
    return check_data_files_unchanged(job.job.data_files());
  auto files = fingerprint_data_files(data.files());
  if (!files.ok()) return files.status();
  {
    std::lock_guard lock(mutex_);
    job.job.clear_data_files();
    for (v1::DataFileFingerprint& file : *files) *job.job.add_data_files() = std::move(file);
  }
  // The job's row first (its insert may still be queued: a progress save
  // before it would be lost), then the fingerprints, before any checkpoint.
  persist();
  save_progress(job);
  return engine::ok_status();
}

}  // namespace gradstream::server

// JobManager::run_job: one job's life on its worker thread, from loading its
// data to its model file; every failure, thrown or returned, ends in an Ending.
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "engine/model/model_file.hpp"
#include "engine/train/trainer.hpp"
#include "server/data_file_fingerprints.hpp"
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"

namespace gradstream::server {

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
    if (job.resuming) resume(job, **trainer);
    engine::RunControl control;
    control.cancel = &job.cancel;
    control.interrupt = &job.interrupt;
    // Checkpoints go to the store; without one there is nothing to resume from.
    control.checkpoint_every_seconds = store_ != nullptr ? checkpoint_every_seconds_ : 0.0;
    const v1::DoneReport done = (*trainer)->run(observer, control);
    Ending ending{done.outcome(), done.reason(), done.steps(), done.epochs(), nullptr};
    if (done.outcome() == v1::DoneReport::SUCCEEDED) {
      // Kept so ExportModel and Predict can use the model after the trainer is gone.
      auto bytes = engine::serialize_model((*trainer)->spec(), (*trainer)->model());
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

// JobManager and its JobStore: the writes queued under the manager's lock and
// made after it, and the restore of a previous server's jobs.
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "engine/base/json_text.hpp"
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"
#include "server/log.hpp"

namespace gradstream::server {

namespace {

constexpr const char* kInterrupted =
    "the server stopped before the job ended (it was killed, not shut down); submit it again";

}  // namespace

void JobManager::queue_store_op(StoreOp::Kind kind, const JobRecord& job) {
  if (store_ == nullptr) return;
  StoreOp op{kind, {}, {}, nullptr, nullptr};
  if (kind == StoreOp::Kind::kForget) {
    op.job.set_id(job.job.id());
  } else {
    op.job = snapshot(job, /*as_stored=*/true);
    op.idempotency_key = job.idempotency_key;
    op.log = job.log;
    op.model = job.model;
  }
  store_ops_.push_back(std::move(op));
}

void JobManager::note_store_result(const engine::Status& written) {
  // The job lives on in memory; only a restart would lose it.
  if (written.ok()) return;
  if (metrics_ != nullptr) metrics_->count_job_store_error();
  log_line("warning", "job store write failed",
           ",\"error\":" + engine::json_quoted(written.message()));
}

void JobManager::save_progress(const JobRecord& job) {
  if (store_ == nullptr) return;
  v1::Job now;
  {
    std::lock_guard lock(mutex_);
    now = snapshot(job, /*as_stored=*/true);
  }
  // Not through the queued writes: only the job's own worker makes this write,
  // always before the job ends, so it cannot overtake the job's final save or
  // its forget; an update that comes before the row's first insert is a no-op.
  note_store_result(store_->save_progress(now));
}

void JobManager::persist() {
  if (store_ == nullptr) return;
  std::lock_guard store_lock(store_mutex_);
  for (;;) {
    StoreOp op;
    {
      std::lock_guard lock(mutex_);
      if (store_ops_.empty()) return;
      op = std::move(store_ops_.front());
      store_ops_.pop_front();
    }
    engine::Status written;
    if (op.kind == StoreOp::Kind::kForget) {
      written = store_->forget(op.job.id());
    } else {
      // Read now, without the manager's lock; held events (a job's end) included.
      const bool ended = is_final(op.job.state());
      StoredJob stored{std::move(op.job), std::move(op.idempotency_key), op.log->read_all(),
                       std::move(op.model)};
      written = op.kind == StoreOp::Kind::kSave ? store_->save(stored) : store_->insert_new(stored);
      // Shown now that it is stored (or, if the write failed, anyway: the job
      // lives on in memory, and the failure is counted and logged).
      if (ended) op.log->release_and_close();
    }
    note_store_result(written);
  }
}

void JobManager::restore(std::vector<StoredJob> jobs) {
  {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<JobRecord>> ended;
    for (StoredJob& stored : jobs) {
      const std::string id = stored.job.id();
      if (id.empty() || jobs_.contains(id)) continue;
      auto record = std::make_shared<JobRecord>();
      record->job = std::move(stored.job);
      record->idempotency_key = std::move(stored.idempotency_key);
      record->log = std::make_shared<EventLog>(id);
      for (v1::TrainingEvent& event : stored.events) record->log->append(std::move(event));
      JobProgress& progress = *record->progress;
      progress.steps = record->job.steps();
      progress.epochs = record->job.epochs();
      progress.final_test_accuracy = record->job.final_test_accuracy();
      progress.has_test = record->job.has_test();
      if (!is_final(record->job.state())) {
        v1::TrainingEvent done;
        *done.mutable_done() = done_report(v1::DoneReport::FAILED, kInterrupted);
        record->log->hold();
        record->log->append(std::move(done));
        close_record(*record, v1::FAILED, kInterrupted);
      } else {
        if (record->job.state() == v1::SUCCEEDED) record->model = std::move(stored.model);
        record->log->close();
      }
      jobs_.emplace(id, record);
      creation_order_.push_back(record);
      if (!record->idempotency_key.empty()) idempotency_keys_.emplace(record->idempotency_key, id);
      if (metrics_ != nullptr) metrics_->job_restored(record->job.state());
      ended.push_back(record);
    }
    // Retention forgets the jobs that ended first.
    std::stable_sort(ended.begin(), ended.end(), [](const auto& a, const auto& b) {
      return a->job.finished() < b->job.finished();
    });
    for (const auto& record : ended) finished_order_.push_back(record->job.id());
    forget_oldest_finished();
  }
  persist();
}

}  // namespace gradstream::server

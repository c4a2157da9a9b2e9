// JobManager and its JobStore: the writes queued under the manager's lock and
// made after it, and the restore of a previous server's jobs.
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "engine/base/json_text.hpp"
#include "engine/spec/spec_validator.hpp"
#include "server/job_manager.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"
#include "server/log.hpp"

namespace gradstream::server {

namespace {

constexpr const char* kInterrupted =
    "the server stopped before the job ended, and this server does not resume jobs; submit it "
    "again";

// Why a stored unfinished job cannot go on ("" when it can): the server was
// started without resuming, or its stored spec no longer passes validation (a
// damaged row, or a spec an older server accepted): it is not trained as stored.
std::string unresumable(const v1::Job& job, bool resuming) {
  if (!resuming) return kInterrupted;
  if (engine::Status s = engine::validate_spec(job.spec()); !s.ok()) {
    return "not resumed: its stored spec is not valid: " + s.message();
  }
  return "";
}

}  // namespace

void JobManager::queue_store_op(StoreOp::Kind kind, const JobRecord& job) {
  if (store_ == nullptr) return;
  StoreOp op{kind, {}, {}, nullptr, nullptr, {}};
  if (kind == StoreOp::Kind::kForget) {
    op.job.set_id(job.job.id());
  } else {
    op.job = snapshot(job, /*as_stored=*/true);
    op.idempotency_key = job.idempotency_key;
    op.spec_digest = job.spec_digest;
    op.log = job.log;
    op.model = job.model;
  }
  store_ops_.push_back(std::move(op));
}

void JobManager::note_store_result(const engine::Status& written) {
  // The job lives on: a refused end is held and retried (persist), a refused
  // checkpoint or progress is written anew by the next one.
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
    const engine::Status written = write_store_op(op);
    if (op.kind == StoreOp::Kind::kInsertNew) {
      std::lock_guard lock(mutex_);
      if (auto it = jobs_.find(op.job.id()); it != jobs_.end()) {
        // A refused row stays pending: create_job withdraws the job.
        if (written.ok()) {
          it->second->row_pending = false;
          work_ready_.notify_all();
        } else {
          it->second->row_refused = written;
        }
      }
      continue;
    }
    if (written.ok() || op.kind != StoreOp::Kind::kSave || !is_final(op.job.state())) continue;
    // What a client was told is never taken back, so it is not told yet: the
    // end stays held (the job RUNNING to clients) until a retry stores it.
    log_line("warning", "job end not stored; retrying",
             ",\"job_id\":" + engine::json_quoted(op.job.id()));
    std::lock_guard lock(mutex_);
    unstored_ends_.push_back(std::move(op));
    work_ready_.notify_all();  // idle workers start retrying
  }
}

engine::Status JobManager::write_store_op(const StoreOp& op) {
  engine::Status written;
  if (op.kind == StoreOp::Kind::kForget) {
    written = store_->forget(op.job.id());
  } else {
    // Read now, without the manager's lock; held events (a job's end) included.
    StoredJob stored{op.job, op.idempotency_key, op.log->read_all(), op.model, 0, op.spec_digest};
    written = op.kind == StoreOp::Kind::kSave ? store_->save(stored) : store_->insert_new(stored);
    if (written.ok() && op.model != nullptr) drop_stored_model(op.job.id(), op.model);
    // Shown now that it is stored.
    if (written.ok() && is_final(op.job.state())) op.log->release_and_close();
  }
  note_store_result(written);
  return written;
}

void JobManager::retry_unstored_ends() {
  std::lock_guard store_lock(store_mutex_);
  std::deque<StoreOp> ends;
  {
    std::lock_guard lock(mutex_);
    ends.swap(unstored_ends_);
  }
  std::deque<StoreOp> refused;
  for (StoreOp& op : ends) {
    {
      // A forget queued from here on is written after this save (both under
      // store_mutex_); one queued before has dropped the job already.
      std::lock_guard lock(mutex_);
      if (!jobs_.contains(op.job.id())) {
        op.log->interrupt();  // forgotten: its watchers hear NOT_FOUND when they return
        continue;
      }
    }
    if (write_store_op(op).ok()) {
      log_line("info", "job end stored", ",\"job_id\":" + engine::json_quoted(op.job.id()));
    } else {
      refused.push_back(std::move(op));
    }
  }
  std::lock_guard lock(mutex_);
  // Only persist() adds to unstored_ends_, under store_mutex_: nothing came meanwhile.
  unstored_ends_ = std::move(refused);
}

bool JobManager::unstored_end(const JobRecord& job) const {
  return store_ != nullptr && is_final(job.job.state()) && !job.log->closed();
}

void JobManager::wait_until_stored(JobRecord& job) {
  // DESIGN: the retry keeps the job's worker slot. A full disk blocks new
  // work anyway (its rows and checkpoints could not be stored either), and
  // wait_idle() keeps meaning "every end stored and shown". Ends of jobs that
  // never ran (cancelled while queued) are retried by idle workers.
  std::chrono::seconds delay = kFirstStoreRetry;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // Stored, or forgotten (retention) before it could be.
      if (!unstored_end(job) || !jobs_.contains(job.job.id())) return;
      if (stopping_) {
        // Given up: the store has the job RUNNING with its checkpoints, so
        // the next server resumes it and ends it with the same result.
        // Watchers reconnect to that server.
        job.log->interrupt();
        log_line("warning", "job end not stored before shutdown; it resumes after the restart",
                 ",\"job_id\":" + engine::json_quoted(job.job.id()));
        return;
      }
      store_retry_.wait_for(lock, delay, [&] { return stopping_; });
    }
    retry_unstored_ends();  // once more after a shutdown began, then give up
    delay = std::min(delay * 2, kMostStoreRetry);
  }
}

void JobManager::save_checkpoint(JobRecord& job, const v1::TrainingCheckpoint& checkpoint) {
  if (store_ == nullptr) return;
  // Everything the run sent up to now goes with it, in the same transaction.
  const uint64_t covered = job.log->sent();
  std::vector<v1::TrainingEvent> events;
  if (covered > job.stored_events) {
    events = job.log->read(job.stored_events + 1, covered - job.stored_events);
  }
  const StoredCheckpoint stored{checkpoint.step(), covered, checkpoint.SerializeAsString()};
  const engine::Status written = store_->save_checkpoint(job.job.id(), stored, events);
  note_store_result(written);
  if (written.ok()) job.stored_events = std::max(job.stored_events, covered);
  save_progress(job);
}

uint64_t JobManager::resume(JobRecord& job, engine::Trainer& trainer) {
  const StoredCheckpoint* restored_from = nullptr;
  for (const StoredCheckpoint& stored : job.checkpoints) {
    v1::TrainingCheckpoint checkpoint;
    const engine::Status restored = checkpoint.ParseFromString(stored.bytes)
                                        ? trainer.resume_from(checkpoint)
                                        : engine::data_loss("the checkpoint does not parse");
    if (restored.ok()) {
      restored_from = &stored;
      break;
    }
    log_line("warning", "checkpoint not restored",
             ",\"job_id\":" + engine::json_quoted(job.job.id()) +
                 ",\"step\":" + std::to_string(stored.step) +
                 ",\"error\":" + engine::json_quoted(restored.message()));
  }
  return mark_resumed(job, restored_from);
}

uint64_t JobManager::mark_resumed(JobRecord& job, const StoredCheckpoint* from) {
  // Killed before its RUNNING event reached the store: it is sent again now,
  // where the first run sent it.
  if (job.running_sequence == 0) job.running_sequence = job.log->append(state_event(v1::RUNNING));
  const uint64_t covered = from != nullptr ? from->event_sequence : job.running_sequence;
  const uint64_t step = from != nullptr ? from->step : 0;
  job.checkpoints.clear();
  // The run sends again, with the same numbers, what it sent after `covered`.
  job.log->resume_after(covered);
  std::lock_guard lock(mutex_);
  job.job.set_resumes(job.job.resumes() + 1);
  job.job.set_resumed_from_step(step);
  return step;
}

namespace {

// The sequence of the job's RUNNING event among `events`, 0 if none.
uint64_t running_event(const std::vector<v1::TrainingEvent>& events) {
  for (const v1::TrainingEvent& event : events) {
    if (event.has_state() && event.state() == v1::RUNNING) return event.sequence();
  }
  return 0;
}

}  // namespace

void JobManager::restore(std::vector<StoredJob> jobs, LoaderFactory loader_for) {
  {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<JobRecord>> ended;
    std::vector<std::shared_ptr<JobRecord>> resuming;
    std::vector<std::shared_ptr<JobRecord>> queued;
    for (StoredJob& stored : jobs) {
      const std::string id = stored.job.id();
      if (id.empty() || jobs_.contains(id)) continue;
      auto record = std::make_shared<JobRecord>();
      record->job = std::move(stored.job);
      record->idempotency_key = std::move(stored.idempotency_key);
      record->spec_digest = std::move(stored.spec_digest);
      record->log = std::make_shared<EventLog>(id);
      const uint64_t running_sequence = running_event(stored.events);
      for (v1::TrainingEvent& event : stored.events) record->log->append(std::move(event));
      JobProgress& progress = *record->progress;
      progress.steps = record->job.steps();
      progress.epochs = record->job.epochs();
      progress.final_test_accuracy = record->job.final_test_accuracy();
      progress.has_test = record->job.has_test();
      const v1::JobState state = record->job.state();
      if (is_final(state)) {
        // From a store, models stay there (load_all reads none) until asked for.
        if (state == v1::SUCCEEDED) record->model = std::move(stored.model);
        record->log->close();
        ended.push_back(record);
      } else if (std::string why = unresumable(record->job, loader_for != nullptr); !why.empty()) {
        v1::TrainingEvent done;
        *done.mutable_done() = done_report(v1::DoneReport::FAILED, why);
        record->log->hold();
        record->log->append(std::move(done));
        close_record(*record, v1::FAILED, why);
        ended.push_back(record);
      } else {
        record->load = loader_for(record->job.spec());
        record->stored_events = record->log->size();
        if (state == v1::RUNNING) {
          record->resuming = true;
          record->running_sequence = running_sequence;
          // Read here, once, at start: before any RPC can wait on the lock.
          size_t damaged = 0;
          auto checkpoints =
              store_ != nullptr
                  ? store_->checkpoints(id, &damaged)
                  : engine::Result<std::vector<StoredCheckpoint>>(std::vector<StoredCheckpoint>{});
          if (checkpoints.ok()) record->checkpoints = std::move(checkpoints).value();
          if (damaged > 0 || !checkpoints.ok()) {
            log_line("warning", "damaged checkpoints skipped",
                     ",\"job_id\":" + engine::json_quoted(id) +
                         ",\"damaged\":" + std::to_string(damaged));
          }
          resuming.push_back(record);
        } else {
          queued.push_back(record);
        }
      }
      jobs_.emplace(id, record);
      creation_order_.push_back(record);
      if (!record->idempotency_key.empty()) {
        idempotency_keys_.emplace(idempotency_slot(record->job.tenant(), record->idempotency_key),
                                  id);
      }
      if (metrics_ != nullptr) metrics_->job_restored(record->job.state());
    }
    // The jobs that had started go first, then the queue as it was.
    for (auto& record : resuming) queue_.push_back(record);
    for (auto& record : queued) queue_.push_back(record);
    if (metrics_ != nullptr) metrics_->set_queue_length(queue_.size());
    // Retention forgets the jobs that ended first.
    std::stable_sort(ended.begin(), ended.end(), [](const auto& a, const auto& b) {
      return a->job.finished() < b->job.finished();
    });
    for (const auto& record : ended) finished_order_.push_back(record->job.id());
    forget_oldest_finished();
  }
  work_ready_.notify_all();
  persist();
}

}  // namespace gradstream::server

// JobManager: queue, cancellation and shutdown (the workers are in
// job_manager_run.cpp). Every job's log ends the same way whatever happened:
// a done report, the final state, close.
#include "server/job_manager.hpp"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <unordered_set>
#include <utility>

#include "engine/base/message_hash.hpp"
#include "engine/base/parallel.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "engine/spec/spec_validator.hpp"
#include "server/job_manager_record.hpp"
#include "server/job_observer.hpp"

namespace gradstream::server {

namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* kCancelledByRequest = "cancelled by request";
constexpr const char* kCancelledByShutdown = "cancelled: server is shutting down";

uint32_t fair_share(uint32_t max_concurrent_jobs) {
  const int cores = std::max(1, engine::usable_cores());
  return std::max<uint32_t>(1, static_cast<uint32_t>(cores) / max_concurrent_jobs);
}

}  // namespace

std::string spec_digest(const v1::TrainingSpec& spec) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(engine::message_hash(spec)));
  return text;
}

engine::Status validate_options(const JobManagerOptions& options, int cores) {
  const std::string cores_text = std::to_string(cores) + " usable cores";
  if (options.max_concurrent_jobs == 0) {
    return engine::invalid_argument("max_concurrent_jobs: 0 is out of range [1, " +
                                    std::to_string(cores) + "]");
  }
  if (options.max_concurrent_jobs > static_cast<uint32_t>(cores)) {
    return engine::invalid_argument(
        "max_concurrent_jobs: " + std::to_string(options.max_concurrent_jobs) +
        " is more than the " + cores_text + "; concurrent jobs would share cores");
  }
  const uint64_t wanted = uint64_t{options.threads_per_job} * options.max_concurrent_jobs;
  if (wanted > static_cast<uint64_t>(cores)) {
    return engine::invalid_argument(
        "threads_per_job: " + std::to_string(options.threads_per_job) + " x " +
        std::to_string(options.max_concurrent_jobs) + " concurrent jobs is more than the " +
        cores_text + "; at most " + std::to_string(cores / options.max_concurrent_jobs));
  }
  return engine::ok_status();
}

JobManager::JobManager(JobManagerOptions options, ServerMetrics* metrics, JobStore* store)
    : max_concurrent_jobs_(std::max<uint32_t>(1, options.max_concurrent_jobs)),
      max_queued_jobs_(options.max_queued_jobs),
      max_finished_jobs_(std::max<size_t>(1, options.max_finished_jobs)),
      core_share_(fair_share(max_concurrent_jobs_)),
      thread_budget_(std::min(
          core_share_, options.threads_per_job == 0 ? core_share_ : options.threads_per_job)),
      checkpoint_every_seconds_(options.checkpoint_every_seconds),
      data_roots_(std::move(options.data_roots)),
      remote_(options.workers),
      train_locally_(options.train_locally || options.workers == nullptr),
      metrics_(metrics),
      store_(store),
      model_cache_(
          options.model_cache_bytes,
          metrics == nullptr ? ModelFileCache::BytesObserver()
                             : [metrics](size_t bytes) { metrics->set_model_cache_bytes(bytes); }),
      tenant_limits_(options.tenant_limits) {
  const uint32_t local = train_locally_ ? max_concurrent_jobs_ : 0;
  const uint32_t remote = remote_ != nullptr ? options.max_remote_jobs : 0;
  workers_.reserve(local + remote);
  if (remote_ != nullptr) {
    // A worker with room wakes the dispatchers (under the lock they wait with).
    remote_->on_room([this] {
      std::lock_guard lock(mutex_);
      work_ready_.notify_all();
    });
  }
  try {
    for (uint32_t i = 0; i < local; ++i) {
      workers_.emplace_back([this] { worker_loop(Runner::kLocal); });
    }
    for (uint32_t i = 0; i < remote; ++i) {
      workers_.emplace_back([this] { worker_loop(Runner::kRemote); });
    }
  } catch (...) {
    shutdown(/*cancel_running=*/true);  // a joinable thread left behind would terminate
    throw;
  }
}

JobManager::~JobManager() {
  shutdown(/*cancel_running=*/true);
  if (remote_ != nullptr) remote_->on_room(nullptr);
}

engine::Result<v1::Job> JobManager::create_job(const v1::TrainingSpec& spec,
                                               const std::string& idempotency_key, DataLoader load,
                                               const std::string& tenant) {
  if (engine::Status s = engine::validate_spec(spec); !s.ok()) return s;
  const std::string digest = idempotency_key.empty() ? std::string() : spec_digest(spec);
  // Prepared before locking: with_defaults copies the spec, initial weights and all.
  v1::TrainingSpec job_spec = engine::with_defaults(spec);
  // A coordinator's jobs train on workers, which lower the threads to their own share.
  if (train_locally_) {
    job_spec.set_threads(std::min(job_spec.threads(), thread_budget_));
    // The trainer adds a prefetch thread when its threads leave a core of the
    // machine free, but it cannot see the other jobs: the free core may be
    // another job's. Only a spare core within this job's own share may host it.
    if (job_spec.threads() >= core_share_) job_spec.mutable_data()->set_no_prefetch(true);
  }

  engine::Result<v1::Job> created =
      enqueue(std::move(job_spec), idempotency_key, digest, std::move(load), tenant);
  persist();  // the new job's row
  if (created.ok()) {
    if (engine::Status refused = withdraw_if_unstored(created->id()); !refused.ok()) return refused;
  }
  return created;
}

engine::Status JobManager::withdraw_if_unstored(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->row_refused.ok()) return engine::ok_status();
  const std::shared_ptr<JobRecord> record = it->second;
  // A worker that took it already trains it; its end's save writes the row.
  auto queued = std::find(queue_.begin(), queue_.end(), record);
  if (queued == queue_.end()) return engine::ok_status();
  queue_.erase(queued);
  jobs_.erase(it);
  std::erase(creation_order_, record);
  if (auto key =
          idempotency_keys_.find(idempotency_slot(record->job.tenant(), record->idempotency_key));
      key != idempotency_keys_.end() && key->second == id) {
    idempotency_keys_.erase(key);
  }
  if (metrics_ != nullptr) {
    metrics_->job_state_changed(v1::QUEUED, v1::JOB_STATE_UNSPECIFIED);
    metrics_->set_queue_length(queue_.size());
  }
  idle_.notify_all();
  return record->row_refused;
}

engine::Result<v1::Job> JobManager::enqueue(v1::TrainingSpec job_spec,
                                            const std::string& idempotency_key,
                                            const std::string& spec_digest, DataLoader load,
                                            const std::string& tenant) {
  std::lock_guard lock(mutex_);
  // A retry of a create that succeeded gets its job even during shutdown.
  const std::string key_slot = idempotency_slot(tenant, idempotency_key);
  if (!idempotency_key.empty()) {
    if (auto it = idempotency_keys_.find(key_slot); it != idempotency_keys_.end()) {
      const JobRecord& first = *jobs_.at(it->second);
      // An empty digest: a row stored before digests were kept; any spec matches.
      if (!first.spec_digest.empty() && first.spec_digest != spec_digest) {
        return engine::already_exists("idempotency_key: \"" + idempotency_key +
                                      "\" was already used to create job " + it->second +
                                      " with another spec; resend that spec to get the job, "
                                      "or use a new key for a new job");
      }
      return snapshot(first);
    }
  }
  // Retryable: the next server (or this one after its restart) takes it.
  if (stopping_) return engine::unavailable("server is shutting down; retry against its successor");
  forget_oldest_finished();  // jobs cancelled while queued end outside the workers
  if (queue_.size() >= max_queued_jobs_) {
    return engine::resource_exhausted("job queue is full: " + std::to_string(queue_.size()) +
                                      " jobs are waiting (at most " +
                                      std::to_string(max_queued_jobs_) + "); retry later");
  }
  if (tenant_limits_.max_queued_jobs > 0) {
    const auto queued = static_cast<size_t>(std::count_if(
        queue_.begin(), queue_.end(), [&](const auto& r) { return r->job.tenant() == tenant; }));
    if (queued >= tenant_limits_.max_queued_jobs) {
      return engine::resource_exhausted("tenant \"" + tenant + "\" has " + std::to_string(queued) +
                                        " jobs queued, its limit (--tenant-max-queued-jobs " +
                                        std::to_string(tenant_limits_.max_queued_jobs) +
                                        "); retry when one has started");
    }
  }
  auto record = std::make_shared<JobRecord>();
  const std::string id = new_job_id();
  record->job.set_id(id);
  record->job.set_state(v1::QUEUED);
  record->job.set_tenant(tenant);
  *record->job.mutable_created() = TimeUtil::GetCurrentTime();
  *record->job.mutable_spec() = std::move(job_spec);
  record->load = std::move(load);
  record->idempotency_key = idempotency_key;
  record->spec_digest = spec_digest;
  record->log = std::make_shared<EventLog>(id);
  record->log->append(state_event(v1::QUEUED));
  jobs_.emplace(id, record);
  creation_order_.push_back(record);
  if (!idempotency_key.empty()) idempotency_keys_.emplace(key_slot, id);
  queue_.push_back(record);
  if (metrics_ != nullptr) {
    metrics_->job_state_changed(v1::JOB_STATE_UNSPECIFIED, v1::QUEUED);
    metrics_->set_queue_length(queue_.size());
  }
  record->row_pending = store_ != nullptr;
  queue_store_op(StoreOp::Kind::kInsertNew, *record);
  // All: local threads and dispatchers to workers wait on the same condition,
  // and only some of them may take this job (a local thread never takes a
  // data-parallel one, a dispatcher none while no worker has room).
  work_ready_.notify_all();
  return snapshot(*record);
}

engine::Result<v1::Job> JobManager::get_job(const std::string& id) const {
  v1::Job job;
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return job_not_found(id);
    job = snapshot(*it->second);
    queued = std::find(queue_.begin(), queue_.end(), it->second) != queue_.end();
  }
  if (queued) describe_waiting(job);
  return job;
}

std::vector<v1::Job> JobManager::list_jobs(v1::JobState filter, const std::string* tenant) const {
  std::vector<v1::Job> out;
  std::vector<size_t> queued;  // indices into out
  {
    std::lock_guard lock(mutex_);
    const std::unordered_set<const JobRecord*> in_queue = [&] {
      std::unordered_set<const JobRecord*> set;
      for (const auto& record : queue_) set.insert(record.get());
      return set;
    }();
    for (const auto& record : creation_order_) {
      if (tenant != nullptr && record->job.tenant() != *tenant) continue;
      v1::Job job = snapshot(*record);
      if (filter != v1::JOB_STATE_UNSPECIFIED && job.state() != filter) continue;
      if (in_queue.count(record.get()) > 0) queued.push_back(out.size());
      out.push_back(std::move(job));
    }
  }
  for (size_t i : queued) describe_waiting(out[i]);
  return out;
}

engine::Result<v1::Job> JobManager::cancel_job(const std::string& id) {
  engine::Result<v1::Job> result = request_cancel(id);
  persist();  // a job cancelled while queued has ended
  if (!result.ok()) return result;
  // As it is now that the end (if any) is stored; forgotten meanwhile: as it was.
  engine::Result<v1::Job> now = get_job(id);
  return now.ok() ? now : result;
}

engine::Result<v1::Job> JobManager::request_cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return job_not_found(id);
  JobRecord& record = *it->second;
  switch (record.job.state()) {
    case v1::QUEUED:
      queue_.erase(std::find(queue_.begin(), queue_.end(), it->second));
      if (metrics_ != nullptr) metrics_->set_queue_length(queue_.size());
      cancel_queued(record, kCancelledByRequest);
      break;
    case v1::RUNNING:
      // A second cancel (or a shutdown's) keeps the first reason.
      if (!record.cancel.exchange(true)) record.cancel_reason = kCancelledByRequest;
      break;
    default:
      return engine::failed_precondition("job \"" + id + "\" is already " +
                                         v1::JobState_Name(record.job.state()) +
                                         "; only QUEUED or RUNNING jobs can be cancelled");
  }
  return snapshot(record);
}

std::shared_ptr<EventLog> JobManager::event_log(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second->log;
}

bool JobManager::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && running_ == 0; });
}

void JobManager::shutdown(ShutdownMode mode) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    // The first shutdown decides (the destructor's cancel after an interrupt
    // must not cancel what the interrupt kept).
    first = !stopping_;
    stopping_ = true;
  }
  if (first) stop_jobs(mode);
  std::lock_guard join_lock(join_mutex_);
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  // Ends still unstored go on after the restart; their watchers reconnect there.
  std::lock_guard lock(mutex_);
  for (const StoreOp& op : unstored_ends_) op.log->interrupt();
}

void JobManager::stop_jobs(ShutdownMode mode) {
  {
    std::lock_guard lock(mutex_);
    if (mode == ShutdownMode::kInterrupt) {
      // Queued jobs stay queued, in the store too; their watchers reconnect
      // to the next server.
      for (const auto& record : queue_) record->log->interrupt();
    } else {
      while (!queue_.empty()) {
        cancel_queued(*queue_.front(), kCancelledByShutdown);
        queue_.pop_front();
      }
      if (metrics_ != nullptr) metrics_->set_queue_length(0);
    }
    for (const auto& record : creation_order_) {
      if (record->job.state() != v1::RUNNING) continue;
      if (mode == ShutdownMode::kInterrupt) record->interrupt.store(true);
      if (mode == ShutdownMode::kCancel && !record->cancel.exchange(true)) {
        record->cancel_reason = kCancelledByShutdown;
      }
    }
  }
  work_ready_.notify_all();
  store_retry_.notify_all();
  persist();  // the jobs cancelled while queued
}

void JobManager::cancel_queued(JobRecord& job, const std::string& why) {
  // The engine never saw this job, so the manager writes its done report: every
  // log ends with done, final state, close, and watchers need not special-case it.
  const std::string reason = why + " (before it started)";
  v1::TrainingEvent event;
  *event.mutable_done() = done_report(v1::DoneReport::CANCELLED, reason);
  job.log->hold();
  job.log->append(std::move(event));
  end_job(job, v1::CANCELLED, reason);
}

void JobManager::end_job(JobRecord& job, v1::JobState state, std::string reason) {
  if (metrics_ != nullptr) {
    metrics_->job_state_changed(job.job.state(), state);
    // The worker is done with the job's series by now (run_job has returned).
    if (job.job.state() == v1::RUNNING) metrics_->jobs().end_job(job.job.id());
  }
  job.load = nullptr;  // a job cancelled while queued still holds its loader
  close_record(job, state, std::move(reason));
  finished_order_.push_back(job.job.id());
  idle_.notify_all();
}

void JobManager::close_record(JobRecord& job, v1::JobState state, std::string reason) {
  job.job.set_state(state);
  job.job.set_reason(std::move(reason));
  *job.job.mutable_finished() = TimeUtil::GetCurrentTime();
  job.log->hold();  // the done event held it already, unless none came
  job.log->append(state_event(state));
  // What a client was told is never taken back: the end is shown (in the log
  // and in snapshots) once the store has it; without a store, at once.
  if (store_ == nullptr) {
    job.log->release_and_close();
  } else {
    queue_store_op(StoreOp::Kind::kSave, job);
  }
}

void JobManager::forget_oldest_finished() {
  while (finished_order_.size() > max_finished_jobs_) {
    auto it = jobs_.find(finished_order_.front());
    finished_order_.pop_front();
    if (it == jobs_.end()) continue;
    const std::shared_ptr<JobRecord> record = it->second;
    jobs_.erase(it);
    std::erase(creation_order_, record);
    if (!record->idempotency_key.empty()) {
      idempotency_keys_.erase(idempotency_slot(record->job.tenant(), record->idempotency_key));
    }
    model_cache_.erase(record->job.id());
    if (metrics_ != nullptr)
      metrics_->job_state_changed(record->job.state(), v1::JOB_STATE_UNSPECIFIED);
    queue_store_op(StoreOp::Kind::kForget, *record);
    // Watchers still streaming it hold their own reference to the log.
  }
}

v1::Job JobManager::snapshot(const JobRecord& job, bool as_stored) const {
  v1::Job out = job.job;
  if (!as_stored && is_final(out.state()) && !job.log->closed()) {
    // Ended, but not in the store yet: clients still see it as before.
    out.set_state(out.has_started() ? v1::RUNNING : v1::QUEUED);
    out.clear_reason();
    out.clear_finished();
  }
  out.set_epochs(job.progress->epochs.load(std::memory_order_acquire));
  out.set_steps(job.progress->steps.load(std::memory_order_relaxed));
  out.set_final_test_accuracy(job.progress->final_test_accuracy.load(std::memory_order_relaxed));
  out.set_has_test(job.progress->has_test.load(std::memory_order_relaxed));
  out.set_last_sequence(job.log->last_sequence());
  return out;
}

}  // namespace gradstream::server

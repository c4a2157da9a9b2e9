// JobManager: the server's training jobs. Queues them, runs at most
// max_concurrent_jobs at once on a fixed pool of worker threads, each with a
// thread budget that keeps concurrent jobs off each other's cores, and moves
// every job through QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/train/trainer.hpp"
#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/trainer.pb.h"
#include "server/data_roots.hpp"
#include "server/event_log.hpp"
#include "server/job_store.hpp"
#include "server/model_cache.hpp"
#include "server/server_metrics.hpp"
#include "server/worker_registry.hpp"

namespace gradstream::server {

inline constexpr uint32_t kDefaultMaxConcurrentJobs = 1;
inline constexpr size_t kDefaultMaxQueuedJobs = 1000;
// Finished jobs (and their event logs and models) kept for Get/List/Watch,
// Export and Predict before the oldest is forgotten.
inline constexpr size_t kDefaultMaxFinishedJobs = 1000;
// Seconds of training between a running job's checkpoints. A checkpoint of
// the Fashion-MNIST MLP (235k parameters, Adam) is ~2.8 MB written in one
// SQLite transaction (bench/README.md has its cost, per machine).
inline constexpr double kDefaultCheckpointSeconds = 30.0;
// A job's end that the store refused (a full disk) is written again after
// these delays, doubling from the first to the most.
inline constexpr std::chrono::seconds kFirstStoreRetry{1};
inline constexpr std::chrono::seconds kMostStoreRetry{5};
// Bytes of finished jobs' model files kept in memory (ModelCache) when there is
// a store: three models of 20M parameters; the rest are read from the store
// when asked for.
inline constexpr size_t kDefaultModelCacheBytes = size_t{256} << 20;
// Jobs trained on workers at once: one dispatcher thread each, idle on a
// condition variable while there is nothing to dispatch.
inline constexpr uint32_t kDefaultMaxRemoteJobs = 64;

// What shutdown does with RUNNING jobs.
enum class ShutdownMode {
  kInterrupt,  // they checkpoint and stop; they and the queued jobs go on after a restart
  kCancel,     // they and the queued jobs are cancelled
  kFinish,     // they finish; queued jobs are cancelled
};

// Per-tenant bounds (0: none). A tenant's jobs past max_queued_jobs are
// refused (resource_exhausted naming the flag); past max_running_jobs they
// wait in the queue while other tenants' jobs start.
struct TenantLimits {
  size_t max_queued_jobs = 0;
  uint32_t max_running_jobs = 0;
};

struct JobManagerOptions {
  // Jobs RUNNING at once; 0 is treated as 1.
  uint32_t max_concurrent_jobs = kDefaultMaxConcurrentJobs;
  // OpenMP threads one job may use. 0: usable cores / max_concurrent_jobs, at
  // least 1. A larger value is lowered to that share (see thread_budget()).
  uint32_t threads_per_job = 0;
  // QUEUED jobs accepted before create_job answers resource_exhausted.
  size_t max_queued_jobs = kDefaultMaxQueuedJobs;
  // Finished jobs kept; when one more ends, the one that ended first is
  // forgotten (not_found from then on), so memory stays bounded however many
  // jobs a long-lived server runs. 0 is treated as 1.
  size_t max_finished_jobs = kDefaultMaxFinishedJobs;
  // Seconds of training between a running job's checkpoints (0: none by
  // time; a shutdown still takes one). Only with a store.
  double checkpoint_every_seconds = kDefaultCheckpointSeconds;
  // With a store, a finished job's model lives on disk and at most this many
  // bytes of models are kept in memory (the most recently used; one bigger
  // than this is read for each use). Without a store every kept job's model
  // stays in memory, this bound aside.
  size_t model_cache_bytes = kDefaultModelCacheBytes;
  // Where data.files may lie (--data-root); checked again when a job starts.
  DataRoots data_roots{};
  TenantLimits tenant_limits{};
  // Workers that joined this server (the Coordinator service); null: every
  // job trains in this process. With it, up to max_remote_jobs jobs train on
  // workers with room, beside the max_concurrent_jobs trained here.
  WorkerRegistry* workers = nullptr;
  uint32_t max_remote_jobs = kDefaultMaxRemoteJobs;
  // false (--coordinator): nothing trains in this process, every job waits
  // for a worker; its threads are then the worker's to lower.
  bool train_locally = true;
};

// OK, or invalid_argument for options that cannot keep the promise that
// concurrent jobs never share a core: max_concurrent_jobs 0, more concurrent
// jobs than `cores`, or threads_per_job * max_concurrent_jobs above `cores`.
// For the server's flag parsing; the constructor itself accepts anything.
engine::Status validate_options(const JobManagerOptions& options, int cores);

// The workers a job trains on at once: spec.distributed.workers (1 unless
// the job is data-parallel).
inline uint32_t ranks_of(const v1::TrainingSpec& spec) {
  return std::max<uint32_t>(1, spec.distributed().workers());
}

// The answer for a job id this server does not know, and, word for word, for
// another tenant's job (TrainerService): a tenant cannot tell the two apart.
inline engine::Status job_not_found(const std::string& id) {
  return engine::not_found("job \"" + id + "\" not found");
}

// What an idempotency key is stored with to tell "the same CreateJob" from
// another: 16 hex digits of the stable hash (engine/base/message_hash) of the
// spec as sent, serialized deterministically (maps in key order), so it is the
// same after a restart and for the same spec however its maps were filled.
std::string spec_digest(const v1::TrainingSpec& spec);

// Thread-safe. The manager's mutex guards job records and the queue only; it is
// never held while a trainer is built or runs, and the training thread only
// touches atomics and the job's EventLog, so RPCs never wait for a step.
class JobManager {
 public:
  // `metrics` (optional) receives state changes, queue length and each job's
  // series. `store` (optional) keeps every job on disk: its row is written when
  // the job is queued and when it ends, and deleted when it is forgotten, in
  // that order, by whichever thread changed the job, after it let go of the
  // manager's lock. Both must outlive the manager.
  explicit JobManager(JobManagerOptions options = {}, ServerMetrics* metrics = nullptr,
                      JobStore* store = nullptr);
  // shutdown(/*cancel_running=*/true): cancels everything and joins the workers.
  ~JobManager();

  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Produces a job's data when the job starts, on its worker thread. An error
  // (or exception) fails that job alone, with the error's message as reason.
  using DataLoader = std::function<engine::Result<engine::DataSplits>()>;

  // Queues a job for `spec` (which the caller has validated; it is checked
  // again, cheaply) trained on what `load` returns when it starts. The job's
  // spec is with_defaults(spec) with threads lowered to thread_budget() when it
  // asks for more: a job never gets more than its share of the cores. And
  // data.no_prefetch is set when the job's threads fill its share, so the
  // trainer's prefetch thread cannot land on another job's core.
  // A non-empty idempotency_key already used with the same spec (as sent:
  // spec_digest) returns that job and drops `load`, even once shutdown has
  // begun; used with another spec it is already_exists naming the key and
  // the job (AIP-155: a key names one request).
  // The job belongs to `tenant` (Job.tenant); idempotency keys are the
  // tenant's own, so one tenant's key never finds another's job.
  // Errors: unavailable "server is shutting down; ..." (retryable), resource_exhausted
  // when max_queued_jobs are queued or the tenant has its limit's worth
  // queued, invalid_argument from validate_spec.
  engine::Result<v1::Job> create_job(const v1::TrainingSpec& spec,
                                     const std::string& idempotency_key, DataLoader load,
                                     const std::string& tenant = {});

  // Builds the data loader of a job taken back from the store.
  using LoaderFactory = std::function<DataLoader(const v1::TrainingSpec&)>;

  // Takes back the jobs a previous server left in the store (JobStore::load_all),
  // before any job is created. Finished jobs return as they were, events
  // included; their models stay in the store until asked for. With `loader_for`, unfinished ones go
  // on: QUEUED jobs return to the queue in their order, after the RUNNING ones, which resume from
  // their newest intact checkpoint (or from the start) and continue their event log's numbering.
  // Without it they return FAILED, saying so. Then the oldest finished jobs beyond
  // max_finished_jobs are forgotten.
  void restore(std::vector<StoredJob> jobs, LoaderFactory loader_for = nullptr);

  // A snapshot of the job, progress included; not_found naming an unknown id.
  engine::Result<v1::Job> get_job(const std::string& id) const;

  // Every job in `filter`'s state (JOB_STATE_UNSPECIFIED: all), in creation
  // order; only `tenant`'s unless it is null.
  std::vector<v1::Job> list_jobs(v1::JobState filter = v1::JOB_STATE_UNSPECIFIED,
                                 const std::string* tenant = nullptr) const;

  // The tenant a job belongs to; not_found, worded as get_job's, for an unknown id.
  engine::Result<std::string> tenant_of(const std::string& id) const;

  // A QUEUED job becomes CANCELLED at once. A RUNNING job is asked to stop and
  // is returned still RUNNING; it ends CANCELLED within one step (or with its
  // natural outcome if it finished first). Cancelling it again is harmless.
  // A finished job is failed_precondition naming its state; unknown, not_found.
  engine::Result<v1::Job> cancel_job(const std::string& id);

  // The trained model of a SUCCEEDED job as an engine model file
  // (engine/model_file.hpp), shared, not copied. With a store it is there from
  // the job's end and served through the model cache (read from the store on
  // a miss, without the manager's lock); without one (or when its write
  // failed) it is kept in memory as long as the job is kept. not_found for an
  // unknown (or forgotten) id; failed_precondition naming the state for a job
  // that has not SUCCEEDED; data_loss when the store lost the model.
  engine::Result<std::shared_ptr<const std::string>> model_bytes(const std::string& id) const;
  // What model_bytes would answer, without reading the model: OK for a kept
  // SUCCEEDED job (Predict checks it before using a model it loaded earlier).
  engine::Status has_model(const std::string& id) const;

  // The directories server-side files (data.files) may come from.
  const DataRoots& data_roots() const { return data_roots_; }

  // The model cache's bound in bytes (JobManagerOptions::model_cache_bytes).
  size_t model_cache_capacity() const { return model_cache_.capacity(); }

  // The job's events, for watchers; null for an unknown id.
  std::shared_ptr<EventLog> event_log(const std::string& id) const;

  // Waits until nothing is queued or running; false if `timeout` passed first.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  // Stops accepting jobs (create_job: unavailable) and joins the workers;
  // RUNNING and QUEUED jobs as `mode` says. kInterrupt: each running job
  // checkpoints at its next step and stays RUNNING in the store, queued jobs
  // stay QUEUED, and their watchers end with UNAVAILABLE (reconnect with
  // from_sequence). Idempotent; blocks until joined.
  void shutdown(ShutdownMode mode);
  // shutdown(kCancel) or shutdown(kFinish).
  void shutdown(bool cancel_running) {
    shutdown(cancel_running ? ShutdownMode::kCancel : ShutdownMode::kFinish);
  }

  // OpenMP threads each job may use.
  uint32_t thread_budget() const { return thread_budget_; }

 private:
  struct JobRecord;
  struct Ending;
  // A write to the store, queued under the manager's lock and made after it.
  struct StoreOp {
    enum class Kind { kInsertNew, kSave, kForget };
    Kind kind;
    v1::Job job;  // kForget: only the id
    std::string idempotency_key;
    std::shared_ptr<EventLog> log;
    std::shared_ptr<const std::string> model;
    std::string spec_digest;
  };

  // create_job and cancel_job under the lock; their callers persist() after.
  engine::Result<v1::Job> enqueue(v1::TrainingSpec job_spec, const std::string& idempotency_key,
                                  const std::string& spec_digest, DataLoader load,
                                  const std::string& tenant);
  engine::Result<v1::Job> request_cancel(const std::string& id);
  // A job whose queued row the store refused is taken back while it is still
  // queued, so no client holds a job a restart would lose: returns the
  // store's error then, OK when the row is stored (or the job already runs).
  engine::Status withdraw_if_unstored(const std::string& id);
  // Where a job taken off the queue trains: here, or on a worker (dispatch).
  enum class Runner { kLocal, kRemote };
  void worker_loop(Runner runner);
  // What the first shutdown does to queued and running jobs.
  void stop_jobs(ShutdownMode mode);
  // Loads the job's data, then trains; every failure ends in the returned Ending.
  Ending run_job(JobRecord& job, DataLoader load);
  // The same on a worker (job_manager_remote.cpp): the job's data files are
  // checked here, the worker trains, and its reports reach the job's observer
  // in order. An Ending with `moved` when the worker was lost first.
  // `ranks`: the attempt's runs, rank 0 first (one unless data-parallel).
  Ending run_remote_job(JobRecord& job, const std::vector<std::shared_ptr<RemoteRun>>& ranks);
  // A job whose worker was lost goes back to the front of the queue, to
  // resume from its newest stored checkpoint (or from the start).
  void requeue_moved(JobRecord& job);
  // For a job on data.files, on its worker before loading: every path must
  // still be its own canonical path inside a root (data_roots_); a resuming job's
  // files must match the fingerprints it recorded (else the error names the
  // file); any other job records them and saves them to the store.
  engine::Status check_data_files(JobRecord& job);
  // Records how the run ended, under the lock.
  void finish_run(JobRecord& job, const Ending& ending);
  // The caller holds mutex_ for these.
  std::string new_job_id();
  // The first queued job a runner may start: its row is stored and its
  // tenant is below max_running_jobs; for kRemote, while a worker has room
  // (a job on an uploaded dataset too: its worker fetches it); a data-parallel job
  // only for kRemote, once as many workers have room as it has ranks;
  // queue_.end() when there is none.
  std::deque<std::shared_ptr<JobRecord>>::iterator next_runnable(Runner runner);
  // The key idempotency_keys_ files a tenant's key under.
  static std::string idempotency_slot(const std::string& tenant, const std::string& key);
  // Ends a job that never started (the caller has taken it off the queue).
  void cancel_queued(JobRecord& job, const std::string& why);
  void end_job(JobRecord& job, v1::JobState state, std::string reason);
  // What every end writes: final state, reason and time, the state event, the
  // closed log, and the job's save to the store.
  void close_record(JobRecord& job, v1::JobState state, std::string reason);
  // Forgets the jobs that ended first until at most max_finished_jobs_ remain.
  void forget_oldest_finished();
  // The job as clients see it, or (as_stored) as the store gets it: an end
  // that is not stored yet shows as RUNNING to clients.
  v1::Job snapshot(const JobRecord& job, bool as_stored = false) const;
  // Sets the `waiting` of a data-parallel job in the queue (QUEUED, or
  // RUNNING when it moved off a lost worker) from the workers' room now.
  // Called without mutex_ held: the registry takes its own lock.
  void describe_waiting(v1::Job& job) const;
  void queue_store_op(StoreOp::Kind kind, const JobRecord& job);
  // Makes the queued store writes, in order. Called without the manager's lock.
  void persist();
  // Writes a running job's Job message (its progress) to the store; called by
  // its worker after each epoch, without the manager's lock.
  void save_progress(const JobRecord& job);
  // Once `model` is in the store: the job's record lets go of it and the
  // model cache keeps it (an export or a prediction often follows an end).
  void drop_stored_model(const std::string& id, const std::shared_ptr<const std::string>& model);
  // has_model under the manager's lock.
  engine::Status model_state(const std::string& id) const;
  // Counts and logs a failed store write.
  void note_store_result(const engine::Status& written);
  // One queued write; a stored end is shown (its log released and closed).
  engine::Status write_store_op(const StoreOp& op);
  // Writes the ends the store refused before, in order; those it refuses
  // again stay, unless their job was forgotten meanwhile. Without the
  // manager's lock.
  void retry_unstored_ends();
  // The job's worker, after its end was queued and persist()ed: returns once
  // the end is stored, retrying with backoff, or once the server is stopping
  // (then the job stays RUNNING in the store and resumes after the restart).
  void wait_until_stored(JobRecord& job);
  // An end queued but not in the store yet. The caller holds mutex_.
  bool unstored_end(const JobRecord& job) const;
  // A running job's checkpoint, with the events it covers, to the store; on
  // the job's worker, between steps.
  void save_checkpoint(JobRecord& job, const v1::TrainingCheckpoint& checkpoint);
  // Restores the newest of the job's checkpoints that `trainer` accepts; the
  // job's log goes on after what it covers. Returns the step it resumes at.
  uint64_t resume(JobRecord& job, engine::Trainer& trainer);
  // What every resume does once the checkpoint it restored is known (null:
  // none, the run starts over): the log goes on after the events `from`
  // covers, and Job.resumes and resumed_from_step count it. Returns the step.
  uint64_t mark_resumed(JobRecord& job, const StoredCheckpoint* from);

  const uint32_t max_concurrent_jobs_;
  const size_t max_queued_jobs_;
  const size_t max_finished_jobs_;
  const uint32_t core_share_;  // usable cores / max_concurrent_jobs, at least 1
  const uint32_t thread_budget_;
  const double checkpoint_every_seconds_;
  const DataRoots data_roots_;
  WorkerRegistry* const remote_;  // may be null
  const bool train_locally_;
  ServerMetrics* const metrics_;  // may be null
  JobStore* const store_;         // may be null
  // Finished jobs' models read from the store (only with one); thread-safe
  // on its own, so model_bytes fills it without the manager's lock.
  mutable ModelFileCache model_cache_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;    // queue gained a job, or stopping
  mutable std::condition_variable idle_;  // a job left the queue or finished
  std::map<std::string, std::shared_ptr<JobRecord>> jobs_;
  std::vector<std::shared_ptr<JobRecord>> creation_order_;
  std::deque<std::shared_ptr<JobRecord>> queue_;
  std::map<std::string, std::string> idempotency_keys_;  // idempotency_slot -> job id
  std::deque<std::string> finished_order_;               // ids, the first to end first
  size_t running_ = 0;
  bool stopping_ = false;
  const TenantLimits tenant_limits_;
  std::map<std::string, uint32_t> running_by_tenant_;  // RUNNING jobs per tenant
  std::deque<StoreOp> store_ops_;
  // Ends the store refused, to write again (retry_unstored_ends); their logs
  // stay held, so clients still see the job as before its end.
  std::deque<StoreOp> unstored_ends_;
  std::condition_variable store_retry_;  // a retry's wait, cut short by shutdown

  // Held while store_ops_ are written (taken before mutex_, never after), so
  // one job's writes reach the store in the order they were queued.
  std::mutex store_mutex_;

  std::mutex join_mutex_;  // one shutdown joins; a concurrent one waits for it
  std::vector<std::thread> workers_;
};

}  // namespace gradstream::server

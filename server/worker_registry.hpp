// WorkerRegistry: the workers that joined this server (gradstream-worker
// --coordinator), what each holds, and when each was last heard from. The
// Coordinator service's RPCs land here; the job manager's dispatchers reserve
// a worker's slot for a job and wait on the RemoteRun it gives them. A worker
// not heard from for lost_after_seconds is lost: every run it held is lost
// (its dispatcher puts the job back in the queue, to resume elsewhere) and it
// must join again, when it is told to drop what it still trains.
#pragma once

#include <chrono>
#include <condition_variable>
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
#include "gradstream/v1/worker.pb.h"
#include "server/remote_run.hpp"
#include "server/worker_metrics.hpp"

namespace gradstream::server {

inline constexpr double kDefaultHeartbeatSeconds = 1.0;
inline constexpr double kDefaultWorkerLostSeconds = 10.0;
// Bounds of the two flags: a heartbeat more often than this is load for no
// gain; lost_after must leave room for several heartbeats.
inline constexpr double kMinHeartbeatSeconds = 0.05;
inline constexpr double kMaxWorkerLostSeconds = 3600.0;
inline constexpr double kMinHeartbeatsBeforeLost = 2.0;
// Jobs one worker may take at once, and the length of its name.
inline constexpr uint32_t kMaxWorkerJobs = 256;

struct WorkerRegistryOptions {
  double heartbeat_seconds = kDefaultHeartbeatSeconds;
  double lost_after_seconds = kDefaultWorkerLostSeconds;
};

// invalid_argument naming the flag unless kMinHeartbeatSeconds <= heartbeat
// and kMinHeartbeatsBeforeLost heartbeats fit in lost_after (at most
// kMaxWorkerLostSeconds).
engine::Status validate_worker_options(const WorkerRegistryOptions& options);

// Thread-safe. Lock order: the job manager's mutex, then this one; the
// registry never calls out while holding it.
class WorkerRegistry {
 public:
  // `metrics` may be null. Starts the thread that declares workers lost.
  explicit WorkerRegistry(WorkerRegistryOptions options, WorkerMetrics* metrics = nullptr);
  ~WorkerRegistry();
  WorkerRegistry(const WorkerRegistry&) = delete;
  WorkerRegistry& operator=(const WorkerRegistry&) = delete;

  // Called, without the registry's lock, when a worker may have room for a
  // job it had not (it joined, or a run ended): the job manager's dispatchers
  // wait for that.
  void on_room(std::function<void()> listener);

  // The RPCs. Their requests are the workers' own; every error names the field.
  engine::Result<v1::JoinResponse> join(const v1::JoinRequest& request);
  engine::Result<v1::HeartbeatResponse> heartbeat(const v1::HeartbeatRequest& request);
  engine::Result<v1::ReportJobResponse> report(v1::ReportJobRequest& request);
  engine::Result<v1::RendezvousResponse> rendezvous(const v1::RendezvousRequest& request);
  // The data.dataset_id of the attempt a FetchDataset call names, fenced as
  // report() is (not_found: an unknown worker; failed_precondition: an
  // attempt not its own, or a job not on an uploaded dataset).
  engine::Result<std::string> dataset_of(const v1::FetchDatasetRequest& request);

  // Whether `ranks` workers could each take a job now (a data-parallel job
  // needs its ranks on distinct workers).
  bool has_room(uint32_t ranks = 1) const;
  // Reserves a slot for one attempt of a job on the worker with the most free
  // slots; null when none has room.
  std::shared_ptr<RemoteRun> reserve(const std::string& job_id, uint64_t attempt,
                                     const std::atomic<bool>* cancel,
                                     const std::atomic<bool>* interrupt);
  // The same for the `ranks` ranks of a data-parallel job, one per worker,
  // the workers with the most free slots first, in one RunGroup (rank 0
  // first); empty when fewer than `ranks` workers have room.
  std::vector<std::shared_ptr<RemoteRun>> reserve_group(const std::string& job_id, uint64_t attempt,
                                                        uint32_t ranks,
                                                        const std::atomic<bool>* cancel,
                                                        const std::atomic<bool>* interrupt);
  // The worker gets `assignment` at its next heartbeat, unless it was lost
  // since `run` was reserved (run->lost() then).
  void assign(const std::shared_ptr<RemoteRun>& run, v1::JobAssignment assignment);
  // The attempt is over (finished, or lost): its slot is free.
  void release(const RemoteRun& run);

  size_t workers() const;
  // How many workers have joined, and how many of them have a free slot.
  struct Room {
    size_t joined = 0;
    size_t with_room = 0;
  };
  Room room() const;
  // Stops the loss detector and loses every run (the server is going away).
  void stop();

 private:
  struct Worker {
    std::string id;
    v1::WorkerInfo info;
    std::chrono::steady_clock::time_point last_seen;
    std::map<std::string, std::shared_ptr<RemoteRun>> runs;  // by job id
    std::deque<v1::JobAssignment> to_start;                  // reserved, not handed yet
    // data.dataset_id of the runs assigned on an uploaded dataset, by job id.
    std::map<std::string, std::string> datasets;
  };

  // The caller holds mutex_.
  Worker* find(const std::string& id);
  // The run a worker's call is about: not_found for an unknown worker,
  // failed_precondition for an attempt that is not its own (fenced off).
  engine::Result<std::shared_ptr<RemoteRun>> run_of(const std::string& worker_id,
                                                    const std::string& job_id, uint64_t attempt);
  // The same, with mutex_ held by the caller.
  engine::Result<std::shared_ptr<RemoteRun>> held_run(const std::string& worker_id,
                                                      const std::string& job_id, uint64_t attempt);
  uint32_t free_slots(const Worker& worker) const;
  void lose_worker(std::map<std::string, Worker>::iterator it);
  void watch_loop();
  void notify_room();

  const WorkerRegistryOptions options_;
  WorkerMetrics* const metrics_;
  const std::string instance_;  // part of every worker id: ids never repeat across restarts

  mutable std::mutex mutex_;
  std::map<std::string, Worker> workers_;  // by id
  uint64_t next_worker_ = 1;
  bool stopping_ = false;
  std::condition_variable stop_;
  std::function<void()> room_listener_;
  std::mutex listener_mutex_;
  std::thread watcher_;
};

}  // namespace gradstream::server

// WorkerAgent: a gradstream-worker's membership of its coordinator. It joins
// (again, whenever the coordinator no longer knows it), heartbeats with the
// jobs it trains, starts the jobs each answer hands it (a JobRunner thread
// each) and passes on cancel, interrupt and drop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/connection.hpp"
#include "engine/distributed/gloo_collective.hpp"
#include "gradstream/v1/worker.grpc.pb.h"
#include "worker/job_runner.hpp"
#include "worker/report_outbox.hpp"

namespace gradstream::worker {

// Waits between attempts to reach a coordinator that does not answer.
inline constexpr std::chrono::milliseconds kFirstJoinRetry{200};
inline constexpr std::chrono::milliseconds kMostJoinRetry{5000};

struct WorkerOptions {
  v1::WorkerInfo info;  // name, cores, memory, ISA, max_jobs, threads_per_job
  JobBudget budget;
  // Where this worker's ranks of data-parallel jobs listen for their peers.
  engine::GlooOptions gloo;
};

class WorkerAgent {
 public:
  WorkerAgent(WorkerOptions options, client::Connection& connection);
  // Cancels what still trains (unreported: the coordinator resumes it
  // elsewhere) and joins every thread.
  ~WorkerAgent();
  WorkerAgent(const WorkerAgent&) = delete;
  WorkerAgent& operator=(const WorkerAgent&) = delete;

  // Joins and heartbeats until `stop` is raised. Returns the last failure
  // that ended it for good (PERMISSION_DENIED, UNAUTHENTICATED,
  // INVALID_ARGUMENT on join), OK when stopped.
  grpc::Status run(const std::atomic<bool>& stop);

 private:
  struct Job {
    v1::WorkerJob id;
    JobFlags flags;
    std::unique_ptr<ReportOutbox> outbox;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  grpc::Status join(const std::atomic<bool>& stop);
  // One heartbeat; the answer applied. NOT_FOUND: join again.
  grpc::Status heartbeat();
  void apply(const v1::HeartbeatResponse& response);
  // The jobs still training, as the coordinator knows them.
  void list_running(google::protobuf::RepeatedPtrField<v1::WorkerJob>& out);
  void start(const v1::JobAssignment& assignment);
  // Fetches a job's uploaded dataset over this worker's channel, as
  // `worker_id` (the membership that was handed the job), logging how long it took.
  DatasetFetch dataset_fetch(const std::string& worker_id);
  // Joins the threads of jobs that ended; with `all`, cancels and joins every one.
  void reap(bool all);
  // Raises `flag` of the job the command names, if it still trains that attempt.
  void raise(const v1::WorkerJob& command, std::atomic<bool> JobFlags::*flag, bool drop);

  const WorkerOptions options_;
  client::Connection& connection_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  std::string worker_id_;
  std::chrono::duration<double> heartbeat_interval_{1.0};

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;  // by job id
};

}  // namespace gradstream::worker

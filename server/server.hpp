// GrpcServer: gradstream-server's gRPC side, built from a ServerConfig. Owns
// the DatasetStore, the JobManager and the Trainer service, plus the standard
// grpc.health.v1 health service and server reflection.
#pragma once

#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include "engine/base/status.hpp"
#include "server/coordinator_service.hpp"
#include "server/data_dir_lock.hpp"
#include "server/dataset_store.hpp"
#include "server/job_manager.hpp"
#include "server/job_store.hpp"
#include "server/server_config.hpp"
#include "server/server_metrics.hpp"
#include "server/trainer_service.hpp"

namespace gradstream::server {

// The service name the health service reports, as in trainer.proto.
inline constexpr char kTrainerServiceName[] = "gradstream.v1.Trainer";

class GrpcServer {
 public:
  // Validates `config` (invalid_argument naming the field), creates data_dir
  // and opens its dataset store (uploads survive a restart),
  // then builds and starts the server. An address that cannot be bound is
  // failed_precondition naming it, never a crash.
  static engine::Result<std::unique_ptr<GrpcServer>> start(const ServerConfig& config);

  // shutdown(0 ms) if it has not run.
  ~GrpcServer();

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The bound port (the one gRPC picked when the address asked for port 0).
  int port() const { return port_; }
  // The port /metrics is served on; 0 when config.metrics_address is empty.
  int metrics_port() const { return metrics_->port(); }
  ServerMetrics& metrics() { return *metrics_; }

  // Marks the health service NOT_SERVING, stops the job manager (cancelling
  // RUNNING jobs when config.cancel_running_on_shutdown, else waiting for them),
  // then stops gRPC: no new calls, in-flight ones get until `deadline` to
  // finish and are cancelled after that. Idempotent and thread-safe: a second
  // call waits for the first.
  void shutdown(std::chrono::milliseconds deadline);

  // Blocks until shutdown() has stopped the gRPC server.
  void wait();

 private:
  GrpcServer(const ServerConfig& config);

  const ServerConfig config_;
  // Declared in the order they are built; destroyed server first.
  std::unique_ptr<ServerMetrics> metrics_;      // read by the jobs and the interceptor
  std::unique_ptr<DataDirLock> data_dir_lock_;  // held while anything below uses data_dir
  // Before the jobs: a queued job's loader reads from the store.
  std::unique_ptr<DatasetStore> datasets_;   // <data_dir>/datasets
  std::unique_ptr<JobStore> job_store_;      // <data_dir>/jobs.sqlite; outlives jobs_
  std::unique_ptr<WorkerRegistry> workers_;  // outlives jobs_, whose dispatchers use it
  std::unique_ptr<JobManager> jobs_;
  std::unique_ptr<TokenAuthenticator> tokens_;  // null without --auth-tokens
  std::unique_ptr<TrainerService> service_;
  std::unique_ptr<CoordinatorService> coordinator_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex shutdown_mutex_;
  bool shut_down_ = false;
};

}  // namespace gradstream::server

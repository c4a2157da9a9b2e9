// ServerConfig: everything gradstream-server is told at start (flags or a
// config file), with the defaults a new user gets, and validate_config, which
// checks a config before anything is built from it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/spec/spec_validator.hpp"
#include "server/auth_tokens.hpp"
#include "server/job_manager.hpp"
#include "server/server_metrics.hpp"
#include "server/tls_config.hpp"

namespace gradstream::server {

inline constexpr char kDefaultListenAddress[] = "localhost:50051";
inline constexpr char kDefaultMetricsAddress[] = "0.0.0.0:9464";
inline constexpr char kDefaultDataDir[] = "./var";
inline constexpr uint32_t kDefaultThreadsPerJob = 0;  // usable cores / max_concurrent_jobs
inline constexpr int64_t kDefaultMaxMessageBytes = int64_t{16} << 20;  // 16 MiB
// gRPC takes message limits as an int.
inline constexpr int64_t kMaxMessageBytesLimit = 2147483647;
inline constexpr int64_t kDefaultMaxDatasetBytes = int64_t{1} << 30;  // 1 GiB
inline constexpr int64_t kDefaultMaxParameters = engine::kMaxParameters;
inline constexpr bool kDefaultCancelRunningOnShutdown = false;
inline constexpr int64_t kDefaultShutdownGraceMs = 5000;
inline constexpr int64_t kDefaultModelCacheMb = int64_t{kDefaultModelCacheBytes >> 20};
inline constexpr int64_t kMaxModelCacheMb = int64_t{1} << 20;  // 1 TiB
// A watcher whose write has not completed for this long is cut off
// (kDefaultWatchStallLimit); at most an hour.
inline constexpr int64_t kDefaultWatchStallSeconds = 30;
inline constexpr int64_t kMaxWatchStallSeconds = 3600;
inline constexpr int64_t kMaxMetricsJobRetentionSeconds = 7 * 24 * 3600;  // a week
// Each exported job adds ~15 series plus ~5 per layer; 10000 jobs is already
// more than one Prometheus server should scrape from one target.
inline constexpr int64_t kMaxMetricsMaxJobs = 10000;
inline constexpr int64_t kMaxAuthReloadSeconds = 24 * 3600;

struct ServerConfig {
  // host:port for gRPC; port 0 picks a free one (GrpcServer::port() says which).
  std::string listen_address = kDefaultListenAddress;
  // host:port for Prometheus' /metrics; port 0 picks a free one
  // (GrpcServer::metrics_port() says which); empty: metrics are not served.
  std::string metrics_address = kDefaultMetricsAddress;
  // How long a finished job's series stay on /metrics (0: gone at once).
  int64_t metrics_job_retention_seconds = kDefaultMetricsJobRetention.count();
  // Jobs whose series are exported at once (docs/metrics.md, bounded cardinality).
  int64_t metrics_max_jobs = static_cast<int64_t>(kDefaultMetricsMaxJobs);
  // Where uploaded datasets and job state live.
  std::string data_dir = kDefaultDataDir;
  // Directories a spec's data.files may name files in (--data-root, repeatable);
  // none: every server-side file is refused. Resolved when the server starts.
  std::vector<std::string> data_roots;
  uint32_t max_concurrent_jobs = kDefaultMaxConcurrentJobs;
  uint32_t threads_per_job = kDefaultThreadsPerJob;
  uint64_t max_queued_jobs = kDefaultMaxQueuedJobs;
  // Finished jobs kept (with their events and models) before the oldest is forgotten.
  uint64_t max_finished_jobs = kDefaultMaxFinishedJobs;
  // MiB of finished jobs' model files kept in memory (the rest are read from
  // <data_dir>/jobs.sqlite when exported or first predicted on); Predict's
  // loaded models get the same bound again. 0: none kept.
  int64_t model_cache_mb = kDefaultModelCacheMb;
  // Largest gRPC message received or sent.
  int64_t max_message_bytes = kDefaultMaxMessageBytes;
  // Largest dataset one upload may store.
  int64_t max_dataset_bytes = kDefaultMaxDatasetBytes;
  // Largest model (trainable floats) a job may ask for; at most engine::kMaxParameters.
  int64_t max_parameters = kDefaultMaxParameters;
  // On SIGTERM: cancel RUNNING and QUEUED jobs, instead of checkpointing the
  // running ones and keeping both for the next server (the default).
  bool cancel_running_on_shutdown = kDefaultCancelRunningOnShutdown;
  // Seconds of training between a running job's checkpoints (0: only at shutdown).
  double checkpoint_every_seconds = kDefaultCheckpointSeconds;
  // How long in-flight RPCs (streams included) get to finish on shutdown.
  int64_t shutdown_grace_ms = kDefaultShutdownGraceMs;
  // Seconds a WatchJob write may stay incomplete (the client not reading)
  // before the stream is cancelled; the client reconnects with from_sequence.
  int64_t watch_stall_seconds = kDefaultWatchStallSeconds;
  // gRPC over (mutual) TLS and /metrics over HTTPS; plaintext when empty.
  TlsConfig tls;
  // The bearer-token file (auth_tokens.hpp); empty: no authentication, every
  // caller is one anonymous tenant that sees everything.
  std::string auth_tokens;
  // Seconds between looks at the token file for a change (a revoked token).
  int64_t auth_reload_seconds = kDefaultAuthReloadInterval.count();
  // Per tenant (0: none; they need auth_tokens): jobs QUEUED, jobs RUNNING at
  // once, bytes of uploaded datasets stored.
  uint64_t tenant_max_queued_jobs = 0;
  uint32_t tenant_max_running_jobs = 0;
  int64_t tenant_max_dataset_bytes = 0;
  // Users allowed to scrape /metrics with basic auth (metrics_auth.hpp); empty: anyone.
  std::string metrics_auth;
  // Workers (gradstream-worker --coordinator) may join any server; with
  // `coordinator` nothing trains in this process and every job waits for one.
  bool coordinator = false;
  double heartbeat_seconds = kDefaultHeartbeatSeconds;
  double worker_lost_seconds = kDefaultWorkerLostSeconds;
  uint32_t max_remote_jobs = kDefaultMaxRemoteJobs;
};

// The worker registry's part of `config`.
WorkerRegistryOptions worker_registry_options(const ServerConfig& config);

// The job manager's part of `config`.
JobManagerOptions job_manager_options(const ServerConfig& config);
// The metrics' part of `config`.
ServerMetricsOptions server_metrics_options(const ServerConfig& config);

// OK, or invalid_argument "<field>: <what is wrong>" for the first bad field,
// the field spelled as in ServerConfig (its flag is the same with dashes:
// max_message_bytes is --max-message-bytes; listen_address also --listen).
// `cores`: usable cores (see engine usable_cores()); the job part is
// validate_options' check that concurrent jobs never share a core.
engine::Status validate_config(const ServerConfig& config, int cores);

}  // namespace gradstream::server

// gradstream-server: parses flags (or a --config TOML/INI file) into a
// ServerConfig, starts the GrpcServer, and shuts it down gracefully on
// SIGTERM or SIGINT (exit 0).
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "engine/base/json_text.hpp"
#include "server/log.hpp"
#include "server/server.hpp"
#include "server/server_config.hpp"
#include "server/stop_signals.hpp"

namespace {

using gradstream::engine::json_quoted;
using gradstream::server::log_line;

}  // namespace

int main(int argc, char** argv) {
  using gradstream::server::ServerConfig;
  ServerConfig config;

  CLI::App app{"gradstream-server: trains neural networks on CPU, over gRPC"};
  app.set_config("--config", "", "Read options from this TOML/INI file (keys are flag names)");
  // The last --listen wins too (a restart on the port a first start picked).
  app.add_option("--listen,--listen-address", config.listen_address,
                 "gRPC host:port (port 0: any free port)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // The last --metrics-address wins, so scripts can give a default and callers override it.
  app.add_option("--metrics-address", config.metrics_address,
                 "Prometheus /metrics host:port (port 0: any free port; empty: off)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--metrics-job-retention-seconds", config.metrics_job_retention_seconds,
                 "How long a finished job's series stay on /metrics")
      ->capture_default_str();
  app.add_option("--metrics-max-jobs", config.metrics_max_jobs,
                 "Jobs whose series are on /metrics at once")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "Directory for datasets and job state")
      ->capture_default_str();
  app.add_option("--data-root", config.data_roots,
                 "Directory whose files a spec's data.files may name (repeatable; none: "
                 "server-side files are refused)")
      ->allow_extra_args(false);
  app.add_option("--max-concurrent-jobs", config.max_concurrent_jobs, "Jobs RUNNING at once")
      ->capture_default_str();
  app.add_option("--threads-per-job", config.threads_per_job,
                 "OpenMP threads per job (0: usable cores / max-concurrent-jobs)")
      ->capture_default_str();
  app.add_option("--max-finished-jobs", config.max_finished_jobs,
                 "Finished jobs kept (events, model) before the oldest is forgotten")
      ->capture_default_str();
  app.add_option("--model-cache-mb", config.model_cache_mb,
                 "MiB of finished jobs' models kept in memory; the rest are read from the job "
                 "store when used (Predict's loaded models get the same bound again)")
      ->capture_default_str();
  app.add_option("--max-queued-jobs", config.max_queued_jobs,
                 "QUEUED jobs accepted before CreateJob is RESOURCE_EXHAUSTED")
      ->capture_default_str();
  app.add_option("--max-message-bytes", config.max_message_bytes,
                 "Largest gRPC message received or sent")
      ->capture_default_str();
  app.add_option("--max-dataset-bytes", config.max_dataset_bytes,
                 "Largest dataset one upload may store")
      ->capture_default_str();
  app.add_option("--max-parameters", config.max_parameters,
                 "Largest model (trainable floats) a job may ask for")
      ->capture_default_str();
  app.add_flag("--cancel-running-on-shutdown", config.cancel_running_on_shutdown,
               "On SIGTERM cancel RUNNING and QUEUED jobs; by default running jobs checkpoint "
               "and, with the queued ones, go on when the server restarts");
  app.add_flag("--coordinator", config.coordinator,
               "Train nothing in this process: every job waits for a worker "
               "(gradstream-worker --coordinator ADDR) with room. Workers may join any server");
  app.add_option("--heartbeat-seconds", config.heartbeat_seconds,
                 "Seconds between a worker's heartbeats (told to each worker when it joins)")
      ->capture_default_str();
  app.add_option("--worker-lost-seconds", config.worker_lost_seconds,
                 "Seconds without a heartbeat after which a worker is lost and its jobs resume "
                 "from their last checkpoint on another")
      ->capture_default_str();
  app.add_option("--max-remote-jobs", config.max_remote_jobs,
                 "Jobs training on workers at once, over all workers")
      ->capture_default_str();
  app.add_option("--checkpoint-every", config.checkpoint_every_seconds,
                 "Seconds of training between a running job's checkpoints (0: only at shutdown)")
      ->capture_default_str();
  app.add_option("--shutdown-grace-ms", config.shutdown_grace_ms,
                 "Time in-flight RPCs get to finish on shutdown")
      ->capture_default_str();
  app.add_option("--watch-stall-seconds", config.watch_stall_seconds,
                 "Seconds a WatchJob write may wait on a client that stopped reading before "
                 "the stream is cancelled (the client reconnects with from_sequence)")
      ->capture_default_str();
  app.add_option("--tls-cert", config.tls.tls_cert,
                 "PEM certificate chain: serve gRPC (and /metrics) over TLS; needs --tls-key");
  app.add_option("--tls-key", config.tls.tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", config.tls.tls_client_ca,
                 "PEM CA bundle: require client certificates it signed (mutual TLS)");
  app.add_option("--metrics-tls-cert", config.tls.metrics_tls_cert,
                 "PEM certificate chain for /metrics over HTTPS (default: --tls-cert)");
  app.add_option("--metrics-tls-key", config.tls.metrics_tls_key,
                 "PEM private key of --metrics-tls-cert (default: --tls-key)");
  app.add_option("--tls-reload-seconds", config.tls.tls_reload_seconds,
                 "Seconds between checks of the certificate files for a change (rotation)")
      ->capture_default_str();
  app.add_option(
      "--auth-tokens", config.auth_tokens,
      "Token file: lines 'sha256:<hex of the token> TENANT user|worker|admin'; every RPC "
      "but health then needs 'authorization: Bearer <token>' (default: none, no auth)");
  app.add_option("--auth-reload-seconds", config.auth_reload_seconds,
                 "Seconds between checks of --auth-tokens for a change (a revoked token)")
      ->capture_default_str();
  app.add_option("--tenant-max-queued-jobs", config.tenant_max_queued_jobs,
                 "Jobs one tenant may have QUEUED (0: no limit)")
      ->capture_default_str();
  app.add_option("--tenant-max-running-jobs", config.tenant_max_running_jobs,
                 "Jobs of one tenant RUNNING at once; the rest wait (0: no limit)")
      ->capture_default_str();
  app.add_option("--tenant-max-dataset-bytes", config.tenant_max_dataset_bytes,
                 "Bytes of uploaded datasets one tenant may store (0: no limit)")
      ->capture_default_str();
  app.add_option("--metrics-auth", config.metrics_auth,
                 "Users allowed to scrape /metrics (basic auth): lines 'USER sha256:<hex of the "
                 "password>' (default: none, /metrics is open)");
  CLI11_PARSE(app, argc, argv);

  // Before gRPC starts any thread: only the sigwait thread below sees them.
  sigset_t stop_signals = gradstream::server::block_stop_signals();

  auto started = gradstream::server::GrpcServer::start(config);
  if (!started.ok()) {
    log_line("error", "cannot start", ",\"error\":" + json_quoted(started.status().message()));
    return 1;
  }
  gradstream::server::GrpcServer& server = **started;
  std::string metrics_fields;
  if (server.metrics_port() != 0) {
    metrics_fields = ",\"metrics_address\":" + json_quoted(config.metrics_address) +
                     ",\"metrics_port\":" + std::to_string(server.metrics_port()) +
                     ",\"metrics_tls\":" + (config.tls.metrics_cert().empty() ? "false" : "true");
  }
  log_line("info", "listening",
           ",\"address\":" + json_quoted(config.listen_address) +
               ",\"port\":" + std::to_string(server.port()) +
               ",\"tls\":" + (config.tls.grpc_tls() ? "true" : "false") +
               ",\"auth\":" + (config.auth_tokens.empty() ? "false" : "true") + metrics_fields);
  if (config.auth_tokens.empty()) {
    log_line("warn",
             "no --auth-tokens: every client that reaches the port can see, watch, "
             "export and cancel every job");
  }

  std::thread signal_waiter([&] {
    int signo = 0;
    sigwait(&stop_signals, &signo);
    log_line("info", "shutting down",
             ",\"signal\":" + json_quoted(signo == SIGTERM ? "SIGTERM" : "SIGINT"));
    server.shutdown(std::chrono::milliseconds(config.shutdown_grace_ms));
  });
  server.wait();
  signal_waiter.join();
  log_line("info", "stopped");
  return 0;
}

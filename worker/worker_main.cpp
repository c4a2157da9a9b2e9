// gradstream-worker: joins a gradstream-server (--coordinator ADDR), trains
// the jobs it is handed with the same engine, and sends their reports,
// checkpoints and models back. SIGTERM/SIGINT: every job checkpoints and is
// handed back, to resume on another worker; then it exits.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "client/connection.hpp"
#include "client/tls_options.hpp"
#include "engine/base/json_text.hpp"
#include "engine/base/parallel.hpp"
#include "engine/core/run_record.hpp"
#include "server/log.hpp"
#include "server/stop_signals.hpp"
#include "worker/worker_agent.hpp"

namespace {

using gradstream::engine::json_quoted;
using gradstream::server::log_line;

constexpr const char* kCoordinatorEnvVar = "GRADSTREAM_COORDINATOR";

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

// The host's name and this process's id: unique on one machine, and a pod's
// name in Kubernetes is its host name.
std::string default_name() {
  const std::string host = host_name();
  std::string name;
  for (const char* c = host.c_str(); *c != '\0' && name.size() < 48; ++c) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '-';
    name += allowed ? *c : '-';
  }
  return name + "-" + std::to_string(getpid());
}

uint64_t memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace client = gradstream::client;
  namespace worker = gradstream::worker;
  client::ConnectionOptions connection;
  connection.server = env_or(kCoordinatorEnvVar, client::kDefaultServer);
  connection.tls = client::tls_options_from_environment();
  connection.token = env_or(client::kTokenEnvVar, "");
  std::string name = default_name();
  uint32_t max_jobs = 1;
  uint32_t threads_per_job = 0;
  gradstream::engine::GlooOptions gloo;
  gloo.hostname = host_name();

  CLI::App app{"gradstream-worker: trains the jobs of a gradstream-server it joins"};
  app.add_option("--coordinator", connection.server,
                 std::string("The server's host:port (default: $") + kCoordinatorEnvVar +
                     ", else " + client::kDefaultServer + ")");
  app.add_option("--name", name,
                 "This worker's name, unique among the server's workers (a metric label; "
                 "default: host name and process id)");
  app.add_option("--max-jobs", max_jobs, "Jobs trained at once")
      ->capture_default_str()
      ->check(CLI::Range(1U, 256U));
  app.add_option("--threads-per-job", threads_per_job,
                 "OpenMP threads per job (0: usable cores / --max-jobs)")
      ->capture_default_str();
  app.add_option("--gloo-address", gloo.hostname,
                 "The address (or host name) this worker's ranks of data-parallel jobs listen "
                 "on for their peers (default: the host name; in a pod, its address)")
      ->capture_default_str();
  app.add_option("--gloo-interface", gloo.interface,
                 "A network interface (e.g. eth0) whose address to listen on instead");
  app.add_option("--timeout", connection.timeout_seconds, "Deadline of each call, in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  client::TlsOptions& tls = connection.tls;
  app.add_flag("--tls", tls.system_roots, "TLS, the server verified against the system's roots");
  app.add_option("--tls-ca", tls.ca_path, "TLS, the server verified against this PEM CA bundle");
  app.add_option("--tls-cert", tls.cert_path, "PEM client certificate for mutual TLS");
  app.add_option("--tls-key", tls.key_path, "PEM key of --tls-cert");
  app.add_option("--tls-server-name", tls.server_name,
                 "The name the server's certificate must carry, if not the address's host");
  CLI11_PARSE(app, argc, argv);

  // Before any thread (gRPC starts its own when credentials are first made):
  // only the sigwait thread below sees them.
  sigset_t stop_signals = gradstream::server::block_stop_signals();

  const int cores = gradstream::engine::usable_cores();
  const uint32_t share = std::max<uint32_t>(1, static_cast<uint32_t>(cores) / max_jobs);
  if (threads_per_job == 0) threads_per_job = share;
  if (threads_per_job * max_jobs > static_cast<uint32_t>(cores)) {
    log_line("error", "cannot start",
             ",\"error\":" +
                 json_quoted("--threads-per-job " + std::to_string(threads_per_job) +
                             " x --max-jobs " + std::to_string(max_jobs) + " is more than the " +
                             std::to_string(cores) + " usable cores"));
    return 2;
  }
  std::string error;
  auto credentials = client::channel_credentials(tls, &error);
  if (credentials == nullptr) {
    log_line("error", "cannot start", ",\"error\":" + json_quoted(error));
    return 2;
  }

  const gradstream::v1::RunRecord machine = gradstream::engine::describe_run(threads_per_job, 0);
  worker::WorkerOptions options;
  options.info.set_name(name);
  options.info.set_cores(static_cast<uint32_t>(cores));
  options.info.set_memory_bytes(memory_bytes());
  options.info.set_isa(machine.isa());
  options.info.set_cpu_model(machine.cpu_model());
  options.info.set_max_jobs(max_jobs);
  options.info.set_threads_per_job(threads_per_job);
  options.info.set_version(GRADSTREAM_VERSION);
  options.budget.threads = threads_per_job;
  options.budget.core_share = share;
  options.gloo = gloo;

  client::Connection channel(connection, credentials);
  worker::WorkerAgent agent(options, channel);
  std::atomic<bool> stop{false};
  std::thread signals([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    log_line("info", "stopping: jobs checkpoint and go back to the coordinator",
             ",\"signal\":" + std::to_string(signal));
    stop.store(true);
  });
  signals.detach();
  log_line("info", "worker starting",
           ",\"worker\":" + json_quoted(name) + ",\"coordinator\":" +
               json_quoted(connection.server) + ",\"max_jobs\":" + std::to_string(max_jobs) +
               ",\"threads_per_job\":" + std::to_string(threads_per_job) +
               ",\"isa\":" + json_quoted(machine.isa()));
  const grpc::Status ended = agent.run(stop);
  if (!ended.ok()) {
    log_line("error", "stopped", ",\"error\":" + json_quoted(ended.error_message()));
    return 1;
  }
  log_line("info", "stopped");
  return 0;
}

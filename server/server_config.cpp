// validate_config: every ServerConfig field checked before the server is built.
#include "server/server_config.hpp"

#include <chrono>
#include <string>

namespace gradstream::server {
namespace {

engine::Status check_range(const char* field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return engine::invalid_argument(std::string(field) + ": " + std::to_string(value) +
                                    " is out of range [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "]");
  }
  return engine::ok_status();
}

// "host:port" with a port in [0, 65535]; the host may be a name, an IPv4
// address or a bracketed IPv6 one.
bool is_host_port(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  const std::string port = address.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(port) <= 65535;
}

}  // namespace

ServerMetricsOptions server_metrics_options(const ServerConfig& config) {
  ServerMetricsOptions options;
  options.address = config.metrics_address;
  options.jobs.retention = std::chrono::seconds(config.metrics_job_retention_seconds);
  options.jobs.max_jobs = static_cast<size_t>(config.metrics_max_jobs);
  options.data_dir = config.data_dir;
  options.tls_cert = config.tls.metrics_cert();
  options.tls_key = config.tls.metrics_key();
  options.tls_reload_interval = std::chrono::seconds(config.tls.tls_reload_seconds);
  return options;
}

JobManagerOptions job_manager_options(const ServerConfig& config) {
  JobManagerOptions options;
  options.max_concurrent_jobs = config.max_concurrent_jobs;
  options.threads_per_job = config.threads_per_job;
  options.checkpoint_every_seconds = config.checkpoint_every_seconds;
  options.max_queued_jobs = static_cast<size_t>(config.max_queued_jobs);
  options.max_finished_jobs = static_cast<size_t>(config.max_finished_jobs);
  options.model_cache_bytes = static_cast<size_t>(config.model_cache_mb) << 20;
  options.tenant_limits.max_queued_jobs = static_cast<size_t>(config.tenant_max_queued_jobs);
  options.tenant_limits.max_running_jobs = config.tenant_max_running_jobs;
  options.train_locally = !config.coordinator;
  options.max_remote_jobs = config.max_remote_jobs;
  return options;
}

WorkerRegistryOptions worker_registry_options(const ServerConfig& config) {
  WorkerRegistryOptions options;
  options.heartbeat_seconds = config.heartbeat_seconds;
  options.lost_after_seconds = config.worker_lost_seconds;
  return options;
}

engine::Status validate_config(const ServerConfig& config, int cores) {
  if (config.listen_address.empty()) {
    return engine::invalid_argument("listen_address: empty; want host:port, e.g. " +
                                    std::string(kDefaultListenAddress));
  }
  if (config.data_dir.empty()) {
    return engine::invalid_argument("data_dir: empty; want a directory, e.g. " +
                                    std::string(kDefaultDataDir));
  }
  if (config.threads_per_job > static_cast<uint32_t>(cores > 0 ? cores : 1)) {
    return engine::invalid_argument("threads_per_job: " + std::to_string(config.threads_per_job) +
                                    " is more than the " + std::to_string(cores) + " usable cores");
  }
  if (engine::Status s = validate_options(job_manager_options(config), cores); !s.ok()) return s;
  if (engine::Status s = validate_worker_options(worker_registry_options(config)); !s.ok()) {
    return s;
  }
  if (config.max_remote_jobs == 0) {
    return engine::invalid_argument("max_remote_jobs: 0 is out of range [1, ...]");
  }
  if (!(config.checkpoint_every_seconds >= 0)) {
    return engine::invalid_argument("checkpoint_every_seconds: must be >= 0 (0: only at shutdown)");
  }
  if (config.max_queued_jobs == 0) {
    return engine::invalid_argument("max_queued_jobs: 0 is out of range [1, ...]");
  }
  if (config.max_finished_jobs == 0) {
    return engine::invalid_argument("max_finished_jobs: 0 is out of range [1, ...]");
  }
  if (engine::Status s = check_range("model_cache_mb", config.model_cache_mb, 0, kMaxModelCacheMb);
      !s.ok()) {
    return s;
  }
  if (engine::Status s =
          check_range("max_message_bytes", config.max_message_bytes, 1, kMaxMessageBytesLimit);
      !s.ok()) {
    return s;
  }
  if (engine::Status s = check_range("max_dataset_bytes", config.max_dataset_bytes, 1, INT64_MAX);
      !s.ok()) {
    return s;
  }
  if (engine::Status s =
          check_range("max_parameters", config.max_parameters, 1, engine::kMaxParameters);
      !s.ok()) {
    return s;
  }
  if (engine::Status s = check_range("shutdown_grace_ms", config.shutdown_grace_ms, 0, 3600 * 1000);
      !s.ok()) {
    return s;
  }
  if (engine::Status s =
          check_range("watch_stall_seconds", config.watch_stall_seconds, 1, kMaxWatchStallSeconds);
      !s.ok()) {
    return s;
  }
  if (!config.metrics_address.empty() && !is_host_port(config.metrics_address)) {
    return engine::invalid_argument("metrics_address: \"" + config.metrics_address +
                                    "\" is not host:port (port 0-65535), e.g. " +
                                    std::string(kDefaultMetricsAddress) +
                                    "; empty turns metrics off");
  }
  if (engine::Status s =
          check_range("metrics_job_retention_seconds", config.metrics_job_retention_seconds, 0,
                      kMaxMetricsJobRetentionSeconds);
      !s.ok()) {
    return s;
  }
  if (engine::Status s =
          check_range("metrics_max_jobs", config.metrics_max_jobs, 1, kMaxMetricsMaxJobs);
      !s.ok()) {
    return s;
  }
  if (engine::Status s =
          check_range("auth_reload_seconds", config.auth_reload_seconds, 1, kMaxAuthReloadSeconds);
      !s.ok()) {
    return s;
  }
  if (config.tenant_max_dataset_bytes < 0) {
    return engine::invalid_argument(
        "tenant_max_dataset_bytes: " + std::to_string(config.tenant_max_dataset_bytes) +
        " is negative; 0 means no limit");
  }
  // Without tokens every caller is the one anonymous tenant: a tenant limit
  // would only be a second, confusing server-wide limit.
  const bool tenant_limits = config.tenant_max_queued_jobs > 0 ||
                             config.tenant_max_running_jobs > 0 ||
                             config.tenant_max_dataset_bytes > 0;
  if (tenant_limits && config.auth_tokens.empty()) {
    return engine::invalid_argument(
        "auth_tokens: the tenant_max_* limits need tenants, which come from --auth-tokens");
  }
  return validate_tls_config(config.tls, !config.metrics_address.empty());
}

}  // namespace gradstream::server

// validate_config: every ServerConfig field checked before the server is built.
#include "server/server_config.hpp"

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

}  // namespace

JobManagerOptions job_manager_options(const ServerConfig& config) {
  JobManagerOptions options;
  options.max_concurrent_jobs = config.max_concurrent_jobs;
  options.threads_per_job = config.threads_per_job;
  options.max_queued_jobs = static_cast<size_t>(config.max_queued_jobs);
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
  if (config.max_queued_jobs == 0) {
    return engine::invalid_argument("max_queued_jobs: 0 is out of range [1, ...]");
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
  return check_range("shutdown_grace_ms", config.shutdown_grace_ms, 0, 3600 * 1000);
}

}  // namespace gradstream::server

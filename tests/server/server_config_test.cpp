// validate_config: the defaults pass; each bad field is invalid_argument naming it.
#include "server/server_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::server {
namespace {

constexpr int kCores = 4;

// The message of validate_config(config, kCores), "" when it passes.
std::string problem(const ServerConfig& config, int cores = kCores) {
  const engine::Status s = validate_config(config, cores);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), engine::StatusCode::kInvalidArgument) << s.message();
  return s.message();
}

// The values README.md gives each flag, or where it does not, the header's
// comment on the default (server_config.hpp, spec_validator.hpp).
TEST(ServerConfigTest, DefaultsAreTheDocumentedOnes) {
  const ServerConfig config;
  EXPECT_EQ(config.listen_address, "localhost:50051");   // README: gRPC on localhost:50051
  EXPECT_EQ(config.metrics_address, "0.0.0.0:9464");     // README: --metrics-address
  EXPECT_EQ(config.metrics_job_retention_seconds, 300);  // README: default 300
  EXPECT_EQ(config.metrics_max_jobs, 50);                // README: default 50
  EXPECT_EQ(config.data_dir, "./var");                   // README: data in ./var
  EXPECT_EQ(config.max_concurrent_jobs, 1u);
  EXPECT_EQ(config.threads_per_job, 0u);                  // README: cores / concurrent jobs
  EXPECT_EQ(config.max_finished_jobs, 1000u);             // README: default 1000
  EXPECT_EQ(config.max_message_bytes, 16 * 1024 * 1024);  // 16 MiB
  EXPECT_EQ(config.max_dataset_bytes, int64_t{1} << 30);  // 1 GiB
  // 1 GiB of float32 weights: 2^30 / 4 = 2^28 parameters.
  EXPECT_EQ(config.max_parameters, 268435456);
  EXPECT_FALSE(config.cancel_running_on_shutdown);  // README: running jobs checkpoint
  EXPECT_EQ(config.checkpoint_every_seconds, 30.0);
  EXPECT_EQ(config.model_cache_mb, 256);  // README: --model-cache-mb, default 256
}

TEST(ServerConfigTest, DefaultsPassOnOneCore) {
  EXPECT_EQ(problem(ServerConfig{}, 1), "");
  EXPECT_EQ(problem(ServerConfig{}), "");
}

TEST(ServerConfigTest, RejectsZeroConcurrentJobs) {
  ServerConfig config;
  config.max_concurrent_jobs = 0;
  EXPECT_EQ(problem(config), "max_concurrent_jobs: 0 is out of range [1, 4]");
}

TEST(ServerConfigTest, RejectsMoreConcurrentJobsThanCores) {
  ServerConfig config;
  config.max_concurrent_jobs = 5;
  EXPECT_EQ(problem(config),
            "max_concurrent_jobs: 5 is more than the 4 usable cores; concurrent jobs would share "
            "cores");
}

TEST(ServerConfigTest, RejectsThreadsPerJobAboveCores) {
  ServerConfig config;
  config.threads_per_job = 5;
  EXPECT_EQ(problem(config), "threads_per_job: 5 is more than the 4 usable cores");
}

TEST(ServerConfigTest, RejectsThreadsTimesJobsAboveCores) {
  ServerConfig config;
  config.max_concurrent_jobs = 2;
  config.threads_per_job = 3;
  // 4 cores / 2 jobs leave 2 threads a job.
  EXPECT_EQ(problem(config),
            "threads_per_job: 3 x 2 concurrent jobs is more than the 4 usable cores; at most 2");
  config.threads_per_job = 2;
  EXPECT_EQ(problem(config), "");
}

TEST(ServerConfigTest, RejectsEmptyListenAddress) {
  ServerConfig config;
  config.listen_address = "";
  EXPECT_EQ(problem(config), "listen_address: empty; want host:port, e.g. localhost:50051");
}

TEST(ServerConfigTest, RejectsEmptyDataDir) {
  ServerConfig config;
  config.data_dir = "";
  EXPECT_EQ(problem(config), "data_dir: empty; want a directory, e.g. ./var");
}

TEST(ServerConfigTest, RejectsZeroOrNegativeMessageSize) {
  ServerConfig config;
  config.max_message_bytes = 0;
  EXPECT_EQ(problem(config), "max_message_bytes: 0 is out of range [1, 2147483647]");
  config.max_message_bytes = -5;
  EXPECT_EQ(problem(config), "max_message_bytes: -5 is out of range [1, 2147483647]");
  config.max_message_bytes = int64_t{1} << 31;  // gRPC takes an int
  EXPECT_EQ(problem(config), "max_message_bytes: 2147483648 is out of range [1, 2147483647]");
}

TEST(ServerConfigTest, RejectsBadDatasetAndParameterLimits) {
  ServerConfig config;
  config.max_dataset_bytes = 0;
  EXPECT_EQ(problem(config), "max_dataset_bytes: 0 is out of range [1, 9223372036854775807]");
  config = ServerConfig{};
  config.max_parameters = 268435456 + 1;  // one more than 2^28
  EXPECT_EQ(problem(config), "max_parameters: 268435457 is out of range [1, 268435456]");
  config.max_parameters = 268435456;
  EXPECT_EQ(problem(config), "");
}

TEST(ServerConfigTest, RejectsZeroQueuedJobsAndNegativeGrace) {
  ServerConfig config;
  config.max_queued_jobs = 0;
  EXPECT_EQ(problem(config), "max_queued_jobs: 0 is out of range [1, ...]");
  config = ServerConfig{};
  config.max_finished_jobs = 0;
  EXPECT_EQ(problem(config), "max_finished_jobs: 0 is out of range [1, ...]");
  config = ServerConfig{};
  config.shutdown_grace_ms = -1;
  EXPECT_EQ(problem(config).rfind("shutdown_grace_ms: -1 is out of range [0, ", 0), 0u)
      << problem(config);
  config.shutdown_grace_ms = 0;  // shut down without waiting
  EXPECT_EQ(problem(config), "");
  config = ServerConfig{};
  config.watch_stall_seconds = 0;
  EXPECT_EQ(problem(config), "watch_stall_seconds: 0 is out of range [1, 3600]");
  config.watch_stall_seconds = 3601;
  EXPECT_EQ(problem(config), "watch_stall_seconds: 3601 is out of range [1, 3600]");
  config.watch_stall_seconds = 1;
  EXPECT_EQ(problem(config), "");
}

TEST(ServerConfigTest, RejectsANegativeOrHugeModelCache) {
  ServerConfig config;
  config.model_cache_mb = -1;
  EXPECT_EQ(problem(config), "model_cache_mb: -1 is out of range [0, 1048576]");
  config.model_cache_mb = 1048577;  // past 1 TiB
  EXPECT_EQ(problem(config), "model_cache_mb: 1048577 is out of range [0, 1048576]");
  config.model_cache_mb = 0;  // nothing kept: every use reads the store
  EXPECT_EQ(problem(config), "");
}

TEST(ServerConfigTest, JobManagerOptionsCarryTheJobFields) {
  ServerConfig config;
  config.max_concurrent_jobs = 2;
  config.threads_per_job = 1;
  config.max_queued_jobs = 7;
  config.max_finished_jobs = 9;
  config.model_cache_mb = 3;
  const JobManagerOptions options = job_manager_options(config);
  EXPECT_EQ(options.max_concurrent_jobs, 2u);
  EXPECT_EQ(options.threads_per_job, 1u);
  EXPECT_EQ(options.max_queued_jobs, 7u);
  EXPECT_EQ(options.max_finished_jobs, 9u);
  EXPECT_EQ(options.model_cache_bytes, 3u * 1024 * 1024);
}

}  // namespace
}  // namespace gradstream::server

// ServerMetrics: gradstream-server's Prometheus registry, the server-wide
// families of docs/metrics.md, the per-job JobMetrics, and the endpoint that
// serves them on /metrics (HTTP or HTTPS, MetricsEndpoint).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"
#include "server/data_dir_metrics.hpp"
#include "server/job_metrics.hpp"
#include "server/metrics_auth.hpp"
#include "server/metrics_endpoint.hpp"
#include "server/worker_metrics.hpp"

namespace gradstream::server {

// Upper bounds of gradstream_grpc_request_duration_seconds: unary calls take
// milliseconds, WatchJob streams last as long as their job.
const std::vector<double>& grpc_duration_buckets();

struct ServerMetricsOptions {
  // host:port for /metrics (see serve()); empty: not served (the series are
  // still kept, bounded as usual).
  std::string address;
  JobMetricsOptions jobs;
  // The data directory whose usage is on /metrics (DataDirMetrics); empty: none.
  std::string data_dir;
  // HTTPS with this certificate and key, reloaded when they change
  // (MetricsEndpoint); empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  std::chrono::seconds tls_reload_interval{10};
  // Basic auth on /metrics (--metrics-auth); null: none.
  std::shared_ptr<const MetricsCredentials> credentials;
};

// Thread-safe: every member is a prometheus-cpp metric (atomic updates) or
// JobMetrics (thread-safe).
class ServerMetrics {
 public:
  // The registry and every family; nothing is served until serve().
  static std::unique_ptr<ServerMetrics> create(const ServerMetricsOptions& options,
                                               JobMetrics::Clock clock = {});

  // Serves /metrics on options.address (port 0 picks a free one; empty: does
  // nothing). failed_precondition "metrics_address: cannot listen on ..." when
  // the address cannot be bound. Called once, after the gRPC port is bound, so
  // a taken gRPC port is reported first.
  engine::Status serve();

  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // The port /metrics is served on; 0 when not served.
  int port() const { return endpoint_ ? endpoint_->port() : 0; }

  prometheus::Registry& registry() { return *registry_; }
  JobMetrics& jobs() { return jobs_; }
  WorkerMetrics& workers() { return workers_; }

  // A job moved between states (from JOB_STATE_UNSPECIFIED: a new job; to
  // JOB_STATE_UNSPECIFIED: a finished job the server forgot):
  // gradstream_jobs{state}, and gradstream_jobs_finished_total{state} when
  // `to` is final.
  void job_state_changed(v1::JobState from, v1::JobState to);
  // A job a previous server process left in the store, now held again:
  // gradstream_jobs{state} only. It did not end in this process, so
  // gradstream_jobs_finished_total does not count it (a restart is no burst).
  void job_restored(v1::JobState state);
  void set_queue_length(size_t jobs);
  // A job ended by a NaN/Inf loss.
  void count_nonfinite_loss();
  // Dataset bytes received by UploadDataset.
  void add_uploaded_bytes(uint64_t bytes);
  // A job store write that failed (the job lives on in memory only).
  void count_job_store_error() { job_store_errors_.Increment(); }
  // Bytes of model files the job manager's model cache holds.
  void set_model_cache_bytes(size_t bytes) { model_cache_bytes_.Set(static_cast<double>(bytes)); }
  // A WatchJob stream opened / ended (gradstream_watch_streams_active).
  void watch_stream_opened() { watch_streams_.Increment(); }
  void watch_stream_closed() { watch_streams_.Decrement(); }
  // A WatchJob stream cancelled because its client stopped reading.
  void count_watcher_cut() { watchers_cut_.Increment(); }

  // For the gRPC interceptor.
  prometheus::Family<prometheus::Counter>& grpc_requests() { return grpc_requests_; }
  prometheus::Family<prometheus::Histogram>& grpc_request_duration() {
    return grpc_request_duration_;
  }

 private:
  ServerMetrics(const ServerMetricsOptions& options, JobMetrics::Clock clock);

  // The JobState values with a gradstream_jobs series, in enum order.
  static constexpr size_t kStates = 5;
  prometheus::Gauge* jobs_gauge(v1::JobState state);

  const std::string address_;
  const MetricsEndpointOptions endpoint_options_;
  // The registry first: it outlives the exposer that reads it.
  std::shared_ptr<prometheus::Registry> registry_;
  JobMetrics jobs_;
  WorkerMetrics workers_;
  std::array<prometheus::Gauge*, kStates> jobs_by_state_{};
  std::array<prometheus::Counter*, kStates> finished_by_state_{};  // final states only
  prometheus::Gauge& queue_length_;
  prometheus::Family<prometheus::Counter>& grpc_requests_;
  prometheus::Family<prometheus::Histogram>& grpc_request_duration_;
  prometheus::Gauge& watch_streams_;
  prometheus::Counter& watchers_cut_;
  prometheus::Counter& uploaded_bytes_;
  prometheus::Counter& nonfinite_loss_;
  prometheus::Counter& job_store_errors_;
  prometheus::Gauge& model_cache_bytes_;
  std::unique_ptr<DataDirMetrics> data_dir_;  // null without a data dir

  // At each scrape, before the registry is read: removes expired jobs' series
  // and measures the data dir.
  std::shared_ptr<prometheus::Collectable> scrape_hook_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

}  // namespace gradstream::server

// ServerMetrics: families built once; the exposer bound last, so a bad
// address fails before anything is served.
#include "server/server_metrics.hpp"

#include <prometheus/metric_family.h>

#include <utility>

#include "server/job_observer.hpp"

namespace gradstream::server {
namespace {

MetricsEndpointOptions endpoint_options(const ServerMetricsOptions& options) {
  MetricsEndpointOptions endpoint;
  endpoint.address = options.address;
  endpoint.tls_cert = options.tls_cert;
  endpoint.tls_key = options.tls_key;
  endpoint.reload_interval = options.tls_reload_interval;
  endpoint.credentials = options.credentials;
  return endpoint;
}

const char* state_label(v1::JobState state) {
  switch (state) {
    case v1::QUEUED:
      return "queued";
    case v1::RUNNING:
      return "running";
    case v1::SUCCEEDED:
      return "succeeded";
    case v1::FAILED:
      return "failed";
    case v1::CANCELLED:
      return "cancelled";
    default:
      return nullptr;
  }
}

// Registered before the registry: a scrape first removes the series of
// expired jobs and measures the data dir, and adds no series itself.
class ScrapeHook : public prometheus::Collectable {
 public:
  ScrapeHook(JobMetrics& jobs, DataDirMetrics* data_dir) : jobs_(jobs), data_dir_(data_dir) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    jobs_.remove_expired();
    if (data_dir_ != nullptr) data_dir_->update();
    return {};
  }

 private:
  JobMetrics& jobs_;
  DataDirMetrics* data_dir_;  // may be null
};

}  // namespace

const std::vector<double>& grpc_duration_buckets() {
  static const std::vector<double> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,  0.025,
                                          0.05,   0.1,   0.25,   0.5,   1.0,   2.5,
                                          5.0,    10.0,  30.0,   60.0,  300.0, 1800.0};
  return bounds;
}

ServerMetrics::ServerMetrics(const ServerMetricsOptions& options, JobMetrics::Clock clock)
    : address_(options.address),
      endpoint_options_(endpoint_options(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      jobs_(*registry_, options.jobs, std::move(clock)),
      workers_(*registry_),
      queue_length_(prometheus::BuildGauge()
                        .Name("gradstream_job_queue_length")
                        .Help("Jobs waiting for a worker")
                        .Register(*registry_)
                        .Add({})),
      grpc_requests_(prometheus::BuildCounter()
                         .Name("gradstream_grpc_requests_total")
                         .Help("Finished RPCs, by method and status code")
                         .Register(*registry_)),
      grpc_request_duration_(prometheus::BuildHistogram()
                                 .Name("gradstream_grpc_request_duration_seconds")
                                 .Help("RPC latency (streams: whole stream)")
                                 .Register(*registry_)),
      watch_streams_(prometheus::BuildGauge()
                         .Name("gradstream_watch_streams_active")
                         .Help("Open WatchJob streams")
                         .Register(*registry_)
                         .Add({})),
      watchers_cut_(prometheus::BuildCounter()
                        .Name("gradstream_watchers_cut_total")
                        .Help("WatchJob streams cancelled because the client stopped reading")
                        .Register(*registry_)
                        .Add({})),
      uploaded_bytes_(prometheus::BuildCounter()
                          .Name("gradstream_uploaded_bytes_total")
                          .Help("Dataset bytes received by UploadDataset")
                          .Register(*registry_)
                          .Add({})),
      nonfinite_loss_(prometheus::BuildCounter()
                          .Name("gradstream_nonfinite_loss_total")
                          .Help("Jobs ended by a NaN/Inf loss")
                          .Register(*registry_)
                          .Add({})),
      job_store_errors_(prometheus::BuildCounter()
                            .Name("gradstream_job_store_errors_total")
                            .Help("Job store writes that failed (disk full, read-only volume)")
                            .Register(*registry_)
                            .Add({})),
      model_cache_bytes_(prometheus::BuildGauge()
                             .Name("gradstream_model_cache_bytes")
                             .Help("Bytes of finished jobs' model files held in memory by the "
                                   "model cache")
                             .Register(*registry_)
                             .Add({})),
      data_dir_(options.data_dir.empty()
                    ? nullptr
                    : std::make_unique<DataDirMetrics>(*registry_, options.data_dir)) {
  auto& by_state = prometheus::BuildGauge()
                       .Name("gradstream_jobs")
                       .Help("Jobs the server holds, by state")
                       .Register(*registry_);
  auto& finished = prometheus::BuildCounter()
                       .Name("gradstream_jobs_finished_total")
                       .Help("Jobs that ended, by final state")
                       .Register(*registry_);
  for (size_t i = 0; i < kStates; ++i) {
    const auto state = static_cast<v1::JobState>(i + 1);
    jobs_by_state_[i] = &by_state.Add({{"state", state_label(state)}});
    if (is_final(state)) finished_by_state_[i] = &finished.Add({{"state", state_label(state)}});
  }
}

std::unique_ptr<ServerMetrics> ServerMetrics::create(const ServerMetricsOptions& options,
                                                     JobMetrics::Clock clock) {
  return std::unique_ptr<ServerMetrics>(new ServerMetrics(options, std::move(clock)));
}

engine::Status ServerMetrics::serve() {
  if (address_.empty() || endpoint_) return engine::ok_status();
  scrape_hook_ = std::make_shared<ScrapeHook>(jobs_, data_dir_.get());
  auto endpoint = MetricsEndpoint::start(endpoint_options_, {scrape_hook_, registry_});
  if (!endpoint.ok()) return endpoint.status();
  endpoint_ = std::move(endpoint).value();
  return engine::ok_status();
}

prometheus::Gauge* ServerMetrics::jobs_gauge(v1::JobState state) {
  const int i = static_cast<int>(state) - 1;
  return i >= 0 && i < static_cast<int>(kStates) ? jobs_by_state_[static_cast<size_t>(i)] : nullptr;
}

void ServerMetrics::job_state_changed(v1::JobState from, v1::JobState to) {
  if (prometheus::Gauge* g = jobs_gauge(from)) g->Decrement();
  if (prometheus::Gauge* g = jobs_gauge(to)) g->Increment();
  if (is_final(to)) finished_by_state_[static_cast<size_t>(to) - 1]->Increment();
}

void ServerMetrics::job_restored(v1::JobState state) {
  if (prometheus::Gauge* g = jobs_gauge(state)) g->Increment();
}

void ServerMetrics::set_queue_length(size_t jobs) { queue_length_.Set(static_cast<double>(jobs)); }

void ServerMetrics::count_nonfinite_loss() { nonfinite_loss_.Increment(); }

void ServerMetrics::add_uploaded_bytes(uint64_t bytes) {
  uploaded_bytes_.Increment(static_cast<double>(bytes));
}

}  // namespace gradstream::server

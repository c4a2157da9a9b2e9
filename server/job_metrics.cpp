// JobMetrics: the bound and the retention of per-job series.
#include "server/job_metrics.hpp"

#include <utility>

namespace gradstream::server {

JobMetrics::JobMetrics(prometheus::Registry& registry, JobMetricsOptions options, Clock clock)
    : options_(options),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      families_(registry),
      exported_(prometheus::BuildGauge()
                    .Name("gradstream_metrics_exported_jobs")
                    .Help("Jobs whose per-job series are on /metrics now")
                    .Register(registry)
                    .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("gradstream_metrics_dropped_jobs_total")
                   .Help("Jobs not exported because the bound was reached")
                   .Register(registry)
                   .Add({})) {}

std::shared_ptr<JobSeries> JobMetrics::start_job(const std::string& job_id, JobShape shape) {
  std::lock_guard lock(mutex_);
  if (auto it = jobs_.find(job_id); it != jobs_.end()) return it->second.series;
  remove_expired_locked();
  if (jobs_.size() >= options_.max_jobs) {
    auto first_ended = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
      if (it->second.ended &&
          (first_ended == jobs_.end() || it->second.ended_at < first_ended->second.ended_at)) {
        first_ended = it;
      }
    }
    if (first_ended == jobs_.end()) {
      dropped_.Increment();
      return nullptr;
    }
    remove_locked(first_ended);
  }
  auto series = std::make_shared<JobSeries>(families_, job_id, shape);
  series->set_running(true);
  jobs_.emplace(job_id, Exported{series, false, {}});
  exported_.Set(static_cast<double>(jobs_.size()));
  return series;
}

void JobMetrics::end_job(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  it->second.series->set_running(false);
  it->second.ended = true;
  it->second.ended_at = clock_();
  remove_expired_locked();
}

void JobMetrics::remove_expired() {
  std::lock_guard lock(mutex_);
  remove_expired_locked();
}

size_t JobMetrics::exported_jobs() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void JobMetrics::remove_expired_locked() {
  const auto now = clock_();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    auto next = std::next(it);
    if (it->second.ended && now - it->second.ended_at >= options_.retention) remove_locked(it);
    it = next;
  }
}

void JobMetrics::remove_locked(std::map<std::string, Exported>::iterator it) {
  it->second.series->remove();
  jobs_.erase(it);
  exported_.Set(static_cast<double>(jobs_.size()));
}

}  // namespace gradstream::server

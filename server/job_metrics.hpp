// JobMetrics: which jobs have per-job series on /metrics, and for how long
// (docs/metrics.md, "Bounded cardinality"): series are created when a job
// starts, removed `retention` after it ends, and at most `max_jobs` jobs are
// exported at once.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/job_series.hpp"

namespace gradstream::server {

inline constexpr std::chrono::seconds kDefaultMetricsJobRetention{300};
inline constexpr size_t kDefaultMetricsMaxJobs = 50;

struct JobMetricsOptions {
  // How long a finished job's series stay; 0 removes them when the job ends.
  std::chrono::steady_clock::duration retention = kDefaultMetricsJobRetention;
  // Jobs exported at once; 0 exports none (every job is counted as dropped).
  size_t max_jobs = kDefaultMetricsMaxJobs;
};

// Thread-safe. Its mutex is held only to pick and remove jobs (at a job's
// start and end and at each scrape), never while a job reports: the training
// thread writes to its JobSeries without any lock of this class.
class JobMetrics {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` defaults to steady_clock::now (tests inject their own).
  JobMetrics(prometheus::Registry& registry, JobMetricsOptions options, Clock clock = {});

  JobMetrics(const JobMetrics&) = delete;
  JobMetrics& operator=(const JobMetrics&) = delete;

  // The series of a job that starts now (running = 1), or null when the
  // bound is reached and every exported job is still running; that job is
  // then counted in gradstream_metrics_dropped_jobs_total. Makes room by
  // removing expired jobs, then the one that ended first.
  std::shared_ptr<JobSeries> start_job(const std::string& job_id, JobShape shape);

  // Marks the job ended (running = 0); its series go `retention` from now.
  // The job's training thread must be done with its JobSeries. Unknown ids
  // (dropped jobs) are ignored.
  void end_job(const std::string& job_id);

  // Removes the series of jobs that ended `retention` ago or more.
  void remove_expired();

  size_t exported_jobs() const;

 private:
  struct Exported {
    std::shared_ptr<JobSeries> series;
    bool ended = false;
    std::chrono::steady_clock::time_point ended_at;
  };

  // The caller holds mutex_ for these.
  void remove_expired_locked();
  void remove_locked(std::map<std::string, Exported>::iterator it);

  const JobMetricsOptions options_;
  const Clock clock_;
  JobFamilies families_;
  prometheus::Gauge& exported_;
  prometheus::Counter& dropped_;

  mutable std::mutex mutex_;
  std::map<std::string, Exported> jobs_;
};

}  // namespace gradstream::server

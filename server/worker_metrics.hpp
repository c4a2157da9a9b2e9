// WorkerMetrics: the coordinator's families for the workers that joined it
// (docs/metrics.md, "Workers"): how many, each one's jobs and heartbeat age,
// workers lost and jobs moved off them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace gradstream::server {

// Thread-safe (prometheus-cpp's metrics are).
class WorkerMetrics {
 public:
  explicit WorkerMetrics(prometheus::Registry& registry);

  // A worker joined: its series start at 0 jobs.
  void joined(const std::string& name);
  // A worker was lost or left: its series go.
  void left(const std::string& name);
  void set_jobs(const std::string& name, size_t jobs);
  void set_heartbeat_age(const std::string& name, double seconds);
  void count_lost() { lost_.Increment(); }
  void count_moved() { moved_.Increment(); }

 private:
  prometheus::Gauge& workers_;
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Family<prometheus::Gauge>& heartbeat_age_;
  prometheus::Counter& lost_;
  prometheus::Counter& moved_;
};

}  // namespace gradstream::server

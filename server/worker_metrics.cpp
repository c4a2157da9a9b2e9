#include "server/worker_metrics.hpp"

namespace gradstream::server {

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry)
    : workers_(prometheus::BuildGauge()
                   .Name("gradstream_workers")
                   .Help("Workers joined to this server")
                   .Register(registry)
                   .Add({})),
      jobs_(prometheus::BuildGauge()
                .Name("gradstream_worker_jobs")
                .Help("Jobs a worker holds (assigned or training), by worker")
                .Register(registry)),
      heartbeat_age_(prometheus::BuildGauge()
                         .Name("gradstream_worker_heartbeat_age_seconds")
                         .Help("Seconds since a worker was last heard from, by worker")
                         .Register(registry)),
      lost_(prometheus::BuildCounter()
                .Name("gradstream_workers_lost_total")
                .Help("Workers declared lost: no heartbeat within --worker-lost-seconds")
                .Register(registry)
                .Add({})),
      moved_(prometheus::BuildCounter()
                 .Name("gradstream_jobs_moved_total")
                 .Help("Jobs taken off a lost worker, to resume on another")
                 .Register(registry)
                 .Add({})) {}

void WorkerMetrics::joined(const std::string& name) {
  workers_.Increment();
  jobs_.Add({{"worker", name}}).Set(0);
  heartbeat_age_.Add({{"worker", name}}).Set(0);
}

void WorkerMetrics::left(const std::string& name) {
  workers_.Decrement();
  jobs_.Remove(&jobs_.Add({{"worker", name}}));
  heartbeat_age_.Remove(&heartbeat_age_.Add({{"worker", name}}));
}

void WorkerMetrics::set_jobs(const std::string& name, size_t jobs) {
  jobs_.Add({{"worker", name}}).Set(static_cast<double>(jobs));
}

void WorkerMetrics::set_heartbeat_age(const std::string& name, double seconds) {
  heartbeat_age_.Add({{"worker", name}}).Set(seconds);
}

}  // namespace gradstream::server

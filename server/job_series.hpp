// JobSeries: one job's Prometheus series (docs/metrics.md, "Per job" and "Per
// job and layer"), updated from the engine's reports on the training thread.
// JobFamilies: the families those series belong to, registered once per registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gradstream/v1/report.pb.h"

namespace gradstream::server {

// Upper bounds of gradstream_job_step_duration_seconds: 50 us (a tiny MLP) to 10 s.
const std::vector<double>& step_duration_buckets();

// Every per-job family. References stay valid for the registry's lifetime.
struct JobFamilies {
  explicit JobFamilies(prometheus::Registry& registry);

  prometheus::Family<prometheus::Gauge>& running;
  prometheus::Family<prometheus::Counter>& steps;
  prometheus::Family<prometheus::Counter>& samples;
  prometheus::Family<prometheus::Histogram>& step_duration;
  prometheus::Family<prometheus::Gauge>& loss;
  prometheus::Family<prometheus::Gauge>& learning_rate;
  prometheus::Family<prometheus::Gauge>& train_accuracy;
  prometheus::Family<prometheus::Gauge>& validation_loss;
  prometheus::Family<prometheus::Gauge>& validation_accuracy;
  prometheus::Family<prometheus::Gauge>& test_accuracy;
  prometheus::Family<prometheus::Counter>& warnings;
  prometheus::Family<prometheus::Gauge>& gradient_norm;
  prometheus::Family<prometheus::Gauge>& weight_norm;
  prometheus::Family<prometheus::Gauge>& update_ratio;
  prometheus::Family<prometheus::Gauge>& dead_fraction;
  prometheus::Family<prometheus::Gauge>& saturated_fraction;
  prometheus::Family<prometheus::Gauge>& allreduce_seconds;
  prometheus::Family<prometheus::Gauge>& allreduce_bytes;
  prometheus::Family<prometheus::Gauge>& straggler_seconds;
};

// What turns a step number into a sample count: step reports may be thinned,
// so samples are derived, not summed. The trainer's batch is
// min(batch_size, train_samples) and only an epoch's last batch is partial.
struct JobShape {
  int64_t train_samples = 0;
  int64_t batch_size = 0;
};

// Samples processed after `step` steps: full epochs x N + the rest x batch.
uint64_t samples_after(const JobShape& shape, uint64_t step);

// The job-wide series exist from construction; per-layer, per-kind and the
// validation/test series are added the first time a report carries them
// (Family::Add, one short family lock) and then reached through this object's
// own maps, which only the training thread touches. Updates are atomic stores.
// Not thread-safe: one training thread reports; remove() runs after it is done.
class JobSeries {
 public:
  JobSeries(JobFamilies& families, std::string job_id, JobShape shape);

  JobSeries(const JobSeries&) = delete;
  JobSeries& operator=(const JobSeries&) = delete;

  void set_running(bool running);
  void on_step(const v1::StepReport& report);
  void on_epoch(const v1::EpochReport& report);
  void on_gradients(const v1::GradientReport& report);
  void on_activations(const v1::ActivationReport& report);
  void on_warning(const v1::Warning& warning);
  // The done report's step count is exact (step reports may be thinned).
  void on_done(const v1::DoneReport& report);

  // Removes every series of the job from its family; nothing may be called after.
  void remove();

 private:
  struct ParameterSeries {
    prometheus::Gauge* gradient_norm;
    prometheus::Gauge* weight_norm;
    prometheus::Gauge* update_ratio;
  };

  // Family::Add with job_id + `labels`, remembered for remove().
  template <typename T, typename... Args>
  T& add(prometheus::Family<T>& family, prometheus::Labels labels, Args&&... args);
  // Sets the layer's gauge in `table`, adding it to `family` the first time.
  void set_layer_series(std::map<std::string, prometheus::Gauge*>& table,
                        prometheus::Family<prometheus::Gauge>& family, const std::string& layer,
                        double value);
  // Counts steps and samples up to `step`; returns the samples added.
  uint64_t advance_to(uint64_t step);

  JobFamilies& families_;
  const std::string job_id_;
  const JobShape shape_;
  uint64_t steps_done_ = 0;
  // on_step's histogram increments, one per bucket plus +Inf, all zero between
  // calls: built once, not per step.
  std::vector<double> bucket_increments_;

  // Guards removers_ only: remove() may run on another thread than the adds.
  std::mutex removers_mutex_;
  std::vector<std::function<void()>> removers_;

  prometheus::Gauge& running_;
  prometheus::Counter& steps_;
  prometheus::Counter& samples_;
  prometheus::Histogram& step_duration_;
  prometheus::Gauge& loss_;
  prometheus::Gauge& learning_rate_;
  prometheus::Gauge& train_accuracy_;
  prometheus::Gauge* validation_loss_ = nullptr;
  prometheus::Gauge* validation_accuracy_ = nullptr;
  prometheus::Gauge* test_accuracy_ = nullptr;
  // A data-parallel job's, from its first step report that has them.
  prometheus::Gauge* allreduce_seconds_ = nullptr;
  prometheus::Gauge* allreduce_bytes_ = nullptr;
  prometheus::Gauge* straggler_seconds_ = nullptr;
  std::map<std::string, prometheus::Counter*> warnings_;  // by kind
  std::map<std::pair<std::string, std::string>, ParameterSeries> parameters_;
  std::map<std::string, prometheus::Gauge*> dead_fraction_;       // by layer
  std::map<std::string, prometheus::Gauge*> saturated_fraction_;  // by layer
};

}  // namespace gradstream::server

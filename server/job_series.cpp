// JobSeries: a job's series created once, then set from reports with atomic stores.
#include "server/job_series.hpp"

#include <algorithm>

#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

}  // namespace

const std::vector<double>& step_duration_buckets() {
  static const std::vector<double> bounds{5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                          5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,  0.25,
                                          0.5,  1.0,  2.5,    5.0,  10.0};
  return bounds;
}

JobFamilies::JobFamilies(prometheus::Registry& registry)
    : running(BuildGauge()
                  .Name("gradstream_job_running")
                  .Help("1 while the job is RUNNING, else 0")
                  .Register(registry)),
      steps(BuildCounter()
                .Name("gradstream_job_steps_total")
                .Help("Optimizer steps done")
                .Register(registry)),
      samples(BuildCounter()
                  .Name("gradstream_job_samples_total")
                  .Help("Training samples processed")
                  .Register(registry)),
      step_duration(BuildHistogram()
                        .Name("gradstream_job_step_duration_seconds")
                        .Help("Wall time per step (observed over step reports)")
                        .Register(registry)),
      loss(BuildGauge()
               .Name("gradstream_job_loss")
               .Help("Newest training loss (batch mean)")
               .Register(registry)),
      learning_rate(BuildGauge()
                        .Name("gradstream_job_learning_rate")
                        .Help("Current learning rate")
                        .Register(registry)),
      train_accuracy(BuildGauge()
                         .Name("gradstream_job_train_accuracy")
                         .Help("Last epoch's training accuracy")
                         .Register(registry)),
      validation_loss(BuildGauge()
                          .Name("gradstream_job_validation_loss")
                          .Help("Last epoch's validation loss")
                          .Register(registry)),
      validation_accuracy(BuildGauge()
                              .Name("gradstream_job_validation_accuracy")
                              .Help("Last epoch's validation accuracy")
                              .Register(registry)),
      test_accuracy(BuildGauge()
                        .Name("gradstream_job_test_accuracy")
                        .Help("Last epoch's test accuracy")
                        .Register(registry)),
      warnings(BuildCounter()
                   .Name("gradstream_job_warnings_total")
                   .Help("Diagnostic warnings, by kind")
                   .Register(registry)),
      gradient_norm(BuildGauge()
                        .Name("gradstream_layer_gradient_norm")
                        .Help("L2 norm of the newest gradient")
                        .Register(registry)),
      weight_norm(BuildGauge()
                      .Name("gradstream_layer_weight_norm")
                      .Help("L2 norm of the parameter")
                      .Register(registry)),
      update_ratio(BuildGauge()
                       .Name("gradstream_layer_update_ratio")
                       .Help("||update|| / ||weights|| of the last step")
                       .Register(registry)),
      dead_fraction(BuildGauge()
                        .Name("gradstream_layer_dead_fraction")
                        .Help("Share of units that output zero for a whole batch (ReLU family)")
                        .Register(registry)),
      saturated_fraction(BuildGauge()
                             .Name("gradstream_layer_saturated_fraction")
                             .Help("Share of outputs within 1% of a bound (sigmoid, tanh)")
                             .Register(registry)),
      allreduce_seconds(BuildGauge()
                            .Name("gradstream_job_allreduce_seconds")
                            .Help("Data-parallel job: rank 0's seconds in the gradient allreduce "
                                  "per step (the newest step report's window)")
                            .Register(registry)),
      allreduce_bytes(BuildGauge()
                          .Name("gradstream_job_allreduce_bytes")
                          .Help("Data-parallel job: bytes each rank hands to the allreduce per "
                                "step")
                          .Register(registry)),
      straggler_seconds(BuildGauge()
                            .Name("gradstream_job_straggler_seconds")
                            .Help("Data-parallel job: the longest any rank waited in the "
                                  "allreduce per step (the slowest rank's lead)")
                            .Register(registry)) {}

uint64_t samples_after(const JobShape& shape, uint64_t step) {
  if (shape.train_samples <= 0 || shape.batch_size <= 0) return 0;
  const auto n = static_cast<uint64_t>(shape.train_samples);
  const auto batch = std::min(static_cast<uint64_t>(shape.batch_size), n);
  const uint64_t steps_per_epoch = (n + batch - 1) / batch;
  return step / steps_per_epoch * n + step % steps_per_epoch * batch;
}

template <typename T, typename... Args>
T& JobSeries::add(prometheus::Family<T>& family, prometheus::Labels labels, Args&&... args) {
  labels.emplace("job_id", job_id_);
  T& metric = family.Add(labels, std::forward<Args>(args)...);
  std::lock_guard lock(removers_mutex_);
  removers_.push_back([&family, &metric] { family.Remove(&metric); });
  return metric;
}

JobSeries::JobSeries(JobFamilies& families, std::string job_id, JobShape shape)
    : families_(families),
      job_id_(std::move(job_id)),
      shape_(shape),
      running_(add(families.running, {})),
      steps_(add(families.steps, {})),
      samples_(add(families.samples, {})),
      step_duration_(add(families.step_duration, {}, step_duration_buckets())),
      loss_(add(families.loss, {})),
      learning_rate_(add(families.learning_rate, {})),
      train_accuracy_(add(families.train_accuracy, {})) {
  bucket_increments_.assign(step_duration_buckets().size() + 1, 0.0);
}

void JobSeries::set_running(bool running) { running_.Set(running ? 1.0 : 0.0); }

uint64_t JobSeries::advance_to(uint64_t step) {
  if (step <= steps_done_) return 0;
  const uint64_t samples = samples_after(shape_, step) - samples_after(shape_, steps_done_);
  steps_.Increment(static_cast<double>(step - steps_done_));
  samples_.Increment(static_cast<double>(samples));
  steps_done_ = step;
  return samples;
}

void JobSeries::on_step(const v1::StepReport& report) {
  const uint64_t previous = steps_done_;
  const uint64_t samples = advance_to(report.step());
  loss_.Set(report.loss());
  learning_rate_.Set(report.learning_rate());
  if (report.allreduce_bytes() > 0) {
    if (allreduce_bytes_ == nullptr) {
      allreduce_seconds_ = &add(families_.allreduce_seconds, {});
      allreduce_bytes_ = &add(families_.allreduce_bytes, {});
      straggler_seconds_ = &add(families_.straggler_seconds, {});
    }
    allreduce_seconds_->Set(report.allreduce_seconds());
    allreduce_bytes_->Set(static_cast<double>(report.allreduce_bytes()));
    straggler_seconds_->Set(report.straggler_seconds());
  }
  // samples_per_second covers exactly the steps since the previous report (the
  // trainer restarts its window each epoch, and an epoch's last step always
  // reports), so window seconds = samples / rate, shared evenly by its steps.
  const uint64_t steps = report.step() > previous ? report.step() - previous : 0;
  if (steps == 0 || report.samples_per_second() <= 0.0) return;
  const double seconds = static_cast<double>(samples) / report.samples_per_second();
  const double per_step = seconds / static_cast<double>(steps);
  const std::vector<double>& bounds = step_duration_buckets();
  const auto bucket = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), per_step) -
                                          bounds.begin());
  bucket_increments_[bucket] = static_cast<double>(steps);
  step_duration_.ObserveMultiple(bucket_increments_, seconds);
  bucket_increments_[bucket] = 0.0;
}

void JobSeries::on_epoch(const v1::EpochReport& report) {
  train_accuracy_.Set(report.train_accuracy());
  if (report.has_validation()) {
    if (validation_loss_ == nullptr) {
      validation_loss_ = &add(families_.validation_loss, {});
      validation_accuracy_ = &add(families_.validation_accuracy, {});
    }
    validation_loss_->Set(report.validation_loss());
    validation_accuracy_->Set(report.validation_accuracy());
  }
  if (report.has_test()) {
    if (test_accuracy_ == nullptr) test_accuracy_ = &add(families_.test_accuracy, {});
    test_accuracy_->Set(report.test_accuracy());
  }
}

void JobSeries::on_gradients(const v1::GradientReport& report) {
  for (const v1::ParameterReport& p : report.parameters()) {
    auto key = std::make_pair(p.layer(), p.parameter());
    auto it = parameters_.find(key);
    if (it == parameters_.end()) {
      const prometheus::Labels labels{{"layer", p.layer()}, {"parameter", p.parameter()}};
      ParameterSeries series{&add(families_.gradient_norm, labels),
                             &add(families_.weight_norm, labels),
                             &add(families_.update_ratio, labels)};
      it = parameters_.emplace(std::move(key), series).first;
    }
    it->second.gradient_norm->Set(p.gradient_norm());
    it->second.weight_norm->Set(p.weight_norm());
    it->second.update_ratio->Set(p.update_ratio());
  }
}

void JobSeries::on_activations(const v1::ActivationReport& report) {
  // The engine fills dead_fraction for the ReLU family, saturated_fraction for
  // sigmoid/tanh, and both for formulas (through their derivative), so a layer
  // gets only the series that mean something.
  for (const v1::ActivationLayerReport& layer : report.layers()) {
    const bool formula = !layer.expression().empty();
    const engine::ActivationInfo* info = engine::find_activation(layer.activation());
    if (info == nullptr && !formula) continue;
    const bool saturating = formula || info->family == engine::ActivationFamily::kSaturating;
    const bool dying = formula || info->family == engine::ActivationFamily::kReluFamily;
    if (saturating)
      set_layer_series(saturated_fraction_, families_.saturated_fraction, layer.layer(),
                       layer.saturated_fraction());
    if (dying) {
      set_layer_series(dead_fraction_, families_.dead_fraction, layer.layer(),
                       layer.dead_fraction());
    }
  }
}

void JobSeries::set_layer_series(std::map<std::string, prometheus::Gauge*>& table,
                                 prometheus::Family<prometheus::Gauge>& family,
                                 const std::string& layer, double value) {
  auto it = table.find(layer);
  if (it == table.end()) it = table.emplace(layer, &add(family, {{"layer", layer}})).first;
  it->second->Set(value);
}

void JobSeries::on_warning(const v1::Warning& warning) {
  auto it = warnings_.find(warning.kind());
  if (it == warnings_.end()) {
    it = warnings_.emplace(warning.kind(), &add(families_.warnings, {{"kind", warning.kind()}}))
             .first;
  }
  it->second->Increment();
}

void JobSeries::on_done(const v1::DoneReport& report) {
  advance_to(report.steps());
  set_running(false);
}

void JobSeries::remove() {
  std::lock_guard lock(removers_mutex_);
  for (const auto& remove_one : removers_) remove_one();
  removers_.clear();
}

}  // namespace gradstream::server

// Filling in a TrainingSpec's defaults; the values are in spec_defaults.hpp and
// the optimizers' headers (each OptimizerKind fills its own).
#include "engine/spec/spec_defaults.hpp"

#include "engine/optim/optimizer_kind.hpp"

namespace gradstream::engine {

namespace {

void fill_optimizer(v1::OptimizerSpec& opt) {
  if (opt.kind_case() == v1::OptimizerSpec::KIND_NOT_SET) opt.mutable_adam();
  // Before the kind is known the default rate would be Adam's; after, it is the kind's.
  if (opt.learning_rate() == 0.0f) opt.set_learning_rate(default_learning_rate(opt.kind_case()));
  if (const OptimizerKind* kind = find_optimizer_kind(opt.kind_case())) kind->fill_defaults(opt);
  v1::ScheduleSpec& schedule = *opt.mutable_schedule();
  if (schedule.kind_case() == v1::ScheduleSpec::KIND_NOT_SET) schedule.mutable_constant();
}

void fill_reporting(v1::ReportingSpec& reporting) {
  if (reporting.step_every() == 0) reporting.set_step_every(kDefaultStepEvery);
  if (reporting.histogram_bins() == 0) reporting.set_histogram_bins(kDefaultHistogramBins);
  if (reporting.max_tensor_elements() == 0) {
    reporting.set_max_tensor_elements(kDefaultMaxTensorElements);
  }
  if (reporting.diagnostics_every() == 0) {
    reporting.set_diagnostics_every(kDefaultDiagnosticsEvery);
  }
}

}  // namespace

v1::TrainingSpec with_defaults(v1::TrainingSpec spec) {
  if (spec.threads() == 0) spec.set_threads(kDefaultThreads);
  if (spec.loss() == v1::LOSS_UNSPECIFIED) spec.set_loss(kDefaultLoss);
  fill_optimizer(*spec.mutable_optimizer());
  fill_reporting(*spec.mutable_reporting());
  if (spec.distributed().workers() == 0) spec.mutable_distributed()->set_workers(kDefaultWorkers);
  return spec;
}

}  // namespace gradstream::engine

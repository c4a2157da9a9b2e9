// Trainer: the reports a step may send (gradients, activations), the
// diagnostics fed between them, and the failure on a non-finite loss.
#include <string>
#include <vector>

#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/train/trainer.hpp"
#include "engine/train/training_stats.hpp"

namespace gradstream::engine {

void Trainer::send_warnings(TrainingObserver& observer, const std::vector<v1::Warning>& warnings) {
  for (const v1::Warning& w : warnings) observer.on_warning(w);
}

v1::GradientReport Trainer::report_gradients(TrainingObserver& observer, uint64_t step,
                                             uint32_t epoch) {
  v1::GradientReport report;
  report.set_step(step);
  report.set_epoch(epoch);
  const v1::ReportingSpec& r = spec_.reporting();
  for (size_t i = 0; i < parameters_.size(); ++i) {
    fill_parameter_report(*parameters_[i], previous_values_[i].data(), r.histogram_bins(),
                          r.send_gradient_tensors(), r.max_tensor_elements(),
                          report.add_parameters());
  }
  observer.on_gradients(report);
  return report;
}

v1::ActivationReport Trainer::report_activations(TrainingObserver& observer,
                                                 const Pipeline& pipeline, uint64_t step,
                                                 uint32_t epoch) {
  v1::ActivationReport report;
  report.set_step(step);
  report.set_epoch(epoch);
  for (const auto& layer : pipeline.layers()) {
    if (layer->activation() == nullptr) continue;
    fill_activation_report(*layer, stream_, report.add_layers());
  }
  observer.on_activations(report);
  return report;
}

void Trainer::observe_dead_units(TrainInstance& instance) {
  for (ChannelMaxima& probe : instance.dead_unit_probes) probe.observe(*diagnostics_, stream_);
}

void Trainer::diagnose_gradients(TrainingObserver& observer, uint64_t step, uint32_t epoch) {
  v1::GradientReport norms;
  norms.set_step(step);
  norms.set_epoch(epoch);
  fill_gradient_norms(parameters_, &norms);
  send_warnings(observer, diagnostics_->on_gradients(norms));
}

void Trainer::diagnose_activations(TrainingObserver& observer, const Pipeline& pipeline,
                                   uint64_t step, uint32_t epoch) {
  v1::ActivationReport report;
  report.set_step(step);
  report.set_epoch(epoch);
  for (const auto& layer : pipeline.layers()) {
    const ActivationInfo* info = layer->activation();
    if (info == nullptr) continue;
    const bool formula = info->family == ActivationFamily::kFormula;
    if (info->family != ActivationFamily::kSaturating && !formula) continue;
    v1::ActivationLayerReport* out = report.add_layers();
    out->set_layer(layer->name());
    out->set_activation(std::string(info->name));
    if (formula) {
      fill_formula_flatness(*layer, stream_, out);
    } else {
      out->set_saturated_fraction(saturated_fraction(*layer, stream_));
    }
  }
  if (report.layers_size() > 0) send_warnings(observer, diagnostics_->on_activations(report));
}

v1::DoneReport Trainer::fail_non_finite(TrainingObserver& observer, const Pipeline* pipeline,
                                        double loss, uint64_t step) {
  std::string where;
  std::string layer;
  if (const Parameter* param = first_non_finite_parameter(parameters_)) {
    layer = param->layer();
    where =
        "the " + param->layer() + " " + param->name() + " are not finite (the updates diverged)";
  } else if (auto name = pipeline != nullptr ? first_non_finite_layer(*pipeline)
                                             : std::optional<std::string>()) {
    layer = *name;
    where = "the first non-finite values appear in the output of layer " + *name;
  } else {
    where = "the network's outputs are finite, so the loss itself overflowed";
  }
  const v1::Warning warning = non_finite_warning(step, loss, layer, where);
  if (reports_) observer.on_warning(warning);
  v1::DoneReport done;
  done.set_outcome(v1::DoneReport::FAILED);
  done.set_reason(warning.message());
  return done;
}

}  // namespace gradstream::engine

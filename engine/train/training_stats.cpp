// Norms, histograms, activation statistics and non-finite detection.
#include "engine/train/training_stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/layers/activation/formula_activation_layer.hpp"

namespace gradstream::engine {

namespace {

bool all_finite(const float* values, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

void fill_histogram(const float* values, int64_t count, uint32_t bins, v1::Histogram* out) {
  if (count == 0 || bins == 0) return;
  const auto [lo, hi] = std::minmax_element(values, values + count);
  out->set_min(*lo);
  out->set_max(*hi);
  std::vector<uint64_t> counts(bins, 0);
  const double width = (static_cast<double>(*hi) - *lo) / bins;
  for (int64_t i = 0; i < count; ++i) {
    auto bin = width > 0 ? static_cast<int64_t>((values[i] - *lo) / width) : 0;
    counts[static_cast<size_t>(std::clamp<int64_t>(bin, 0, bins - 1))] += 1;
  }
  for (uint64_t c : counts) out->add_counts(c);
}

}  // namespace

double l2_norm(const float* values, int64_t count) {
  // Four independent sums: one chain of dependent double adds runs at a
  // quarter of the speed, and the diagnostics take this norm every few steps.
  constexpr int64_t kLanes = 4;
  double sums[kLanes] = {0.0, 0.0, 0.0, 0.0};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) {
      sums[k] += static_cast<double>(values[i + k]) * values[i + k];
    }
  }
  for (; i < count; ++i) sums[0] += static_cast<double>(values[i]) * values[i];
  return std::sqrt((sums[0] + sums[1]) + (sums[2] + sums[3]));
}

double l2_distance(const float* a, const float* b, int64_t count) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return std::sqrt(sum);
}

void fill_parameter_report(Parameter& parameter, const float* previous, uint32_t bins,
                           bool send_tensor, uint32_t max_tensor_elements,
                           v1::ParameterReport* out) {
  const int64_t n = parameter.size();
  out->set_layer(parameter.layer());
  out->set_parameter(parameter.name());
  for (int64_t d : parameter.shape()) out->add_shape(static_cast<uint32_t>(d));
  const float* value = parameter.plain_value();
  const double weight_norm = l2_norm(value, n);
  out->set_weight_norm(static_cast<float>(weight_norm));
  if (previous != nullptr && weight_norm > 0) {
    out->set_update_ratio(static_cast<float>(l2_distance(value, previous, n) / weight_norm));
  }
  const float* grad = parameter.plain_grad();
  out->set_gradient_norm(static_cast<float>(l2_norm(grad, n)));
  fill_histogram(grad, n, bins, out->mutable_gradient_histogram());
  if (send_tensor && n <= static_cast<int64_t>(max_tensor_elements)) {
    out->mutable_gradient()->Add(grad, grad + n);
  }
}

void fill_gradient_norms(const std::vector<Parameter*>& parameters, v1::GradientReport* out) {
  for (Parameter* p : parameters) {
    if (p->name() != "weights") continue;
    v1::ParameterReport* report = out->add_parameters();
    report->set_layer(p->layer());
    report->set_parameter(p->name());
    report->set_gradient_norm(static_cast<float>(l2_norm(p->plain_grad(), p->size())));
  }
}

float saturated_fraction(const Layer& layer, const dnnl::stream& stream) {
  const ActivationInfo* info = layer.activation();
  const int64_t count = layer.dst().elements();
  const float* y = layer.plain_dst(stream);
  const float lo = (info != nullptr ? info->saturation_low : -1.0F) + kSaturationMargin;
  const float hi = 1.0F - kSaturationMargin;
  int64_t saturated = 0;
  for (int64_t i = 0; i < count; ++i) saturated += (y[i] <= lo) | (y[i] >= hi);
  return count > 0 ? static_cast<float>(static_cast<double>(saturated) / count) : 0.0F;
}

void fill_activation_report(const Layer& layer, const dnnl::stream& stream,
                            v1::ActivationLayerReport* out) {
  const ActivationInfo* info = layer.activation();
  out->set_layer(layer.name());
  out->set_activation(info != nullptr ? std::string(info->name) : "");
  const Tensor& dst = layer.dst();
  const int64_t batch = dst.batch();
  const int64_t units = dst.channels();
  const int64_t positions = dst.positions();
  const float* y = layer.plain_dst(stream);
  double sum = 0.0;
  double sum_sq = 0.0;
  int64_t zeros = 0;
  std::vector<bool> alive(static_cast<size_t>(units), false);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t u = 0; u < units; ++u) {
      const float* plane = y + (n * units + u) * positions;
      for (int64_t p = 0; p < positions; ++p) {
        const float v = plane[p];
        sum += v;
        sum_sq += static_cast<double>(v) * v;
        if (v <= 0.0F) {
          ++zeros;
        } else {
          alive[static_cast<size_t>(u)] = true;
        }
      }
    }
  }
  const double count = static_cast<double>(batch * units * positions);
  const double mean = sum / count;
  out->set_mean(static_cast<float>(mean));
  out->set_std(static_cast<float>(std::sqrt(std::max(0.0, sum_sq / count - mean * mean))));
  if (info != nullptr && info->family == ActivationFamily::kReluFamily) {
    out->set_zero_fraction(static_cast<float>(zeros / count));
    const auto dead = std::count(alive.begin(), alive.end(), false);
    out->set_dead_fraction(static_cast<float>(dead) / static_cast<float>(units));
  }
  if (info != nullptr && info->family == ActivationFamily::kSaturating) {
    out->set_saturated_fraction(saturated_fraction(layer, stream));
  }
  if (info != nullptr && info->family == ActivationFamily::kFormula) {
    fill_formula_flatness(layer, stream, out);
  }
}

void fill_formula_flatness(const Layer& layer, const dnnl::stream& stream,
                           v1::ActivationLayerReport* out) {
  const auto* formula = dynamic_cast<const FormulaActivationLayer*>(&layer);
  if (formula == nullptr) return;
  const DerivativeFlatness flat = formula->flatness(stream);
  out->set_saturated_fraction(flat.flat_outputs);
  out->set_dead_fraction(flat.flat_units);
  out->set_expression(formula->expression());
}

std::optional<std::string> first_non_finite_layer(const Pipeline& pipeline) {
  for (const auto& layer : pipeline.layers()) {
    // Stored values: a blocked layout's padding is 0, finite.
    if (!all_finite(layer->dst().data(), layer->dst().stored())) return layer->name();
  }
  return std::nullopt;
}

const Parameter* first_non_finite_parameter(const std::vector<Parameter*>& parameters) {
  for (const Parameter* p : parameters) {
    if (!all_finite(p->stored_value(), p->stored())) return p;
  }
  return nullptr;
}

}  // namespace gradstream::engine

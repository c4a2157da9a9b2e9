// Diagnostics: vanishing/exploding gradients over a window of weight-gradient
// norms, dead ReLU units over an epoch, saturated sigmoid/tanh outputs, and the
// non_finite warning.
#include "engine/train/diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

namespace gradstream::engine {

namespace {

constexpr std::string_view kWeights = "weights";
constexpr int kFigureDigits = 3;

constexpr const char* kVanishingAdvice = "try relu/leaky_relu/elu, He init, or fewer layers";
constexpr const char* kExplodingAdvice = "lower the learning rate or clip gradients";
constexpr const char* kDeadReluAdvice =
    "try leaky_relu or elu, lower the learning rate, use He init";
constexpr const char* kSaturationAdvice = "standardize inputs, use Glorot init, or relu";
constexpr const char* kFormulaSaturationAdvice =
    "standardize inputs, or give the formula a slope away from 0 (e.g. add a small multiple of x)";
constexpr const char* kDeadUnitsAdvice =
    "lower the learning rate, or give the formula a slope where it is flat (a leaky side)";
constexpr const char* kNonFiniteAdvice = "lower the learning rate or clip gradients";

void push_window(std::deque<double>& window, double value) {
  window.push_back(value);
  while (window.size() > kDiagnosticsWindow) window.pop_front();
}

std::string percent(double share) {
  std::ostringstream out;
  out.precision(kFigureDigits);
  out << share * 100 << "%";
  return out.str();
}

std::string figure(double value) {
  std::ostringstream out;
  out.precision(kFigureDigits);
  out << value;
  return out.str();
}

}  // namespace

bool can_die(const ActivationInfo& info) { return info.can_die; }

v1::Warning make_warning(uint64_t step, const std::string& layer, std::string_view kind,
                         float value, const std::string& what, const std::string& advice) {
  v1::Warning w;
  w.set_step(step);
  w.set_layer(layer);
  w.set_kind(std::string(kind));
  w.set_value(value);
  w.set_advice(advice);
  w.set_message(layer + ": " + what + "; " + advice);
  return w;
}

v1::Warning non_finite_warning(uint64_t step, double loss, const std::string& layer,
                               const std::string& where) {
  std::ostringstream message;
  const char* value = std::isnan(loss) ? "NaN" : (loss > 0 ? "+Inf" : "-Inf");
  message << "step " << step << ": loss is " << value << "; " << where << "; " << kNonFiniteAdvice;
  v1::Warning w;
  w.set_step(step);
  w.set_layer(layer);
  w.set_kind(std::string(kNonFinite));
  w.set_value(static_cast<float>(loss));
  w.set_advice(kNonFiniteAdvice);
  w.set_message(message.str());
  return w;
}

void Diagnostics::start_epoch() {
  warned_.clear();
  relu_max_.clear();
}

bool Diagnostics::first_this_epoch(std::string_view kind, const std::string& layer) {
  return warned_.emplace(std::string(kind), layer).second;
}

void Diagnostics::check_exploding(uint64_t step, const std::string& layer, double norm,
                                  GradientHistory& history, std::vector<v1::Warning>& out) {
  push_window(history.norms, norm);
  std::string what;
  double value = norm;
  if (!std::isfinite(norm) || norm >= kExplodingGradientNorm) {
    what = "weight-gradient norm " + figure(norm) + " is above " + figure(kExplodingGradientNorm) +
           " (exploding gradients)";
  } else if (history.norms.size() == kDiagnosticsWindow && history.norms.front() > 0 &&
             norm >= kExplodingGrowthMinNorm &&
             norm / history.norms.front() >= kExplodingGrowthFactor) {
    value = norm / history.norms.front();
    what = "weight-gradient norm grew " + figure(value) + "x to " + figure(norm) +
           " over the last " + std::to_string(kDiagnosticsWindow) + " checks (exploding gradients)";
  } else {
    return;
  }
  if (first_this_epoch(kExplodingGradient, layer)) {
    out.push_back(make_warning(step, layer, kExplodingGradient, static_cast<float>(value), what,
                               kExplodingAdvice));
  }
}

std::vector<v1::Warning> Diagnostics::on_gradients(const v1::GradientReport& report) {
  std::vector<v1::Warning> out;
  std::vector<const v1::ParameterReport*> weights;
  for (const v1::ParameterReport& p : report.parameters()) {
    if (p.parameter() == kWeights) weights.push_back(&p);
  }
  if (weights.empty()) return out;
  for (const v1::ParameterReport* p : weights) {
    check_exploding(report.step(), p->layer(), p->gradient_norm(), gradients_[p->layer()], out);
  }
  // Ratios to the last layer: a network whose loss gradient is itself tiny
  // (converged) has small norms everywhere, but not small ratios.
  const v1::ParameterReport& last = *weights.back();
  const double last_norm = last.gradient_norm();
  if (!(last_norm > 0) || !std::isfinite(last_norm)) return out;
  for (size_t i = 0; i + 1 < weights.size(); ++i) {
    const v1::ParameterReport& p = *weights[i];
    const double norm = p.gradient_norm();
    if (!std::isfinite(norm)) continue;
    GradientHistory& history = gradients_[p.layer()];
    push_window(history.ratios, norm / last_norm);
    if (history.ratios.size() < kDiagnosticsWindow) continue;
    const double mean = std::accumulate(history.ratios.begin(), history.ratios.end(), 0.0) /
                        static_cast<double>(history.ratios.size());
    if (mean < kVanishingGradientRatio && first_this_epoch(kVanishingGradient, p.layer())) {
      const std::string what = "weight-gradient norm is " + figure(mean) +
                               " of the last layer's (" + last.layer() + "), mean of the last " +
                               std::to_string(kDiagnosticsWindow) + " checks (vanishing gradients)";
      out.push_back(make_warning(report.step(), p.layer(), kVanishingGradient,
                                 static_cast<float>(mean), what, kVanishingAdvice));
    }
  }
  return out;
}

std::vector<v1::Warning> Diagnostics::on_activations(const v1::ActivationReport& report) {
  std::vector<v1::Warning> out;
  for (const v1::ActivationLayerReport& layer : report.layers()) {
    const bool formula = !layer.expression().empty();
    const float share = layer.saturated_fraction();
    if (share >= kSaturationWarningFraction && first_this_epoch(kSaturation, layer.layer())) {
      const std::string what =
          percent(share) + " of " + layer.activation() +
          (formula ? " outputs are where its derivative is below 0.01, so the gradient vanishes "
                     "(saturation)"
                   : " outputs are within 1% of a bound, where the gradient vanishes "
                     "(saturation)");
      out.push_back(make_warning(report.step(), layer.layer(), kSaturation, share, what,
                                 formula ? kFormulaSaturationAdvice : kSaturationAdvice));
    }
    const float dead = layer.dead_fraction();
    if (formula && dead >= kDeadUnitWarningFraction &&
        first_this_epoch(kDeadUnits, layer.layer())) {
      const std::string what = percent(dead) + " of units pass no gradient (|" +
                               layer.activation() +
                               "'| < 0.01) for every sample of the batch "
                               "(dead units)";
      out.push_back(
          make_warning(report.step(), layer.layer(), kDeadUnits, dead, what, kDeadUnitsAdvice));
    }
  }
  return out;
}

void Diagnostics::observe_relu_output(const std::string& layer, const float* dst, int64_t batch,
                                      int64_t channels, int64_t positions) {
  std::vector<float>& max = relu_max_[layer];
  if (max.size() != static_cast<size_t>(channels)) {
    max.assign(static_cast<size_t>(channels), -std::numeric_limits<float>::infinity());
  }
  float* __restrict m = max.data();
  if (positions == 1) {  // [batch, units]: one vectorised pass over each row
    for (int64_t n = 0; n < batch; ++n) {
      const float* __restrict row = dst + n * channels;
      for (int64_t u = 0; u < channels; ++u) m[u] = row[u] > m[u] ? row[u] : m[u];
    }
    return;
  }
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* __restrict plane = dst + (n * channels + c) * positions;
      float best = m[c];
      for (int64_t p = 0; p < positions; ++p) best = plane[p] > best ? plane[p] : best;
      m[c] = best;
    }
  }
}

void Diagnostics::observe_channel_maxima(const std::string& layer, const float* maxima,
                                         int64_t channels) {
  std::vector<float>& max = relu_max_[layer];
  if (max.size() != static_cast<size_t>(channels)) {
    max.assign(static_cast<size_t>(channels), -std::numeric_limits<float>::infinity());
  }
  for (int64_t c = 0; c < channels; ++c) max[c] = std::max(max[c], maxima[c]);
}

std::vector<v1::Warning> Diagnostics::end_epoch(uint64_t step) {
  std::vector<v1::Warning> out;
  for (const auto& [layer, max] : relu_max_) {
    if (max.empty()) continue;
    const auto dead = std::count_if(max.begin(), max.end(), [](float v) { return !(v > 0.0F); });
    const float share = static_cast<float>(dead) / static_cast<float>(max.size());
    if (share >= kDeadUnitWarningFraction && first_this_epoch(kDeadRelu, layer)) {
      const std::string what = percent(share) + " of units (" + std::to_string(dead) + " of " +
                               std::to_string(max.size()) +
                               ") output zero for every sample of the epoch (dying ReLU)";
      out.push_back(make_warning(step, layer, kDeadRelu, share, what, kDeadReluAdvice));
    }
  }
  relu_max_.clear();
  return out;
}

}  // namespace gradstream::engine

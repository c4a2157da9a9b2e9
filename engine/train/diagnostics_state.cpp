// Diagnostics' memory to and from a checkpoint's DiagnosticsState.
#include <set>

#include "engine/train/diagnostics.hpp"

namespace gradstream::engine {

namespace {

Status check_window(const std::string& path, const char* field, int size) {
  if (size <= static_cast<int>(kDiagnosticsWindow)) return ok_status();
  return invalid_argument(path + "." + field + ": " + std::to_string(size) +
                          " values, a window holds at most " + std::to_string(kDiagnosticsWindow));
}

}  // namespace

v1::DiagnosticsState Diagnostics::state() const {
  v1::DiagnosticsState state;
  for (const auto& [layer, history] : gradients_) {
    v1::GradientWindow* window = state.add_gradients();
    window->set_layer(layer);
    window->mutable_norms()->Add(history.norms.begin(), history.norms.end());
    window->mutable_ratios()->Add(history.ratios.begin(), history.ratios.end());
  }
  for (const auto& [layer, max] : relu_max_) {
    v1::UnitMaxima* maxima = state.add_relu_maxima();
    maxima->set_layer(layer);
    maxima->mutable_maxima()->Add(max.begin(), max.end());
  }
  for (const auto& [kind, layer] : warned_) {
    v1::WarningGiven* given = state.add_warned();
    given->set_kind(kind);
    given->set_layer(layer);
  }
  return state;
}

Status Diagnostics::check_state(const v1::DiagnosticsState& state,
                                const std::map<std::string, int64_t>& relu_channels) {
  std::set<std::string> layers;
  for (int i = 0; i < state.gradients_size(); ++i) {
    const v1::GradientWindow& window = state.gradients(i);
    const std::string path = "diagnostics.gradients[" + std::to_string(i) + "]";
    if (!layers.insert(window.layer()).second) {
      return invalid_argument(path + ".layer: \"" + window.layer() + "\" appears twice");
    }
    if (Status s = check_window(path, "norms", window.norms_size()); !s.ok()) return s;
    if (Status s = check_window(path, "ratios", window.ratios_size()); !s.ok()) return s;
  }
  layers.clear();
  for (int i = 0; i < state.relu_maxima_size(); ++i) {
    const v1::UnitMaxima& maxima = state.relu_maxima(i);
    const std::string path = "diagnostics.relu_maxima[" + std::to_string(i) + "]";
    const auto known = relu_channels.find(maxima.layer());
    if (known == relu_channels.end()) {
      return invalid_argument(path + ".layer: \"" + maxima.layer() +
                              "\" is not a ReLU layer of this model");
    }
    if (!layers.insert(maxima.layer()).second) {
      return invalid_argument(path + ".layer: \"" + maxima.layer() + "\" appears twice");
    }
    if (maxima.maxima_size() != known->second) {
      return invalid_argument(path + ".maxima: " + std::to_string(maxima.maxima_size()) +
                              " values, layer \"" + maxima.layer() + "\" has " +
                              std::to_string(known->second) + " units");
    }
  }
  return ok_status();
}

void Diagnostics::restore_state(const v1::DiagnosticsState& state) {
  gradients_.clear();
  relu_max_.clear();
  warned_.clear();
  for (const v1::GradientWindow& window : state.gradients()) {
    GradientHistory& history = gradients_[window.layer()];
    history.norms.assign(window.norms().begin(), window.norms().end());
    history.ratios.assign(window.ratios().begin(), window.ratios().end());
  }
  for (const v1::UnitMaxima& maxima : state.relu_maxima()) {
    relu_max_[maxima.layer()].assign(maxima.maxima().begin(), maxima.maxima().end());
  }
  for (const v1::WarningGiven& given : state.warned()) warned_.emplace(given.kind(), given.layer());
}

}  // namespace gradstream::engine

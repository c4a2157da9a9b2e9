// Diagnostics: turns what the trainer measures (weight-gradient norms, activation
// statistics, ReLU outputs) into Warning events that say which layer is in
// trouble, the figure, and what to try. Each kind warns at most once per layer
// per epoch. The class only reads numbers; the trainer decides when to feed it
// (reporting.diagnostics_every) and forwards what it returns to the observer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/layers/activation/activation_catalog.hpp"
#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/report.pb.h"

namespace gradstream::engine {

// Warning kinds, as they appear in Warning.kind.
inline constexpr std::string_view kVanishingGradient = "vanishing_gradient";
inline constexpr std::string_view kExplodingGradient = "exploding_gradient";
inline constexpr std::string_view kDeadRelu = "dead_relu";
inline constexpr std::string_view kSaturation = "saturation";
// A formula activation's units whose derivative is ~0 for a whole batch.
inline constexpr std::string_view kDeadUnits = "dead_units";
inline constexpr std::string_view kNonFinite = "non_finite";

// Gradient checks look at the last kDiagnosticsWindow gradient observations of
// a layer (spanning epochs); a check only speaks once the window is full.
inline constexpr size_t kDiagnosticsWindow = 5;
// vanishing: mean over the window of ||dW_layer|| / ||dW_last|| below this.
inline constexpr double kVanishingGradientRatio = 1e-3;
// exploding: a layer's ||dW|| at or above this, or ...
inline constexpr double kExplodingGradientNorm = 1e3;
// ... grown by at least this factor since the oldest norm of the window, to at
// least kExplodingGrowthMinNorm (small norms grow by large factors harmlessly).
inline constexpr double kExplodingGrowthFactor = 1e2;
inline constexpr double kExplodingGrowthMinNorm = 1.0;
// dead_relu: share of a ReLU layer's units never positive in a whole epoch.
inline constexpr float kDeadUnitWarningFraction = 0.25F;
// saturation: share of sigmoid/tanh outputs within kSaturationMargin of a bound
// (of a formula's outputs where |f'| < kFlatDerivative); dead_units: share of
// a formula layer's units flat for every sample of a batch, the same bound as
// dead_relu.
inline constexpr float kSaturationWarningFraction = 0.5F;

// Whether a unit of this activation stops learning once its output is <= 0 for
// every input (the catalog's can_die: relu's negative side has slope 0;
// leaky_relu, elu, selu and prelu keep a gradient there).
bool can_die(const ActivationInfo& info);

class Diagnostics {
 public:
  // A new epoch: forgets which warnings were given and the ReLU outputs seen.
  void start_epoch();

  // Weight-gradient norms of one step, in layer order (entries other than
  // "weights" are ignored; only layer, parameter and gradient_norm are read).
  // Returns vanishing_gradient and exploding_gradient warnings.
  std::vector<v1::Warning> on_gradients(const v1::GradientReport& report);

  // Activation statistics of one step (layer, activation, saturated_fraction,
  // and for formulas expression and dead_fraction are read). Returns
  // saturation and dead_units warnings.
  std::vector<v1::Warning> on_activations(const v1::ActivationReport& report);

  // One batch of a ReLU layer's output, row-major [batch, channels, positions]
  // (positions 1 for [batch, units]): keeps each unit's (channel's) largest
  // output of the epoch, over samples and positions. One vectorised pass,
  // cheap enough for every step.
  void observe_relu_output(const std::string& layer, const float* dst, int64_t batch,
                           int64_t channels, int64_t positions = 1);
  // The same from the step's per-channel maxima already taken ([channels]).
  void observe_channel_maxima(const std::string& layer, const float* maxima, int64_t channels);

  // After the epoch's last step: dead_relu warnings for the layers whose units
  // never output > 0 during the epoch.
  std::vector<v1::Warning> end_epoch(uint64_t step);

  // Checkpoints: the gradient windows, this epoch's ReLU maxima and the
  // warnings given this epoch, so a resumed run warns exactly as the
  // uninterrupted one.
  v1::DiagnosticsState state() const;
  // OK when `state` can be restored here: windows of at most
  // kDiagnosticsWindow, maxima only for the ReLU layers of `relu_channels`
  // (layer -> units) with that many values, no layer twice; else
  // invalid_argument naming the entry ("diagnostics.relu_maxima[0]: ...").
  static Status check_state(const v1::DiagnosticsState& state,
                            const std::map<std::string, int64_t>& relu_channels);
  // Restores a state check_state accepted, replacing everything kept.
  void restore_state(const v1::DiagnosticsState& state);

 private:
  struct GradientHistory {
    std::deque<double> norms;   // ||dW||, oldest first
    std::deque<double> ratios;  // ||dW|| / ||dW_last||, oldest first
  };

  // True the first time (kind, layer) asks this epoch.
  bool first_this_epoch(std::string_view kind, const std::string& layer);
  void check_exploding(uint64_t step, const std::string& layer, double norm,
                       GradientHistory& history, std::vector<v1::Warning>& out);

  std::map<std::string, GradientHistory> gradients_;      // by layer
  std::map<std::string, std::vector<float>> relu_max_;    // by layer: per-unit max this epoch
  std::set<std::pair<std::string, std::string>> warned_;  // (kind, layer) this epoch
};

// A Warning with every field set; `message` is "<layer>: <what>; <advice>".
v1::Warning make_warning(uint64_t step, const std::string& layer, std::string_view kind,
                         float value, const std::string& what, const std::string& advice);

// The non_finite warning for a loss that is NaN or Inf at `step`; `where` says
// where the first non-finite values are (a parameter, a layer's output, or the
// loss itself) and `layer` names that layer, empty for the loss.
v1::Warning non_finite_warning(uint64_t step, double loss, const std::string& layer,
                               const std::string& where);

}  // namespace gradstream::engine

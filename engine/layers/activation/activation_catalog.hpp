// The activation catalog: one entry per activation, the only place that knows
// which oneDNN primitive and algorithm implement it, what parameters it takes,
// their defaults and valid ranges. Adding an activation is adding one entry.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// kFormula: a formula from the spec (formula_activation.hpp), not a catalog
// entry; its ActivationInfo is made per layer.
enum class ActivationPrimitive { kEltwise, kPrelu, kSoftmax, kLogSoftmax, kFormula };

// How the diagnostics read an activation's output.
enum class ActivationFamily {
  kLinear,      // identity
  kReluFamily,  // outputs <= 0 count as "dead"
  kSaturating,  // sigmoid / tanh: outputs near a bound count as "saturated"
  kSmooth,      // everything else
  kOutput,      // softmax / log_softmax
  kFormula,     // through its derivative: ~0 counts as saturated (or dead, for a unit)
};

// oneDNN's eltwise takes two scalars, alpha and beta; a user parameter feeds one.
enum class DnnlSlot { kAlpha, kBeta };

struct ActivationParameter {
  std::string_view name;  // as written in the spec: "alpha" or "beta"
  float default_value;
  float min;  // inclusive
  float max;  // inclusive
  DnnlSlot slot;
};

struct ActivationInfo {
  std::string_view name;
  ActivationPrimitive primitive;
  dnnl::algorithm forward_algorithm;             // eltwise only
  dnnl::algorithm backward_algorithm;            // the *_use_dst_for_bwd form where oneDNN has one
  std::optional<ActivationParameter> parameter;  // at most one user parameter
  float fixed_alpha = 0.0F;                      // oneDNN alpha/beta when not set by the user
  float fixed_beta = 0.0F;
  float output_scale = 1.0F;  // SELU's lambda, applied by a second eltwise
  ActivationFamily family;
  std::string_view formula;  // for docs and error messages
  // A unit whose output is 0 for every input passes no gradient (plain relu:
  // leaky_relu, elu, selu and prelu pass some on their negative side).
  bool can_die = false;
  // kSaturating: the lower end of the output range (the upper is 1).
  float saturation_low = -1.0F;

  bool backward_uses_dst() const;
};

// The oneDNN scalars for one configured activation.
struct EltwiseArgs {
  float alpha = 0.0F;
  float beta = 0.0F;
};

std::span<const ActivationInfo> activation_catalog();
const ActivationInfo* find_activation(std::string_view name);

// Checks an ActivationSpec against the catalog; `path` prefixes messages,
// e.g. "model.layers[2].dense.activation".
Status validate_activation(const v1::ActivationSpec& spec, const std::string& path);

// The oneDNN alpha/beta for a validated spec (defaults filled in).
EltwiseArgs resolve_eltwise_args(const ActivationInfo& info, const v1::ActivationSpec& spec);

}  // namespace gradstream::engine

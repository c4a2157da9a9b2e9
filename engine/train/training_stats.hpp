// Statistics the trainer reports about parameters, gradients and activations.
// They run on reporting steps only, never on every step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/layer.hpp"
#include "engine/core/parameter.hpp"
#include "engine/model/pipeline.hpp"
#include "gradstream/v1/report.pb.h"

namespace gradstream::engine {

// Outputs within this distance of a bound count as saturated (sigmoid: 0 and 1,
// tanh: -1 and 1): there the derivative is below ~1% of its peak.
inline constexpr float kSaturationMargin = 0.01F;
// (The shares at which these become warnings are in diagnostics.hpp.)

double l2_norm(const float* values, int64_t count);
// ||a - b|| without a temporary.
double l2_distance(const float* a, const float* b, int64_t count);

// Fills norms, the update ratio (from `previous`, the row-major values before
// the last update) and a histogram of the gradient; the tensor itself when
// asked and no larger than `max_tensor_elements`. Everything is computed on the
// row-major values (Parameter::plain_value/plain_grad), so a blocked layout's
// padding never counts and the figures equal those of plain storage exactly.
void fill_parameter_report(Parameter& parameter, const float* previous, uint32_t bins,
                           bool send_tensor, uint32_t max_tensor_elements,
                           v1::ParameterReport* out);

// Only the weight-gradient norms (layer, "weights", gradient_norm), for the
// diagnostics on steps without a full gradient report.
void fill_gradient_norms(const std::vector<Parameter*>& parameters, v1::GradientReport* out);

// Share of a sigmoid/tanh layer's outputs within kSaturationMargin of a bound.
float saturated_fraction(const Layer& layer, const dnnl::stream& stream);

// Mean, std, zero/dead fractions (ReLU family; a unit is a channel, dead when
// <= 0 for every sample and position) and saturation (sigmoid/tanh) of an
// activation layer's output for the current batch.
void fill_activation_report(const Layer& layer, const dnnl::stream& stream,
                            v1::ActivationLayerReport* out);

// The first layer whose output holds a NaN or Inf, if any.
// A formula activation's share of outputs (saturated_fraction) and of units
// (dead_fraction) where its derivative is ~0, and its expression.
void fill_formula_flatness(const Layer& layer, const dnnl::stream& stream,
                           v1::ActivationLayerReport* out);

std::optional<std::string> first_non_finite_layer(const Pipeline& pipeline);
// The first parameter holding a NaN or Inf, nullptr if none.
const Parameter* first_non_finite_parameter(const std::vector<Parameter*>& parameters);

}  // namespace gradstream::engine

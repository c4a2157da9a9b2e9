// The fields that dense and conv2d share, checked and built in one place: the
// fused activation, the initializer, given initial weights and bias.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.hpp"
#include "engine/core/parameter.hpp"
#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

// A spec message with activation, init, no_bias, initial_weights and initial_bias.
template <class Spec>
struct WeightedFields {
  const Spec& spec;
  std::string path;          // "model.layers[0].dense"
  int64_t weights;           // values the weights hold
  std::string weights_text;  // how they are counted, e.g. "units 10 x inputs 784"
  int64_t bias;              // values the bias holds (the output channels)
  std::string bias_text;     // e.g. "units"
};

// Checks the activation (ends_network: it is the network's last), the
// initializer and the counts of any given initial values.
template <class Spec>
Status validate_weighted_fields(const WeightedFields<Spec>& f, bool ends_network);

// Fills `weights` from the given values or the resolved initializer (fans as
// given), and `bias` (null with no_bias) from the given values, else zeros.
template <class Spec>
void initialize_weighted(const WeightedFields<Spec>& f, const LayerBuildContext& ctx,
                         int64_t fan_in, int64_t fan_out, Parameter& weights, Parameter* bias);

// Adds the spec's own activation (when set) as the node after the layer's,
// named "<layer>/<activation>", over samples of `output`.
template <class Spec>
Status add_own_activation(LayerBuildContext& ctx, const Spec& spec, const Shape& output);

// Drops the given initial values (model files keep the trained tensors).
template <class Spec>
void clear_weighted_initial_values(Spec& spec);

}  // namespace gradstream::engine

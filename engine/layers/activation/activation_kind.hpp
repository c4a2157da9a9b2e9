// The activation layer kind (a catalog activation or a formula as its own entry of
// model.layers), and the pieces a kind with an `activation` field (dense)
// shares with it: validation, parameter count (PReLU's slopes) and building
// the activation's node.
#pragma once

#include <string>

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

const LayerKind& activation_layer_kind();

// validate_activation plus the output-only rule: softmax and log_softmax may
// only end the network (anywhere else they would squash hidden features into a
// distribution, which is almost surely a mistake).
Status validate_layer_activation(const v1::ActivationSpec& spec, const std::string& path,
                                 bool ends_network);

// The stem of the layer names it gives: the catalog name, or a formula's
// name ("formula" when it has none).
std::string activation_name_stem(const v1::ActivationSpec& spec);

// Trainable values the activation holds for a sample of shape `input`.
int64_t activation_parameter_count(const v1::ActivationSpec& spec, const Shape& input);

// Adds the node for a validated activation named `name` over samples of `shape`.
Status add_activation(LayerBuildContext& ctx, const v1::ActivationSpec& spec,
                      const std::string& name, const Shape& shape);

}  // namespace gradstream::engine

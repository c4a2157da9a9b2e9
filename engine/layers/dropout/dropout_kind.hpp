// The dropout layer kind: DropoutSpec's rate in [0, 1), any shape in and out.
#pragma once

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

const LayerKind& dropout_layer_kind();

}  // namespace gradstream::engine

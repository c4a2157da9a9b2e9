// The flatten layer kind: [C, H, W] -> [C * H * W].
#pragma once

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

const LayerKind& flatten_layer_kind();

}  // namespace gradstream::engine

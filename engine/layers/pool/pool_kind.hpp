// The pooling layer kinds: max_pool2d and avg_pool2d (Pool2DSpec: window,
// padding, count_include_pad for the average) and global_avg_pool
// ([C, H, W] -> [C]).
#pragma once

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

const LayerKind& max_pool2d_layer_kind();
const LayerKind& avg_pool2d_layer_kind();
const LayerKind& global_avg_pool_layer_kind();

}  // namespace gradstream::engine

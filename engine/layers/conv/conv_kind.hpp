// The conv2d layer kind: Conv2DSpec's validation (window, groups, initial
// values), shape ([C, H, W] -> [filters, H', W']), parameters (weights, bias)
// and its node.
#pragma once

#include <cstdint>

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

inline constexpr uint32_t kMaxFilters = 65536;  // conv2d.filters

const LayerKind& conv2d_layer_kind();

}  // namespace gradstream::engine

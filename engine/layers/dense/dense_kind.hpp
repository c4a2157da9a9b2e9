// The dense layer kind: DenseSpec's validation, shape ([anything] -> [units]),
// parameters (weights [units, inputs], bias [units]) and its node.
#pragma once

#include <cstdint>

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

inline constexpr uint32_t kMaxUnits = 65536;  // dense.units

const LayerKind& dense_layer_kind();

}  // namespace gradstream::engine

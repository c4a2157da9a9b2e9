// The reshape layer kind: the sample in other dims with as many values,
// e.g. [784] -> [1, 28, 28].
#pragma once

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

// A sample has at most this many dims: oneDNN's limit (12) less the batch.
inline constexpr int kMaxSampleRank = 11;

const LayerKind& reshape_layer_kind();

}  // namespace gradstream::engine

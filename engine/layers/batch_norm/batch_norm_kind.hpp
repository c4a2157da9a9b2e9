// The batch_norm layer kind: BatchNormSpec's validation (momentum, epsilon),
// any [C] or [C, ...] shape in and out, parameters scale and shift [C]
// (trained, no weight decay) and the running mean and variance [C] (state:
// exported and restored, never trained).
#pragma once

#include "engine/layers/layer_kind.hpp"

namespace gradstream::engine {

inline constexpr float kDefaultBatchNormMomentum = 0.1F;
inline constexpr float kDefaultBatchNormEpsilon = 1e-5F;

const LayerKind& batch_norm_layer_kind();

}  // namespace gradstream::engine

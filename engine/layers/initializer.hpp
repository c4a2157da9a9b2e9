// Random weight initializers (Glorot, He, LeCun; uniform and normal). Each draws
// from U(-limit, limit) or N(0, std^2):
//   Glorot  uniform limit = sqrt(6 / (fan_in + fan_out)), normal std = sqrt(2 / (fan_in + fan_out))
//   He      uniform limit = sqrt(6 / fan_in),             normal std = sqrt(2 / fan_in)
//   LeCun   uniform limit = sqrt(3 / fan_in),             normal std = sqrt(1 / fan_in)
// Normals are plain (not truncated). The <random> distributions are avoided on
// purpose: their algorithms are implementation-defined, so the same seed would
// give different weights under libstdc++ and libc++. Here uniforms come straight
// from the 64-bit engine output and normals from Box-Muller, so only the engine
// (fully specified by the standard) and libm's log/sin/cos are involved.
#pragma once

#include <cstdint>
#include <random>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// Fills dst[0, count) with draws for `kind`. INITIALIZER_UNSPECIFIED depends on
// the layer's activation and is resolved by the caller; here it (and any value
// outside the enum) is treated as GLOROT_UNIFORM. Fans below 1 are read as 1.
// The initializer for weights followed by `next_activation` (null: none) when
// neither the layer nor the model names one: He normal before the ReLU family
// (its derivation assumes half the units off), Glorot uniform otherwise (its
// derivation assumes an activation linear around zero).
v1::Initializer default_initializer(const v1::ActivationSpec* next_activation);

// The initializer a layer uses: its own, else the model's, else the default
// for the activation that follows it: `own` (the layer's activation field,
// null when unset), else the next entry of model.layers when that is one.
v1::Initializer resolve_initializer(v1::Initializer layer, v1::Initializer model,
                                    const v1::ActivationSpec* own, const v1::LayerSpec* next);

void initialize_weights(v1::Initializer kind, int64_t fan_in, int64_t fan_out, std::mt19937_64& rng,
                        float* dst, int64_t count);

}  // namespace gradstream::engine

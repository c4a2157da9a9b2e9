// validate_spec: checks a TrainingSpec as the user wrote it (defaults unset)
// before anything is built from it; and count_parameters. Its optimizer part,
// validate_optimizer, which make_optimizer also calls, is declared in
// optimizer_validator.hpp, included here. The limits are declared here once;
// the server uses them too (e.g. to size admission checks).
// Every error is invalid_argument "<field path>: <what is wrong>", the path in
// proto field names with indices, e.g. "model.layers[2].dense.units: 0 is out of
// range [1, 65536]".
#pragma once

#include <cstdint>

#include "engine/optim/optimizer_validator.hpp"
#include "engine/base/run_limits.hpp"
#include "engine/core/shape.hpp"
#include "engine/layers/dense/dense_kind.hpp"  // kMaxUnits
#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

inline constexpr int kMaxLayers = 256;        // model.layers entries
inline constexpr int64_t kMaxInputFeatures = int64_t{1} << 24;  // product of input_shape
// Trainable floats in the whole model: 1 GiB of weights, 4 GiB with grads and
// Adam's two moments, the most one job may hold.
inline constexpr int64_t kMaxParameters = int64_t{1} << 28;
inline constexpr uint32_t kMaxHistogramBins = 256;
inline constexpr uint32_t kMaxTensorElements = uint32_t{1} << 24;
inline constexpr uint32_t kMaxDiagnosticsEvery = 1000000;

// OK, or invalid_argument naming the first problem found: names and strings
// first, then the spec's size, then in field order (model, loss, optimizer,
// data, epochs, batch_size, threads, reporting), then the events' size
// (spec_bounds.hpp).
// Accepts 0 / unset wherever with_defaults would fill the value in.
Status validate_spec(const v1::TrainingSpec& spec);

// Trainable parameters the model would hold, summed over its layer kinds (per
// Dense units x inputs weights plus units biases, one PReLU slope per channel).
// Exact for a spec whose model passes validate_spec; INT64_MAX for one that
// does not, and saturating instead of overflowing on absurd ones.
int64_t count_parameters(const v1::TrainingSpec& spec);

// model.input_shape as a Shape (one sample, without the batch dimension).
Shape input_shape(const v1::ModelSpec& model);

}  // namespace gradstream::engine

// with_defaults: makes every defaulted TrainingSpec field explicit, so the rest
// of the engine (and what a job reports back as its spec) reads values, not
// "0 means ...". The defaults themselves are declared here, once; Adam's and
// RMSprop's coefficients live next to their optimizers.
#pragma once

#include <cstdint>

#include "engine/optim/optimizer.hpp"  // default_learning_rate
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

inline constexpr uint32_t kDefaultThreads = 1;
inline constexpr uint32_t kDefaultWorkers = 1;  // distributed.workers: one process
inline constexpr v1::Loss kDefaultLoss = v1::SOFTMAX_CROSS_ENTROPY;
inline constexpr uint32_t kDefaultStepEvery = 1;
inline constexpr uint32_t kDefaultHistogramBins = 16;
inline constexpr uint32_t kDefaultMaxTensorElements = 65536;
// Gradient norms (~60 us for 235 k weights) and saturation every 20 steps: well
// under 1% of a 1 ms step. Dead ReLU units are tracked on every step regardless
// (~3-5 us per 128 x 256 layer output).
inline constexpr uint32_t kDefaultDiagnosticsEvery = 20;

// Fills, where unset or 0: threads (1), loss (softmax cross-entropy), optimizer
// kind (adam), learning_rate (per optimizer), Adam's beta1/beta2/epsilon and
// RMSprop's rho/epsilon, schedule kind (constant), reporting.step_every (1),
// histogram_bins (16), max_tensor_elements (65536), diagnostics_every (20). Fields whose 0 means
// something (gradient_every, activation_every, validation_fraction,
// weight_decay, ...) are left alone. Explicit values are kept, so applying it
// twice changes nothing. Call validate_spec on the spec as written first.
v1::TrainingSpec with_defaults(v1::TrainingSpec spec);

}  // namespace gradstream::engine

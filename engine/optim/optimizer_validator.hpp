// validate_optimizer: the optimizer part of validate_spec, which make_optimizer
// also calls, so its checks live only here. Errors are invalid_argument
// "<field path>: <what is wrong>" with paths starting "optimizer.", e.g.
// "optimizer.adam.beta1: 1 is out of range [0, 1)". The limits it enforces
// are declared here (kMaxEpochs, which a step schedule's period is checked
// against, in base/run_limits.hpp).
#pragma once

#include <cstdint>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

inline constexpr float kMaxLearningRate = 10.0f;
inline constexpr uint32_t kMaxWarmupSteps = 1000000000;

// OK, or invalid_argument for the first problem among learning_rate,
// weight_decay, the chosen kind's fields and the schedule. Accepts unset / 0
// where with_defaults fills a value in, and the filled-in values too.
Status validate_optimizer(const v1::OptimizerSpec& spec);

}  // namespace gradstream::engine

// The optimizer checks, in field order: learning_rate, weight_decay, the
// chosen kind's fields (its OptimizerKind's validate), then the schedule.
// Floats are compared as !(lo <= x <= hi) so NaN never passes.
#include "engine/optim/optimizer_validator.hpp"

#include <string>

#include "engine/base/field_checks.hpp"
#include "engine/base/run_limits.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/optim/optimizer_kind.hpp"

namespace gradstream::engine {

namespace {

// A multiplier on the rate: 0 would stop training, above 1 would grow it.
constexpr Range kGammaRange{0.0f, 1.0f, true, false};        // (0, 1]
constexpr Range kWeightDecayRange{0.0f, 1.0f, false, true};  // [0, 1)
constexpr Range kLearningRateRange{0.0f, kMaxLearningRate, true, false};

Status validate_schedule(const v1::ScheduleSpec& schedule, float learning_rate) {
  const std::string path = "optimizer.schedule";
  switch (schedule.kind_case()) {
    case v1::ScheduleSpec::kStep: {
      const v1::StepSchedule& step = schedule.step();
      if (Status s = first_error(
              {check_count(path + ".step.every_epochs", step.every_epochs(), 1, kMaxEpochs),
               check_float(path + ".step.gamma", step.gamma(), kGammaRange)});
          !s.ok()) {
        return s;
      }
      break;
    }
    case v1::ScheduleSpec::kExponential: {
      const float gamma = schedule.exponential().gamma();
      if (Status s = check_float(path + ".exponential.gamma", gamma, kGammaRange); !s.ok()) {
        return s;
      }
      break;
    }
    case v1::ScheduleSpec::kCosine: {
      // The floor cannot be above the rate it decays from.
      const Range floor{0.0f, learning_rate, false, false};
      const float min_lr = schedule.cosine().min_learning_rate();
      if (!contains(floor, min_lr)) {
        return out_of_range(path + ".cosine.min_learning_rate", min_lr, floor,
                            " (at most the learning rate)");
      }
      break;
    }
    default:
      break;  // constant, or unset = constant
  }
  return check_count(path + ".warmup_steps", schedule.warmup_steps(), 0, kMaxWarmupSteps);
}

}  // namespace

// Public: make_optimizer calls it too (see optimizer_validator.hpp).
Status validate_optimizer(const v1::OptimizerSpec& spec) {
  // 0 selects the optimizer's default rate.
  if (spec.learning_rate() != 0.0f && !contains(kLearningRateRange, spec.learning_rate())) {
    return out_of_range("optimizer.learning_rate", spec.learning_rate(), kLearningRateRange,
                        " (0 selects the optimizer's default)");
  }
  if (Status s = check_float("optimizer.weight_decay", spec.weight_decay(), kWeightDecayRange);
      !s.ok()) {
    return s;
  }
  const OptimizerKind* kind = find_optimizer_kind(spec.kind_case());
  if (kind == nullptr) {
    return invalid_argument("optimizer.kind: unknown optimizer (oneof case " +
                            std::to_string(static_cast<int>(spec.kind_case())) + ")");
  }
  if (Status s = kind->validate(spec); !s.ok()) return s;
  const float learning_rate =
      spec.learning_rate() != 0.0f ? spec.learning_rate() : default_learning_rate(spec.kind_case());
  return validate_schedule(spec.schedule(), learning_rate);
}

}  // namespace gradstream::engine

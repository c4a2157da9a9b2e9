// Learning-rate schedules; the formulas are in lr_schedule.hpp. Computed in
// double and rounded once, so a rate does not drift with the step count.
#include "engine/optim/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gradstream::engine {

LrSchedule::LrSchedule(const v1::ScheduleSpec& spec, float base_lr, uint64_t total_steps,
                       uint64_t steps_per_epoch)
    : kind_(spec.kind_case()),
      base_(base_lr),
      min_(0.0),
      gamma_(1.0),
      every_epochs_(1),
      warmup_steps_(spec.warmup_steps()),
      total_steps_(total_steps),
      steps_per_epoch_(std::max<uint64_t>(steps_per_epoch, 1)) {
  switch (kind_) {
    case v1::ScheduleSpec::kStep:
      gamma_ = spec.step().gamma();
      every_epochs_ = std::max<uint64_t>(spec.step().every_epochs(), 1);
      break;
    case v1::ScheduleSpec::kExponential:
      gamma_ = spec.exponential().gamma();
      break;
    case v1::ScheduleSpec::kCosine:
      min_ = spec.cosine().min_learning_rate();
      break;
    default:  // constant or unset
      break;
  }
}

double LrSchedule::scheduled(uint64_t step) const {
  const uint64_t epoch = step / steps_per_epoch_;
  switch (kind_) {
    case v1::ScheduleSpec::kStep:
      return base_ * std::pow(gamma_, static_cast<double>(epoch / every_epochs_));
    case v1::ScheduleSpec::kExponential:
      return base_ * std::pow(gamma_, static_cast<double>(epoch));
    case v1::ScheduleSpec::kCosine: {
      // Held at the floor past the end instead of rising again as the periodic
      // form (PyTorch's CosineAnnealingLR past T_max) would.
      if (total_steps_ == 0 || step >= total_steps_) return min_;
      const double progress = static_cast<double>(step) / static_cast<double>(total_steps_);
      return min_ + (base_ - min_) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
    }
    default:  // constant or unset
      return base_;
  }
}

float LrSchedule::at(uint64_t step) const {
  double lr = scheduled(step);
  if (step < warmup_steps_) {
    lr *= static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  }
  return static_cast<float>(lr);
}

}  // namespace gradstream::engine

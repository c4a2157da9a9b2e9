// The learning rate at each global step, from a ScheduleSpec. With s the 0-based
// global step and epoch = floor(s / steps_per_epoch):
//   constant:     base
//   step:         base * gamma^floor(epoch / every_epochs)
//   exponential:  base * gamma^epoch
//   cosine:       min + (base - min) * (1 + cos(pi * s / total_steps)) / 2,
//                 held at min once s >= total_steps
// then, for any kind, linear warm-up: for s < warmup_steps the rate is multiplied
// by (s + 1) / warmup_steps. An unset kind means constant.
#pragma once

#include <cstdint>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class LrSchedule {
 public:
  // The spec's ranges are checked by the spec validator; here a zero
  // steps_per_epoch or every_epochs is read as 1 so no value can divide by zero.
  LrSchedule(const v1::ScheduleSpec& spec, float base_lr, uint64_t total_steps,
             uint64_t steps_per_epoch);

  // A pure function of the step: the trainer may ask for any step, in any order
  // (e.g. when resuming), and get the same answer.
  float at(uint64_t step) const;

 private:
  double scheduled(uint64_t step) const;  // before warm-up

  v1::ScheduleSpec::KindCase kind_;
  double base_;
  double min_;             // cosine only
  double gamma_;           // step and exponential
  uint64_t every_epochs_;  // step only
  uint64_t warmup_steps_;
  uint64_t total_steps_;
  uint64_t steps_per_epoch_;
};

}  // namespace gradstream::engine

// StepReduction: packing the gradients and figures, the allreduce, unpacking.
#include "engine/train/step_reduction.hpp"

#include <algorithm>
#include <cstring>

namespace gradstream::engine {

namespace {

// The slots after the gradients, in order.
enum Slot : size_t {
  kLossSum,
  kCorrect,
  kSeen,
  kCancel,
  kInterrupt,
  kCheckpoint,
  kFigureSlots,  // then one wait slot per rank
};

float flag(bool raised) { return raised ? 1.0F : 0.0F; }

RunFlags read_flags(const float* slots) {
  return {slots[kCancel] > 0, slots[kInterrupt] > 0, slots[kCheckpoint] > 0};
}

}  // namespace

StepReduction::StepReduction(std::shared_ptr<Collective> collective,
                             std::vector<Parameter*> parameters)
    : collective_(std::move(collective)), parameters_(std::move(parameters)) {
  for (const Parameter* p : parameters_) gradient_floats_ += static_cast<size_t>(p->stored());
  buffer_.resize(gradient_floats_ + kFigureSlots + static_cast<size_t>(collective_->size()));
}

Result<StepFigures> StepReduction::reduce(const StepFigures& local) {
  float* out = buffer_.data();
  for (const Parameter* p : parameters_) {
    std::memcpy(out, p->stored_grad(), sizeof(float) * static_cast<size_t>(p->stored()));
    out += p->stored();
  }
  float* slots = buffer_.data() + gradient_floats_;
  std::fill(slots, buffer_.data() + buffer_.size(), 0.0F);
  slots[kLossSum] = static_cast<float>(local.loss_sum);
  slots[kCorrect] = static_cast<float>(local.correct);
  slots[kSeen] = static_cast<float>(local.seen);
  slots[kCancel] = flag(local.flags.cancel);
  slots[kInterrupt] = flag(local.flags.interrupt);
  slots[kCheckpoint] = flag(local.flags.checkpoint);
  slots[kFigureSlots + static_cast<size_t>(collective_->rank())] = last_wait_;

  const auto start = Clock::now();
  if (Status s = collective_->allreduce_sum(buffer_.data(), buffer_.size()); !s.ok()) return s;
  last_wait_ = std::chrono::duration<float>(Clock::now() - start).count();

  const float* in = buffer_.data();
  for (Parameter* p : parameters_) {
    std::memcpy(p->stored_grad(), in, sizeof(float) * static_cast<size_t>(p->stored()));
    in += p->stored();
  }
  StepFigures global;
  global.loss_sum = slots[kLossSum];
  global.correct = static_cast<int64_t>(slots[kCorrect]);
  global.seen = static_cast<int64_t>(slots[kSeen]);
  global.flags = read_flags(slots);
  const float* waits = slots + kFigureSlots;
  const auto [fastest, slowest] = std::minmax_element(waits, waits + collective_->size());
  ++window_steps_;
  window_seconds_ += last_wait_;
  window_straggler_ += *slowest - *fastest;
  return global;
}

Result<RunFlags> StepReduction::agree(const RunFlags& local) {
  double flags[] = {local.cancel ? 1.0 : 0.0, local.interrupt ? 1.0 : 0.0,
                    local.checkpoint ? 1.0 : 0.0};
  if (Status s = collective_->allreduce_sum(flags, 3); !s.ok()) return s;
  return RunFlags{flags[0] > 0, flags[1] > 0, flags[2] > 0};
}

AllreduceWindow StepReduction::take_window() {
  AllreduceWindow window;
  window.bytes = bytes_per_step();
  if (window_steps_ > 0) {
    const auto steps = static_cast<double>(window_steps_);
    window.seconds = window_seconds_ / steps;
    window.straggler_seconds = window_straggler_ / steps;
  }
  window_steps_ = 0;
  window_seconds_ = 0.0;
  window_straggler_ = 0.0;
  return window;
}

}  // namespace gradstream::engine

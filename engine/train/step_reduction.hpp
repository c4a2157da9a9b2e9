// StepReduction: a data-parallel step's one allreduce. Every parameter's
// gradient (in its stored layout: every rank plans the same layouts) and the
// step's figures travel in one float buffer, so a step costs one collective:
//   [ gradients | loss sum, correct, seen | cancel, interrupt, checkpoint |
//     each rank's seconds in the previous step's allreduce ]
// Counts are exact in floats (a step has at most 65536 rows); the flags are
// 0/1 per rank, raised when their sum is > 0. Each rank writes its wait time in
// its own slot, so the sum hands every rank all of them: the straggler spread
// comes without a second collective (one step late).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/collective.hpp"
#include "engine/core/parameter.hpp"

namespace gradstream::engine {

// What steers a run, as one rank sees it or as the ranks agreed.
struct RunFlags {
  bool cancel = false;
  bool interrupt = false;
  bool checkpoint = false;  // a checkpoint is due by time
};

// A step's training figures: one rank's rows, or summed over the ranks.
struct StepFigures {
  double loss_sum = 0.0;  // the loss summed over the rows
  int64_t correct = 0;
  int64_t seen = 0;
  RunFlags flags;
};

// Averages per step over the steps since the last take_window.
struct AllreduceWindow {
  double seconds = 0.0;            // this rank's time in the allreduce
  double straggler_seconds = 0.0;  // the slowest rank's wait minus the fastest one's
  uint64_t bytes = 0;              // handed to the allreduce per step
};

class StepReduction {
 public:
  StepReduction(std::shared_ptr<Collective> collective, std::vector<Parameter*> parameters);

  // Sums every parameter's stored gradient and `local` over the ranks in one
  // allreduce; the gradients are replaced by their sums, the figures returned.
  Result<StepFigures> reduce(const StepFigures& local);
  // Agrees on the flags alone (a run's first step has no earlier allreduce).
  Result<RunFlags> agree(const RunFlags& local);

  AllreduceWindow take_window();
  uint64_t bytes_per_step() const { return buffer_.size() * sizeof(float); }

 private:
  using Clock = std::chrono::steady_clock;

  std::shared_ptr<Collective> collective_;
  std::vector<Parameter*> parameters_;
  size_t gradient_floats_ = 0;
  std::vector<float> buffer_;
  float last_wait_ = 0.0F;  // this rank's seconds in the previous allreduce
  // The window since take_window.
  int64_t window_steps_ = 0;
  double window_seconds_ = 0.0;
  double window_straggler_ = 0.0;
};

}  // namespace gradstream::engine

// RunControl: how a caller steers Trainer::run from other threads. The trainer
// reads the flags between steps, in this order: cancel, interrupt, then
// whether a checkpoint is due by time.
#pragma once

#include <atomic>

namespace gradstream::engine {

// Intervals above this (about 31 years) are read as this one.
inline constexpr double kMaxCheckpointEverySeconds = 1e9;

struct RunControl {
  // Once true, the run stops before its next step: CANCELLED, no checkpoint.
  const std::atomic<bool>* cancel = nullptr;
  // Once true, the run takes a checkpoint before its next step (the
  // observer's on_checkpoint) and returns INTERRUPTED, "interrupted at step
  // N", without an epoch report: the run goes on from the checkpoint
  // (Trainer::resume_from). Raised during the run's last step it is too late:
  // there is no next step and the run ends as usual.
  const std::atomic<bool>* interrupt = nullptr;
  // > 0: a checkpoint before the first step that starts at least this many
  // seconds (wall clock) after run() started or after the last checkpoint;
  // the run goes on. 0 (or anything not > 0): none by time. Checkpoints are
  // never taken at epoch ends as such: only by time and on interrupt.
  double checkpoint_every_seconds = 0;
};

}  // namespace gradstream::engine

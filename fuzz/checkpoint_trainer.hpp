// The trainer the checkpoint fuzzer resumes: a small spec with every kind of
// state a checkpoint carries (batch norm's running statistics, dropout
// counters, Adam's moments, a formula's learned parameter, diagnostics, two
// pipelines: a full and a partial batch) on a few in-memory images. The seed
// generator takes its checkpoints from the same trainer, so they fit it.
#pragma once

#include <memory>

#include "engine/train/trainer.hpp"

namespace gradstream::fuzz {

// The trainer, built and not yet run; aborts if it cannot be built (the spec
// is fixed: that is a broken build, not a finding).
std::unique_ptr<engine::Trainer> make_checkpoint_trainer();

}  // namespace gradstream::fuzz

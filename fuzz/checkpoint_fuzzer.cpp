// Fuzzes the checkpoint reader as a restarted server resumes a job
// (JobManager::resume): the stored bytes parsed as a TrainingCheckpoint, then
// Trainer::resume_from, which checks every field against the trainer before
// it changes anything. The trainer is built once (checkpoint_trainer.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz/checkpoint_trainer.hpp"
#include "gradstream/v1/checkpoint.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<gradstream::engine::Trainer> trainer =
      gradstream::fuzz::make_checkpoint_trainer();
  gradstream::v1::TrainingCheckpoint checkpoint;
  if (!checkpoint.ParseFromArray(data, static_cast<int>(size))) return 0;
  trainer->resume_from(checkpoint);
  return 0;
}

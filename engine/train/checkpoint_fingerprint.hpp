// What a training checkpoint belongs to (checkpoint.proto's
// CheckpointFingerprint): the spec, hashed, its seed, and the size of the
// training data, which fixes how an epoch is cut into batches; a checkpoint is
// only resumed by a trainer with the same fingerprint. And whether it arrived
// whole: its digest.
#pragma once

#include <cstdint>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// FNV-1a (64-bit) of `spec` serialized deterministically (map fields in key
// order) with `threads` cleared: the thread count changes the last bits of
// sums, not what is trained, so a job may resume with another budget; with
// `data.no_prefetch` cleared (a prefetch thread changes nothing computed, and
// workers decide it for their own cores); and with `distributed` cleared when it says one worker (the spec as it was
// before the field), kept otherwise: a data-parallel run's checkpoint resumes
// only a run of the same workers. Pass the spec with every default explicit,
// as the trainer keeps it.
uint64_t spec_hash(const v1::TrainingSpec& spec);

v1::CheckpointFingerprint checkpoint_fingerprint(const v1::TrainingSpec& spec,
                                                 const Dataset& train);

// OK when `found` (a checkpoint's) is `expected` (the trainer's), else
// failed_precondition naming the first field that differs: the seed, the
// training data's size, then the rest of the spec.
Status check_fingerprint(const v1::CheckpointFingerprint& found,
                         const v1::CheckpointFingerprint& expected);

// FNV-1a (64-bit) of the checkpoint serialized deterministically without its
// digest field: what TrainingCheckpoint.digest holds.
uint64_t checkpoint_digest(const v1::TrainingCheckpoint& checkpoint);

// OK when the checkpoint's digest is there and matches its content, else
// invalid_argument: a checkpoint cut short or changed in storage.
Status check_digest(const v1::TrainingCheckpoint& checkpoint);

}  // namespace gradstream::engine

// Checkpoint fingerprints: the spec's hash and the figures compared first.
#include "engine/train/checkpoint_fingerprint.hpp"

#include <cstdio>
#include <string>

#include "engine/base/message_hash.hpp"

namespace gradstream::engine {

namespace {

std::string hex(uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

Status differs(const std::string& field, const std::string& found, const std::string& expected,
               const std::string& advice) {
  return failed_precondition("checkpoint: fingerprint." + field + ": " + found +
                             " in the checkpoint, " + expected + " for this trainer; " + advice);
}

}  // namespace

uint64_t spec_hash(const v1::TrainingSpec& spec) {
  v1::TrainingSpec hashed = spec;
  // Neither changes what a run computes: a job may resume with another thread
  // budget, or on a machine (a worker) that starts a prefetch thread or not.
  hashed.clear_threads();
  hashed.mutable_data()->clear_no_prefetch();
  // One worker is the run as it was before `distributed` existed: left out, so
  // a checkpoint taken then still resumes; any other setting is hashed.
  const v1::DistributedSpec& distributed = hashed.distributed();
  if (distributed.workers() <= 1 && !distributed.sync_batch_norm()) hashed.clear_distributed();
  return message_hash(hashed);
}

v1::CheckpointFingerprint checkpoint_fingerprint(const v1::TrainingSpec& spec,
                                                 const Dataset& train) {
  v1::CheckpointFingerprint fingerprint;
  fingerprint.set_spec_hash(spec_hash(spec));
  fingerprint.set_seed(spec.seed());
  fingerprint.set_train_samples(static_cast<uint64_t>(train.count));
  fingerprint.set_sample_size(static_cast<uint64_t>(train.sample_size()));
  return fingerprint;
}

Status check_fingerprint(const v1::CheckpointFingerprint& found,
                         const v1::CheckpointFingerprint& expected) {
  constexpr const char* kSameSpec = "resume with the spec and data it was taken from";
  if (found.seed() != expected.seed()) {
    return differs("seed", "seed " + std::to_string(found.seed()),
                   "seed " + std::to_string(expected.seed()), kSameSpec);
  }
  if (found.train_samples() != expected.train_samples()) {
    return differs("train_samples", std::to_string(found.train_samples()) + " training samples",
                   std::to_string(expected.train_samples()), kSameSpec);
  }
  if (found.sample_size() != expected.sample_size()) {
    return differs("sample_size", std::to_string(found.sample_size()) + " floats a sample",
                   std::to_string(expected.sample_size()), kSameSpec);
  }
  if (found.spec_hash() != expected.spec_hash()) {
    return differs("spec_hash", "spec hash " + hex(found.spec_hash()),
                   hex(expected.spec_hash()) + " (another spec)", kSameSpec);
  }
  return ok_status();
}

uint64_t checkpoint_digest(const v1::TrainingCheckpoint& checkpoint) {
  if (checkpoint.digest() == 0) return message_hash(checkpoint);
  v1::TrainingCheckpoint hashed = checkpoint;
  hashed.clear_digest();
  return message_hash(hashed);
}

Status check_digest(const v1::TrainingCheckpoint& checkpoint) {
  if (checkpoint.digest() == 0) {
    return invalid_argument("checkpoint: digest: missing (the checkpoint was cut short?)");
  }
  if (const uint64_t content = checkpoint_digest(checkpoint); content != checkpoint.digest()) {
    return invalid_argument("checkpoint: digest: " + hex(checkpoint.digest()) +
                            " does not match the content's " + hex(content) +
                            " (truncated or corrupted)");
  }
  return ok_status();
}

}  // namespace gradstream::engine

// Checkpoint fingerprints and digests: the spec hash ignores the thread count
// and nothing else that is trained; a fingerprint that differs is refused
// naming the first field; a digest catches what changed after it was set.
#include "engine/train/checkpoint_fingerprint.hpp"

#include <gtest/gtest.h>

#include "engine/spec/spec_defaults.hpp"
#include "tests/unit/train/trainer_test_support.hpp"

namespace gradstream::engine {
namespace {

using testing::spiral_spec;

TEST(CheckpointFingerprintTest, TheSpecHashIgnoresOnlyTheThreadCountAndPrefetching) {
  const v1::TrainingSpec spec = with_defaults(spiral_spec());
  const uint64_t hash = spec_hash(spec);
  v1::TrainingSpec threads = spec;
  threads.set_threads(spec.threads() + 3);
  EXPECT_EQ(spec_hash(threads), hash);
  // Each worker decides prefetching for its own cores; it computes nothing.
  v1::TrainingSpec prefetch = spec;
  prefetch.mutable_data()->set_no_prefetch(!spec.data().no_prefetch());
  EXPECT_EQ(spec_hash(prefetch), hash);
  v1::TrainingSpec shuffle = spec;
  shuffle.mutable_data()->set_no_shuffle(!spec.data().no_shuffle());
  EXPECT_NE(spec_hash(shuffle), hash);
  v1::TrainingSpec seed = spec;
  seed.set_seed(spec.seed() + 1);
  EXPECT_NE(spec_hash(seed), hash);
  v1::TrainingSpec units = spec;
  units.mutable_model()->mutable_layers(1)->mutable_dense()->set_units(63);
  EXPECT_NE(spec_hash(units), hash);
  v1::TrainingSpec every = spec;
  every.mutable_reporting()->set_gradient_every(3);  // the reports a resumed run sends
  EXPECT_NE(spec_hash(every), hash);
  // A 2-worker run's checkpoint must not resume a 1-worker run (other slices, other sums).
  v1::TrainingSpec workers = spec;
  workers.mutable_distributed()->set_workers(2);
  EXPECT_NE(spec_hash(workers), hash);
  // One worker, explicit or not, is the spec as it was before `distributed`:
  // checkpoints taken then still resume.
  ASSERT_EQ(spec.distributed().workers(), 1u);
  v1::TrainingSpec before = spec;
  before.clear_distributed();
  EXPECT_EQ(spec_hash(before), hash);
}

TEST(CheckpointFingerprintTest, AFingerprintThatDiffersIsRefusedNamingTheField) {
  const v1::TrainingSpec spec = with_defaults(spiral_spec());
  const DataSplits data = testing::spiral_splits();
  const v1::CheckpointFingerprint expected = checkpoint_fingerprint(spec, data.train);
  EXPECT_EQ(expected.seed(), 7U);
  EXPECT_EQ(expected.train_samples(), 400U);
  EXPECT_EQ(expected.sample_size(), 2U);
  EXPECT_TRUE(check_fingerprint(expected, expected).ok());

  v1::CheckpointFingerprint found = expected;
  found.set_spec_hash(expected.spec_hash() ^ 1);
  const Status hash = check_fingerprint(found, expected);
  EXPECT_EQ(hash.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(hash.message().rfind("checkpoint: fingerprint.spec_hash: spec hash 0x", 0), 0U)
      << hash.message();
  found.set_sample_size(3);
  EXPECT_EQ(check_fingerprint(found, expected).message(),
            "checkpoint: fingerprint.sample_size: 3 floats a sample in the checkpoint, 2 for "
            "this trainer; resume with the spec and data it was taken from");
  found.set_seed(70);  // the seed is named first
  EXPECT_EQ(check_fingerprint(found, expected).message(),
            "checkpoint: fingerprint.seed: seed 70 in the checkpoint, seed 7 for this trainer; "
            "resume with the spec and data it was taken from");
}

TEST(CheckpointFingerprintTest, TheDigestCoversEveryOtherField) {
  v1::TrainingCheckpoint checkpoint;
  checkpoint.set_step(17);
  checkpoint.mutable_optimizer()->set_kind("adam");
  EXPECT_EQ(check_digest(checkpoint).message(),
            "checkpoint: digest: missing (the checkpoint was cut short?)");
  checkpoint.set_digest(checkpoint_digest(checkpoint));
  EXPECT_TRUE(check_digest(checkpoint).ok());
  // The digest field itself is left out of what it covers.
  EXPECT_EQ(checkpoint_digest(checkpoint), checkpoint.digest());
  checkpoint.set_step(18);
  const Status changed = check_digest(checkpoint);
  EXPECT_EQ(changed.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(changed.message().find("(truncated or corrupted)"), std::string::npos);
}

}  // namespace
}  // namespace gradstream::engine

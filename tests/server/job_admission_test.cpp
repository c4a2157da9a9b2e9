// CreateJob's server-side checks: the spec and one gradient event against a
// quarter of the message limit, the idempotency key's form, and an uploaded
// set's header against the model's input and output.
#include "server/job_admission.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::server {
namespace {

v1::TrainingSpec spec_of(uint32_t features, uint32_t units) {
  v1::TrainingSpec spec;
  spec.mutable_model()->add_input_shape(features);
  spec.mutable_model()->add_layers()->mutable_dense()->set_units(units);
  spec.mutable_data()->set_dataset_id("sha256:ab");
  return spec;
}

v1::DatasetHeader header_of(uint32_t features, uint32_t classes) {
  v1::DatasetHeader header;
  header.add_sample_shape(features);
  header.set_num_classes(classes);
  return header;
}

TEST(JobAdmissionTest, StoredBytesAreAQuarterOfTheLimitAtMostFourMiB) {
  EXPECT_EQ(stored_bytes_limit(64 << 10), size_t{16} << 10);
  EXPECT_EQ(stored_bytes_limit(16 << 20), size_t{4} << 20);
  EXPECT_EQ(stored_bytes_limit(int64_t{1} << 30), size_t{4} << 20);
}

TEST(JobAdmissionTest, ASpecOverAQuarterOfTheLimitIsRefused) {
  v1::TrainingSpec spec = spec_of(100, 100);
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_initial_weights()->Resize(
      100 * 100, 0.0f);  // 40000 bytes and a few
  EXPECT_TRUE(check_message_budget(spec, 1 << 20).ok());
  const engine::Status refused = check_message_budget(spec, 64 << 10);
  EXPECT_EQ(refused.code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "spec: " + std::to_string(spec.ByteSizeLong()) +
                                   " bytes serialized, at most 16384 (a quarter of this "
                                   "server's message limit, 65536 bytes)");
}

TEST(JobAdmissionTest, GradientTensorsOverAQuarterOfTheLimitAreRefused) {
  v1::TrainingSpec spec = spec_of(100, 100);  // 10100 parameters, 40400 bytes
  spec.mutable_reporting()->set_send_gradient_tensors(true);
  EXPECT_TRUE(check_message_budget(spec, 1 << 20).ok());
  EXPECT_EQ(check_message_budget(spec, 64 << 10).message(),
            "reporting.send_gradient_tensors: one gradient event would carry 40400 bytes of "
            "tensors, at most 16384 (a quarter of this server's message limit, 65536 bytes)");
}

TEST(JobAdmissionTest, IdempotencyKeysArePrintableWithoutSpaces) {
  EXPECT_TRUE(check_idempotency_key("").ok());
  EXPECT_TRUE(check_idempotency_key("order-42/retry:1").ok());
  EXPECT_TRUE(check_idempotency_key(std::string(256, 'k')).ok());
  EXPECT_EQ(check_idempotency_key(std::string(257, 'k')).message(),
            "idempotency_key: 257 characters, at most 256 printable ASCII characters without "
            "spaces");
  EXPECT_EQ(check_idempotency_key("a\tb").message(),
            "idempotency_key: character 1 is not allowed; a key is at most 256 printable ASCII "
            "characters without spaces");
}

TEST(JobAdmissionTest, AnUploadedSetMustFitInputAndOutput) {
  EXPECT_TRUE(check_dataset_fits(spec_of(4, 3), "sha256:ab", header_of(4, 3)).ok());
  EXPECT_EQ(check_dataset_fits(spec_of(5, 3), "sha256:ab", header_of(4, 3)).message(),
            "model.input_shape: [5] is 5 values per sample but sha256:ab holds samples of shape "
            "[4] (4 values)");
  const engine::Status classes = check_dataset_fits(spec_of(4, 3), "sha256:ab", header_of(4, 10));
  EXPECT_EQ(classes.code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(classes.message(),
            "model.layers: the output has 3 units but the data has 10 classes (data.dataset_id "
            "sha256:ab: num_classes 10 in its header)");
}

}  // namespace
}  // namespace gradstream::server

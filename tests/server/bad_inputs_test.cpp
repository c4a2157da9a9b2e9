// One request can never break the service for everyone: each bad input a
// remote client can send, against a whole GrpcServer, with its status code and
// message; and after the worst of them the server still lists, watches and
// trains.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/server/live_server.hpp"

namespace gradstream::server {
namespace {

using test_support::LiveServer;
using test_support::upload_chunks;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr uint32_t kSamples = 60;
constexpr uint32_t kFeatures = 4;
constexpr uint32_t kClasses = 3;

// A small job on an uploaded set: trains in well under a second.
v1::TrainingSpec small_spec(const std::string& dataset_id, uint32_t units = kClasses) {
  v1::TrainingSpec spec;
  spec.set_name("small");
  spec.mutable_model()->add_input_shape(kFeatures);
  v1::DenseSpec& dense = *spec.mutable_model()->add_layers()->mutable_dense();
  dense.set_units(units);
  spec.mutable_data()->set_dataset_id(dataset_id);
  spec.set_epochs(1);
  spec.set_batch_size(20);
  spec.set_seed(3);
  return spec;
}

class BadInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    v1::Dataset dataset;
    const grpc::Status uploaded =
        server_.upload(upload_chunks(kSamples, kFeatures, kClasses), &dataset);
    ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();
    dataset_id_ = dataset.id();
  }

  // A job run to its end; its id.
  std::string trained_job() {
    v1::Job job;
    const grpc::Status created = server_.create(small_spec(dataset_id_), &job);
    EXPECT_TRUE(created.ok()) << created.error_message();
    const auto watched = server_.watch(job.id());
    EXPECT_TRUE(watched.status.ok()) << watched.status.error_message();
    EXPECT_FALSE(watched.events.empty());
    if (!watched.events.empty()) {
      EXPECT_EQ(watched.events.back().state(), v1::SUCCEEDED);
    }
    return job.id();
  }

  void expect_refused(const v1::TrainingSpec& spec, grpc::StatusCode code,
                      const std::string& message_part) {
    const grpc::Status status = server_.create(spec);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_NE(status.error_message().find(message_part), std::string::npos)
        << status.error_message();
  }

  LiveServer server_{"bad_inputs"};
  std::string dataset_id_;
};

TEST_F(BadInputsTest, HugeJobNamesAreRefusedAndListingGoesOn) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.set_name(std::string(9 << 20, 'n'));  // 9 MiB: once two were stored, ListJobs broke
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "name: 9437184 characters, at most 64 characters of [A-Za-z0-9._-]");
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT, "name: 9437184 characters");
  v1::ListJobsResponse listed;
  const grpc::Status status = server_.list("", &listed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(listed.jobs_size(), 0);
}

TEST_F(BadInputsTest, HugeLayerNameIsRefused) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.mutable_model()->mutable_layers(0)->set_name(std::string(1 << 20, 'l'));
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers[0].name: 1048576 characters, at most 64");
}

TEST_F(BadInputsTest, LayerNameOutsideTheLabelSafeSetIsRefused) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.mutable_model()->mutable_layers(0)->set_name("out\"}\n# HELP");
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers[0].name: character 3 ('\"') is not allowed");
}

TEST_F(BadInputsTest, TwoLayersOfOneNameAreRefused) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.mutable_model()->mutable_layers(0)->set_name("same");
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(8);
  v1::LayerSpec& second = *spec.mutable_model()->add_layers();
  second.set_name("same");
  second.mutable_dense()->set_units(kClasses);
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers[1].name: \"same\" is already the name of model.layers[0]");
}

TEST_F(BadInputsTest, NonFiniteInitialWeightsAreRefused) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  v1::DenseSpec& dense = *spec.mutable_model()->mutable_layers(0)->mutable_dense();
  dense.mutable_initial_weights()->Resize(kClasses * kFeatures, 0.1f);
  dense.mutable_initial_weights()->Set(5, kNaN);
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers[0].dense.initial_weights[5]: nan is not a finite number");
  dense.mutable_initial_weights()->Set(5, 0.1f);
  dense.mutable_initial_bias()->Resize(kClasses, 0.0f);
  dense.mutable_initial_bias()->Set(0, kInf);
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers[0].dense.initial_bias[0]: inf is not a finite number");
}

TEST_F(BadInputsTest, NanLearningRateIsRefused) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.mutable_optimizer()->set_learning_rate(kNaN);
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT, "optimizer.learning_rate: nan");
}

TEST_F(BadInputsTest, PredictWithNonFiniteInputsIsRefused) {
  const std::string id = trained_job();
  v1::PredictRequest request;
  request.set_job_id(id);
  request.add_shape(2);
  request.add_shape(kFeatures);
  for (uint32_t i = 0; i < 2 * kFeatures; ++i) request.add_inputs(0.5f);
  v1::PredictResponse response;
  ASSERT_TRUE(server_.predict(request, &response).ok());
  request.set_inputs(6, kNaN);
  grpc::Status status = server_.predict(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "inputs[6]: nan is not a finite number");
  request.set_inputs(6, 0.5f);
  request.set_inputs(1, -kInf);
  status = server_.predict(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "inputs[1]: -inf is not a finite number");
}

TEST_F(BadInputsTest, UploadedNonFiniteFeatureIsRefused) {
  auto chunks = upload_chunks(kSamples, kFeatures, kClasses);
  const float nan = kNaN;
  std::memcpy(chunks[0].mutable_features()->data() + 9 * sizeof(float), &nan, sizeof(float));
  v1::Dataset dataset;
  const grpc::Status status = server_.upload(chunks, &dataset);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("features"), std::string::npos) << status.error_message();
}

TEST_F(BadInputsTest, IdempotencyKeyWithAnotherSpecIsAlreadyExistsAcrossARestart) {
  const v1::TrainingSpec spec = small_spec(dataset_id_);
  v1::Job first, again;
  ASSERT_TRUE(server_.create(spec, &first, "retry-7").ok());
  ASSERT_TRUE(server_.create(spec, &again, "retry-7").ok());
  EXPECT_EQ(again.id(), first.id());

  v1::TrainingSpec other = spec;
  other.set_epochs(2);
  grpc::Status status = server_.create(other, nullptr, "retry-7");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("idempotency_key: \"retry-7\" was already used to "
                                        "create job " +
                                        first.id() + " with another spec"),
            std::string::npos)
      << status.error_message();

  server_.watch(first.id());  // ended, so the restart finds it stored whole
  server_.start();
  status = server_.create(other, nullptr, "retry-7");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  ASSERT_TRUE(server_.create(spec, &again, "retry-7").ok());
  EXPECT_EQ(again.id(), first.id());
}

TEST_F(BadInputsTest, IdempotencyKeyWithSpacesIsRefused) {
  const grpc::Status status = server_.create(small_spec(dataset_id_), nullptr, "two words");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "idempotency_key: character 3 is not allowed; a key is at most 256 printable ASCII "
            "characters without spaces");
}

TEST_F(BadInputsTest, OutputTooSmallForTheUploadedClassesIsRefusedAtCreate) {
  expect_refused(small_spec(dataset_id_, 2), grpc::StatusCode::INVALID_ARGUMENT,
                 "model.layers: the output has 2 units but the data has 3 classes (data.dataset_id "
                 "sha256:");
}

TEST_F(BadInputsTest, InputShapeOtherThanTheUploadedFeaturesIsRefusedAtCreate) {
  v1::TrainingSpec spec = small_spec(dataset_id_);
  spec.mutable_model()->set_input_shape(0, kFeatures + 1);
  expect_refused(spec, grpc::StatusCode::INVALID_ARGUMENT,
                 "model.input_shape: [5] is 5 values per sample but ");
}

TEST_F(BadInputsTest, WatchFromPastTheEndOfAnEndedJobIsOutOfRange) {
  const std::string id = trained_job();
  const auto all = server_.watch(id);
  ASSERT_TRUE(all.status.ok());
  const uint64_t last = all.events.back().sequence();
  const auto at_last = server_.watch(id, last);
  EXPECT_TRUE(at_last.status.ok());
  ASSERT_EQ(at_last.events.size(), 1u);

  const auto past = server_.watch(id, last + 1);
  EXPECT_EQ(past.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(past.status.error_message(),
            "from_sequence: " + std::to_string(last + 1) + " is past the end of job \"" + id +
                "\", which has ended; its last event is " + std::to_string(last));
  EXPECT_TRUE(past.events.empty());
}

TEST_F(BadInputsTest, TruncatedRequestBodiesAreInvalidArgument) {
  v1::CreateJobRequest create;
  *create.mutable_spec() = small_spec(dataset_id_);
  std::string bytes = create.SerializeAsString();
  bytes.resize(bytes.size() - 3);  // cut inside the spec
  grpc::Status status = server_.raw_unary("/gradstream.v1.Trainer/CreateJob", bytes);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "request: " + std::to_string(bytes.size()) +
                " bytes that are not a serialized gradstream.v1.CreateJobRequest (truncated or not "
                "protobuf)");

  // A field 1 (job_id) announcing 16 bytes and carrying 3.
  const std::string cut_id(
      "\x0a\x10"
      "job",
      5);
  for (const char* method : {"GetJob", "CancelJob", "ListJobs", "Predict"}) {
    status = server_.raw_unary(std::string("/gradstream.v1.Trainer/") + method, cut_id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_NE(status.error_message().find("not a serialized gradstream.v1."), std::string::npos)
        << method << ": " << status.error_message();
  }
  for (const char* method : {"WatchJob", "ExportModel"}) {
    status = server_.raw_server_stream(std::string("/gradstream.v1.Trainer/") + method, cut_id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_NE(status.error_message().find("not a serialized gradstream.v1."), std::string::npos)
        << method << ": " << status.error_message();
  }
}

TEST_F(BadInputsTest, AfterEveryBadInputTheServerListsWatchesAndTrains) {
  v1::TrainingSpec bad = small_spec(dataset_id_);
  bad.set_name(std::string(1 << 20, 'x'));
  EXPECT_FALSE(server_.create(bad).ok());
  server_.raw_unary("/gradstream.v1.Trainer/CreateJob", std::string("\x0a\x7f", 2));
  const std::string id = trained_job();
  v1::ListJobsResponse listed;
  ASSERT_TRUE(server_.list("", &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_EQ(listed.jobs(0).id(), id);
  EXPECT_EQ(listed.jobs(0).state(), v1::SUCCEEDED);
}

}  // namespace
}  // namespace gradstream::server

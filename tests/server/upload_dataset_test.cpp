// UploadDataset and CreateJob with data.dataset_id over a real GrpcServer on
// loopback: upload then train to SUCCEEDED, re-upload, the store surviving a
// restart, shape and label errors with their messages, unknown ids, the
// dataset size limit, and an oversized message that leaves the server serving.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "gradstream/v1/trainer.grpc.pb.h"
#include "server/server.hpp"
#include "server/upload_dataset_reactor.hpp"
#include "tests/server/prometheus_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kRpcTimeout = 120s;
constexpr int64_t kMaxMessageBytes = 64 << 10;
constexpr int kBlobSamples = 300;
constexpr uint32_t kBlobClasses = 3;

// Three well separated Gaussian blobs in 2-D, 100 samples each, interleaved.
struct Blobs {
  std::vector<float> features;
  std::vector<int32_t> labels;
};

Blobs make_blobs() {
  const float centers[kBlobClasses][2] = {{-3.0f, 0.0f}, {3.0f, 0.0f}, {0.0f, 4.0f}};
  std::mt19937_64 rng(42);
  std::normal_distribution<float> noise(0.0f, 0.7f);
  Blobs b;
  for (int i = 0; i < kBlobSamples; ++i) {
    const int c = i % kBlobClasses;
    b.features.push_back(centers[c][0] + noise(rng));
    b.features.push_back(centers[c][1] + noise(rng));
    b.labels.push_back(c);
  }
  return b;
}

template <class T>
std::string bytes_of(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

v1::DatasetHeader blob_header(uint32_t num_classes = kBlobClasses) {
  v1::DatasetHeader h;
  h.set_name("blobs");
  h.set_element_type(v1::FLOAT32);
  h.add_sample_shape(2);
  h.set_count(kBlobSamples);
  h.set_num_classes(num_classes);
  return h;
}

struct Uploaded {
  grpc::Status status;
  v1::Dataset dataset;
};

class UploadDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.listen_address = "127.0.0.1:0";
    config_.metrics_address = "127.0.0.1:0";   // never the fixed default port
    config_.data_dir = scratch_.file("data");  // made by the server
    config_.max_message_bytes = kMaxMessageBytes;
    config_.max_concurrent_jobs = 1;
    config_.threads_per_job = 1;
    start();
  }
  void TearDown() override { server_.reset(); }

  void start() {
    server_.reset();
    auto started = GrpcServer::start(config_);
    ASSERT_TRUE(started.ok()) << started.status().message();
    server_ = std::move(started).value();
    stub_ = v1::Trainer::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                     grpc::InsecureChannelCredentials()));
  }

  static void set_deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
  }

  // Sends `chunks` as one UploadDataset stream.
  Uploaded upload(const std::vector<v1::UploadDatasetChunk>& chunks) {
    Uploaded result;
    grpc::ClientContext context;
    set_deadline(context);
    auto writer = stub_->UploadDataset(&context, &result.dataset);
    for (const auto& chunk : chunks)
      if (!writer->Write(chunk)) break;
    writer->WritesDone();
    result.status = writer->Finish();
    return result;
  }

  // The blobs in two chunks: header + features, then labels.
  Uploaded upload_blobs(const Blobs& blobs, const v1::DatasetHeader& header = blob_header()) {
    std::vector<v1::UploadDatasetChunk> chunks(2);
    *chunks[0].mutable_header() = header;
    chunks[0].set_features(bytes_of(blobs.features));
    chunks[1].set_labels(bytes_of(blobs.labels));
    return upload(chunks);
  }

  static v1::TrainingSpec spec_for(const std::string& dataset_id, const std::string& input_shape) {
    auto parsed = engine::parse_spec_json(R"({
        "model": {"inputShape": )" + input_shape +
                                              R"(, "layers": [
          {"dense": {"units": 16, "activation": {"name": "relu"}}}, {"dense": {"units": 3}}]},
        "optimizer": {"adam": {}, "learningRate": 0.01},
        "data": {"datasetId": ")" + dataset_id +
                                              R"(", "validationFraction": 0.2},
        "epochs": 15, "batchSize": 32, "seed": 1, "threads": 1})",
                                          "test spec");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return *parsed;
  }

  grpc::Status create_job(const v1::TrainingSpec& spec, v1::Job* job) {
    v1::CreateJobRequest request;
    *request.mutable_spec() = spec;
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->CreateJob(&context, request, job);
  }

  std::vector<v1::TrainingEvent> watch(const std::string& job_id) {
    v1::WatchJobRequest request;
    request.set_job_id(job_id);
    grpc::ClientContext context;
    set_deadline(context);
    auto reader = stub_->WatchJob(&context, request);
    std::vector<v1::TrainingEvent> events;
    v1::TrainingEvent event;
    while (reader->Read(&event)) events.push_back(event);
    EXPECT_TRUE(reader->Finish().ok());
    return events;
  }

  size_t stored_datasets() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / kDatasetsSubdir)) {
      (void)e;
      ++n;
    }
    return n;
  }

  test_support::TempDir scratch_{"upload"};  // outlives the server
  ServerConfig config_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Trainer::Stub> stub_;
};

TEST_F(UploadDatasetTest, UploadedBlobsTrainToSucceededWellAboveChance) {
  const Blobs blobs = make_blobs();
  const Uploaded first = upload_blobs(blobs);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  // README: "prints sha256:<id>", a sha256 in hex.
  EXPECT_TRUE(std::regex_match(first.dataset.id(), std::regex("sha256:[0-9a-f]{64}")))
      << first.dataset.id();
  EXPECT_EQ(first.dataset.bytes(), uint64_t{kBlobSamples} * (2 * 4 + 4));
  EXPECT_FALSE(first.dataset.already_present());
  EXPECT_EQ(first.dataset.header().num_classes(), kBlobClasses);

  const Uploaded again = upload_blobs(blobs);
  ASSERT_TRUE(again.status.ok());
  EXPECT_EQ(again.dataset.id(), first.dataset.id());
  EXPECT_TRUE(again.dataset.already_present());

  v1::Job job;
  const grpc::Status created = create_job(spec_for(first.dataset.id(), "[2]"), &job);
  ASSERT_TRUE(created.ok()) << created.error_message();
  const std::vector<v1::TrainingEvent> events = watch(job.id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().state(), v1::SUCCEEDED);
  const v1::EpochReport* last_epoch = nullptr;
  for (const auto& e : events)
    if (e.has_epoch()) last_epoch = &e.epoch();
  ASSERT_NE(last_epoch, nullptr);
  EXPECT_EQ(last_epoch->epoch(), 15u);
  ASSERT_TRUE(last_epoch->has_validation());
  // 60 validation samples; chance is 1/3, these blobs are separable.
  EXPECT_GT(last_epoch->validation_accuracy(), 0.9f);
  EXPECT_GT(last_epoch->train_accuracy(), 0.9f);
}

TEST_F(UploadDatasetTest, UploadedBytesAreCountedOnMetrics) {
  const Blobs blobs = make_blobs();
  const uint64_t bytes = uint64_t{kBlobSamples} * (2 * 4 + 4);  // 2 float features + 1 label
  ASSERT_TRUE(upload_blobs(blobs).status.ok());
  const auto uploaded = [&] {
    return testing::find_value(
        testing::parse_exposition(testing::http_get_metrics(server_->metrics_port())),
        "gradstream_uploaded_bytes_total");
  };
  EXPECT_EQ(uploaded(), static_cast<double>(bytes));
  // A re-upload is stored once but received again: the counter is about traffic.
  ASSERT_TRUE(upload_blobs(blobs).status.ok());
  EXPECT_EQ(uploaded(), static_cast<double>(2 * bytes));
}

TEST_F(UploadDatasetTest, DatasetSurvivesARestart) {
  const Uploaded up = upload_blobs(make_blobs());
  ASSERT_TRUE(up.status.ok());
  start();  // a new server on the same data_dir
  v1::Job job;
  const grpc::Status created = create_job(spec_for(up.dataset.id(), "[2]"), &job);
  ASSERT_TRUE(created.ok()) << created.error_message();
  // "job-" and 12 hex digits, as in README's examples (job-a1f5ae0423ff).
  EXPECT_TRUE(std::regex_match(job.id(), std::regex("job-[0-9a-f]{32}"))) << job.id();
  EXPECT_EQ(job.state(), v1::QUEUED);
  EXPECT_EQ(job.spec().data().dataset_id(), up.dataset.id());
}

TEST_F(UploadDatasetTest, InputShapeThatDoesNotFitIsInvalidArgument) {
  const Uploaded up = upload_blobs(make_blobs());
  ASSERT_TRUE(up.status.ok());
  v1::Job job;
  const grpc::Status created = create_job(spec_for(up.dataset.id(), "[3]"), &job);
  EXPECT_EQ(created.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(created.error_message(), "model.input_shape: [3] is 3 values per sample but " +
                                         up.dataset.id() +
                                         " holds samples of shape [2] (2 values)");
}

TEST_F(UploadDatasetTest, LabelOutOfRangeIsInvalidArgumentAndStoresNothing) {
  Blobs blobs = make_blobs();
  blobs.labels[7] = 5;
  const Uploaded up = upload_blobs(blobs);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(up.status.error_message(), "labels[7]: 5 is out of range [0, 3) (header.num_classes)");
  EXPECT_EQ(stored_datasets(), 0u);
}

TEST_F(UploadDatasetTest, ShortFeaturesNameTheSizes) {
  Blobs blobs = make_blobs();
  blobs.features.resize(blobs.features.size() - 2);
  const Uploaded up = upload_blobs(blobs);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(up.status.error_message(),
            "features: header.sample_shape [2] x header.count 300 x 4 bytes = 2400 bytes "
            "expected, got 2392");
  EXPECT_EQ(stored_datasets(), 0u);
}

TEST_F(UploadDatasetTest, HeaderMustComeFirstAndOnlyFirst) {
  v1::UploadDatasetChunk no_header;
  no_header.set_features("abcd");
  const Uploaded missing = upload({no_header});
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(missing.status.error_message(), "header: the first chunk must carry it");

  std::vector<v1::UploadDatasetChunk> twice(2);
  *twice[0].mutable_header() = blob_header();
  *twice[1].mutable_header() = blob_header();
  const Uploaded repeated = upload(twice);
  EXPECT_EQ(repeated.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(repeated.status.error_message(), "header: only the first chunk may carry it");

  const Uploaded empty = upload({});
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stored_datasets(), 0u);
}

TEST_F(UploadDatasetTest, UnknownDatasetIdIsNotFoundNamingIt) {
  const std::string id = "sha256:" + std::string(64, '0');
  v1::Job job;
  const grpc::Status created = create_job(spec_for(id, "[2]"), &job);
  EXPECT_EQ(created.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(created.error_message(),
            "data.dataset_id: dataset \"" + id + "\" not found on this server");
}

TEST_F(UploadDatasetTest, DatasetOverTheLimitIsRejectedFromItsHeader) {
  config_.max_dataset_bytes = 1000;
  start();
  v1::UploadDatasetChunk chunk;
  *chunk.mutable_header() = blob_header();  // 300 x (8 + 4) = 3600 bytes
  const Uploaded up = upload({chunk});
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(up.status.error_message(),
            "header: 300 samples of 2 float32 values and their int32 labels are 3600 bytes, more "
            "than the server's limit of 1000 bytes (max_dataset_bytes)");
}

TEST_F(UploadDatasetTest, MessageOverTheLimitIsResourceExhaustedAndServerKeepsServing) {
  v1::UploadDatasetChunk big;
  v1::DatasetHeader header = blob_header();
  header.set_count(20000);  // 20000 x 8 bytes of features: 160 KB in one message
  *big.mutable_header() = header;
  big.set_features(std::string(20000 * 8, '\0'));
  const Uploaded up = upload({big});
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << up.status.error_message();

  // Still serving: a list and a normal upload.
  v1::ListJobsResponse jobs;
  grpc::ClientContext context;
  set_deadline(context);
  EXPECT_TRUE(stub_->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok());
  const Uploaded ok = upload_blobs(make_blobs());
  EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();
  EXPECT_EQ(stored_datasets(), 1u);
}

}  // namespace
}  // namespace gradstream::server

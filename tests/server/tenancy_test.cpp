// Tokens and tenants over a real GrpcServer on loopback: every RPC refuses a
// call without a valid token; a tenant sees, watches, exports, predicts with,
// cancels and trains on only its own jobs and datasets (others are NOT_FOUND,
// worded as an unknown id's); an admin sees all; idempotency keys are per
// tenant; the per-tenant limits hold.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "gradstream/v1/trainer.grpc.pb.h"
#include "server/auth_tokens.hpp"
#include "server/server.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;

constexpr int kSamples = 60;
constexpr int64_t kDatasetBytes = kSamples * (2 * 4 + 4);  // 2 floats and a label each
constexpr char kUnknownJob[] = "job-00000000000000000000000000000000";

v1::DatasetHeader header() {
  v1::DatasetHeader h;
  h.set_name("points");
  h.set_element_type(v1::FLOAT32);
  h.add_sample_shape(2);
  h.set_count(kSamples);
  h.set_num_classes(2);
  return h;
}

// Points either side of x0 = x1; `shift` makes another tenant's content differ.
v1::UploadDatasetChunk dataset_chunk(float shift) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int i = 0; i < kSamples; ++i) {
    const float x0 = static_cast<float>(i % 7) - 3.0F + shift;
    const float x1 = static_cast<float>(i % 5) - 2.0F;
    features.insert(features.end(), {x0, x1});
    labels.push_back(x0 > x1 ? 1 : 0);
  }
  v1::UploadDatasetChunk chunk;
  *chunk.mutable_header() = header();
  chunk.set_features(
      std::string(reinterpret_cast<const char*>(features.data()), features.size() * sizeof(float)));
  chunk.set_labels(
      std::string(reinterpret_cast<const char*>(labels.data()), labels.size() * sizeof(int32_t)));
  return chunk;
}

v1::TrainingSpec spec_on(const std::string& dataset_id, uint32_t epochs) {
  auto parsed = engine::parse_spec_json(R"({
      "model": {"inputShape": [2], "layers": [
        {"dense": {"units": 4, "activation": {"name": "tanh"}}}, {"dense": {"units": 2}}]},
      "data": {"datasetId": ")" + dataset_id +
                                            R"("}, "batchSize": 4, "seed": 1, "threads": 1})",
                                        "test spec");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  parsed->set_epochs(epochs);
  return *parsed;
}

// One client's calls, each carrying `authorization` unless it is empty; valid
// until the server restarts (the stub is the fixture's).
struct Client {
  v1::Trainer::Stub* stub;
  std::string authorization;

  std::unique_ptr<grpc::ClientContext> context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + 120s);
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
    return context;
  }
  grpc::Status upload(const v1::UploadDatasetChunk& chunk, v1::Dataset* dataset) const {
    auto c = context();
    auto writer = stub->UploadDataset(c.get(), dataset);
    writer->Write(chunk);
    writer->WritesDone();
    return writer->Finish();
  }
  grpc::Status create(const v1::TrainingSpec& spec, v1::Job* job,
                      const std::string& key = {}) const {
    v1::CreateJobRequest request;
    *request.mutable_spec() = spec;
    request.set_idempotency_key(key);
    return stub->CreateJob(context().get(), request, job);
  }
  grpc::Status get(const std::string& id, v1::Job* job) const {
    v1::GetJobRequest request;
    request.set_job_id(id);
    return stub->GetJob(context().get(), request, job);
  }
  grpc::Status list(v1::ListJobsResponse* response) const {
    return stub->ListJobs(context().get(), v1::ListJobsRequest(), response);
  }
  grpc::Status cancel(const std::string& id) const {
    v1::CancelJobRequest request;
    request.set_job_id(id);
    v1::Job job;
    return stub->CancelJob(context().get(), request, &job);
  }
  grpc::Status watch(const std::string& id, size_t* events = nullptr) const {
    v1::WatchJobRequest request;
    request.set_job_id(id);
    auto c = context();
    auto reader = stub->WatchJob(c.get(), request);
    v1::TrainingEvent event;
    size_t n = 0;
    while (reader->Read(&event)) ++n;
    if (events != nullptr) *events = n;
    return reader->Finish();
  }
  grpc::Status exported(const std::string& id, std::string* bytes = nullptr) const {
    v1::ExportModelRequest request;
    request.set_job_id(id);
    auto c = context();
    auto reader = stub->ExportModel(c.get(), request);
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) {
      if (bytes != nullptr) *bytes += chunk.data();
    }
    return reader->Finish();
  }
  grpc::Status predict(const std::string& id) const {
    v1::PredictRequest request;
    request.set_job_id(id);
    request.add_shape(1);
    request.add_shape(2);
    request.add_inputs(1.0F);
    request.add_inputs(-1.0F);
    v1::PredictResponse response;
    return stub->Predict(context().get(), request, &response);
  }
  // Waits for the job's end by watching it to the end.
  v1::Job finished(const std::string& id) const {
    EXPECT_TRUE(watch(id).ok());
    v1::Job job;
    EXPECT_TRUE(get(id, &job).ok());
    return job;
  }
};

class TenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(scratch_.file("tokens"))
        << "# test tokens\n"
        << line("alpha-token", "alpha", "user") << line("alpha-second", "alpha", "user")
        << line("beta-token", "beta", "user") << line("ops-token", "ops", "admin");
    config_.listen_address = "127.0.0.1:0";
    config_.metrics_address = "";
    config_.data_dir = scratch_.file("data");
    config_.max_concurrent_jobs = 1;
    config_.threads_per_job = 1;
    config_.auth_tokens = scratch_.file("tokens");
  }

  void start() {
    auto started = GrpcServer::start(config_);
    ASSERT_TRUE(started.ok()) << started.status().message();
    server_ = std::move(started).value();
    stub_ = v1::Trainer::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                     grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_.reset(); }

  static std::string line(const std::string& token, const std::string& tenant,
                          const std::string& role) {
    return "sha256:" + token_digest(token) + " " + tenant + " " + role + "\n";
  }
  Client as(const std::string& token) const { return Client{stub_.get(), "Bearer " + token}; }

  // alpha's dataset and a finished job trained on it.
  std::string upload_ok(const Client& client, float shift = 0.0F) {
    v1::Dataset dataset;
    const grpc::Status status = client.upload(dataset_chunk(shift), &dataset);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return dataset.id();
  }

  test_support::TempDir scratch_{"tenancy"};
  ServerConfig config_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Trainer::Stub> stub_;
};

void expect_code(const grpc::Status& status, grpc::StatusCode code, const std::string& piece,
                 const char* what) {
  EXPECT_EQ(status.error_code(), code) << what << ": " << status.error_message();
  EXPECT_NE(status.error_message().find(piece), std::string::npos)
      << what << ": " << status.error_message();
}

TEST_F(TenancyTest, EveryRpcRefusesAMissingMalformedOrUnknownToken) {
  start();
  const Client alpha = as("alpha-token");
  const std::string dataset = upload_ok(alpha);
  v1::Job job;
  ASSERT_TRUE(alpha.create(spec_on(dataset, 1), &job).ok());
  alpha.finished(job.id());

  const struct {
    std::string authorization;
    std::string message;
  } refused[] = {{"", "authorization: missing"},
                 {"alpha-token", "not \"Bearer <token>\""},
                 {"Bearer wrong-token", "not valid (unknown or revoked)"}};
  for (const auto& bad : refused) {
    const Client client{stub_.get(), bad.authorization};
    const auto code = grpc::StatusCode::UNAUTHENTICATED;
    v1::Job out;
    v1::Dataset uploaded;
    v1::ListJobsResponse listed;
    expect_code(client.create(spec_on(dataset, 1), &out), code, bad.message, "CreateJob");
    expect_code(client.get(job.id(), &out), code, bad.message, "GetJob");
    expect_code(client.list(&listed), code, bad.message, "ListJobs");
    expect_code(client.cancel(job.id()), code, bad.message, "CancelJob");
    expect_code(client.watch(job.id()), code, bad.message, "WatchJob");
    expect_code(client.exported(job.id()), code, bad.message, "ExportModel");
    expect_code(client.predict(job.id()), code, bad.message, "Predict");
    expect_code(client.upload(dataset_chunk(5.0F), &uploaded), code, bad.message, "UploadDataset");
  }
  // Nothing the refused calls sent was stored.
  v1::ListJobsResponse listed;
  ASSERT_TRUE(as("ops-token").list(&listed).ok());
  EXPECT_EQ(listed.jobs_size(), 1);
}

TEST_F(TenancyTest, AnotherTenantsJobsAndDatasetsAreNotFoundAndAnAdminSeesAll) {
  start();
  const Client alpha = as("alpha-token");
  const Client beta = as("beta-token");
  const Client ops = as("ops-token");
  const std::string alpha_data = upload_ok(alpha);
  v1::Job alpha_job;
  ASSERT_TRUE(alpha.create(spec_on(alpha_data, 2), &alpha_job).ok());
  EXPECT_EQ(alpha_job.tenant(), "alpha");
  EXPECT_EQ(alpha.finished(alpha_job.id()).state(), v1::SUCCEEDED);

  // beta gets for alpha's job exactly what it gets for an id that does not exist.
  v1::Job out;
  const grpc::Status unknown = beta.get(kUnknownJob, &out);
  ASSERT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string id = alpha_job.id();
  const auto not_found = [&](const grpc::Status& status, const std::string& job_id,
                             const char* rpc) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << rpc;
    EXPECT_EQ(status.error_message(), "job \"" + job_id + "\" not found") << rpc;
  };
  not_found(beta.get(id, &out), id, "GetJob");
  not_found(beta.cancel(id), id, "CancelJob");
  not_found(beta.watch(id), id, "WatchJob");
  not_found(beta.exported(id), id, "ExportModel");
  not_found(beta.predict(id), id, "Predict");
  v1::ListJobsResponse beta_list;
  ASSERT_TRUE(beta.list(&beta_list).ok());
  EXPECT_EQ(beta_list.jobs_size(), 0);

  // Training on alpha's dataset: as if it were not stored.
  const grpc::Status on_alpha_data = beta.create(spec_on(alpha_data, 1), &out);
  EXPECT_EQ(on_alpha_data.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(on_alpha_data.error_message(),
            "data.dataset_id: dataset \"" + alpha_data + "\" not found on this server");
  // The same content uploaded by beta is the same dataset, now beta's too.
  EXPECT_EQ(upload_ok(beta), alpha_data);
  v1::Job beta_job;
  ASSERT_TRUE(beta.create(spec_on(alpha_data, 1), &beta_job).ok());
  EXPECT_EQ(beta.finished(beta_job.id()).state(), v1::SUCCEEDED);

  // alpha's second token is the same tenant.
  const Client alpha2 = as("alpha-second");
  EXPECT_TRUE(alpha2.get(id, &out).ok());
  not_found(alpha2.get(beta_job.id(), &out), beta_job.id(), "GetJob");

  // The admin sees, watches, exports and predicts with both.
  v1::ListJobsResponse all;
  ASSERT_TRUE(ops.list(&all).ok());
  ASSERT_EQ(all.jobs_size(), 2);
  EXPECT_EQ(all.jobs(0).tenant(), "alpha");
  EXPECT_EQ(all.jobs(1).tenant(), "beta");
  size_t events = 0;
  EXPECT_TRUE(ops.watch(id, &events).ok());
  EXPECT_GT(events, 3U);
  std::string admin_model;
  std::string alpha_model;
  EXPECT_TRUE(ops.exported(id, &admin_model).ok());
  EXPECT_TRUE(alpha.exported(id, &alpha_model).ok());
  EXPECT_EQ(admin_model, alpha_model);
  EXPECT_TRUE(ops.predict(beta_job.id()).ok());
  // and trains on alpha's dataset.
  EXPECT_TRUE(ops.create(spec_on(alpha_data, 1), &out).ok());
  EXPECT_EQ(out.tenant(), "ops");
  // The admin cancels beta's job (finished: the answer is about its state).
  EXPECT_EQ(ops.cancel(beta_job.id()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(TenancyTest, IdempotencyKeysArePerTenant) {
  start();
  const std::string data = upload_ok(as("alpha-token"));
  upload_ok(as("beta-token"));
  v1::Job first;
  v1::Job again;
  v1::Job other;
  ASSERT_TRUE(as("alpha-token").create(spec_on(data, 1), &first, "nightly-1").ok());
  ASSERT_TRUE(as("alpha-second").create(spec_on(data, 1), &again, "nightly-1").ok());
  EXPECT_EQ(again.id(), first.id());
  ASSERT_TRUE(as("beta-token").create(spec_on(data, 1), &other, "nightly-1").ok());
  EXPECT_NE(other.id(), first.id());
  EXPECT_EQ(other.tenant(), "beta");
}

TEST_F(TenancyTest, OwnershipSurvivesARestart) {
  start();
  const std::string data = upload_ok(as("alpha-token"));
  v1::Job job;
  ASSERT_TRUE(as("alpha-token").create(spec_on(data, 1), &job).ok());
  as("alpha-token").finished(job.id());
  server_.reset();
  start();
  v1::Job out;
  EXPECT_TRUE(as("alpha-token").get(job.id(), &out).ok());
  EXPECT_EQ(out.tenant(), "alpha");
  EXPECT_EQ(as("beta-token").get(job.id(), &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(as("alpha-token").create(spec_on(data, 1), &out).ok());
  EXPECT_EQ(as("beta-token").create(spec_on(data, 1), &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TenancyTest, ATenantsStoredBytesAreBoundedAcrossRestarts) {
  config_.tenant_max_dataset_bytes = 2 * kDatasetBytes;
  start();
  const Client alpha = as("alpha-token");
  const std::string first = upload_ok(alpha, 0.0F);
  EXPECT_EQ(upload_ok(alpha, 0.0F), first);  // its own again: no new bytes
  upload_ok(alpha, 1.0F);
  v1::Dataset dataset;
  expect_code(alpha.upload(dataset_chunk(2.0F), &dataset), grpc::StatusCode::RESOURCE_EXHAUSTED,
              "tenant \"alpha\" stores " + std::to_string(2 * kDatasetBytes) + " bytes of datasets",
              "third upload");
  expect_code(alpha.upload(dataset_chunk(2.0F), &dataset), grpc::StatusCode::RESOURCE_EXHAUSTED,
              "--tenant-max-dataset-bytes " + std::to_string(2 * kDatasetBytes), "third upload");
  // Another tenant has its own allowance, even for the same content.
  upload_ok(as("beta-token"), 0.0F);
  upload_ok(as("beta-token"), 2.0F);
  server_.reset();
  start();
  EXPECT_EQ(as("alpha-token").upload(dataset_chunk(3.0F), &dataset).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(TenancyTest, TheTenantLimitsNeedTokens) {
  config_.auth_tokens.clear();
  config_.tenant_max_queued_jobs = 2;
  auto started = GrpcServer::start(config_);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find("need tenants, which come from --auth-tokens"),
            std::string::npos);
}

}  // namespace
}  // namespace gradstream::server

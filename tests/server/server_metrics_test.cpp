// ServerMetrics through a real in-process GrpcServer: /metrics is served over
// HTTP on a free port, the interceptor counts RPCs by method and code, the
// watch gauge follows open streams, job states and per-job series follow a
// real training run, and a NaN loss is counted. Values come from parsing the
// scraped text.
#include "server/server_metrics.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "engine/io/spec_io.hpp"
#include "gradstream/v1/trainer.grpc.pb.h"
#include "server/dataset_store.hpp"
#include "server/job_store.hpp"
#include "server/server.hpp"
#include "tests/server/prometheus_text.hpp"
#include "tests/server/trainer_service_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::find_value;
using testing::http_get_metrics;
using testing::parse_exposition;
using testing::Sample;

constexpr int64_t kFashionMnistTrainSamples = 60000;

ServerConfig metrics_config(const std::string& data_dir) {
  ServerConfig config;
  config.listen_address = "127.0.0.1:0";
  config.metrics_address = "127.0.0.1:0";
  config.data_dir = data_dir;
  config.max_concurrent_jobs = 1;
  config.threads_per_job = 1;
  return config;
}

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { start(metrics_config(scratch_.file("data"))); }
  void TearDown() override { server_.reset(); }

  void start(const ServerConfig& config) {
    auto started = GrpcServer::start(config);
    ASSERT_TRUE(started.ok()) << started.status().message();
    server_ = std::move(started).value();
    stub_ = v1::Trainer::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                     grpc::InsecureChannelCredentials()));
  }

  std::vector<Sample> scrape() {
    const std::string text = http_get_metrics(server_->metrics_port());
    EXPECT_FALSE(text.empty()) << "no /metrics answer on port " << server_->metrics_port();
    return parse_exposition(text);
  }

  // Scrapes until `name{labels}` == want or 10 s pass; the last value seen.
  std::optional<double> await_value(const std::string& name,
                                    const std::map<std::string, std::string>& labels, double want) {
    std::optional<double> value;
    for (int i = 0; i < 200; ++i) {
      value = find_value(scrape(), name, labels);
      if (value == want) break;
      std::this_thread::sleep_for(50ms);
    }
    return value;
  }

  grpc::Status create(const v1::TrainingSpec& spec, v1::Job* job) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::CreateJobRequest request;
    *request.mutable_spec() = spec;
    return stub_->CreateJob(&context, request, job);
  }

  v1::Job get(const std::string& id) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::GetJobRequest request;
    request.set_job_id(id);
    v1::Job job;
    EXPECT_TRUE(stub_->GetJob(&context, request, &job).ok());
    return job;
  }

  // Watches the job to its end: the stream's status and every event.
  Watched watch_to_end(const std::string& id) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::WatchJobRequest request;
    request.set_job_id(id);
    auto reader = stub_->WatchJob(&context, request);
    Watched watched;
    v1::TrainingEvent event;
    while (reader->Read(&event)) watched.events.push_back(event);
    watched.status = reader->Finish();
    return watched;
  }

  test_support::TempDir scratch_{"server_metrics"};  // outlives the server
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::Trainer::Stub> stub_;
};

TEST_F(ServerMetricsTest, MetricsAreServedOnTheFreePortItPicked) {
  EXPECT_GT(server_->metrics_port(), 0);
  const auto s = scrape();
  EXPECT_EQ(find_value(s, "gradstream_jobs", {{"state", "queued"}}), 0.0);
  EXPECT_EQ(find_value(s, "gradstream_uploaded_bytes_total"), 0.0);
}

TEST_F(ServerMetricsTest, TheDataDirsUsageIsMeasuredAtEachScrape) {
  const fs::path data_dir = scratch_.file("data");
  auto samples = scrape();
  const auto store_bytes = find_value(samples, "gradstream_data_dir_job_store_bytes");
  ASSERT_TRUE(store_bytes.has_value());
  // The store's files exist from the start (its schema written).
  uintmax_t on_disk = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(data_dir / (std::string(kJobStoreFile) + suffix), ec);
    if (!ec) on_disk += size;
  }
  EXPECT_GT(*store_bytes, 0.0);
  EXPECT_EQ(*store_bytes, static_cast<double>(on_disk));
  EXPECT_EQ(find_value(samples, "gradstream_data_dir_dataset_bytes"), 0.0);
  const auto free_bytes = find_value(samples, "gradstream_data_dir_free_bytes");
  ASSERT_TRUE(free_bytes.has_value());
  EXPECT_GT(*free_bytes, 0.0);
  // A dataset's files appear at the next scrape.
  {
    std::ofstream out(data_dir / kDatasetsSubdir / "features.bin", std::ios::binary);
    out << std::string(1234, 'x');
  }
  EXPECT_EQ(find_value(scrape(), "gradstream_data_dir_dataset_bytes"), 1234.0);
}

TEST_F(ServerMetricsTest, InterceptorCountsRpcsByMethodAndStatusCode) {
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    v1::ListJobsResponse response;
    ASSERT_TRUE(stub_->ListJobs(&context, v1::ListJobsRequest(), &response).ok());
  }
  v1::TrainingSpec bad = tiny_spec(1);
  bad.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(0);
  v1::Job job;
  ASSERT_EQ(create(bad, &job).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  {
    grpc::ClientContext context;
    v1::GetJobRequest request;
    request.set_job_id("job-000000000000");
    ASSERT_EQ(stub_->GetJob(&context, request, &job).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  const auto s = scrape();
  EXPECT_EQ(
      find_value(s, "gradstream_grpc_requests_total", {{"method", "ListJobs"}, {"code", "OK"}}),
      2.0);
  EXPECT_EQ(find_value(s, "gradstream_grpc_requests_total",
                       {{"method", "CreateJob"}, {"code", "INVALID_ARGUMENT"}}),
            1.0);
  EXPECT_EQ(find_value(s, "gradstream_grpc_requests_total",
                       {{"method", "GetJob"}, {"code", "NOT_FOUND"}}),
            1.0);
  EXPECT_EQ(
      find_value(s, "gradstream_grpc_requests_total", {{"method", "CreateJob"}, {"code", "OK"}}),
      std::nullopt);
  EXPECT_EQ(
      find_value(s, "gradstream_grpc_request_duration_seconds_count", {{"method", "ListJobs"}}),
      2.0);
  EXPECT_EQ(find_value(s, "gradstream_grpc_request_duration_seconds_bucket",
                       {{"method", "ListJobs"}, {"le", "+Inf"}}),
            2.0);
}

TEST_F(ServerMetricsTest, WatchGaugeCountsAnOpenStreamAndDropsWhenItCloses) {
  v1::Job job;
  ASSERT_TRUE(create(tiny_spec(500), &job).ok());
  {
    grpc::ClientContext context;
    v1::WatchJobRequest request;
    request.set_job_id(job.id());
    auto reader = stub_->WatchJob(&context, request);
    v1::TrainingEvent event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(find_value(scrape(), "gradstream_watch_streams_active"), 1.0);
    context.TryCancel();
    while (reader->Read(&event)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(await_value("gradstream_watch_streams_active", {}, 0.0), 0.0);
  // The long job is RUNNING meanwhile: one running, its series exported once
  // its data is loaded.
  EXPECT_EQ(await_value("gradstream_jobs", {{"state", "running"}}, 1.0), 1.0);
  EXPECT_EQ(await_value("gradstream_job_running", {{"job_id", job.id()}}, 1.0), 1.0);
  grpc::ClientContext context;
  v1::CancelJobRequest cancel;
  cancel.set_job_id(job.id());
  ASSERT_TRUE(stub_->CancelJob(&context, cancel, &job).ok());
  EXPECT_EQ(await_value("gradstream_jobs_finished_total", {{"state", "cancelled"}}, 1.0), 1.0);
  EXPECT_EQ(find_value(scrape(), "gradstream_job_running", {{"job_id", job.id()}}), 0.0);
}

TEST_F(ServerMetricsTest, ATrainingRunSetsJobStatesAndItsSeries) {
  v1::Job job;
  ASSERT_TRUE(create(tiny_spec(2), &job).ok());
  const Watched watched = watch_to_end(job.id());
  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  job = get(job.id());
  ASSERT_EQ(job.state(), v1::SUCCEEDED) << job.reason();

  const auto s = scrape();
  const std::map<std::string, std::string> id{{"job_id", job.id()}};
  EXPECT_EQ(find_value(s, "gradstream_jobs", {{"state", "succeeded"}}), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_jobs", {{"state", "running"}}), 0.0);
  EXPECT_EQ(find_value(s, "gradstream_jobs", {{"state", "queued"}}), 0.0);
  EXPECT_EQ(find_value(s, "gradstream_job_queue_length"), 0.0);
  EXPECT_EQ(find_value(s, "gradstream_jobs_finished_total", {{"state", "succeeded"}}), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_job_running", id), 0.0);
  // tiny_spec: 60 000 samples / batch 1000 = 60 steps an epoch, 2 epochs.
  EXPECT_EQ(find_value(s, "gradstream_job_steps_total", id), 120.0);
  EXPECT_EQ(find_value(s, "gradstream_job_samples_total", id), 2.0 * kFashionMnistTrainSamples);
  EXPECT_EQ(find_value(s, "gradstream_job_step_duration_seconds_count", id), 120.0);
  // The gauges hold the newest report of each kind the job's stream carried.
  const v1::StepReport* last_step = nullptr;
  const v1::EpochReport* last_epoch = nullptr;
  const v1::ParameterReport* last_weights = nullptr;  // dense_0's weights
  for (const v1::TrainingEvent& e : watched.events) {
    if (e.has_step()) last_step = &e.step();
    if (e.has_epoch()) last_epoch = &e.epoch();
    for (const v1::ParameterReport& p : e.gradients().parameters()) {
      if (p.layer() == "dense_0" && p.parameter() == "weights") last_weights = &p;
    }
  }
  ASSERT_NE(last_step, nullptr);
  ASSERT_NE(last_epoch, nullptr);
  ASSERT_NE(last_weights, nullptr);
  EXPECT_EQ(last_step->step(), 120U);
  EXPECT_EQ(last_epoch->epoch(), 2U);
  const auto loss = find_value(s, "gradstream_job_loss", id);
  ASSERT_TRUE(loss.has_value());
  EXPECT_DOUBLE_EQ(*loss, last_step->loss());
  EXPECT_LT(*loss, 2.3);  // below chance (ln 10) after two epochs
  EXPECT_DOUBLE_EQ(*find_value(s, "gradstream_job_train_accuracy", id),
                   last_epoch->train_accuracy());
  EXPECT_DOUBLE_EQ(
      *find_value(s, "gradstream_layer_weight_norm",
                  {{"job_id", job.id()}, {"layer", "dense_0"}, {"parameter", "weights"}}),
      last_weights->weight_norm());
  EXPECT_EQ(find_value(s, "gradstream_metrics_exported_jobs"), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_nonfinite_loss_total"), 0.0);
  // The stream counts once, when its status is sent.
  EXPECT_EQ(
      find_value(s, "gradstream_grpc_requests_total", {{"method", "WatchJob"}, {"code", "OK"}}),
      1.0);
  EXPECT_EQ(
      find_value(s, "gradstream_grpc_request_duration_seconds_count", {{"method", "WatchJob"}}),
      1.0);
}

TEST_F(ServerMetricsTest, AJobEndedByANonFiniteLossIsCounted) {
  v1::TrainingSpec spec = tiny_spec(1);
  // Weights of 3e38 overflow the outputs to inf: the first loss is NaN.
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 784 * 10; ++i) dense->add_initial_weights(3e38F);
  for (int i = 0; i < 10; ++i) dense->add_initial_bias(3e38F);
  v1::Job job;
  ASSERT_TRUE(create(spec, &job).ok());
  ASSERT_TRUE(watch_to_end(job.id()).status.ok());
  job = get(job.id());
  ASSERT_EQ(job.state(), v1::FAILED);
  // The first step's outputs are +inf, so its loss is not a number.
  ASSERT_EQ(job.reason().rfind("step 1: loss is NaN; ", 0), 0U) << job.reason();
  const auto s = scrape();
  EXPECT_EQ(find_value(s, "gradstream_nonfinite_loss_total"), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_jobs_finished_total", {{"state", "failed"}}), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_jobs", {{"state", "failed"}}), 1.0);
}

TEST_F(ServerMetricsTest, AMetricsPortInUseIsAnErrorNamingTheField) {
  ServerConfig config = metrics_config(scratch_.file("second"));  // one server per data dir
  config.metrics_address = "127.0.0.1:" + std::to_string(server_->metrics_port());
  auto second = GrpcServer::start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), engine::StatusCode::kFailedPrecondition);
  // After the address, the HTTP server's own words.
  EXPECT_EQ(second.status().message().rfind("metrics_address: cannot listen on " +
                                                config.metrics_address +
                                                " (in use, or not a valid host:port): ",
                                            0),
            0U)
      << second.status().message();
}

TEST(ServerMetricsOffTest, AnEmptyMetricsAddressServesNoMetrics) {
  const test_support::TempDir scratch("server_metrics");
  ServerConfig config = metrics_config(scratch.file("data"));
  config.metrics_address = "";
  auto server = GrpcServer::start(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ((*server)->metrics_port(), 0);
  EXPECT_GT((*server)->port(), 0);
  server->reset();
}

TEST(ServerMetricsConfigTest, MetricsFlagsAreValidatedNamingTheField) {
  // validate_config reads no files: the data dir need not exist.
  ServerConfig config = metrics_config("./var");
  config.metrics_max_jobs = 0;
  EXPECT_EQ(validate_config(config, 2).message(), "metrics_max_jobs: 0 is out of range [1, 10000]");
  config = metrics_config("./var");
  config.metrics_job_retention_seconds = -1;
  EXPECT_EQ(validate_config(config, 2).message(),
            "metrics_job_retention_seconds: -1 is out of range [0, 604800]");
  config = metrics_config("./var");
  config.metrics_address = "9464";
  EXPECT_EQ(validate_config(config, 2).message(),
            "metrics_address: \"9464\" is not host:port (port 0-65535), e.g. 0.0.0.0:9464; "
            "empty turns metrics off");
  config = metrics_config("./var");
  EXPECT_TRUE(validate_config(config, 2).ok());
}

}  // namespace
}  // namespace gradstream::server

// TrainerService over a real in-process gRPC server on loopback: job creation
// and validation errors, watching (replay, live follow, concurrent watchers,
// resume from a sequence), cancellation, paging, and that the server keeps
// serving after every error.
#include "server/trainer_service.hpp"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/model_file.hpp"
#include "engine/predictor.hpp"
#include "engine/spec_io.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;

constexpr auto kRpcTimeout = 120s;

// The built-in Fashion-MNIST with a single 784 -> 10 dense layer: one epoch of
// 60 steps trains in about a second.
v1::TrainingSpec tiny_spec(uint32_t epochs = 1, uint32_t batch_size = 1000) {
  auto parsed = engine::parse_spec_json(R"({
      "model": {"inputShape": [784], "layers": [{"dense": {"units": 10}}]},
      "data": {"builtin": "fashion-mnist"}, "seed": 7})",
                                        "test spec");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  parsed->set_epochs(epochs);
  parsed->set_batch_size(batch_size);
  return *parsed;
}

// A server, its service and job manager, and a stub connected to it.
struct TestServer {
  explicit TestServer(ServiceLimits limits = {}) {
    JobManagerOptions options;
    options.max_concurrent_jobs = 1;
    options.threads_per_job = 1;
    manager = std::make_unique<JobManager>(options);
    service = std::make_unique<TrainerService>(*manager, limits);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    EXPECT_TRUE(server != nullptr);
    EXPECT_NE(port, 0);
    stub = v1::Trainer::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                    grpc::InsecureChannelCredentials()));
  }

  ~TestServer() {
    // The server first: it finishes every open stream while the service lives.
    if (server) server->Shutdown(std::chrono::system_clock::now() + 5s);
    manager->shutdown(/*cancel_running=*/true);
    server.reset();
    service.reset();
    manager.reset();
  }

  std::unique_ptr<JobManager> manager;
  std::unique_ptr<TrainerService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::Trainer::Stub> stub;
};

void set_deadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
}

struct Watched {
  grpc::Status status;
  std::vector<v1::TrainingEvent> events;
};

class TrainerServiceTest : public ::testing::Test {
 protected:
  grpc::Status create(const v1::TrainingSpec& spec, v1::Job* job = nullptr) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::CreateJobRequest request;
    *request.mutable_spec() = spec;
    v1::Job response;
    grpc::Status status = server_.stub->CreateJob(&context, request, &response);
    if (job != nullptr) *job = response;
    return status;
  }

  std::string create_ok(const v1::TrainingSpec& spec) {
    v1::Job job;
    grpc::Status status = create(spec, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return job.id();
  }

  grpc::Status get(const std::string& id, v1::Job* job = nullptr) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::GetJobRequest request;
    request.set_job_id(id);
    v1::Job response;
    grpc::Status status = server_.stub->GetJob(&context, request, &response);
    if (job != nullptr) *job = response;
    return status;
  }

  grpc::Status cancel(const std::string& id) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::CancelJobRequest request;
    request.set_job_id(id);
    v1::Job response;
    return server_.stub->CancelJob(&context, request, &response);
  }

  Watched watch(const std::string& id, uint64_t from_sequence = 0, uint32_t step_every = 0) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::WatchJobRequest request;
    request.set_job_id(id);
    request.set_from_sequence(from_sequence);
    request.set_step_every(step_every);
    Watched watched;
    auto reader = server_.stub->WatchJob(&context, request);
    v1::TrainingEvent event;
    while (reader->Read(&event)) watched.events.push_back(event);
    watched.status = reader->Finish();
    return watched;
  }

  v1::JobState state_of(const std::string& id) {
    v1::Job job;
    EXPECT_TRUE(get(id, &job).ok());
    return job.state();
  }

  TestServer server_;
};

std::vector<uint64_t> sequences(const std::vector<v1::TrainingEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.sequence());
  return out;
}

std::set<v1::JobState> states(const std::vector<v1::TrainingEvent>& events) {
  std::set<v1::JobState> out;
  for (const auto& e : events) {
    if (e.has_state()) out.insert(e.state());
  }
  return out;
}

void expect_contiguous(const std::vector<v1::TrainingEvent>& events, uint64_t first) {
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].sequence(), first + i) << "gap or reorder at index " << i;
  }
}

TEST_F(TrainerServiceTest, CreatedJobIsWatchedToTheEnd) {
  v1::Job created;
  ASSERT_TRUE(create(tiny_spec(), &created).ok());
  EXPECT_FALSE(created.id().empty());
  EXPECT_EQ(created.state(), v1::QUEUED);

  const Watched watched = watch(created.id());

  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  ASSERT_FALSE(watched.events.empty());
  expect_contiguous(watched.events, 1);
  const std::set<v1::JobState> seen = states(watched.events);
  EXPECT_TRUE(seen.count(v1::QUEUED));
  EXPECT_TRUE(seen.count(v1::RUNNING));
  EXPECT_TRUE(seen.count(v1::SUCCEEDED));
  bool done = false;
  size_t steps = 0;
  for (const auto& e : watched.events) {
    EXPECT_EQ(e.job_id(), created.id());
    done = done || e.has_done();
    steps += e.has_step() ? 1 : 0;
  }
  EXPECT_TRUE(done);
  EXPECT_GT(steps, 0U);
  v1::Job finished;
  ASSERT_TRUE(get(created.id(), &finished).ok());
  EXPECT_EQ(finished.state(), v1::SUCCEEDED);
  EXPECT_EQ(finished.last_sequence(), watched.events.back().sequence());
}

TEST_F(TrainerServiceTest, ConcurrentWatchersSeeIdenticalSequences) {
  const std::string id = create_ok(tiny_spec());
  Watched first;
  Watched second;
  std::thread a([&] { first = watch(id); });
  std::thread b([&] { second = watch(id); });
  a.join();
  b.join();

  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  expect_contiguous(first.events, 1);
  EXPECT_EQ(sequences(first.events), sequences(second.events));
}

TEST_F(TrainerServiceTest, ManyLiveWatchersAllGetTheWholeLog) {
  constexpr int kWatchers = 16;
  const std::string id = create_ok(tiny_spec());
  std::vector<Watched> watched(kWatchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWatchers; ++i) threads.emplace_back([&, i] { watched[i] = watch(id); });
  for (auto& t : threads) t.join();

  ASSERT_TRUE(watched[0].status.ok()) << watched[0].status.error_message();
  expect_contiguous(watched[0].events, 1);
  for (int i = 1; i < kWatchers; ++i) {
    ASSERT_TRUE(watched[i].status.ok()) << i << ": " << watched[i].status.error_message();
    EXPECT_EQ(sequences(watched[i].events), sequences(watched[0].events)) << i;
  }
  v1::Job job;
  ASSERT_TRUE(get(id, &job).ok());
  EXPECT_EQ(job.last_sequence(), watched[0].events.back().sequence());
}

TEST_F(TrainerServiceTest, ReconnectFromSequenceGetsExactlyTheRest) {
  const std::string id = create_ok(tiny_spec());
  const Watched all = watch(id);
  ASSERT_TRUE(all.status.ok());
  const uint64_t last = all.events.back().sequence();
  const uint64_t k = last / 2;
  ASSERT_GT(k, 1U);

  const Watched rest = watch(id, k);

  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  ASSERT_EQ(rest.events.size(), last - k + 1);
  expect_contiguous(rest.events, k);
  EXPECT_EQ(rest.events.back().sequence(), last);
}

TEST_F(TrainerServiceTest, StepEveryThinsOnlyStepEvents) {
  const std::string id = create_ok(tiny_spec());
  const Watched all = watch(id);
  const Watched thinned = watch(id, 0, 7);
  ASSERT_TRUE(thinned.status.ok());
  size_t all_other = 0;
  size_t thinned_other = 0;
  for (const auto& e : all.events) all_other += e.has_step() ? 0 : 1;
  for (const auto& e : thinned.events) {
    if (e.has_step()) {
      EXPECT_EQ(e.step().step() % 7, 0U) << "step " << e.step().step();
    } else {
      ++thinned_other;
    }
  }
  EXPECT_EQ(thinned_other, all_other);
  EXPECT_LT(thinned.events.size(), all.events.size());
}

TEST_F(TrainerServiceTest, ZeroUnitsIsInvalidArgumentNamingTheField) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(0);
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("model.layers[0].dense.units"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(get("job-missing").error_code() == grpc::StatusCode::NOT_FOUND);  // still serving
}

TEST_F(TrainerServiceTest, UnknownActivationIsInvalidArgumentNamingIt) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_activation()->set_name(
      "sparkle");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("sparkle"), std::string::npos) << status.error_message();
}

TEST_F(TrainerServiceTest, LeakyReluAlphaOutOfRangeIsInvalidArgument) {
  v1::TrainingSpec spec = tiny_spec();
  auto* activation = spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_activation();
  activation->set_name("leaky_relu");
  activation->set_alpha(5.0F);
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("alpha"), std::string::npos) << status.error_message();
}

TEST_F(TrainerServiceTest, UnknownBuiltinIsNotFoundNamingTheField) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_data()->set_builtin("imagenet-22k");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("data.builtin"), std::string::npos)
      << status.error_message();
}

TEST_F(TrainerServiceTest, DatasetIdIsNotFoundUntilUploadsExist) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_data()->set_dataset_id("sha256:abc");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("data.dataset_id"), std::string::npos);
}

TEST(TrainerServiceLimitsTest, TooManyParametersIsResourceExhaustedBeforeLoading) {
  ServiceLimits limits;
  limits.max_parameters = 100;
  TestServer server(limits);
  grpc::ClientContext context;
  set_deadline(context);
  v1::CreateJobRequest request;
  *request.mutable_spec() = tiny_spec();
  // An unknown data set would be NOT_FOUND: RESOURCE_EXHAUSTED shows the model
  // was rejected before any data was looked at.
  request.mutable_spec()->mutable_data()->set_builtin("no-such-data");
  v1::Job job;
  const grpc::Status status = server.stub->CreateJob(&context, request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("7850"), std::string::npos) << status.error_message();
}

TEST(TrainerServiceLimitsTest, TooManyEpochSamplesIsResourceExhausted) {
  ServiceLimits limits;
  limits.max_epoch_samples = 100000;  // Fashion-MNIST has 60000 training samples
  TestServer server(limits);
  grpc::ClientContext context;
  set_deadline(context);
  v1::CreateJobRequest request;
  *request.mutable_spec() = tiny_spec(/*epochs=*/2);
  v1::Job job;
  const grpc::Status status = server.stub->CreateJob(&context, request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("epochs"), std::string::npos) << status.error_message();
}

TEST_F(TrainerServiceTest, UnknownAndEmptyJobIdsAreRejectedAndTheServerKeepsServing) {
  const std::string id = create_ok(tiny_spec());

  EXPECT_EQ(get("job-nope").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(cancel("job-nope").error_code(), grpc::StatusCode::NOT_FOUND);
  const Watched watched = watch("job-nope");
  EXPECT_EQ(watched.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(watched.events.empty());

  const grpc::Status empty_get = get("");
  EXPECT_EQ(empty_get.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(empty_get.error_message(), "job_id: must be set");
  EXPECT_EQ(cancel("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(watch("").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::Job job;
  EXPECT_TRUE(get(id, &job).ok());
  EXPECT_EQ(job.id(), id);
}

TEST_F(TrainerServiceTest, CancellingAFinishedJobIsFailedPrecondition) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);

  const grpc::Status status = cancel(id);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(get(id).ok());
}

TEST_F(TrainerServiceTest, CancellingARunningJobEndsItsWatchWithCancelled) {
  const std::string id = create_ok(tiny_spec(/*epochs=*/50, /*batch_size=*/100));
  Watched watched;
  std::thread watcher([&] { watched = watch(id); });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (state_of(id) != v1::RUNNING && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(state_of(id), v1::RUNNING);

  EXPECT_TRUE(cancel(id).ok());
  watcher.join();

  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  expect_contiguous(watched.events, 1);
  ASSERT_FALSE(watched.events.empty());
  EXPECT_TRUE(states(watched.events).count(v1::CANCELLED));
  EXPECT_FALSE(states(watched.events).count(v1::SUCCEEDED));
  EXPECT_EQ(state_of(id), v1::CANCELLED);
}

TEST_F(TrainerServiceTest, ListJobsPagesWalkEveryJobInCreationOrder) {
  std::vector<std::string> created;
  for (int i = 0; i < 3; ++i) created.push_back(create_ok(tiny_spec()));

  std::vector<std::string> walked;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ListJobsRequest request;
    request.set_page_size(1);
    request.set_page_token(token);
    v1::ListJobsResponse response;
    ASSERT_TRUE(server_.stub->ListJobs(&context, request, &response).ok());
    ASSERT_LE(response.jobs_size(), 1);
    for (const auto& job : response.jobs()) walked.push_back(job.id());
    token = response.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());

  EXPECT_EQ(walked, created);
  EXPECT_EQ(pages, 3);
}

TEST_F(TrainerServiceTest, ListJobsFiltersByStateAndRejectsABadToken) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ListJobsRequest request;
    request.set_state(v1::SUCCEEDED);
    v1::ListJobsResponse response;
    ASSERT_TRUE(server_.stub->ListJobs(&context, request, &response).ok());
    ASSERT_EQ(response.jobs_size(), 1);
    EXPECT_EQ(response.jobs(0).id(), id);
    EXPECT_TRUE(response.next_page_token().empty());
  }
  {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ListJobsRequest request;
    request.set_state(v1::RUNNING);
    v1::ListJobsResponse response;
    ASSERT_TRUE(server_.stub->ListJobs(&context, request, &response).ok());
    EXPECT_EQ(response.jobs_size(), 0);
  }
  for (const std::string bad : {"abc", "-1", "1x", "99"}) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ListJobsRequest request;
    request.set_page_token(bad);
    v1::ListJobsResponse response;
    const grpc::Status status = server_.stub->ListJobs(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(status.error_message().find("page_token"), std::string::npos) << bad;
  }
  EXPECT_TRUE(get(id).ok());
}

TEST_F(TrainerServiceTest, UploadIsUnimplementedAndModelsOfUnknownJobsAreNotFound) {
  {
    grpc::ClientContext context;
    set_deadline(context);
    v1::PredictRequest request;
    request.set_job_id("job-x");
    request.add_shape(1);
    request.add_shape(784);
    v1::PredictResponse response;
    const grpc::Status status = server_.stub->Predict(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(status.error_message().find("job-x"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ExportModelRequest request;
    request.set_job_id("job-x");
    auto reader = server_.stub->ExportModel(&context, request);
    v1::ExportChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    set_deadline(context);
    v1::Dataset dataset;
    auto writer = server_.stub->UploadDataset(&context, &dataset);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
}

TEST_F(TrainerServiceTest, ShutdownFinishesAWatcherOfALongJob) {
  const std::string id = create_ok(tiny_spec(/*epochs=*/50, /*batch_size=*/100));
  Watched watched;
  std::thread watcher([&] { watched = watch(id); });
  std::this_thread::sleep_for(200ms);
  server_.server->Shutdown(std::chrono::system_clock::now() + 100ms);
  watcher.join();
  EXPECT_FALSE(watched.status.ok());
}

struct Exported {
  grpc::Status status;
  std::string bytes;
  size_t chunks = 0;
};

Exported export_model(v1::Trainer::Stub& stub, const std::string& id) {
  grpc::ClientContext context;
  set_deadline(context);
  v1::ExportModelRequest request;
  request.set_job_id(id);
  auto reader = stub.ExportModel(&context, request);
  Exported out;
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) {
    out.bytes += chunk.data();
    ++out.chunks;
  }
  out.status = reader->Finish();
  return out;
}

grpc::Status predict(v1::Trainer::Stub& stub, const v1::PredictRequest& request,
                     v1::PredictResponse* response) {
  grpc::ClientContext context;
  set_deadline(context);
  return stub.Predict(&context, request, response);
}

// Three Fashion-MNIST-sized samples with distinct pixel patterns.
v1::PredictRequest three_samples(const std::string& id) {
  v1::PredictRequest request;
  request.set_job_id(id);
  request.add_shape(3);
  request.add_shape(784);
  for (int n = 0; n < 3; ++n) {
    for (int i = 0; i < 784; ++i) request.add_inputs(static_cast<float>((i * (n + 3)) % 17) / 16.0F);
  }
  return request;
}

TEST_F(TrainerServiceTest, ExportedModelLoadsAndPredictMatchesIt) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);

  const Exported exported = export_model(*server_.stub, id);
  ASSERT_TRUE(exported.status.ok()) << exported.status.error_message();
  EXPECT_GE(exported.chunks, 1U);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  auto model = engine::load_model(exported.bytes, eng);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->input_features(), 784);
  EXPECT_EQ((*model)->output_units(), 10);

  const v1::PredictRequest request = three_samples(id);
  v1::PredictResponse response;
  const grpc::Status status = predict(*server_.stub, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.shape_size(), 2);
  EXPECT_EQ(response.shape(0), 3U);
  EXPECT_EQ(response.shape(1), 10U);
  ASSERT_EQ(response.outputs_size(), 30);
  for (int n = 0; n < 3; ++n) {
    double sum = 0.0;
    for (int c = 0; c < 10; ++c) sum += response.outputs(n * 10 + c);
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << n;
  }
  auto expected = engine::predict(**model, request.inputs().data(), 3, eng, true);
  ASSERT_TRUE(expected.ok());
  for (int i = 0; i < 30; ++i) EXPECT_NEAR(response.outputs(i), (*expected)[i], 1e-6) << i;

  // A second call uses the cached model and answers the same.
  v1::PredictResponse again;
  ASSERT_TRUE(predict(*server_.stub, request, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), response.SerializeAsString());
}

TEST_F(TrainerServiceTest, PredictRequestsThatDoNotFitTheModelAreInvalidArgument) {
  const std::string id = create_ok(tiny_spec());
  ASSERT_TRUE(watch(id).status.ok());
  ASSERT_EQ(state_of(id), v1::SUCCEEDED);
  v1::PredictResponse response;

  v1::PredictRequest wrong_features = three_samples(id);
  wrong_features.set_shape(1, 783);
  grpc::Status status = predict(*server_.stub, wrong_features, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("shape", 0), 0U) << status.error_message();

  v1::PredictRequest short_inputs = three_samples(id);
  short_inputs.mutable_inputs()->RemoveLast();
  status = predict(*server_.stub, short_inputs, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("inputs", 0), 0U) << status.error_message();

  v1::PredictRequest no_shape = three_samples(id);
  no_shape.clear_shape();
  status = predict(*server_.stub, no_shape, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("shape", 0), 0U) << status.error_message();

  v1::PredictRequest zero_count = three_samples(id);
  zero_count.set_shape(0, 0);
  status = predict(*server_.stub, zero_count, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("shape[0]", 0), 0U) << status.error_message();

  v1::PredictRequest no_job = three_samples("");
  status = predict(*server_.stub, no_job, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("job_id", 0), 0U) << status.error_message();
}

TEST_F(TrainerServiceTest, ExportOfARunningOrFailedJobIsFailedPrecondition) {
  // 100 input features against Fashion-MNIST's 784: the trainer refuses it, FAILED.
  v1::TrainingSpec bad = tiny_spec();
  bad.mutable_model()->set_input_shape(0, 100);
  const std::string failed = create_ok(bad);
  ASSERT_TRUE(watch(failed).status.ok());
  ASSERT_EQ(state_of(failed), v1::FAILED);
  Exported exported = export_model(*server_.stub, failed);
  EXPECT_EQ(exported.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(exported.status.error_message().find("FAILED"), std::string::npos);
  v1::PredictResponse response;
  v1::PredictRequest request = three_samples(failed);
  EXPECT_EQ(predict(*server_.stub, request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const std::string running = create_ok(tiny_spec(/*epochs=*/50, /*batch_size=*/100));
  exported = export_model(*server_.stub, running);
  EXPECT_EQ(exported.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(exported.bytes.empty());
  EXPECT_TRUE(cancel(running).ok());
  ASSERT_TRUE(watch(running).status.ok());
}

}  // namespace
}  // namespace gradstream::server

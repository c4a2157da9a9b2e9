// TrainerService over a real in-process gRPC server on loopback: job creation
// and validation errors, watching (replay, live follow, concurrent watchers,
// resume from a sequence), cancellation, paging, and that the server keeps
// serving after every error.
#include "server/trainer_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/server/trainer_service_fixture.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;

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
  // "job-" and 12 hex digits, as in README's examples (job-a1f5ae0423ff).
  EXPECT_TRUE(std::regex_match(created.id(), std::regex("job-[0-9a-f]{32}"))) << created.id();
  EXPECT_EQ(created.state(), v1::QUEUED);

  const Watched watched = watch(created.id());

  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  ASSERT_FALSE(watched.events.empty());
  expect_contiguous(watched.events, 1);
  const std::set<v1::JobState> seen = states(watched.events);
  EXPECT_TRUE(seen.count(v1::QUEUED));
  EXPECT_TRUE(seen.count(v1::RUNNING));
  EXPECT_TRUE(seen.count(v1::SUCCEEDED));
  const v1::DoneReport* done = nullptr;
  size_t steps = 0;
  size_t epochs = 0;
  for (const auto& e : watched.events) {
    EXPECT_EQ(e.job_id(), created.id());
    if (e.has_done()) done = &e.done();
    steps += e.has_step() ? 1 : 0;
    epochs += e.has_epoch() ? 1 : 0;
  }
  // 60 000 Fashion-MNIST training samples / batch 1000 = 60 steps, 1 epoch;
  // a step report for every step (reporting.step_every defaults to 1).
  EXPECT_EQ(steps, 60U);
  EXPECT_EQ(epochs, 1U);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->outcome(), v1::DoneReport::SUCCEEDED);
  EXPECT_EQ(done->steps(), 60U);
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
  ASSERT_TRUE(all.status.ok());
  ASSERT_TRUE(thinned.status.ok());
  size_t all_steps = 0;
  size_t all_other = 0;
  std::vector<uint64_t> thinned_steps;
  size_t thinned_other = 0;
  for (const auto& e : all.events) (e.has_step() ? all_steps : all_other) += 1;
  for (const auto& e : thinned.events) {
    if (e.has_step()) {
      thinned_steps.push_back(e.step().step());
    } else {
      ++thinned_other;
    }
  }
  EXPECT_EQ(all_steps, 60U);  // 60 000 samples / batch 1000
  // Of steps 1..60, the multiples of 7; every other event is kept.
  EXPECT_EQ(thinned_steps, (std::vector<uint64_t>{7, 14, 21, 28, 35, 42, 49, 56}));
  EXPECT_EQ(thinned_other, all_other);
  EXPECT_EQ(thinned.events.size(), all_other + 8);
}

TEST_F(TrainerServiceTest, ZeroUnitsIsInvalidArgumentNamingTheField) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(0);
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "model.layers[0].dense.units: 0 is out of range [1, 65536]");
  EXPECT_TRUE(get("job-missing").error_code() == grpc::StatusCode::NOT_FOUND);  // still serving
}

TEST_F(TrainerServiceTest, UnknownActivationIsInvalidArgumentNamingIt) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_activation()->set_name(
      "sparkle");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The known names in the order of README.md's activation catalog.
  EXPECT_EQ(status.error_message(),
            "model.layers[0].dense.activation.name: unknown activation \"sparkle\" (known: "
            "identity, sigmoid, tanh, relu, leaky_relu, elu, selu, swish, silu, mish, gelu_erf, "
            "gelu_tanh, softplus, hardswish, prelu, softmax, log_softmax)");
}

TEST_F(TrainerServiceTest, LeakyReluAlphaOutOfRangeIsInvalidArgument) {
  v1::TrainingSpec spec = tiny_spec();
  auto* activation = spec.mutable_model()->mutable_layers(0)->mutable_dense()->mutable_activation();
  activation->set_name("leaky_relu");
  activation->set_alpha(5.0F);
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // README: leaky_relu's alpha lies in [0, 1].
  EXPECT_EQ(status.error_message(),
            "model.layers[0].dense.activation.alpha: 5 is out of range [0, 1]");
}

TEST_F(TrainerServiceTest, UnknownBuiltinIsNotFoundNamingTheField) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_data()->set_builtin("imagenet-22k");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "data.builtin: unknown data set 'imagenet-22k'; known: fashion-mnist");
}

TEST_F(TrainerServiceTest, DatasetIdIsNotFoundUntilUploadsExist) {
  v1::TrainingSpec spec = tiny_spec();
  spec.mutable_data()->set_dataset_id("sha256:abc");
  const grpc::Status status = create(spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "data.dataset_id: \"sha256:abc\" not found; this server stores no datasets");
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
  // 784 x 10 weights + 10 biases.
  EXPECT_EQ(status.error_message(), "model: 7850 parameters is more than the limit of 100");
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
  EXPECT_EQ(status.error_message(),
            "epochs: 2 x 60000 training samples is 120000, more than the limit of 100000 samples "
            "per job");
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
  const std::pair<std::string, std::string> bad_tokens[] = {
      {"abc", "page_token: \"abc\" is not a valid page token"},
      {"-1", "page_token: \"-1\" is not a valid page token"},
      {"1x", "page_token: \"1x\" is not a valid page token"},
      {"99", "page_token: \"99\" is past the last job (1 jobs)"},
  };
  for (const auto& [bad, message] : bad_tokens) {
    grpc::ClientContext context;
    set_deadline(context);
    v1::ListJobsRequest request;
    request.set_page_token(bad);
    v1::ListJobsResponse response;
    const grpc::Status status = server_.stub->ListJobs(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_EQ(status.error_message(), message);
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
    EXPECT_EQ(status.error_message(), "job \"job-x\" not found");
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
    const grpc::Status status = writer->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(status.error_message(), "UploadDataset is not implemented yet");
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

}  // namespace
}  // namespace gradstream::server

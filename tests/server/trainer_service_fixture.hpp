// The in-process server the TrainerService tests share: a TrainerService over
// a real gRPC server on loopback, a tiny Fashion-MNIST spec, and a fixture
// with the client calls the tests make.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "server/job_manager.hpp"
#include "server/trainer_service.hpp"

namespace gradstream::server {

inline constexpr auto kRpcTimeout = std::chrono::seconds(120);

// The built-in Fashion-MNIST with a single 784 -> 10 dense layer: one epoch of
// 60 steps trains in about a second.
inline v1::TrainingSpec tiny_spec(uint32_t epochs = 1, uint32_t batch_size = 1000) {
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
  explicit TestServer(ServiceLimits limits = {},
                      size_t max_finished_jobs = kDefaultMaxFinishedJobs) {
    JobManagerOptions options;
    options.max_concurrent_jobs = 1;
    options.threads_per_job = 1;
    options.max_finished_jobs = max_finished_jobs;
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
    if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
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

inline void set_deadline(grpc::ClientContext& context) {
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

}  // namespace gradstream::server

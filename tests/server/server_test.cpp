// GrpcServer on loopback: binds a free port, answers the grpc.health.v1 health
// check and the Trainer service, turns a taken port and a data dir another
// server holds into errors, and shuts down promptly.
#include "server/server.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <chrono>
#include <future>
#include <string>

#include "gradstream/v1/trainer.grpc.pb.h"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

// grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING.
constexpr int kServing = 1;

// Each test's servers keep their data under its own scratch directory.
class GrpcServerTest : public ::testing::Test {
 protected:
  // Loopback on free ports, data in <scratch>/data (made by the server).
  ServerConfig loopback_config() const {
    ServerConfig config;
    config.listen_address = "127.0.0.1:0";
    config.metrics_address = "127.0.0.1:0";  // never the default 9464 another server may hold
    config.data_dir = scratch_.file("data");
    return config;
  }

  test_support::TempDir scratch_{"server"};
};

std::shared_ptr<grpc::Channel> channel_to(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

// Calls grpc.health.v1.Health/Check for `service` without generated code: the
// request is `string service = 1`, the reply `ServingStatus status = 1`, both
// hand-encoded. Returns the status, or -1 with the RPC failing.
int health_check(int port, const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;  // < 128
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::GenericStub stub(channel_to(port));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&done](grpc::Status s) { done.set_value(s); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    ADD_FAILURE() << "health check: " << status.error_message();
    return -1;
  }
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(response_buffer.Dump(&slices).ok());
  std::string response;
  for (const grpc::Slice& s : slices)
    response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (response.empty()) return 0;  // UNKNOWN, the proto3 default
  EXPECT_EQ(response.size(), 2u);
  EXPECT_EQ(response[0], '\x08');
  return response[1];
}

TEST_F(GrpcServerTest, StartsOnAFreePortAndReportsIt) {
  auto server = GrpcServer::start(loopback_config());
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_GT((*server)->port(), 0);
}

TEST_F(GrpcServerTest, HealthServiceAnswersServingForTrainer) {
  auto server = GrpcServer::start(loopback_config());
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ(health_check((*server)->port(), kTrainerServiceName), kServing);
  EXPECT_EQ(health_check((*server)->port(), ""), kServing);
}

TEST_F(GrpcServerTest, TrainerServiceIsRegistered) {
  auto server = GrpcServer::start(loopback_config());
  ASSERT_TRUE(server.ok()) << server.status().message();
  auto stub = v1::Trainer::NewStub(channel_to((*server)->port()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetJobRequest request;
  request.set_job_id("no-such-job");
  v1::Job job;
  const grpc::Status status = stub->GetJob(&context, request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(GrpcServerTest, RejectsAnInvalidConfigBeforeBinding) {
  ServerConfig config = loopback_config();
  config.max_concurrent_jobs = 0;
  auto server = GrpcServer::start(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), engine::StatusCode::kInvalidArgument);
  // The range ends at this machine's usable cores.
  EXPECT_EQ(server.status().message().rfind("max_concurrent_jobs: 0 is out of range [1, ", 0), 0u)
      << server.status().message();
}

TEST_F(GrpcServerTest, PortInUseIsAnErrorNamingTheAddress) {
  auto first = GrpcServer::start(loopback_config());
  ASSERT_TRUE(first.ok()) << first.status().message();
  ServerConfig config = loopback_config();
  config.listen_address = "127.0.0.1:" + std::to_string((*first)->port());
  config.data_dir = scratch_.file("second");  // one server per data dir
  auto second = GrpcServer::start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(), "listen_address: cannot listen on " + config.listen_address +
                                           " (in use, or not a valid host:port)");
  // The first server is untouched.
  EXPECT_EQ(health_check((*first)->port(), kTrainerServiceName), kServing);
}

TEST_F(GrpcServerTest, ASecondServerOnTheSameDataDirIsRefused) {
  auto first = GrpcServer::start(loopback_config());
  ASSERT_TRUE(first.ok()) << first.status().message();
  const ServerConfig config = loopback_config();
  auto second = GrpcServer::start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            "data_dir: " + config.data_dir + " is in use by another gradstream-server (pid " +
                std::to_string(getpid()) + "); give each server its own --data-dir");
  EXPECT_EQ(health_check((*first)->port(), kTrainerServiceName), kServing);
  // Released with the first server: the next one starts.
  first->reset();
  auto third = GrpcServer::start(config);
  EXPECT_TRUE(third.ok()) << third.status().message();
}

TEST_F(GrpcServerTest, MalformedAddressIsAnErrorNotACrash) {
  ServerConfig config = loopback_config();
  config.listen_address = "not an address";
  auto server = GrpcServer::start(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().message(),
            "listen_address: cannot listen on not an address (in use, or not a valid host:port)");
}

TEST_F(GrpcServerTest, ShutdownReturnsPromptlyAndReleasesWait) {
  auto server = GrpcServer::start(loopback_config());
  ASSERT_TRUE(server.ok()) << server.status().message();
  GrpcServer& s = **server;
  auto waiter = std::async(std::launch::async, [&s] { s.wait(); });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  const auto begin = std::chrono::steady_clock::now();
  s.shutdown(std::chrono::milliseconds(2000));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(1));
  EXPECT_EQ(waiter.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  s.shutdown(std::chrono::milliseconds(0));  // idempotent
}

}  // namespace
}  // namespace gradstream::server

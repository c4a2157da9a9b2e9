// The client's channel to a gradstream server and the per-call contexts.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "gradstream/v1/trainer.grpc.pb.h"

namespace gradstream::client {

inline constexpr const char* kDefaultServer = "localhost:50051";
inline constexpr const char* kServerEnvVar = "GRADSTREAM_SERVER";
inline constexpr double kDefaultTimeoutSeconds = 30.0;
// Jobs carry their spec, which may hold initial weights: far above gRPC's 4 MiB.
inline constexpr int kMaxMessageBytes = 256 << 20;

struct ConnectionOptions {
  std::string server = kDefaultServer;
  double timeout_seconds = kDefaultTimeoutSeconds;  // unary calls only
};

class Connection {
 public:
  explicit Connection(const ConnectionOptions& options);

  gradstream::v1::Trainer::Stub& stub() { return *stub_; }
  // A context with the unary deadline set.
  std::unique_ptr<grpc::ClientContext> unary_context() const;
  // A context without a deadline, for streams that last as long as a job.
  std::unique_ptr<grpc::ClientContext> stream_context() const;
  // Waits until the channel is connected (a restarted server listens again);
  // false if `deadline` passed first.
  bool wait_for_server(std::chrono::system_clock::time_point deadline) const;

 private:
  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gradstream::v1::Trainer::Stub> stub_;
};

}  // namespace gradstream::client

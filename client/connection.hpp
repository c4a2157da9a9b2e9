// The client's channel to a gradstream server and the per-call contexts.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "client/tls_options.hpp"
#include "gradstream/v1/trainer.grpc.pb.h"

namespace gradstream::client {

inline constexpr const char* kDefaultServer = "localhost:50051";
inline constexpr const char* kServerEnvVar = "GRADSTREAM_SERVER";
inline constexpr const char* kTokenEnvVar = "GRADSTREAM_TOKEN";
inline constexpr double kDefaultTimeoutSeconds = 30.0;
// Jobs carry their spec, which may hold initial weights: far above gRPC's 4 MiB.
inline constexpr int kMaxMessageBytes = 256 << 20;

struct ConnectionOptions {
  std::string server = kDefaultServer;
  double timeout_seconds = kDefaultTimeoutSeconds;  // unary calls only
  TlsOptions tls;
  // Sent with every call but health as "authorization: Bearer <token>"; empty: none.
  std::string token;
};

class Connection {
 public:
  // `credentials`: channel_credentials(options.tls).
  Connection(const ConnectionOptions& options,
             std::shared_ptr<grpc::ChannelCredentials> credentials);

  gradstream::v1::Trainer::Stub& stub() { return *stub_; }
  // What it was built from, for a helper process that connects by itself.
  const ConnectionOptions& options() const { return options_; }
  // The channel itself, for generic stubs (health).
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // Now plus --timeout.
  std::chrono::system_clock::time_point unary_deadline() const;
  // A context with the unary deadline set.
  std::unique_ptr<grpc::ClientContext> unary_context() const;
  // A context without a deadline, for streams that last as long as a job.
  std::unique_ptr<grpc::ClientContext> stream_context() const;
  // Waits until the channel is connected (a restarted server listens again);
  // false if `deadline` passed first.
  bool wait_for_server(std::chrono::system_clock::time_point deadline) const;
  // `status`, or when it is a failed TLS handshake, one that says so
  // (explain_tls_failure). Every failure is reported through it.
  grpc::Status explain(const grpc::Status& status) const;

 private:
  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gradstream::v1::Trainer::Stub> stub_;
};

}  // namespace gradstream::client

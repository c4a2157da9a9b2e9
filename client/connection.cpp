// Channel creation (plaintext or TLS, large messages), call deadlines, and
// failures explained.
#include "client/connection.hpp"

#include <chrono>

#include "client/tls_failure.hpp"

namespace gradstream::client {

namespace {

constexpr int kReconnectBackoffInitialMs = 100;
constexpr int kReconnectBackoffMaxMs = 1000;
constexpr int kConnectTimeoutMs = 5000;

}  // namespace

Connection::Connection(const ConnectionOptions& options,
                       std::shared_ptr<grpc::ChannelCredentials> credentials)
    : options_(options) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  // A restarted server is found within a fraction of a second, not after
  // gRPC's default backoff (up to two minutes between attempts).
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffInitialMs);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kReconnectBackoffMaxMs);
  // gRPC takes the minimum backoff as the connect timeout too: 20 s by
  // default, what a port that accepts but never answers (a wrong address, a
  // hung proxy) would cost each call. A few seconds, not less: a busy server
  // may take longer than a backoff to finish the handshake.
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kConnectTimeoutMs);
  if (!options_.tls.server_name.empty()) {
    arguments.SetSslTargetNameOverride(options_.tls.server_name);
  }
  channel_ = grpc::CreateCustomChannel(options_.server, std::move(credentials), arguments);
  stub_ = gradstream::v1::Trainer::NewStub(channel_);
}

bool Connection::wait_for_server(std::chrono::system_clock::time_point deadline) const {
  return channel_->WaitForConnected(deadline);
}

grpc::Status Connection::explain(const grpc::Status& status) const {
  return explain_tls_failure(status, options_.server, options_.tls);
}

std::chrono::system_clock::time_point Connection::unary_deadline() const {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::duration<double>(options_.timeout_seconds));
}

std::unique_ptr<grpc::ClientContext> Connection::unary_context() const {
  auto context = stream_context();
  context->set_deadline(unary_deadline());
  return context;
}

std::unique_ptr<grpc::ClientContext> Connection::stream_context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
  return context;
}

}  // namespace gradstream::client

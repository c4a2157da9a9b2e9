// Channel creation (insecure, large messages) and call deadlines.
#include "client/connection.hpp"

#include <chrono>

namespace gradstream::client {

Connection::Connection(const ConnectionOptions& options) : options_(options) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  auto channel =
      grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), arguments);
  stub_ = gradstream::v1::Trainer::NewStub(channel);
}

std::unique_ptr<grpc::ClientContext> Connection::unary_context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(options_.timeout_seconds));
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

std::unique_ptr<grpc::ClientContext> Connection::stream_context() const {
  return std::make_unique<grpc::ClientContext>();
}

}  // namespace gradstream::client

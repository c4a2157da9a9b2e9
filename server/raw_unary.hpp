// The unary RPCs of TrainerService are raw methods (request and response as
// grpc::ByteBuffer) so that a request that does not parse gets an answer that
// says so: gRPC 1.51's callback API answers it UNIMPLEMENTED with an empty
// message, which reads as "no such method". raw_unary parses the request
// itself (INVALID_ARGUMENT naming the message type), runs the handler and
// serializes its response, as the generated code would have.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <exception>
#include <string>
#include <utility>

#include "engine/base/status.hpp"
#include "server/grpc_status.hpp"

namespace gradstream::server {

// Runs `body` (returning an engine::Status), turning an escaping exception into
// INTERNAL naming the RPC, and converts the outcome once.
template <class Body>
grpc::Status guarded(const char* rpc, Body&& body) {
  try {
    return to_grpc_status(body());
  } catch (const std::exception& e) {
    return to_grpc_status(engine::internal_error(std::string(rpc) + ": " + e.what()));
  } catch (...) {
    return to_grpc_status(engine::internal_error(std::string(rpc) + ": unknown error"));
  }
}

// `raw` parsed as a Request; invalid_argument naming the type when it does not.
template <class Request>
engine::Status parse_request(const grpc::ByteBuffer& raw, Request& request) {
  grpc::ByteBuffer bytes(raw);  // Deserialize consumes its buffer; this copy shares the slices
  if (grpc::SerializationTraits<Request>::Deserialize(&bytes, &request).ok()) {
    return engine::ok_status();
  }
  return engine::invalid_argument(
      "request: " + std::to_string(raw.Length()) + " bytes that are not a serialized " +
      Request::descriptor()->full_name() + " (truncated or not protobuf)");
}

// Finishes the call with handler(request, response)'s engine::Status (run
// under guarded(rpc)) and, when OK, the response's bytes in `out`. The
// request is the call's own: a handler may move parts out of it.
template <class Request, class Response, class Handler>
grpc::ServerUnaryReactor* raw_unary(const char* rpc, grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* raw, grpc::ByteBuffer* out,
                                    Handler&& handler) {
  Request request;
  grpc::Status status = to_grpc_status(parse_request(*raw, request));
  if (status.ok()) {
    Response response;
    status = guarded(rpc, [&] { return handler(request, response); });
    bool own_buffer = false;
    if (status.ok())
      status = grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace gradstream::server

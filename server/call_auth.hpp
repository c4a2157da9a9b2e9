// Who is calling: the one check at the top of every Trainer RPC (the health
// service has none, so probes need no token).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string_view>
#include <utility>

#include "engine/base/status.hpp"
#include "server/auth_tokens.hpp"
#include "server/grpc_status.hpp"
#include "server/raw_unary.hpp"

namespace gradstream::server {

// The caller the call's "authorization" metadata names; anonymous_caller()
// when `tokens` is null (a server without --auth-tokens); unauthenticated
// otherwise (TokenAuthenticator::authenticate).
inline engine::Result<Caller> authenticate_call(TokenAuthenticator* tokens,
                                                const grpc::CallbackServerContext& context) {
  if (tokens == nullptr) return anonymous_caller();
  const auto& metadata = context.client_metadata();
  auto found = metadata.find(kAuthorizationKey);
  if (found == metadata.end()) return tokens->authenticate(nullptr);
  const std::string_view value(found->second.data(), found->second.size());
  return tokens->authenticate(&value);
}

// raw_unary after authentication: an unauthenticated call is answered before
// its request is parsed; `handler(caller, request, response)` otherwise.
template <class Request, class Response, class Handler>
grpc::ServerUnaryReactor* authenticated_unary(TokenAuthenticator* tokens, const char* rpc,
                                              grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* raw, grpc::ByteBuffer* out,
                                              Handler&& handler) {
  engine::Result<Caller> caller = authenticate_call(tokens, *context);
  if (!caller.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(to_grpc_status(caller.status()));
    return reactor;
  }
  return raw_unary<Request, Response>(
      rpc, context, raw, out,
      [&](Request& request, Response& response) { return handler(*caller, request, response); });
}

}  // namespace gradstream::server

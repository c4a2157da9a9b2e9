#include "server/coordinator_service.hpp"

#include "server/call_auth.hpp"

namespace gradstream::server {
namespace {

engine::Status may_coordinate(const Caller& caller) {
  if (caller.may_coordinate()) return engine::ok_status();
  return engine::permission_denied(
      "the Coordinator service is for workers: this token's role is user; give "
      "gradstream-worker a token of role worker (--auth-tokens)");
}

// `result`'s value into `response`, or its error.
template <class Response>
engine::Status answer(engine::Result<Response> result, Response& response) {
  if (!result.ok()) return result.status();
  response = std::move(result).value();
  return engine::ok_status();
}

}  // namespace

CoordinatorService::CoordinatorService(WorkerRegistry& workers, TokenAuthenticator* tokens)
    : workers_(workers), tokens_(tokens) {}

grpc::ServerUnaryReactor* CoordinatorService::Join(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* raw,
                                                   grpc::ByteBuffer* out) {
  return authenticated_unary<v1::JoinRequest, v1::JoinResponse>(
      tokens_, "Join", context, raw, out,
      [&](const Caller& caller, const v1::JoinRequest& request, v1::JoinResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.join(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::Heartbeat(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* raw,
                                                        grpc::ByteBuffer* out) {
  return authenticated_unary<v1::HeartbeatRequest, v1::HeartbeatResponse>(
      tokens_, "Heartbeat", context, raw, out,
      [&](const Caller& caller, const v1::HeartbeatRequest& request,
          v1::HeartbeatResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.heartbeat(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::ReportJob(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* raw,
                                                        grpc::ByteBuffer* out) {
  return authenticated_unary<v1::ReportJobRequest, v1::ReportJobResponse>(
      tokens_, "ReportJob", context, raw, out,
      [&](const Caller& caller, v1::ReportJobRequest& request, v1::ReportJobResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        // The reports move into the job's mailbox, not copied: the request is this call's.
        return answer(workers_.report(request), response);
      });
}

grpc::ServerUnaryReactor* CoordinatorService::Rendezvous(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* raw,
                                                         grpc::ByteBuffer* out) {
  return authenticated_unary<v1::RendezvousRequest, v1::RendezvousResponse>(
      tokens_, "Rendezvous", context, raw, out,
      [&](const Caller& caller, const v1::RendezvousRequest& request,
          v1::RendezvousResponse& response) {
        if (engine::Status s = may_coordinate(caller); !s.ok()) return s;
        return answer(workers_.rendezvous(request), response);
      });
}

}  // namespace gradstream::server

// CoordinatorService: the gradstream.v1.Coordinator gRPC service, on which
// gradstream-worker processes join this server, heartbeat and send their
// jobs' reports (proto/gradstream/v1/worker.proto). Every method is raw
// (raw_unary.hpp) and authenticated; with --auth-tokens only a token of role
// worker or admin may call it.
#pragma once

#include <grpcpp/grpcpp.h>

#include "gradstream/v1/worker.grpc.pb.h"
#include "server/auth_tokens.hpp"
#include "server/worker_registry.hpp"

namespace gradstream::server {

inline constexpr const char* kCoordinatorServiceName = "gradstream.v1.Coordinator";

using CoordinatorServiceBase =
    v1::Coordinator::WithRawCallbackMethod_Join<v1::Coordinator::WithRawCallbackMethod_Heartbeat<
        v1::Coordinator::WithRawCallbackMethod_ReportJob<
            v1::Coordinator::WithRawCallbackMethod_Rendezvous<v1::Coordinator::CallbackService>>>>;

// Thread-safe. `workers` and `tokens` (may be null: every caller may) must
// outlive it.
class CoordinatorService final : public CoordinatorServiceBase {
 public:
  CoordinatorService(WorkerRegistry& workers, TokenAuthenticator* tokens);

  grpc::ServerUnaryReactor* Join(grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw,
                                 grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* ReportJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* Rendezvous(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* raw, grpc::ByteBuffer* out) override;

 private:
  WorkerRegistry& workers_;
  TokenAuthenticator* const tokens_;
};

}  // namespace gradstream::server

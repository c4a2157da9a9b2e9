// GrpcMetricsInterceptorFactory: a gRPC server interceptor that counts every
// finished RPC by method and status code and observes its latency (streams:
// the whole stream, from arrival to the status being sent), and keeps the
// open-WatchJob-streams gauge over the same span.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "server/server_metrics.hpp"

namespace gradstream::server {

// The `method` label of a full gRPC method name ("/gradstream.v1.Trainer/CreateJob"
// -> "CreateJob"). Only the Trainer, health and reflection methods get their
// own name; anything else is "unknown", so a client cannot grow the label set.
std::string method_label(const std::string& full_method);

// The `code` label: the StatusCode's name as gRPC spells it ("INVALID_ARGUMENT").
const char* code_label(grpc::StatusCode code);

// `metrics` must outlive every call of the server the factory is registered with.
class GrpcMetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcMetricsInterceptorFactory(ServerMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  ServerMetrics& metrics_;
};

}  // namespace gradstream::server

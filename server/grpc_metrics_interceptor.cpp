// GrpcMetricsInterceptor: one per call, created when the call arrives; records
// the call when its status is sent (or, for a call that never sends one, when
// gRPC destroys it).
#include "server/grpc_metrics_interceptor.hpp"

#include <google/protobuf/descriptor.h>

#include <array>
#include <chrono>
#include <utility>

#include "gradstream/v1/trainer.grpc.pb.h"
#include "gradstream/v1/worker.grpc.pb.h"

namespace gradstream::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUnknownMethod = "unknown";

// Services whose methods come from a fixed list rather than a descriptor.
struct FixedService {
  const char* service;
  std::array<const char*, 2> methods;
};
constexpr std::array<FixedService, 2> kFixedServices{{
    {"grpc.health.v1.Health", {"Check", "Watch"}},
    {"grpc.reflection.v1alpha.ServerReflection", {"ServerReflectionInfo", ""}},
}};

class GrpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(ServerMetrics& metrics, std::string method)
      : metrics_(metrics),
        method_(std::move(method)),
        watch_(method_ == "WatchJob"),
        start_(Clock::now()) {
    if (watch_) metrics_.watch_stream_opened();
  }

  // A call cancelled before its handler finished may never send a status.
  ~GrpcMetricsInterceptor() override {
    if (!recorded_) record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS) &&
        !recorded_) {
      record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void record(grpc::StatusCode code) {
    recorded_ = true;
    if (watch_) metrics_.watch_stream_closed();
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    metrics_.grpc_requests().Add({{"method", method_}, {"code", code_label(code)}}).Increment();
    metrics_.grpc_request_duration()
        .Add({{"method", method_}}, grpc_duration_buckets())
        .Observe(seconds);
  }

  ServerMetrics& metrics_;
  const std::string method_;
  const bool watch_;  // a WatchJob stream: counted open until its status is sent
  const Clock::time_point start_;
  bool recorded_ = false;
};

}  // namespace

std::string method_label(const std::string& full_method) {
  // "/package.Service/Method"
  const size_t slash = full_method.rfind('/');
  if (full_method.empty() || full_method[0] != '/' || slash == 0 || slash == std::string::npos) {
    return kUnknownMethod;
  }
  const std::string service = full_method.substr(1, slash - 1);
  const std::string method = full_method.substr(slash + 1);
  // Our own services' methods come from their descriptors.
  if (service == v1::Trainer::service_full_name() ||
      service == v1::Coordinator::service_full_name()) {
    const google::protobuf::ServiceDescriptor* ours =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    if (ours != nullptr && ours->FindMethodByName(method) != nullptr) return method;
    return kUnknownMethod;
  }
  for (const FixedService& fixed : kFixedServices) {
    if (service != fixed.service) continue;
    for (const char* m : fixed.methods) {
      if (method == m) return method;
    }
  }
  return kUnknownMethod;
}

const char* code_label(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  return new GrpcMetricsInterceptor(metrics_, method_label(method != nullptr ? method : ""));
}

}  // namespace gradstream::server

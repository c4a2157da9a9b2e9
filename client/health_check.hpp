// check_health: one grpc.health.v1.Health/Check call. Debian ships no
// health.proto, so the two tiny messages are encoded by hand and sent through
// a generic stub:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN 0, SERVING 1,
//                                                      NOT_SERVING 2, SERVICE_UNKNOWN 3
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace gradstream::client {

inline constexpr uint64_t kServingStatusServing = 1;

struct HealthAnswer {
  grpc::Status status;          // of the call itself
  uint64_t serving_status = 0;  // the answer's status field, when the call was OK
};

// Asks `stub`'s server about `service` ("" is the server as a whole).
HealthAnswer check_health(grpc::GenericStub& stub, const std::string& service,
                          std::chrono::system_clock::time_point deadline);

// "SERVING", "NOT_SERVING", ... or "STATUS_<n>" for a value outside the enum.
std::string serving_status_name(uint64_t status);

}  // namespace gradstream::client

// health: grpc.health.v1.Health/Check for one service, for container
// HEALTHCHECKs and scripts. Debian ships no health.proto, so the two tiny
// messages are encoded by hand and sent through a generic stub:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN 0, SERVING 1,
//                                                      NOT_SERVING 2, SERVICE_UNKNOWN 3
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>

#include "client/commands.hpp"
#include "client/exit_codes.hpp"
#include "client/status_report.hpp"

namespace gradstream::client {

namespace {

constexpr const char* kHealthCheckMethod = "/grpc.health.v1.Health/Check";
constexpr uint8_t kServiceFieldTag = 0x0a;  // field 1, length-delimited
constexpr uint8_t kStatusFieldTag = 0x08;   // field 1, varint
constexpr uint64_t kServing = 1;
constexpr const char* kServingStatusNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                               "SERVICE_UNKNOWN"};

void append_varint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

std::string encode_request(const std::string& service) {
  std::string bytes;
  if (service.empty()) return bytes;  // proto3: a default field is not written
  bytes.push_back(static_cast<char>(kServiceFieldTag));
  append_varint(service.size(), &bytes);
  return bytes + service;
}

// The status field of a HealthCheckResponse; 0 (UNKNOWN) when absent.
uint64_t decode_status(const std::string& bytes) {
  if (bytes.size() < 2 || static_cast<uint8_t>(bytes[0]) != kStatusFieldTag) return 0;
  uint64_t value = 0;
  for (size_t i = 1, shift = 0; i < bytes.size() && shift < 64; ++i, shift += 7) {
    const auto byte = static_cast<uint8_t>(bytes[i]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  return value;
}

std::string status_name(uint64_t status) {
  return status < std::size(kServingStatusNames) ? kServingStatusNames[status]
                                                 : "STATUS_" + std::to_string(status);
}

}  // namespace

int run_health(const ConnectionOptions& connection_options, const HealthOptions& options,
               Terminal& terminal) {
  auto channel = grpc::CreateChannel(connection_options.server, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::duration<double>(connection_options.timeout_seconds)));

  const std::string request_bytes = encode_request(options.service);
  grpc::Slice request_slice(request_bytes);
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::CompletionQueue queue;
  auto call = stub.PrepareUnaryCall(&context, kHealthCheckMethod, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, &response);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);  // the one event: the call finished
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return report_failure(status, terminal.err);

  grpc::Slice response_slice;
  std::string response_bytes;
  if (response.DumpToSingleSlice(&response_slice).ok()) {
    response_bytes.assign(reinterpret_cast<const char*>(response_slice.begin()),
                          response_slice.size());
  }
  const uint64_t serving_status = decode_status(response_bytes);
  terminal.out << status_name(serving_status) << "\n";
  terminal.out.flush();
  if (serving_status == kServing) return kExitOk;
  return report_failure(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "\"" + options.service + "\" is " + status_name(serving_status)),
      terminal.err);
}

}  // namespace gradstream::client

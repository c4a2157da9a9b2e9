// check_health: the hand-encoded Health/Check call (see health_check.hpp).
#include "client/health_check.hpp"

#include <iterator>

namespace gradstream::client {

namespace {

constexpr const char* kHealthCheckMethod = "/grpc.health.v1.Health/Check";
constexpr uint8_t kServiceFieldTag = 0x0a;  // field 1, length-delimited
constexpr uint8_t kStatusFieldTag = 0x08;   // field 1, varint
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

}  // namespace

HealthAnswer check_health(grpc::GenericStub& stub, const std::string& service,
                          std::chrono::system_clock::time_point deadline) {
  grpc::ClientContext context;
  context.set_deadline(deadline);
  const std::string request_bytes = encode_request(service);
  grpc::Slice request_slice(request_bytes);
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::CompletionQueue queue;
  auto call = stub.PrepareUnaryCall(&context, kHealthCheckMethod, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  HealthAnswer answer;
  call->Finish(&response, &answer.status, &response);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);  // the one event: the call finished
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!answer.status.ok()) return answer;
  grpc::Slice response_slice;
  std::string response_bytes;
  if (response.DumpToSingleSlice(&response_slice).ok()) {
    response_bytes.assign(reinterpret_cast<const char*>(response_slice.begin()),
                          response_slice.size());
  }
  answer.serving_status = decode_status(response_bytes);
  return answer;
}

std::string serving_status_name(uint64_t status) {
  return status < std::size(kServingStatusNames) ? kServingStatusNames[status]
                                                 : "STATUS_" + std::to_string(status);
}

}  // namespace gradstream::client

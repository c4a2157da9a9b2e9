// Status code names as gRPC spells them, and the CLI's error line.
#include "client/status_report.hpp"

#include <array>
#include <ostream>
#include <string_view>

namespace gradstream::client {

namespace {

// Indexed by grpc::StatusCode, 0..16.
constexpr std::array<std::string_view, 17> kCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

}  // namespace

std::string status_code_name(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index >= 0 && index < static_cast<int>(kCodeNames.size())) {
    return std::string(kCodeNames[static_cast<size_t>(index)]);
  }
  return "CODE_" + std::to_string(index);
}

int report_failure(const grpc::Status& status, std::ostream& err) {
  err << "gradstream: " << status_code_name(status.error_code()) << ": " << status.error_message()
      << "\n";
  err.flush();
  const int code = static_cast<int>(status.error_code());
  return code == 0 ? static_cast<int>(grpc::StatusCode::UNKNOWN) : code;
}

}  // namespace gradstream::client

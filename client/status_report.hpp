// Turning a grpc::Status into the CLI's one error line and exit code.
#pragma once

#include <grpcpp/support/status.h>

#include <iosfwd>
#include <string>

namespace gradstream::client {

// "INVALID_ARGUMENT", "NOT_FOUND", ...; "CODE_<n>" for a code gRPC does not name.
std::string status_code_name(grpc::StatusCode code);

// Writes "gradstream: <CODE>: <message>" to `err` and returns the exit code for
// it: the numeric gRPC code, which is never 0 for a failed status.
int report_failure(const grpc::Status& status, std::ostream& err);

}  // namespace gradstream::client

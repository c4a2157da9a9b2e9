// The one place an engine Status becomes a grpc::Status, at the RPC edge.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>

#include "engine/base/status.hpp"

namespace gradstream::server {

// Messages longer than this are cut (with "...") so a pathological input cannot
// make a status carry megabytes back to the client.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

grpc::Status to_grpc_status(const engine::Status& status);

}  // namespace gradstream::server

// Exit codes of the gradstream CLI. An RPC failure exits with its gRPC status
// code (1..16); these are the codes that are not gRPC's.
#pragma once

namespace gradstream::client {

inline constexpr int kExitOk = 0;
// Bad command line, unreadable spec file, or an RPC the server does not implement.
inline constexpr int kExitUsage = 2;
// The watched job ended FAILED or CANCELLED.
inline constexpr int kExitJobNotSucceeded = 3;

}  // namespace gradstream::client

// Exit codes of the gradstream CLI. An RPC failure exits with its gRPC status
// code (1..16); the CLI's own codes lie outside that range, so a script can
// tell "the server said INVALID_ARGUMENT" (3) from "the job failed" (65).
#pragma once

namespace gradstream::client {

inline constexpr int kExitOk = 0;
// Bad command line, unreadable spec file, or an RPC the server does not implement.
inline constexpr int kExitUsage = 64;  // sysexits.h EX_USAGE
// The watched job ended FAILED or CANCELLED.
inline constexpr int kExitJobNotSucceeded = 65;

}  // namespace gradstream::client

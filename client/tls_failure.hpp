// Naming TLS in a failed call's message. gRPC reports a failed handshake as a
// vague UNAVAILABLE ("failed to connect to all addresses", "Socket closed");
// when the server's port accepts TCP, the handshake is what failed, and the
// message says so with the flag most likely at fault.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <string>

#include "client/tls_options.hpp"

namespace gradstream::client {

// How long the check that the server's port accepts TCP may take.
inline constexpr std::chrono::milliseconds kReachableTimeout{1000};

// True when a TCP connection to `server` ("host:port", "[v6]:port") opens
// within `timeout`.
bool accepts_tcp(const std::string& server, std::chrono::milliseconds timeout);

// True for an UNAVAILABLE that gRPC raised while connecting (not one a
// server sent, such as "server shutting down").
bool is_connection_failure(const grpc::Status& status);

// `status` unchanged, unless it is a connection failure to a server whose
// port accepts TCP: then UNAVAILABLE "TLS handshake with <server> failed:
// <hint> (<gRPC's message>)" for a TLS client, and for a plaintext one
// "<server> accepts TCP but closed this plaintext connection: if it serves
// TLS, give --tls-ca ...".
grpc::Status explain_tls_failure(const grpc::Status& status, const std::string& server,
                                 const TlsOptions& tls);

}  // namespace gradstream::client

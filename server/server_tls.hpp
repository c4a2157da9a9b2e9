// The gRPC server's credentials: plaintext, TLS, or mutual TLS, with the
// certificate files re-read when they change (no restart).
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "server/tls_config.hpp"

namespace gradstream::server {

// Insecure credentials without tls.tls_cert; else TLS whose key pair (and
// client CA, for mutual TLS) gRPC's FileWatcherCertificateProvider re-reads
// every tls.tls_reload_seconds, so a rotated certificate serves new
// handshakes while open connections keep theirs. `tls` must have passed
// validate_tls_config: gRPC reports a bad file only when a handshake fails.
std::shared_ptr<grpc::ServerCredentials> grpc_server_credentials(const TlsConfig& tls);

}  // namespace gradstream::server

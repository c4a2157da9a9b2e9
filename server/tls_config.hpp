// The TLS part of gradstream-server's configuration: which files serve gRPC
// and /metrics over TLS, and validate_tls_config, which checks the flag
// combinations and reads every file once before anything is built.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server {

// How often the certificate files are checked for a change (a Kubernetes
// Secret's rotation swaps a symlinked directory under them).
inline constexpr int64_t kDefaultTlsReloadSeconds = 10;
inline constexpr int64_t kMaxTlsReloadSeconds = 24 * 3600;

struct TlsConfig {
  // gRPC over TLS with this certificate chain and key (both or neither).
  std::string tls_cert;
  std::string tls_key;
  // Mutual TLS: clients must present a certificate signed by a CA in this
  // bundle. Needs tls_cert and tls_key.
  std::string tls_client_ca;
  // /metrics over HTTPS with this pair (both or neither); when empty,
  // tls_cert and tls_key serve it too, and without those it is plain HTTP.
  std::string metrics_tls_cert;
  std::string metrics_tls_key;
  // Seconds between checks of the files above for a change.
  int64_t tls_reload_seconds = kDefaultTlsReloadSeconds;

  bool grpc_tls() const { return !tls_cert.empty(); }
  // The pair /metrics is served with; empty when plain HTTP.
  const std::string& metrics_cert() const {
    return metrics_tls_cert.empty() ? tls_cert : metrics_tls_cert;
  }
  const std::string& metrics_key() const {
    return metrics_tls_key.empty() ? tls_key : metrics_tls_key;
  }
};

// OK, or invalid_argument "<field>: <what is wrong>" naming the first bad
// field as spelled in TlsConfig (its flag is the same with dashes): a pair
// given half, a client CA without a server certificate, a metrics certificate
// with metrics off, a file that cannot be read, holds no PEM certificate, or a
// key that is not the certificate's.
engine::Status validate_tls_config(const TlsConfig& tls, bool metrics_on);

}  // namespace gradstream::server

// The CLI's TLS settings (--tls, --tls-ca, --tls-cert, --tls-key,
// --tls-server-name, or GRADSTREAM_TLS_* in the environment) and the channel
// credentials built from them.
#pragma once

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

namespace gradstream::client {

inline constexpr const char* kTlsCaEnvVar = "GRADSTREAM_TLS_CA";
inline constexpr const char* kTlsCertEnvVar = "GRADSTREAM_TLS_CERT";
inline constexpr const char* kTlsKeyEnvVar = "GRADSTREAM_TLS_KEY";
inline constexpr const char* kTlsServerNameEnvVar = "GRADSTREAM_TLS_SERVER_NAME";

struct TlsOptions {
  // --tls: TLS, the server verified against the system's roots.
  bool system_roots = false;
  // PEM CA bundle the server's certificate must chain to (implies TLS).
  std::string ca_path;
  // Client certificate chain and key for mutual TLS (both or neither; imply TLS).
  std::string cert_path;
  std::string key_path;
  // The name the server's certificate must carry, when it is not the host
  // in --server (a probe dialing localhost, a certificate for the Service name).
  std::string server_name;

  bool enabled() const {
    return system_roots || !ca_path.empty() || !cert_path.empty() || !key_path.empty();
  }
};

// The GRADSTREAM_TLS_* variables that are set and not empty; flags then
// override them.
TlsOptions tls_options_from_environment();

// Insecure credentials when !tls.enabled(); else TLS with the files' PEM
// (no CA: the system roots). nullptr with `*error` "--tls-ca: cannot read
// /x: No such file or directory" (or a half-given pair) on failure.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsOptions& tls,
                                                              std::string* error);

}  // namespace gradstream::client

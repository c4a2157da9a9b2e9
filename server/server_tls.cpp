// grpc_server_credentials: gRPC's experimental TLS API (1.51), the only one
// that reloads certificates; the SslServerCredentials it replaces reads its
// PEM strings once.
#include "server/server_tls.hpp"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

namespace gradstream::server {

std::shared_ptr<grpc::ServerCredentials> grpc_server_credentials(const TlsConfig& tls) {
  if (!tls.grpc_tls()) return grpc::InsecureServerCredentials();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.tls_key, tls.tls_cert, tls.tls_client_ca,
      static_cast<unsigned int>(tls.tls_reload_seconds));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.tls_client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace gradstream::server

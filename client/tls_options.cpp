// TLS options from the environment, and SSL channel credentials from PEM
// files read once (a CLI call lasts seconds; rotation is the server's concern).
#include "client/tls_options.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gradstream::client {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The file's bytes; false with `*error` naming the flag and file.
bool read_pem(const char* flag, const std::string& path, std::string* pem, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::string(flag) + ": cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *pem = text.str();
  if (pem->find("-----BEGIN ") == std::string::npos) {
    *error = std::string(flag) + ": " + path + " is not a PEM file";
    return false;
  }
  return true;
}

}  // namespace

TlsOptions tls_options_from_environment() {
  TlsOptions tls;
  tls.ca_path = environment(kTlsCaEnvVar);
  tls.cert_path = environment(kTlsCertEnvVar);
  tls.key_path = environment(kTlsKeyEnvVar);
  tls.server_name = environment(kTlsServerNameEnvVar);
  return tls;
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsOptions& tls,
                                                              std::string* error) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  if (tls.cert_path.empty() != tls.key_path.empty()) {
    *error = tls.cert_path.empty() ? "--tls-cert: missing; --tls-key needs it (both or neither)"
                                   : "--tls-key: missing; --tls-cert needs it (both or neither)";
    return nullptr;
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_path.empty() && !read_pem("--tls-ca", tls.ca_path, &ssl.pem_root_certs, error)) {
    return nullptr;
  }
  if (!tls.cert_path.empty() &&
      (!read_pem("--tls-cert", tls.cert_path, &ssl.pem_cert_chain, error) ||
       !read_pem("--tls-key", tls.key_path, &ssl.pem_private_key, error))) {
    return nullptr;
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace gradstream::client

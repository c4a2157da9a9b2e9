// validate_tls_config: combinations first, then each file read and parsed.
#include "server/tls_config.hpp"

#include "server/tls_files.hpp"

namespace gradstream::server {
namespace {

// "both or neither" for a certificate and its key.
engine::Status check_pair_given(const char* cert_field, const std::string& cert,
                                const char* key_field, const std::string& key) {
  if (cert.empty() == key.empty()) return engine::ok_status();
  if (cert.empty()) {
    return engine::invalid_argument(std::string(cert_field) + ": empty while " + key_field +
                                    " is " + key + "; give both or neither");
  }
  return engine::invalid_argument(std::string(key_field) + ": empty while " + cert_field + " is " +
                                  cert + "; give both or neither");
}

}  // namespace

engine::Status validate_tls_config(const TlsConfig& tls, bool metrics_on) {
  if (engine::Status s = check_pair_given("tls_cert", tls.tls_cert, "tls_key", tls.tls_key);
      !s.ok()) {
    return s;
  }
  if (engine::Status s = check_pair_given("metrics_tls_cert", tls.metrics_tls_cert,
                                          "metrics_tls_key", tls.metrics_tls_key);
      !s.ok()) {
    return s;
  }
  if (!tls.tls_client_ca.empty() && !tls.grpc_tls()) {
    return engine::invalid_argument("tls_client_ca: " + tls.tls_client_ca +
                                    " needs tls_cert and tls_key (client certificates are "
                                    "checked only over TLS)");
  }
  if (!tls.metrics_tls_cert.empty() && !metrics_on) {
    return engine::invalid_argument("metrics_tls_cert: " + tls.metrics_tls_cert +
                                    " given while metrics_address is empty (metrics are off)");
  }
  if (tls.tls_reload_seconds < 1 || tls.tls_reload_seconds > kMaxTlsReloadSeconds) {
    return engine::invalid_argument(
        "tls_reload_seconds: " + std::to_string(tls.tls_reload_seconds) + " is out of range [1, " +
        std::to_string(kMaxTlsReloadSeconds) + "]");
  }
  if (tls.grpc_tls()) {
    if (engine::Status s = check_key_pair("tls_cert", tls.tls_cert, "tls_key", tls.tls_key);
        !s.ok()) {
      return s;
    }
  }
  if (!tls.tls_client_ca.empty()) {
    if (engine::Status s = check_certificate_file("tls_client_ca", tls.tls_client_ca); !s.ok()) {
      return s;
    }
  }
  if (!tls.metrics_tls_cert.empty()) {
    return check_key_pair("metrics_tls_cert", tls.metrics_tls_cert, "metrics_tls_key",
                          tls.metrics_tls_key);
  }
  return engine::ok_status();
}

}  // namespace gradstream::server

// Checks of the PEM files the server is given for TLS, made at start so a
// wrong path or a certificate that does not match its key is a startup error
// naming the flag and the file, not a handshake that fails later.
#pragma once

#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server {

// The whole file, or invalid_argument "<field>: cannot read <path>: <why>".
engine::Result<std::string> read_tls_file(const std::string& field, const std::string& path);

// OK when `path` holds at least one PEM certificate (a CA bundle, a chain);
// else invalid_argument "<field>: <path> ...".
engine::Status check_certificate_file(const std::string& field, const std::string& path);

// OK when `cert_path` holds a PEM certificate chain and `key_path` the PEM
// private key of its first certificate; else invalid_argument naming the
// field and file at fault.
engine::Status check_key_pair(const std::string& cert_field, const std::string& cert_path,
                              const std::string& key_field, const std::string& key_path);

}  // namespace gradstream::server

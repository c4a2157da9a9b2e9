// Who may scrape /metrics (--metrics-auth FILE): HTTP basic auth, checked by
// the plain-HTTP Exposer and the HTTPS server alike. The file holds one line
// per user, the password as its sha256, never the password:
//   <user> sha256:<64 hex digits>        # printf %s "$PASSWORD" | sha256sum
// '#' starts a comment. Read at start; a change needs a restart.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"

namespace gradstream::server {

inline constexpr char kMetricsRealm[] = "gradstream";

class MetricsCredentials {
 public:
  // invalid_argument "metrics_auth: <path>: line N: <what is wrong>" (never
  // quoting a digest), or naming the file when it cannot be read or is empty.
  static engine::Result<std::shared_ptr<const MetricsCredentials>> load(const std::string& path);
  static engine::Result<std::shared_ptr<const MetricsCredentials>> parse(std::string_view text,
                                                                         const std::string& path);

  bool allows(const std::string& user, const std::string& password) const;
  // For the value of a request's Authorization header: "Basic " and the
  // base64 of "user:password".
  bool allows_header(std::string_view authorization) const;

 private:
  std::map<std::string, std::string, std::less<>> digests_;  // user -> sha256 hex of the password
};

}  // namespace gradstream::server

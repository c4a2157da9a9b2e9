// Parsing the metrics users' file and checking basic-auth credentials.
#include "server/metrics_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "engine/base/field_checks.hpp"
#include "server/auth_tokens.hpp"

namespace gradstream::server {

namespace {

// Longer header values are refused before they are decoded.
constexpr size_t kMaxAuthorizationBytes = 4096;

// The bytes `base64` encodes, or false when it is not base64.
bool decode_base64(std::string_view base64, std::string& out) {
  if (base64.empty() || base64.size() % 4 != 0) return false;
  std::vector<unsigned char> bytes(base64.size() / 4 * 3);
  const int n = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(base64.data()),
                                static_cast<int>(base64.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  size_t size = static_cast<size_t>(n);
  for (size_t i = base64.size(); i > 0 && base64[i - 1] == '='; --i) --size;
  out.assign(reinterpret_cast<const char*>(bytes.data()), size);
  return true;
}

}  // namespace

engine::Result<std::shared_ptr<const MetricsCredentials>> MetricsCredentials::load(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return engine::invalid_argument("metrics_auth: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

engine::Result<std::shared_ptr<const MetricsCredentials>> MetricsCredentials::parse(
    std::string_view text, const std::string& path) {
  auto credentials = std::make_shared<MetricsCredentials>();
  std::istringstream lines{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const std::string where = "metrics_auth: " + path + ": line " + std::to_string(number) + ": ";
    std::istringstream words(line.substr(0, line.find('#')));
    std::string user;
    std::string hash;
    std::string extra;
    if (!(words >> user)) continue;
    if (!(words >> hash) || (words >> extra)) {
      return engine::invalid_argument(where + "expected \"USER sha256:<64 hex digits>\"");
    }
    if (engine::Status s = engine::check_name(where + "user", user); !s.ok()) return s;
    const std::string_view digest = sha256_word_digest(hash);
    if (digest.empty()) {
      return engine::invalid_argument(
          where +
          "the password is not sha256: and 64 lower-case hex digits (its sha256, never "
          "the password itself)");
    }
    if (!credentials->digests_.emplace(user, std::string(digest)).second) {
      return engine::invalid_argument(where + "user \"" + user + "\" is on an earlier line");
    }
  }
  if (credentials->digests_.empty()) {
    return engine::invalid_argument("metrics_auth: " + path + " names no user");
  }
  return std::shared_ptr<const MetricsCredentials>(std::move(credentials));
}

bool MetricsCredentials::allows(const std::string& user, const std::string& password) const {
  auto found = digests_.find(user);
  if (found == digests_.end()) return false;
  const std::string digest = token_digest(password);
  return CRYPTO_memcmp(digest.data(), found->second.data(), digest.size()) == 0;
}

bool MetricsCredentials::allows_header(std::string_view authorization) const {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() > kMaxAuthorizationBytes ||
      authorization.substr(0, kBasic.size()) != kBasic) {
    return false;
  }
  std::string decoded;
  if (!decode_base64(authorization.substr(kBasic.size()), decoded)) return false;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  return allows(decoded.substr(0, colon), decoded.substr(colon + 1));
}

}  // namespace gradstream::server

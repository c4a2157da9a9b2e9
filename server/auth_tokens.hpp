// Bearer tokens and the tenants they stand for (--auth-tokens FILE).
//
// The file holds one token per line, as the sha256 of the token, never the
// token itself:
//   sha256:<64 hex digits> <tenant> <role>    # role: user, worker or admin
// '#' starts a comment; blank lines are skipped. `printf %s "$TOKEN" |
// sha256sum` gives the digest. A tenant name follows the name rules
// (engine/base/input_limits.hpp); several tokens may share a tenant (one per
// person or machine, revoked one by one).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "server/metrics_endpoint.hpp"

namespace gradstream::server {

// kWorker: a gradstream-worker, the only role besides admin that may call the
// Coordinator service; on the Trainer service it is a user of its tenant.
enum class Role { kUser, kWorker, kAdmin };

// Who made a call. A user sees only its tenant's jobs and datasets; an admin
// sees every tenant's.
struct Caller {
  std::string tenant;
  Role role = Role::kUser;
  bool admin() const { return role == Role::kAdmin; }
  bool may_coordinate() const { return role == Role::kWorker || role == Role::kAdmin; }
};

// The caller of every RPC when the server has no --auth-tokens: one anonymous
// tenant that sees everything, as before tokens existed.
Caller anonymous_caller();

// The metadata key and scheme a client sends its token with.
inline constexpr char kAuthorizationKey[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";
// Longer values are refused before they are hashed.
inline constexpr size_t kMaxTokenLength = 4096;
inline constexpr char kTokenHashPrefix[] = "sha256:";
inline constexpr std::chrono::seconds kDefaultAuthReloadInterval{10};

// Token digests (lower-case hex) to their callers.
using TokenTable = std::map<std::string, Caller, std::less<>>;

// The table in `text`; invalid_argument "<path>: line N: <what is wrong>"
// for the first bad line (a digest is never quoted back).
engine::Result<TokenTable> parse_token_file(std::string_view text, const std::string& path);

// The lower-case hex sha256 of `token`.
std::string token_digest(std::string_view token);

// The 64 hex digits of a file's "sha256:<64 lower-case hex digits>" word;
// empty when `word` is not one.
std::string_view sha256_word_digest(std::string_view word);

// Thread-safe. Answers who a call's authorization value is, from a token file
// read at open() and read again, on the next call at least `reload_interval`
// after the last look, when its stamp (inode, size, mtime) changed: a token
// removed from the file is refused from then on, without a restart. A file
// that no longer parses keeps the tokens it replaced (the error is logged):
// a half-written edit must not lock everyone out.
class TokenAuthenticator {
 public:
  // invalid_argument naming --auth-tokens and the file when it cannot be read
  // or a line is wrong.
  static engine::Result<std::unique_ptr<TokenAuthenticator>> open(
      const std::string& path, std::chrono::seconds reload_interval = kDefaultAuthReloadInterval);

  // The caller `authorization` (the metadata value, or nullptr when the call
  // has none) stands for; unauthenticated saying what was wrong (missing, not
  // a Bearer token, or a token this server does not know) otherwise.
  engine::Result<Caller> authenticate(const std::string_view* authorization);

  // How many times the file was read again after open() (tests, logs).
  int reloads() const;

 private:
  TokenAuthenticator(std::string path, std::chrono::seconds reload_interval);
  // Rereads the file when it changed; the caller holds mutex_.
  void reload_if_changed();

  const std::string path_;
  const std::chrono::seconds reload_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenTable> tokens_;
  FileStamp stamp_;
  std::chrono::steady_clock::time_point last_look_;
  int reloads_ = 0;
};

}  // namespace gradstream::server

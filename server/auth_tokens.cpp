// Token file parsing, hashing and the reloading authenticator.
#include "server/auth_tokens.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "engine/base/field_checks.hpp"
#include "engine/base/json_text.hpp"
#include "server/dataset_files.hpp"
#include "server/log.hpp"

namespace gradstream::server {

namespace {

constexpr size_t kDigestHexDigits = 64;

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The line's whitespace-separated words.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

engine::Result<TokenTable> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return engine::invalid_argument("auth_tokens: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return engine::invalid_argument("auth_tokens: cannot read " + path);
  return parse_token_file(text.str(), path);
}

}  // namespace

Caller anonymous_caller() { return Caller{"", Role::kAdmin}; }

std::string token_digest(std::string_view token) {
  dataset_files::EvpContext hash = dataset_files::new_sha256();
  if (!hash) throw std::runtime_error("OpenSSL cannot start a sha256 hash");
  EVP_DigestUpdate(hash.get(), token.data(), token.size());
  return dataset_files::to_hex(dataset_files::finish_sha256(hash.get()));
}

std::string_view sha256_word_digest(std::string_view word) {
  const std::string_view prefix = kTokenHashPrefix;
  if (word.substr(0, prefix.size()) != prefix || word.size() != prefix.size() + kDigestHexDigits ||
      !is_lower_hex(word.substr(prefix.size()))) {
    return {};
  }
  return word.substr(prefix.size());
}

engine::Result<TokenTable> parse_token_file(std::string_view text, const std::string& path) {
  TokenTable tokens;
  std::istringstream lines{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const std::string where = "auth_tokens: " + path + ": line " + std::to_string(number) + ": ";
    std::vector<std::string> words = words_of(line.substr(0, line.find('#')));
    if (words.empty()) continue;
    if (words.size() != 3) {
      return engine::invalid_argument(where + std::to_string(words.size()) +
                                      " words; expected \"sha256:<64 hex digits> TENANT ROLE\"");
    }
    const std::string_view digest = sha256_word_digest(words[0]);
    if (digest.empty()) {
      return engine::invalid_argument(
          where +
          "the first word is not sha256: and 64 lower-case hex digits (the token's "
          "sha256, never the token itself)");
    }
    if (engine::Status s = engine::check_name(where + "tenant", words[1]); !s.ok()) return s;
    Caller caller{words[1], Role::kUser};
    if (words[2] == "admin") {
      caller.role = Role::kAdmin;
    } else if (words[2] == "worker") {
      caller.role = Role::kWorker;
    } else if (words[2] != "user") {
      return engine::invalid_argument(where + "role \"" + words[2] +
                                      "\" is not user, worker or admin");
    }
    if (!tokens.emplace(std::string(digest), std::move(caller)).second) {
      return engine::invalid_argument(where + "the same token digest is on an earlier line");
    }
  }
  return tokens;
}

engine::Result<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::open(
    const std::string& path, std::chrono::seconds reload_interval) {
  std::unique_ptr<TokenAuthenticator> self(new TokenAuthenticator(path, reload_interval));
  self->stamp_ = file_stamp(path);
  auto tokens = read_token_file(path);
  if (!tokens.ok()) return tokens.status();
  self->tokens_ = std::make_shared<const TokenTable>(std::move(tokens).value());
  self->last_look_ = std::chrono::steady_clock::now();
  return self;
}

TokenAuthenticator::TokenAuthenticator(std::string path, std::chrono::seconds reload_interval)
    : path_(std::move(path)), reload_interval_(reload_interval) {}

engine::Result<Caller> TokenAuthenticator::authenticate(const std::string_view* authorization) {
  if (authorization == nullptr) {
    return engine::unauthenticated(
        "authorization: missing; this server needs \"authorization: Bearer <token>\" "
        "metadata (gradstream --token or GRADSTREAM_TOKEN)");
  }
  const std::string_view bearer = kBearerPrefix;
  if (authorization->substr(0, bearer.size()) != bearer ||
      authorization->size() > bearer.size() + kMaxTokenLength) {
    return engine::unauthenticated("authorization: not \"Bearer <token>\"");
  }
  const std::string digest = token_digest(authorization->substr(bearer.size()));
  std::shared_ptr<const TokenTable> tokens;
  {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    tokens = tokens_;
  }
  auto found = tokens->find(digest);
  if (found == tokens->end()) {
    return engine::unauthenticated("authorization: the token is not valid (unknown or revoked)");
  }
  return found->second;
}

void TokenAuthenticator::reload_if_changed() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_look_ < reload_interval_) return;
  last_look_ = now;
  const FileStamp stamp = file_stamp(path_);
  if (stamp == stamp_) return;
  stamp_ = stamp;
  auto tokens = read_token_file(path_);
  if (!tokens.ok()) {
    log_line("warn", "auth tokens not reloaded; the previous tokens stay",
             ",\"error\":" + engine::json_quoted(tokens.status().message()));
    return;
  }
  tokens_ = std::make_shared<const TokenTable>(std::move(tokens).value());
  ++reloads_;
  log_line("info", "auth tokens reloaded", ",\"tokens\":" + std::to_string(tokens_->size()));
}

int TokenAuthenticator::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

}  // namespace gradstream::server

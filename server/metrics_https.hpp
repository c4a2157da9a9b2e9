// MetricsHttpsServer: /metrics over HTTPS with OpenSSL. Debian 12's civetweb
// (prometheus-cpp's HTTP server) crashes on every HTTPS connection: it looks
// up SSL_get_peer_certificate, which OpenSSL 3 no longer exports, and calls
// the null pointer. This server answers `GET /metrics` (the text exposition
// format) and nothing else, one connection at a time, each bounded in time
// and size; its certificate is swapped in place by reload().
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/status.hpp"
#include "server/metrics_auth.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace gradstream::server {

// A scraper that stalls is cut off after this long (it holds the one
// connection slot meanwhile); a request header past the size is refused.
inline constexpr std::chrono::seconds kMetricsHttpsIoTimeout{5};
inline constexpr size_t kMaxMetricsRequestBytes = 8192;

class MetricsHttpsServer {
 public:
  // Binds `address` (numeric host or localhost, port 0 picks one) and serves
  // `collectables` with the PEM chain and key in the files. failed_precondition
  // "metrics_address: cannot listen on ..." or invalid_argument naming the
  // certificate file. With `credentials`, a request without a user they allow
  // is answered 401 (basic auth).
  static engine::Result<std::unique_ptr<MetricsHttpsServer>> start(
      const std::string& address, const std::string& cert_path, const std::string& key_path,
      std::vector<std::weak_ptr<prometheus::Collectable>> collectables,
      std::shared_ptr<const MetricsCredentials> credentials = nullptr);

  ~MetricsHttpsServer();
  MetricsHttpsServer(const MetricsHttpsServer&) = delete;
  MetricsHttpsServer& operator=(const MetricsHttpsServer&) = delete;

  int port() const { return port_; }
  // Reads the files again; new connections use the new pair. On an error
  // (unreadable, not a matching pair) the old pair stays.
  engine::Status reload();

 private:
  MetricsHttpsServer(std::string cert_path, std::string key_path,
                     std::vector<std::weak_ptr<prometheus::Collectable>> collectables);
  void serve();
  void answer(int fd);
  std::string scrape() const;

  const std::string cert_path_;
  const std::string key_path_;
  const std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  std::shared_ptr<const MetricsCredentials> credentials_;  // null: no auth
  int listen_fd_ = -1;
  int port_ = 0;
  std::mutex context_mutex_;
  std::shared_ptr<SSL_CTX> context_;  // guarded by context_mutex_
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace gradstream::server

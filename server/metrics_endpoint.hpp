// MetricsEndpoint: the listener of /metrics. Plain HTTP is prometheus-cpp's
// Exposer; HTTPS is MetricsHttpsServer (Debian 12's civetweb cannot do TLS
// with OpenSSL 3), whose certificate a watcher thread reloads when the files
// change. The collectables (the registry) are owned elsewhere.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/status.hpp"
#include "server/metrics_auth.hpp"
#include "server/metrics_https.hpp"

namespace gradstream::server {

struct MetricsEndpointOptions {
  // host:port (port 0 picks a free one).
  std::string address;
  // HTTPS with this PEM certificate chain and key (both or neither, checked
  // by validate_tls_config); empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  std::chrono::seconds reload_interval{10};
  // Basic auth (--metrics-auth); null: anyone who reaches the port scrapes.
  std::shared_ptr<const MetricsCredentials> credentials;
};

// The identity of a file's content as stat(2) sees it through symlinks: a
// Kubernetes Secret's rotation changes the inode, an in-place edit the size
// or mtime.
struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp& other) const;
  bool operator!=(const FileStamp& other) const { return !(*this == other); }
};
// The stamp of `path`; size -1 when it cannot be stat'ed.
FileStamp file_stamp(const std::string& path);

class MetricsEndpoint {
 public:
  // Listens on options.address serving `collectables` (weak: their owner
  // keeps them) at /metrics, in order. failed_precondition
  // "metrics_address: cannot listen on ..." when the address cannot be bound.
  static engine::Result<std::unique_ptr<MetricsEndpoint>> start(
      const MetricsEndpointOptions& options,
      std::vector<std::weak_ptr<prometheus::Collectable>> collectables);

  // Stops the watcher, then the listener.
  ~MetricsEndpoint();

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }
  // How many times the certificate was reloaded (tests, logs).
  int reloads() const { return reloads_.load(); }

 private:
  explicit MetricsEndpoint(const MetricsEndpointOptions& options);
  void watch_files();

  const MetricsEndpointOptions options_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // plain HTTP
  std::unique_ptr<MetricsHttpsServer> https_;     // HTTPS
  int port_ = 0;
  std::atomic<int> reloads_{0};
  FileStamp cert_stamp_;
  FileStamp key_stamp_;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace gradstream::server

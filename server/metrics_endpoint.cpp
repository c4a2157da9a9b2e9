// MetricsEndpoint: the plain or HTTPS listener, and the certificate watcher.
#include "server/metrics_endpoint.hpp"

#include <sys/stat.h>

#include <exception>
#include <utility>

#include "engine/base/json_text.hpp"
#include "server/log.hpp"
#include "server/tls_files.hpp"

namespace gradstream::server {
namespace {

// civetweb takes a numeric host only; "localhost" is the one name users type.
std::string civetweb_address(const std::string& address) {
  const std::string localhost = "localhost:";
  if (address.rfind(localhost, 0) == 0) return "127.0.0.1:" + address.substr(localhost.size());
  return address;
}

}  // namespace

bool FileStamp::operator==(const FileStamp& other) const {
  return device == other.device && inode == other.inode && size == other.size &&
         mtime_ns == other.mtime_ns;
}

FileStamp file_stamp(const std::string& path) {
  struct stat st {};
  FileStamp stamp;
  if (stat(path.c_str(), &st) != 0) return stamp;
  stamp.device = static_cast<uint64_t>(st.st_dev);
  stamp.inode = static_cast<uint64_t>(st.st_ino);
  stamp.size = static_cast<int64_t>(st.st_size);
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

MetricsEndpoint::MetricsEndpoint(const MetricsEndpointOptions& options) : options_(options) {}

engine::Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(
    const MetricsEndpointOptions& options,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables) {
  std::unique_ptr<MetricsEndpoint> self(new MetricsEndpoint(options));
  if (options.tls_cert.empty()) {
    try {
      self->exposer_ = std::make_unique<prometheus::Exposer>(civetweb_address(options.address));
    } catch (const std::exception& e) {
      return engine::failed_precondition("metrics_address: cannot listen on " + options.address +
                                         " (in use, or not a valid host:port): " + e.what());
    }
    for (const auto& collectable : collectables) self->exposer_->RegisterCollectable(collectable);
    if (options.credentials) {
      self->exposer_->RegisterAuth(
          [credentials = options.credentials](const std::string& user,
                                              const std::string& password) {
            return credentials->allows(user, password);
          },
          kMetricsRealm);
    }
    const std::vector<int> ports = self->exposer_->GetListeningPorts();
    self->port_ = ports.empty() ? 0 : ports.front();
    return self;
  }
  self->cert_stamp_ = file_stamp(options.tls_cert);
  self->key_stamp_ = file_stamp(options.tls_key);
  auto https = MetricsHttpsServer::start(options.address, options.tls_cert, options.tls_key,
                                         std::move(collectables), options.credentials);
  if (!https.ok()) return https.status();
  self->https_ = std::move(https).value();
  self->port_ = self->https_->port();
  self->watcher_ = std::thread([raw = self.get()] { raw->watch_files(); });
  return self;
}

MetricsEndpoint::~MetricsEndpoint() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void MetricsEndpoint::watch_files() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, options_.reload_interval, [this] { return stopping_; })) {
    const FileStamp cert = file_stamp(options_.tls_cert);
    const FileStamp key = file_stamp(options_.tls_key);
    if (cert == cert_stamp_ && key == key_stamp_) continue;
    // A rotation may be caught half done (a new certificate, the old key):
    // the old pair keeps serving until the files agree again.
    if (engine::Status s = https_->reload(); !s.ok()) {
      log_line("warn", "metrics certificate not reloaded",
               ",\"error\":" + engine::json_quoted(s.message()));
      continue;
    }
    cert_stamp_ = cert;
    key_stamp_ = key;
    reloads_.fetch_add(1);
    log_line("info", "metrics certificate reloaded",
             ",\"cert\":" + engine::json_quoted(options_.tls_cert));
  }
}

}  // namespace gradstream::server

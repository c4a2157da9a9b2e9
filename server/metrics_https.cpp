// MetricsHttpsServer: a blocking accept loop (polled, so it can stop), TLS
// 1.2+ via OpenSSL, HTTP/1.0-style answers with Connection: close.
#include "server/metrics_https.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <prometheus/text_serializer.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>
#include <utility>

namespace gradstream::server {
namespace {

// How often the accept loop looks at the stop flag.
constexpr int kAcceptPollMs = 200;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

engine::Result<std::shared_ptr<SSL_CTX>> make_context(const std::string& cert_path,
                                                      const std::string& key_path) {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) return engine::failed_precondition("metrics_tls_cert: " + openssl_error());
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert_path.c_str()) != 1) {
    return engine::invalid_argument("metrics_tls_cert: " + cert_path + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(context.get(), key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return engine::invalid_argument("metrics_tls_key: " + key_path + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(context.get()) != 1) {
    return engine::invalid_argument("metrics_tls_key: the key in " + key_path +
                                    " is not the key of the certificate in " + cert_path);
  }
  return context;
}

void set_timeouts(int fd) {
  timeval timeout{};
  timeout.tv_sec = kMetricsHttpsIoTimeout.count();
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

std::string response(const char* status, const char* content_type, const std::string& body) {
  return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

// The value of the request header `name` (lower case), or "" without one.
std::string_view header_value(std::string_view request, std::string_view name) {
  size_t line = request.find("\r\n");
  while (line != std::string_view::npos && line + 2 < request.size()) {
    const size_t start = line + 2;
    const size_t end = request.find("\r\n", start);
    const std::string_view header = request.substr(start, end - start);
    const size_t colon = header.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), header.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    line = end;
  }
  return {};
}

}  // namespace

MetricsHttpsServer::MetricsHttpsServer(
    std::string cert_path, std::string key_path,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables)
    : cert_path_(std::move(cert_path)),
      key_path_(std::move(key_path)),
      collectables_(std::move(collectables)) {}

engine::Result<std::unique_ptr<MetricsHttpsServer>> MetricsHttpsServer::start(
    const std::string& address, const std::string& cert_path, const std::string& key_path,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables,
    std::shared_ptr<const MetricsCredentials> credentials) {
  std::unique_ptr<MetricsHttpsServer> self(
      new MetricsHttpsServer(cert_path, key_path, std::move(collectables)));
  self->credentials_ = std::move(credentials);
  auto context = make_context(cert_path, key_path);
  if (!context.ok()) return context.status();
  self->context_ = std::move(context).value();

  const auto cannot_listen = [&address](const std::string& why) {
    return engine::failed_precondition("metrics_address: cannot listen on " + address +
                                       " (in use, or not a valid host:port): " + why);
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return cannot_listen("no port");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int resolved = getaddrinfo(host.empty() ? nullptr : host.c_str(),
                                   address.substr(colon + 1).c_str(), &hints, &found);
  if (resolved != 0) return cannot_listen(gai_strerror(resolved));
  const int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound =
      fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
  const int bind_errno = errno;
  freeaddrinfo(found);
  if (!bound) {
    if (fd >= 0) close(fd);
    return cannot_listen(std::strerror(bind_errno));
  }
  sockaddr_storage bound_address{};
  socklen_t length = sizeof(bound_address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound_address), &length);
  self->port_ = ntohs(bound_address.ss_family == AF_INET6
                          ? reinterpret_cast<sockaddr_in6*>(&bound_address)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&bound_address)->sin_port);
  self->listen_fd_ = fd;
  self->thread_ = std::thread([raw = self.get()] { raw->serve(); });
  return self;
}

MetricsHttpsServer::~MetricsHttpsServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

engine::Status MetricsHttpsServer::reload() {
  auto context = make_context(cert_path_, key_path_);
  if (!context.ok()) return context.status();
  std::lock_guard<std::mutex> lock(context_mutex_);
  context_ = std::move(context).value();
  return engine::ok_status();
}

void MetricsHttpsServer::serve() {
  // A scraper that hangs up mid-answer makes the write fail with EPIPE
  // instead of killing the process with SIGPIPE (blocked, it stays pending
  // on this thread alone).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  while (!stopping_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, kAcceptPollMs) != 1) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_timeouts(fd);
    answer(fd);
    close(fd);
  }
}

void MetricsHttpsServer::answer(int fd) {
  std::shared_ptr<SSL_CTX> context;
  {
    std::lock_guard<std::mutex> lock(context_mutex_);
    context = context_;
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) {
    ERR_clear_error();
    return;
  }
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (request.size() >= kMaxMetricsRequestBytes) break;
    const int n = SSL_read(ssl.get(), buffer, sizeof(buffer));
    if (n <= 0) {
      ERR_clear_error();
      return;
    }
    request.append(buffer, static_cast<size_t>(n));
  }
  std::string reply;
  if (request.find("\r\n\r\n") == std::string::npos) {
    reply = response("431 Request Header Fields Too Large", "text/plain", "request too large\n");
  } else if (credentials_ && !credentials_->allows_header(header_value(request, "authorization"))) {
    reply = std::string("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"") +
            kMetricsRealm +
            "\"\r\nContent-Type: text/plain\r\nContent-Length: 23\r\nConnection: "
            "close\r\n\r\nauthentication needed.\n";
  } else if (request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0) {
    reply = response("200 OK", "text/plain; version=0.0.4; charset=utf-8", scrape());
  } else {
    reply = response("404 Not Found", "text/plain", "only GET /metrics is served\n");
  }
  size_t sent = 0;
  while (sent < reply.size()) {
    const int n = SSL_write(ssl.get(), reply.data() + sent, static_cast<int>(reply.size() - sent));
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  SSL_shutdown(ssl.get());
  ERR_clear_error();
}

std::string MetricsHttpsServer::scrape() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : collectables_) {
    if (auto collectable = weak.lock()) {
      auto collected = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(collected.begin()),
                      std::make_move_iterator(collected.end()));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace gradstream::server

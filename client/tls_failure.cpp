// explain_tls_failure: a TCP probe of the server's port tells "nobody
// listens" from "the TLS handshake failed".
#include "client/tls_failure.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace gradstream::client {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Words of gRPC's own connection errors (chttp2 and its TLS handshaker).
constexpr std::array<std::string_view, 7> kConnectionErrorWords = {
    "failed to connect", "socket closed", "connection reset", "handshake", "ssl",
    "end of tcp",        "broken pipe"};

bool connect_within(const addrinfo& address, std::chrono::milliseconds timeout) {
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        address.ai_protocol);
  if (fd < 0) return false;
  bool connected = connect(fd, address.ai_addr, address.ai_addrlen) == 0;
  if (!connected && errno == EINPROGRESS) {
    pollfd waiting{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof(error);
    connected = poll(&waiting, 1, static_cast<int>(timeout.count())) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  close(fd);
  return connected;
}

}  // namespace

bool accepts_tcp(const std::string& server, std::chrono::milliseconds timeout) {
  const size_t colon = server.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = server.substr(0, colon);
  const std::string port = server.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return false;
  bool connected = false;
  for (addrinfo* a = found; a != nullptr && !connected; a = a->ai_next) {
    connected = connect_within(*a, timeout);
  }
  freeaddrinfo(found);
  return connected;
}

bool is_connection_failure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string message = lower(status.error_message());
  return std::any_of(
      kConnectionErrorWords.begin(), kConnectionErrorWords.end(),
      [&](std::string_view word) { return message.find(word) != std::string::npos; });
}

grpc::Status explain_tls_failure(const grpc::Status& status, const std::string& server,
                                 const TlsOptions& tls) {
  if (!is_connection_failure(status) || !accepts_tcp(server, kReachableTimeout)) return status;
  if (!tls.enabled()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        server +
                            " accepts TCP but closed this plaintext connection: if it serves "
                            "TLS, give --tls-ca with the CA that signed its certificate (or "
                            "--tls for the system roots) (" +
                            status.error_message() + ")");
  }
  std::string hint;
  if (tls.cert_path.empty()) {
    hint = std::string("is ") +
           (tls.ca_path.empty() ? "a system root" : "--tls-ca " + tls.ca_path) +
           " the CA that signed the server's certificate, and does it name the host dialed? "
           "Does the server require a client certificate (--tls-cert, --tls-key)? Does it serve "
           "TLS at all?";
  } else {
    hint = std::string("is ") +
           (tls.ca_path.empty() ? "a system root" : "--tls-ca " + tls.ca_path) +
           " the CA that signed the server's certificate, and does the server's client CA sign "
           "--tls-cert " +
           tls.cert_path + "?";
  }
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      "TLS handshake with " + server + " failed: " + hint + " (" + status.error_message() + ")");
}

}  // namespace gradstream::client

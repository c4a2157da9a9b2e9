// explain_tls_failure: gRPC's connection errors to a port that accepts TCP
// name TLS and the flag at fault; other statuses, and a port nobody listens
// on, pass unchanged.
#include "client/tls_failure.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace gradstream::client {
namespace {

// A socket listening on 127.0.0.1 (never accepting: the kernel completes the
// handshake from its backlog), closed at the end of the test.
class ListeningPort {
 public:
  ListeningPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~ListeningPort() { close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

const grpc::Status kHandshakeFailed(grpc::StatusCode::UNAVAILABLE,
                                    "failed to connect to all addresses; last error: UNKNOWN: "
                                    "ipv4:127.0.0.1:1: Ssl handshake failed: SSL_ERROR_SSL");

TEST(TlsFailureTest, ConnectionFailuresAreRecognized) {
  EXPECT_TRUE(is_connection_failure(kHandshakeFailed));
  EXPECT_TRUE(is_connection_failure(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed")));
  EXPECT_FALSE(is_connection_failure(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down; reconnect")));
  EXPECT_FALSE(is_connection_failure(grpc::Status(grpc::StatusCode::NOT_FOUND, "socket closed")));
}

TEST(TlsFailureTest, TlsClientGetsTheCaHint) {
  ListeningPort port;
  TlsOptions tls;
  tls.ca_path = "/etc/ca.crt";
  const grpc::Status explained = explain_tls_failure(kHandshakeFailed, port.address(), tls);
  EXPECT_EQ(explained.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(explained.error_message().rfind("TLS handshake with " + port.address() +
                                                " failed: is --tls-ca /etc/ca.crt the CA that "
                                                "signed the server's certificate",
                                            0),
            0u)
      << explained.error_message();
  EXPECT_NE(explained.error_message().find("(" + kHandshakeFailed.error_message() + ")"),
            std::string::npos);
}

TEST(TlsFailureTest, PlaintextClientIsToldToGiveTheCa) {
  ListeningPort port;
  const grpc::Status explained = explain_tls_failure(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed"), port.address(), TlsOptions{});
  EXPECT_EQ(explained.error_message(),
            port.address() +
                " accepts TCP but closed this plaintext connection: if it serves TLS, give "
                "--tls-ca with the CA that signed its certificate (or --tls for the system roots) "
                "(Socket closed)");
}

TEST(TlsFailureTest, NothingListeningIsLeftAlone) {
  std::string address;
  {
    ListeningPort closed;
    address = closed.address();
  }
  TlsOptions tls;
  tls.ca_path = "/etc/ca.crt";
  EXPECT_EQ(explain_tls_failure(kHandshakeFailed, address, tls).error_message(),
            kHandshakeFailed.error_message());
  EXPECT_FALSE(accepts_tcp(address, kReachableTimeout));
}

TEST(TlsFailureTest, OtherCodesAreLeftAlone) {
  ListeningPort port;
  const grpc::Status not_found(grpc::StatusCode::NOT_FOUND, "job job-1 not found");
  EXPECT_EQ(explain_tls_failure(not_found, port.address(), TlsOptions{}).error_message(),
            not_found.error_message());
}

}  // namespace
}  // namespace gradstream::client

// MetricsEndpoint: plain HTTP and HTTPS on a free port; a rotated certificate
// pair is reloaded on the same port; a half-rotated pair (a new certificate
// with the old key) is not loaded.
#include "server/metrics_endpoint.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/server/test_certificates.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

using test_support::self_signed_pair;
using test_support::TempDir;

constexpr std::chrono::seconds kReload{1};
// A reload is seen within a few intervals on a loaded machine.
constexpr std::chrono::seconds kReloadPatience{10};

// Waits until endpoint.reloads() reaches `want` or the patience runs out.
int wait_for_reloads(const MetricsEndpoint& endpoint, int want) {
  const auto deadline = std::chrono::steady_clock::now() + kReloadPatience;
  while (endpoint.reloads() < want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return endpoint.reloads();
}

TEST(MetricsEndpointTest, PlainHttpOnAFreePort) {
  auto registry = std::make_shared<prometheus::Registry>();
  MetricsEndpointOptions options;
  options.address = "127.0.0.1:0";
  auto endpoint = MetricsEndpoint::start(options, {registry});
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().message();
  EXPECT_GT(endpoint.value()->port(), 0);
  EXPECT_EQ(endpoint.value()->reloads(), 0);
}

TEST(MetricsEndpointTest, RotatedPairIsReloadedOnTheSamePort) {
  TempDir dir("metrics_tls");
  const auto first = self_signed_pair("first");
  MetricsEndpointOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert = dir.write("tls.crt", first.cert);
  options.tls_key = dir.write("tls.key", first.key);
  options.reload_interval = kReload;
  auto registry = std::make_shared<prometheus::Registry>();
  auto started = MetricsEndpoint::start(options, {registry});
  ASSERT_TRUE(started.ok()) << started.status().message();
  MetricsEndpoint& endpoint = *started.value();
  const int port = endpoint.port();
  ASSERT_GT(port, 0);

  // Half a rotation: a new certificate, the old key. Not loaded.
  const auto second = self_signed_pair("second");
  dir.write("tls.crt", second.cert);
  std::this_thread::sleep_for(3 * kReload);
  EXPECT_EQ(endpoint.reloads(), 0);

  dir.write("tls.key", second.key);
  EXPECT_EQ(wait_for_reloads(endpoint, 1), 1);
  EXPECT_EQ(endpoint.port(), port);
}

TEST(MetricsEndpointTest, UnreadableCertificateFailsToStart) {
  TempDir dir("metrics_tls");
  MetricsEndpointOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert = dir.file("absent.crt");
  options.tls_key = dir.file("absent.key");
  auto endpoint = MetricsEndpoint::start(options, {});
  ASSERT_FALSE(endpoint.ok());
  const std::string message = endpoint.status().message();
  EXPECT_EQ(message.rfind("metrics_tls_cert: " + dir.file("absent.crt") + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
}

TEST(FileStampTest, ChangesWithContentAndIsEmptyForAMissingFile) {
  TempDir dir("stamp");
  const std::string path = dir.write("a", "one");
  const FileStamp before = file_stamp(path);
  EXPECT_EQ(before.size, 3);
  dir.write("a", "three");
  EXPECT_NE(file_stamp(path), before);
  EXPECT_EQ(file_stamp(dir.file("missing")).size, -1);
}

}  // namespace
}  // namespace gradstream::server

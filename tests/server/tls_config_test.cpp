// validate_tls_config: pairs given whole, a client CA only with TLS, and each
// file read and parsed, every error naming the field and the file.
#include "server/tls_config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "server/server_config.hpp"
#include "tests/server/test_certificates.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

using test_support::self_signed_pair;
using test_support::TempDir;

class TlsConfigTest : public ::testing::Test {
 protected:
  TlsConfigTest() {
    const auto server = self_signed_pair("localhost");
    const auto other = self_signed_pair("other");
    cert_ = dir_.write("server.crt", server.cert);
    key_ = dir_.write("server.key", server.key);
    other_key_ = dir_.write("other.key", other.key);
    ca_ = dir_.write("ca.crt", other.cert + server.cert);
    not_pem_ = dir_.write("notes.txt", "not a certificate\n");
  }

  // The message of validate_tls_config, "" when it passes.
  static std::string problem(const TlsConfig& tls, bool metrics_on = true) {
    const engine::Status s = validate_tls_config(tls, metrics_on);
    if (s.ok()) return "";
    EXPECT_EQ(s.code(), engine::StatusCode::kInvalidArgument) << s.message();
    return s.message();
  }

  TempDir dir_{"tls_config"};
  std::string cert_, key_, other_key_, ca_, not_pem_;
};

TEST_F(TlsConfigTest, NoTlsPasses) {
  EXPECT_EQ(problem(TlsConfig{}), "");
  EXPECT_EQ(TlsConfig{}.tls_reload_seconds, 10);  // README: --tls-reload-seconds, default 10
}

TEST_F(TlsConfigTest, ServerPairAndClientCaPass) {
  TlsConfig tls;
  tls.tls_cert = cert_;
  tls.tls_key = key_;
  tls.tls_client_ca = ca_;
  EXPECT_EQ(problem(tls), "");
}

TEST_F(TlsConfigTest, CertWithoutKeyNamesTheMissingFlag) {
  TlsConfig tls;
  tls.tls_cert = cert_;
  EXPECT_EQ(problem(tls), "tls_key: empty while tls_cert is " + cert_ + "; give both or neither");
  TlsConfig key_only;
  key_only.tls_key = key_;
  EXPECT_EQ(problem(key_only),
            "tls_cert: empty while tls_key is " + key_ + "; give both or neither");
}

TEST_F(TlsConfigTest, MetricsPairMustBeWhole) {
  TlsConfig tls;
  tls.metrics_tls_key = key_;
  EXPECT_EQ(problem(tls),
            "metrics_tls_cert: empty while metrics_tls_key is " + key_ + "; give both or neither");
}

TEST_F(TlsConfigTest, ClientCaNeedsServerCertificate) {
  TlsConfig tls;
  tls.tls_client_ca = ca_;
  EXPECT_EQ(problem(tls), "tls_client_ca: " + ca_ +
                              " needs tls_cert and tls_key (client certificates are checked only "
                              "over TLS)");
}

TEST_F(TlsConfigTest, MetricsCertificateWithMetricsOff) {
  TlsConfig tls;
  tls.metrics_tls_cert = cert_;
  tls.metrics_tls_key = key_;
  EXPECT_EQ(problem(tls, /*metrics_on=*/true), "");
  EXPECT_EQ(
      problem(tls, /*metrics_on=*/false),
      "metrics_tls_cert: " + cert_ + " given while metrics_address is empty (metrics are off)");
}

TEST_F(TlsConfigTest, MissingFileIsNamedWithItsFlag) {
  TlsConfig tls;
  tls.tls_cert = dir_.file("absent.crt");
  tls.tls_key = key_;
  EXPECT_EQ(problem(tls),
            "tls_cert: cannot read " + dir_.file("absent.crt") + ": No such file or directory");
}

TEST_F(TlsConfigTest, FileWithoutCertificate) {
  TlsConfig tls;
  tls.tls_cert = not_pem_;
  tls.tls_key = key_;
  EXPECT_EQ(problem(tls), "tls_cert: " + not_pem_ + " holds no PEM certificate");
  TlsConfig ca;
  ca.tls_cert = cert_;
  ca.tls_key = key_;
  ca.tls_client_ca = not_pem_;
  EXPECT_EQ(problem(ca), "tls_client_ca: " + not_pem_ + " holds no PEM certificate");
}

TEST_F(TlsConfigTest, KeyOfAnotherCertificate) {
  TlsConfig tls;
  tls.tls_cert = cert_;
  tls.tls_key = other_key_;
  EXPECT_EQ(problem(tls),
            "tls_key: the key in " + other_key_ + " is not the key of the certificate in " + cert_);
  TlsConfig metrics;
  metrics.metrics_tls_cert = cert_;
  metrics.metrics_tls_key = cert_;  // a certificate where the key should be
  EXPECT_EQ(problem(metrics),
            "metrics_tls_key: " + cert_ + " holds no PEM private key (or one with a passphrase)");
}

TEST_F(TlsConfigTest, ReloadIntervalRange) {
  TlsConfig tls;
  tls.tls_reload_seconds = 0;
  EXPECT_EQ(problem(tls), "tls_reload_seconds: 0 is out of range [1, 86400]");
}

TEST_F(TlsConfigTest, MetricsFallBackToTheGrpcPair) {
  TlsConfig tls;
  tls.tls_cert = cert_;
  tls.tls_key = key_;
  EXPECT_EQ(tls.metrics_cert(), cert_);
  EXPECT_EQ(tls.metrics_key(), key_);
  tls.metrics_tls_cert = "m.crt";
  tls.metrics_tls_key = "m.key";
  EXPECT_EQ(tls.metrics_cert(), "m.crt");
  EXPECT_EQ(tls.metrics_key(), "m.key");
}

// validate_config runs the TLS checks too, so the server refuses to start.
TEST_F(TlsConfigTest, ServerConfigValidationIncludesTls) {
  ServerConfig config;
  config.tls.tls_cert = cert_;
  EXPECT_EQ(validate_config(config, 4).message(),
            "tls_key: empty while tls_cert is " + cert_ + "; give both or neither");
  config.tls.tls_key = key_;
  EXPECT_TRUE(validate_config(config, 4).ok());
  EXPECT_EQ(server_metrics_options(config).tls_cert, cert_);
  config.metrics_address = "";
  EXPECT_EQ(server_metrics_options(config).address, "");
}

}  // namespace
}  // namespace gradstream::server

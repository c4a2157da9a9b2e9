// TLS options: the environment as defaults, credentials from PEM files, and
// errors naming the flag and the file.
#include "client/tls_options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "tests/support/temp_dir.hpp"

namespace gradstream::client {
namespace {

using test_support::TempDir;

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

TEST(TlsOptionsTest, EnvironmentGivesTheFiles) {
  setenv(kTlsCaEnvVar, "/etc/ca.crt", 1);
  setenv(kTlsCertEnvVar, "", 1);  // empty is unset
  unsetenv(kTlsKeyEnvVar);
  const TlsOptions tls = tls_options_from_environment();
  EXPECT_EQ(tls.ca_path, "/etc/ca.crt");
  EXPECT_EQ(tls.cert_path, "");
  EXPECT_EQ(tls.key_path, "");
  EXPECT_TRUE(tls.enabled());
  unsetenv(kTlsCaEnvVar);
  unsetenv(kTlsCertEnvVar);
  EXPECT_FALSE(tls_options_from_environment().enabled());
}

TEST(TlsOptionsTest, AnyTlsSettingTurnsTlsOn) {
  EXPECT_FALSE(TlsOptions{}.enabled());
  TlsOptions system;
  system.system_roots = true;
  EXPECT_TRUE(system.enabled());
  TlsOptions key_only;
  key_only.key_path = "k";
  EXPECT_TRUE(key_only.enabled());
}

TEST(TlsOptionsTest, PlaintextNeedsNoFiles) {
  std::string error;
  EXPECT_NE(channel_credentials(TlsOptions{}, &error), nullptr);
  EXPECT_EQ(error, "");
}

TEST(TlsOptionsTest, ReadableCaGivesCredentials) {
  TempDir dir("tls_options");
  TlsOptions tls;
  tls.ca_path = dir.write("ca.crt", kPem);
  std::string error;
  EXPECT_NE(channel_credentials(tls, &error), nullptr);
  EXPECT_EQ(error, "");
}

TEST(TlsOptionsTest, MissingCaIsNamed) {
  TempDir dir("tls_options");
  TlsOptions tls;
  tls.ca_path = dir.file("absent.crt");
  std::string error;
  EXPECT_EQ(channel_credentials(tls, &error), nullptr);
  EXPECT_EQ(error,
            "--tls-ca: cannot read " + dir.file("absent.crt") + ": No such file or directory");
}

TEST(TlsOptionsTest, NonPemKeyIsNamed) {
  TempDir dir("tls_options");
  TlsOptions tls;
  tls.cert_path = dir.write("client.crt", kPem);
  tls.key_path = dir.write("client.key", "garbage");
  std::string error;
  EXPECT_EQ(channel_credentials(tls, &error), nullptr);
  EXPECT_EQ(error, "--tls-key: " + dir.file("client.key") + " is not a PEM file");
}

TEST(TlsOptionsTest, HalfAClientPairIsAnError) {
  TlsOptions tls;
  tls.cert_path = "client.crt";
  std::string error;
  EXPECT_EQ(channel_credentials(tls, &error), nullptr);
  EXPECT_EQ(error, "--tls-key: missing; --tls-cert needs it (both or neither)");
  tls.cert_path.clear();
  tls.key_path = "client.key";
  EXPECT_EQ(channel_credentials(tls, &error), nullptr);
  EXPECT_EQ(error, "--tls-cert: missing; --tls-key needs it (both or neither)");
}

}  // namespace
}  // namespace gradstream::client

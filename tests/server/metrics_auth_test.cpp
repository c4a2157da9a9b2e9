// The /metrics users' file and basic-auth checks, against header values made
// with coreutils' base64 (`printf %s prom:s3cret | base64`).
#include "server/metrics_auth.hpp"

#include <gtest/gtest.h>

#include <string>

#include "server/auth_tokens.hpp"

namespace gradstream::server {
namespace {

// `printf %s s3cret | sha256sum`.
constexpr char kS3cretDigest[] = "1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0";

std::shared_ptr<const MetricsCredentials> prom() {
  auto parsed = MetricsCredentials::parse(
      std::string("# scrapers\nprom sha256:") + kS3cretDigest + "  # Prometheus\n", "users");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? *parsed : nullptr;
}

TEST(MetricsCredentials, AllowsTheUserWithItsPasswordOnly) {
  EXPECT_EQ(token_digest("s3cret"), kS3cretDigest);
  auto credentials = prom();
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->allows("prom", "s3cret"));
  EXPECT_FALSE(credentials->allows("prom", "s3cret "));
  EXPECT_FALSE(credentials->allows("prom", kS3cretDigest));
  EXPECT_FALSE(credentials->allows("other", "s3cret"));
}

TEST(MetricsCredentials, ReadsBasicAuthorizationHeaders) {
  auto credentials = prom();
  ASSERT_TRUE(credentials);
  EXPECT_TRUE(credentials->allows_header("Basic cHJvbTpzM2NyZXQ="));   // prom:s3cret
  EXPECT_FALSE(credentials->allows_header("Basic cHJvbTpzM2NyZXQx"));  // prom:s3cret1
  EXPECT_FALSE(credentials->allows_header("basic cHJvbTpzM2NyZXQ="));
  EXPECT_FALSE(credentials->allows_header("Bearer s3cret"));
  EXPECT_FALSE(credentials->allows_header("Basic cHJvbVMzY3JldA=="));  // promS3cret: no colon
  EXPECT_FALSE(credentials->allows_header("Basic not*base64"));
  EXPECT_FALSE(credentials->allows_header("Basic "));
  EXPECT_FALSE(credentials->allows_header(""));
  EXPECT_FALSE(credentials->allows_header("Basic " + std::string(8192, 'A')));
}

TEST(MetricsCredentials, NamesTheBadLine) {
  const std::string digest = kS3cretDigest;
  const std::pair<std::string, std::string> cases[] = {
      {"prom\n", "line 1: expected \"USER sha256:<64 hex digits>\""},
      {"prom s3cret\n", "line 1: the password is not sha256:"},
      {"# x\npr/om sha256:" + digest + "\n", "line 2: user: character 2 ('/')"},
      {"prom sha256:" + digest + " extra\n", "line 1: expected"},
      {"prom sha256:" + digest + "\nprom sha256:" + digest + "\n",
       "line 2: user \"prom\" is on an earlier line"},
      {"# nobody\n", "users names no user"},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = MetricsCredentials::parse(text, "users");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find("metrics_auth: users"), std::string::npos);
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find(digest.substr(0, 16)), std::string::npos);
  }
  EXPECT_EQ(MetricsCredentials::load("/nonexistent/users").status().message(),
            "metrics_auth: cannot read /nonexistent/users");
}

}  // namespace
}  // namespace gradstream::server

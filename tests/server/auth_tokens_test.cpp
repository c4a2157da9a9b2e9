// The token file: its lines, the digests, who a Bearer value is, and reloads.
#include "server/auth_tokens.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gradstream::server {
namespace {

// `printf %s alpha-token | sha256sum`, the command the README gives operators.
constexpr char kAlphaDigest[] = "a336d9b1d8b8647875238537ca5087b0ea335afd2032936aecdffc3e4b13f720";

std::string line(const std::string& token, const std::string& tenant, const std::string& role) {
  return "sha256:" + token_digest(token) + " " + tenant + " " + role + "\n";
}

TEST(TokenDigest, IsSha256InLowerCaseHex) {
  // Known answers (FIPS 180-2 examples and the empty string).
  EXPECT_EQ(token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(token_digest("alpha-token"), kAlphaDigest);
}

TEST(ParseTokenFile, ReadsTenantsRolesCommentsAndBlankLines) {
  const std::string text = "# team tokens\n\n" + line("a1", "alpha", "user") + "  " +
                           line("a2", "alpha", "user") + line("b1", "beta", "admin");
  auto table = parse_token_file(text, "tokens.txt");
  ASSERT_TRUE(table.ok()) << table.status().message();
  ASSERT_EQ(table->size(), 3U);
  EXPECT_EQ(table->at(token_digest("a2")).tenant, "alpha");
  EXPECT_FALSE(table->at(token_digest("a1")).admin());
  EXPECT_TRUE(table->at(token_digest("b1")).admin());
  EXPECT_EQ(table->at(token_digest("b1")).tenant, "beta");
}

TEST(ParseTokenFile, ATrailingCommentIsNotAWord) {
  auto table = parse_token_file("sha256:" + token_digest("x") + " t user  # Ada's laptop\n", "f");
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->size(), 1U);
}

struct BadLine {
  std::string text;
  std::string expected;  // a piece of the message
};

TEST(ParseTokenFile, NamesTheFileLineAndWhatIsWrongWithoutQuotingTheDigest) {
  const std::string digest = token_digest("x");
  const BadLine cases[] = {
      {"sha256:" + digest + " alpha\n", "line 1: 2 words"},
      {"# ok\nx" + digest + " alpha user\n", "line 2: the first word is not sha256:"},
      {"sha256:" + digest.substr(1) + " alpha user\n", "not sha256: and 64"},
      {"sha256:" + std::string(64, 'G') + " alpha user\n", "lower-case hex"},
      {"plaintext-token alpha user\n", "never the token itself"},
      {"sha256:" + digest + " al/pha user\n", "line 1: tenant: character 2 ('/')"},
      {"sha256:" + digest + " " + std::string(65, 'a') + " user\n", "tenant: 65 characters"},
      {"sha256:" + digest + " alpha root\n", "role \"root\" is not user, worker or admin"},
      {line("x", "alpha", "user") + line("x", "beta", "user"), "line 2: the same token digest"},
  };
  for (const BadLine& bad : cases) {
    auto table = parse_token_file(bad.text, "/etc/gs/tokens");
    ASSERT_FALSE(table.ok()) << bad.text;
    EXPECT_EQ(table.status().code(), engine::StatusCode::kInvalidArgument);
    const std::string& message = table.status().message();
    EXPECT_NE(message.find("auth_tokens: /etc/gs/tokens: "), std::string::npos) << message;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << message;
    EXPECT_EQ(message.find(digest.substr(0, 16)), std::string::npos) << message;
  }
}

class TokenAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("gs-tokens-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void write(const std::string& text) {
    // A new file renamed over the old one, as a Kubernetes Secret update does.
    const std::filesystem::path next = path_.string() + ".next";
    std::ofstream(next) << text;
    std::filesystem::rename(next, path_);
  }

  static engine::Result<Caller> call(TokenAuthenticator& auth, std::string_view value) {
    return auth.authenticate(&value);
  }

  std::filesystem::path path_;
};

TEST_F(TokenAuthenticatorTest, KnowsItsTokensAndRefusesEverythingElse) {
  write(line("alpha-token", "alpha", "user") + line("admin-token", "ops", "admin"));
  auto opened = TokenAuthenticator::open(path_.string(), std::chrono::seconds(3600));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  TokenAuthenticator& auth = **opened;

  auto alpha = call(auth, "Bearer alpha-token");
  ASSERT_TRUE(alpha.ok()) << alpha.status().message();
  EXPECT_EQ(alpha->tenant, "alpha");
  EXPECT_FALSE(alpha->admin());
  auto ops = call(auth, "Bearer admin-token");
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->admin());

  auto missing = auth.authenticate(nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), engine::StatusCode::kUnauthenticated);
  EXPECT_NE(missing.status().message().find("authorization: missing"), std::string::npos);

  for (std::string_view value : {"alpha-token", "Basic YWxwaGE6eA==", "bearer alpha-token"}) {
    auto refused = call(auth, value);
    ASSERT_FALSE(refused.ok()) << value;
    EXPECT_EQ(refused.status().code(), engine::StatusCode::kUnauthenticated);
    EXPECT_NE(refused.status().message().find("not \"Bearer <token>\""), std::string::npos);
  }
  for (std::string_view value :
       {"Bearer alpha-token ", "Bearer ", "Bearer ALPHA-TOKEN", "Bearer a336d9b1d8b86478"}) {
    auto refused = call(auth, value);
    ASSERT_FALSE(refused.ok()) << value;
    EXPECT_EQ(refused.status().code(), engine::StatusCode::kUnauthenticated);
    EXPECT_NE(refused.status().message().find("not valid (unknown or revoked)"), std::string::npos);
  }
  // The digest itself is not a token: the file holds nothing that logs in.
  EXPECT_FALSE(call(auth, std::string("Bearer ") + kAlphaDigest).ok());
  const std::string huge = "Bearer " + std::string(kMaxTokenLength + 1, 'a');
  EXPECT_FALSE(call(auth, huge).ok());
}

TEST_F(TokenAuthenticatorTest, ARevokedTokenIsRefusedAfterTheNextLookAndABadEditKeepsTheOld) {
  write(line("alpha-token", "alpha", "user") + line("beta-token", "beta", "user"));
  auto opened = TokenAuthenticator::open(path_.string(), std::chrono::seconds(0));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  TokenAuthenticator& auth = **opened;
  ASSERT_TRUE(call(auth, "Bearer beta-token").ok());

  write(line("alpha-token", "alpha", "user") + line("gamma-token", "gamma", "user"));
  EXPECT_EQ(call(auth, "Bearer beta-token").status().code(), engine::StatusCode::kUnauthenticated);
  EXPECT_EQ(call(auth, "Bearer gamma-token")->tenant, "gamma");
  EXPECT_EQ(auth.reloads(), 1);

  // Half an edit: the file does not parse; the tokens it replaced stay.
  write("sha256:abc gamma\n");
  EXPECT_TRUE(call(auth, "Bearer gamma-token").ok());
  EXPECT_TRUE(call(auth, "Bearer alpha-token").ok());
  EXPECT_EQ(auth.reloads(), 1);
}

TEST_F(TokenAuthenticatorTest, OpenNamesAMissingOrBadFile) {
  auto missing = TokenAuthenticator::open(path_.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "auth_tokens: cannot read " + path_.string());
  write("token alpha user\n");
  auto bad = TokenAuthenticator::open(path_.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path_.string() + ": line 1:"), std::string::npos);
}

}  // namespace
}  // namespace gradstream::server

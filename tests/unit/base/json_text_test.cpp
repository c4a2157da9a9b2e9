// json_quoted: exact JSON string literals for plain text, the escaped
// characters, control characters and UTF-8.
#include "engine/base/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::engine {
namespace {

TEST(JsonTextTest, PlainTextIsOnlyQuoted) {
  EXPECT_EQ(json_quoted("relu"), "\"relu\"");
  EXPECT_EQ(json_quoted(""), "\"\"");
}

TEST(JsonTextTest, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(json_quoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quoted("C:\\data"), R"("C:\\data")");
}

TEST(JsonTextTest, NewlineTabAndReturnUseShortEscapes) {
  EXPECT_EQ(json_quoted("a\nb"), R"("a\nb")");
  EXPECT_EQ(json_quoted("a\tb\r"), R"("a\tb\r")");
}

TEST(JsonTextTest, OtherControlCharactersAreUnicodeEscapes) {
  EXPECT_EQ(json_quoted("\x01"), R"("\u0001")");
  EXPECT_EQ(json_quoted("x\x1fy"), R"("x\u001fy")");
  EXPECT_EQ(json_quoted(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonTextTest, Utf8BytesPassThroughUnchanged) {
  EXPECT_EQ(json_quoted("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\"");
}

}  // namespace
}  // namespace gradstream::engine

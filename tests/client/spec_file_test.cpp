// Spec files: parsed by protobuf's JSON and text parsers, errors naming the file.
#include "client/spec_file.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace gradstream::client {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(SpecFileTest, ReadsJsonByExtension) {
  const auto path = write_temp("gradstream_spec_file_test.json", R"({"name":"a","epochs":3})");
  const SpecFileResult result = read_spec_file(path);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.spec.name(), "a");
  EXPECT_EQ(result.spec.epochs(), 3u);
  std::filesystem::remove(path);
}

TEST(SpecFileTest, ReadsTextProtoByExtension) {
  const auto path = write_temp("gradstream_spec_file_test.txtpb", "name: \"b\"\nbatch_size: 64\n");
  const SpecFileResult result = read_spec_file(path);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.spec.batch_size(), 64u);
  std::filesystem::remove(path);
}

TEST(SpecFileTest, UnknownJsonFieldIsAnErrorNamingTheOrigin) {
  const SpecFileResult result = parse_spec_json(R"({"epochz":1})", "my.json");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.rfind("my.json: invalid JSON spec: ", 0), 0u) << result.error;
}

TEST(SpecFileTest, TextErrorsGiveLineAndColumn) {
  const SpecFileResult result = parse_spec_text("epochs: 1\nbogus: 2\n", "my.txtpb");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.rfind("my.txtpb:2:", 0), 0u) << result.error;
}

TEST(SpecFileTest, MissingFileIsNamed) {
  const SpecFileResult result = read_spec_file("/nonexistent/spec.json");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "/nonexistent/spec.json: spec file not found");
}

}  // namespace
}  // namespace gradstream::client

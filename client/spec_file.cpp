// Spec files parsed by protobuf's JSON and text-format parsers.
#include "client/spec_file.hpp"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace gradstream::client {

namespace {

constexpr std::string_view kJsonExtension = ".json";
constexpr std::array<std::string_view, 3> kTextExtensions = {".txtpb", ".textproto", ".pbtxt"};

SpecFileResult failure(std::string error) {
  SpecFileResult result;
  result.error = std::move(error);
  return result;
}

// Keeps the first error: later ones are usually consequences of it.
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error_.empty()) return;
    // The parser counts from zero; editors count from one.
    error_ = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// protobuf's JSON errors may span lines (excerpt and caret); one line is kept.
std::string one_line(std::string_view message) {
  std::string out(message.substr(0, message.find('\n')));
  return out;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool looks_like_json(std::string_view text) {
  const auto first = std::find_if_not(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isspace(c) != 0; });
  return first != text.end() && *first == '{';
}

}  // namespace

SpecFileResult parse_spec_json(std::string_view text, const std::string& origin) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not silently vanish
  SpecFileResult result;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &result.spec, options);
  if (!status.ok()) {
    const std::string_view message(status.message().data(), status.message().size());
    return failure(origin + ": invalid JSON spec: " + one_line(message));
  }
  result.ok = true;
  return result;
}

SpecFileResult parse_spec_text(std::string_view text, const std::string& origin) {
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  SpecFileResult result;
  if (!parser.Parse(&input, &result.spec)) {
    return failure(origin + ":" +
                   (errors.error().empty() ? std::string(" invalid text spec") : errors.error()));
  }
  result.ok = true;
  return result;
}

SpecFileResult read_spec_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return failure(path + ": spec file not found");
  if (!std::filesystem::is_regular_file(status)) return failure(path + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > static_cast<uint64_t>(kMaxSpecFileBytes)) {
    return failure(path + ": spec is " + std::to_string(size) + " bytes, more than the limit " +
                   std::to_string(kMaxSpecFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure(path + ": cannot open spec file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return failure(path + ": error reading spec file");

  const std::string ext = lower_extension(path);
  if (ext == kJsonExtension) return parse_spec_json(text, path);
  if (std::find(kTextExtensions.begin(), kTextExtensions.end(), ext) != kTextExtensions.end()) {
    return parse_spec_text(text, path);
  }
  return looks_like_json(text) ? parse_spec_json(text, path) : parse_spec_text(text, path);
}

}  // namespace gradstream::client

// Spec parsing and printing on top of protobuf's JSON and text-format parsers.
#include "engine/io/spec_io.hpp"

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

namespace gradstream::engine {

namespace {

constexpr std::string_view kJsonExtension = ".json";
constexpr std::array<std::string_view, 4> kTextExtensions = {".txtpb", ".textproto", ".pbtxt",
                                                             ".txt"};

Status too_large(const std::string& origin, uint64_t bytes) {
  return invalid_argument(origin + ": spec is " + std::to_string(bytes) +
                          " bytes, more than the limit " + std::to_string(kMaxSpecBytes));
}

// Keeps the first error: later ones are usually consequences of it.
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error_.empty()) return;
    // The parser counts from zero; editors count from one.
    error_ = std::to_string(line + 1) + ":" + std::to_string(column + 1) +
             ": invalid text spec: " + message;
  }

  // "<line>:<column>: invalid text spec: <message>", or empty.
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// protobuf's JSON syntax errors are "<what>\n<excerpt>\n<spaces>^", the caret
// marking an offset in the excerpt. Folded into one line with the position
// turned into line and column, so the message fits a log line or an RPC status.
std::string describe_json_error(std::string_view text, std::string_view message) {
  const size_t first_break = message.find('\n');
  if (first_break == std::string_view::npos) return std::string(message);
  std::string what(message.substr(0, first_break));
  const size_t last_break = message.rfind('\n');
  if (last_break == first_break) return what;
  const std::string_view excerpt = message.substr(first_break + 1, last_break - first_break - 1);
  const std::string_view caret = message.substr(last_break + 1);
  const size_t at = excerpt.empty() ? std::string_view::npos : text.find(excerpt);
  // An excerpt found twice in the text would give a position that may be wrong.
  if (at == std::string_view::npos || text.find(excerpt, at + 1) != std::string_view::npos ||
      caret.find('^') == std::string_view::npos) {
    return what;
  }
  const size_t offset = at + caret.find('^');
  const std::string_view before = text.substr(0, offset);
  const size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
  const size_t line_start = before.rfind('\n');
  const size_t column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  return what + " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
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

Result<v1::TrainingSpec> parse_spec_json(std::string_view text, const std::string& origin) {
  if (static_cast<int64_t>(text.size()) > kMaxSpecBytes) return too_large(origin, text.size());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not silently vanish
  v1::TrainingSpec spec;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &spec, options);
  if (!status.ok()) {
    const std::string_view message(status.message().data(), status.message().size());
    return invalid_argument(origin + ": invalid JSON spec: " + describe_json_error(text, message));
  }
  return spec;
}

Result<v1::TrainingSpec> parse_spec_text(std::string_view text, const std::string& origin) {
  if (static_cast<int64_t>(text.size()) > kMaxSpecBytes) return too_large(origin, text.size());
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  v1::TrainingSpec spec;
  if (!parser.Parse(&input, &spec)) {
    if (errors.error().empty()) return invalid_argument(origin + ": invalid text spec");
    return invalid_argument(origin + ":" + errors.error());
  }
  return spec;
}

Result<v1::TrainingSpec> read_spec_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return not_found(path + ": spec file not found");
  if (!std::filesystem::is_regular_file(status)) {
    return invalid_argument(path + ": not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > static_cast<uint64_t>(kMaxSpecBytes)) return too_large(path, size);

  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open spec file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return invalid_argument(path + ": error reading spec file");

  const std::string ext = lower_extension(path);
  if (ext == kJsonExtension) return parse_spec_json(text, path);
  if (std::find(kTextExtensions.begin(), kTextExtensions.end(), ext) != kTextExtensions.end()) {
    return parse_spec_text(text, path);
  }
  return looks_like_json(text) ? parse_spec_json(text, path) : parse_spec_text(text, path);
}

std::string spec_to_json(const v1::TrainingSpec& spec) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  std::string out;
  // Cannot fail for TrainingSpec: it holds no Any or well-known types that could.
  (void)google::protobuf::util::MessageToJsonString(spec, &out, options);
  return out;
}

}  // namespace gradstream::engine

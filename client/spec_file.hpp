// Reading a TrainingSpec file with protobuf's own parsers: JSON (protobuf's
// JSON mapping) for .json, text proto for .txtpb / .textproto / .pbtxt, and by
// the first character otherwise. The client's own copy: it never links the engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::client {

// Largest spec file read (initial weights make big specs legitimate).
inline constexpr int64_t kMaxSpecFileBytes = int64_t{256} << 20;

struct SpecFileResult {
  bool ok = false;
  gradstream::v1::TrainingSpec spec;
  std::string error;  // "<path>: <what>" when !ok
};

// Parses `text`; `origin` names it in the error.
SpecFileResult parse_spec_json(std::string_view text, const std::string& origin);
SpecFileResult parse_spec_text(std::string_view text, const std::string& origin);

// Reads and parses the file at `path`, choosing the parser as described above.
SpecFileResult read_spec_file(const std::string& path);

}  // namespace gradstream::client

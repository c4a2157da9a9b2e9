// Reading and writing TrainingSpecs: JSON (protobuf's JSON mapping) and text
// proto, parsed by protobuf's own parsers so the spec.proto is the one grammar.
// Parsing checks syntax, field names and enum names only; ranges are
// spec_validator's job.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// Largest spec text accepted. initial_weights make big specs legitimate, but a
// bound keeps a stray multi-gigabyte file from being read into memory.
inline constexpr int64_t kMaxSpecBytes = int64_t{256} << 20;

// Parses protobuf JSON (lowerCamel or snake_case names). Unknown fields and
// unknown enum names are errors. `origin` names the text in messages (a path,
// or "spec"): invalid_argument "<origin>: invalid JSON spec: <parser message>",
// one line, ending "(line L, column C)" for syntax errors.
Result<v1::TrainingSpec> parse_spec_json(std::string_view text, const std::string& origin);

// Parses text proto. Errors are invalid_argument
// "<origin>:<line>:<column>: invalid text spec: <parser message>" (1-based).
Result<v1::TrainingSpec> parse_spec_text(std::string_view text, const std::string& origin);

// Reads a spec file, choosing the parser from the extension: .json is JSON;
// .txtpb, .textproto, .pbtxt, .txt are text proto; anything else is JSON when
// the first non-space character is '{', text proto otherwise.
// A missing file is not_found naming the path.
Result<v1::TrainingSpec> read_spec_file(const std::string& path);

// Pretty-printed JSON with lowerCamel names, for logs and exports; fields at
// their default value are omitted. parse_spec_json reads it back unchanged.
std::string spec_to_json(const v1::TrainingSpec& spec);

}  // namespace gradstream::engine

// The field checks that validate_spec and validate_optimizer share: a Range of
// floats with open or closed ends, and one function per kind of field (float,
// optional float, count, enum, non-empty string, name, finite values), each
// returning OK or invalid_argument "<field path>: <what is wrong>". Floats are
// compared as !(lo <= x <= hi) so NaN never passes.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"

namespace gradstream::engine {

// An interval with each end open or closed, printed as messages show it.
struct Range {
  float lo;
  float hi;
  bool lo_open;
  bool hi_open;
};

// Whether x lies in r; false for NaN.
bool contains(const Range& r, float x);

// r as messages show it, e.g. "[0, 1)".
std::string describe(const Range& r);

// invalid_argument "<path>: <x> is out of range <r><note>".
Status out_of_range(const std::string& path, float x, const Range& r, std::string_view note = {});

// OK if x lies in r, else out_of_range.
Status check_float(const std::string& path, float x, const Range& r);

// An optional field is checked only when present.
Status check_optional(const std::string& path, bool present, float x, const Range& r);

// The first failing Status among independent checks, or OK.
Status first_error(std::initializer_list<Status> checks);

// OK if lo <= x <= hi, else "<path>: <x> is out of range [lo, hi]".
Status check_count(const std::string& path, uint64_t x, uint64_t lo, uint64_t hi);

// Enums are open in proto3: a number the file does not define can arrive.
// OK if `value` is one of descriptor's, else names the known values.
Status check_enum(const std::string& path, int value,
                  const google::protobuf::EnumDescriptor* descriptor);

Status non_empty(const std::string& path, const std::string& value);

// OK if `value` is at most kMaxNameLength characters of kNameCharacters (empty
// passes: optional names are checked where they are required); else names the
// limit, the allowed set and the first character outside it.
Status check_name(const std::string& path, const std::string& value);

// OK if `value` has at most `max_length` bytes.
Status check_length(const std::string& path, const std::string& value, size_t max_length);

// OK if every value is finite; else "<path>[i]: nan is not a finite number".
Status check_finite(const std::string& path, const float* values, size_t count);

}  // namespace gradstream::engine

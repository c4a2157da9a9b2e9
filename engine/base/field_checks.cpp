// The shared field checks: ranges, counts, enums, required strings, names and
// finite values, each
// producing the "<field path>: <what is wrong>" message the validators return.
#include "engine/base/field_checks.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/base/input_limits.hpp"

namespace gradstream::engine {

bool contains(const Range& r, float x) {
  const bool above_lo = r.lo_open ? x > r.lo : x >= r.lo;
  const bool below_hi = r.hi_open ? x < r.hi : x <= r.hi;
  return above_lo && below_hi;  // both false for NaN
}

std::string describe(const Range& r) {
  std::ostringstream out;
  out << (r.lo_open ? '(' : '[') << r.lo << ", " << r.hi << (r.hi_open ? ')' : ']');
  return out.str();
}

Status out_of_range(const std::string& path, float x, const Range& r, std::string_view note) {
  std::ostringstream msg;
  msg << path << ": " << x << " is out of range " << describe(r) << note;
  return invalid_argument(msg.str());
}

Status check_float(const std::string& path, float x, const Range& r) {
  return contains(r, x) ? ok_status() : out_of_range(path, x, r);
}

Status check_optional(const std::string& path, bool present, float x, const Range& r) {
  return present ? check_float(path, x, r) : ok_status();
}

Status first_error(std::initializer_list<Status> checks) {
  for (const Status& s : checks) {
    if (!s.ok()) return s;
  }
  return ok_status();
}

Status check_count(const std::string& path, uint64_t x, uint64_t lo, uint64_t hi) {
  if (x >= lo && x <= hi) return ok_status();
  return invalid_argument(path + ": " + std::to_string(x) + " is out of range [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

Status check_enum(const std::string& path, int value,
                  const google::protobuf::EnumDescriptor* descriptor) {
  if (descriptor->FindValueByNumber(value) != nullptr) return ok_status();
  std::string known;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    known += (i ? ", " : "") + descriptor->value(i)->name();
  }
  return invalid_argument(path + ": unknown value " + std::to_string(value) + " (known: " + known +
                          ")");
}

Status non_empty(const std::string& path, const std::string& value) {
  return value.empty() ? invalid_argument(path + ": must not be empty") : ok_status();
}

namespace {

bool is_name_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A character as a message may show it: printable ones as themselves, others
// as a hex escape (a control byte must not reach a log line).
std::string shown(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  char text[8];
  std::snprintf(text, sizeof(text), "0x%02x", byte);
  return text;
}

}  // namespace

Status check_name(const std::string& path, const std::string& value) {
  const std::string allowed = std::string("at most ") + std::to_string(kMaxNameLength) +
                              " characters of " + kNameCharacters;
  if (value.size() > kMaxNameLength) {
    return invalid_argument(path + ": " + std::to_string(value.size()) + " characters, " + allowed);
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!is_name_character(value[i])) {
      return invalid_argument(path + ": character " + std::to_string(i) + " (" + shown(value[i]) +
                              ") is not allowed; a name is " + allowed);
    }
  }
  return ok_status();
}

Status check_length(const std::string& path, const std::string& value, size_t max_length) {
  if (value.size() <= max_length) return ok_status();
  return invalid_argument(path + ": " + std::to_string(value.size()) + " bytes, at most " +
                          std::to_string(max_length));
}

Status check_finite(const std::string& path, const float* values, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      std::ostringstream msg;
      msg << path << "[" << i << "]: " << values[i] << " is not a finite number";
      return invalid_argument(msg.str());
    }
  }
  return ok_status();
}

}  // namespace gradstream::engine

// The shared field checks: ranges, counts, enums and required strings, each
// producing the "<field path>: <what is wrong>" message the validators return.
#include "engine/base/field_checks.hpp"

#include <sstream>

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

}  // namespace gradstream::engine

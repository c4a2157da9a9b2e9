// printf-style formatting into a std::string: the CLI's aligned tables and
// fixed-precision numbers.
#pragma once

#include <cstdio>
#include <string>

namespace gradstream::client {

// Text longer than a terminal line is cut at 511 characters.
template <class... Args>
std::string printf_text(const char* pattern, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, pattern, args...);
  return buf;
}

}  // namespace gradstream::client

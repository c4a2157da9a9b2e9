// The server's log: one JSON object per line on stderr, so container log
// collectors can parse it.
#pragma once

#include <cstdio>
#include <string>

namespace gradstream::server {

// `fields` is `,"key":value...` (values already JSON) or empty.
inline void log_line(const char* level, const char* msg, const std::string& fields = "") {
  std::fprintf(stderr, "{\"level\":\"%s\",\"msg\":\"%s\"%s}\n", level, msg, fields.c_str());
  std::fflush(stderr);
}

}  // namespace gradstream::server

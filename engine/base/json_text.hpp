// JSON text for hand-written JSON lines (the server's log, the CLI's comparison
// table): a string as a quoted, escaped JSON string literal.
#pragma once

#include <string>
#include <string_view>

namespace gradstream::engine {

// text as a JSON string literal: wrapped in quotes, with '"' and '\\' escaped,
// \n \r \t as their short escapes and other control characters (< 0x20) as
// \u00XX. Every other byte, UTF-8 included, is copied unchanged.
std::string json_quoted(std::string_view text);

}  // namespace gradstream::engine

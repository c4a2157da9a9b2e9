// Fuzzes a JSON spec as CreateJob and `gradstream submit` read it: protobuf's
// JSON parser (parse_spec_json), then validation through the layer registry
// and with_defaults.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/spec_io.hpp"
#include "fuzz/spec_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gradstream::fuzz::check_parsed_spec(gradstream::engine::parse_spec_json(text, "spec"));
  return 0;
}

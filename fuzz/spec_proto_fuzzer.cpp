// Fuzzes a spec as CreateJob receives it, in protobuf's binary encoding (the
// request's TrainingSpec), then validation through the layer registry and
// with_defaults: binary fields reach values JSON and text rarely spell.
#include <cstddef>
#include <cstdint>

#include "fuzz/spec_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gradstream::v1::TrainingSpec spec;
  if (!spec.ParseFromArray(data, static_cast<int>(size))) return 0;
  gradstream::fuzz::check_parsed_spec(std::move(spec));
  return 0;
}

// Fuzzes the NPY reader on a features array and a labels array (the input is
// the two files' bytes, fuzz_input.hpp's split_parts): headers and sizes as
// CreateJob checks data.files, the whole read a job makes, and the features
// alone as `gradstream predict --input x.npy` reads them.
#include <cstddef>
#include <cstdint>

#include "engine/io/npy_reader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gradstream::fuzz::ScratchFile features("npy-features");
  static gradstream::fuzz::ScratchFile labels("npy-labels");
  const auto parts = gradstream::fuzz::split_parts(data, size, 2);
  features.write(parts.size() > 0 ? parts[0] : "");
  labels.write(parts.size() > 1 ? parts[1] : "");
  gradstream::engine::read_npy_shape(features.path(), labels.path());
  gradstream::engine::read_npy(features.path(), labels.path());
  gradstream::engine::read_npy_features(features.path());
  return 0;
}

// Fuzzes the IDX reader's gzip path: the input is a features file and a labels
// file as in idx_fuzzer, each gzip-compressed here before the reader sees it,
// so the mutations land on the IDX content rather than on deflate's bits.
#include <cstddef>
#include <cstdint>

#include "engine/io/idx_reader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gradstream::fuzz::ScratchFile features("idx-gz-features");
  static gradstream::fuzz::ScratchFile labels("idx-gz-labels");
  static gradstream::fuzz::GzipCompressor compressor;
  const auto parts = gradstream::fuzz::split_parts(data, size, 2);
  features.write(compressor.compress(parts.size() > 0 ? parts[0] : ""));
  labels.write(compressor.compress(parts.size() > 1 ? parts[1] : ""));
  gradstream::engine::read_idx_shape(features.path(), labels.path());
  gradstream::engine::read_idx(features.path(), labels.path());
  return 0;
}

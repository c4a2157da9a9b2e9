// Fuzzes the IDX reader on a features file and a labels file as the server
// reads data.files (headers first, then the whole payload). The input is the
// two files' bytes (fuzz_input.hpp's split_parts). A file starting 1f 8b goes
// through zlib: the seeds hold gzip files too.
#include <cstddef>
#include <cstdint>

#include "engine/io/idx_reader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gradstream::fuzz::ScratchFile features("idx-features");
  static gradstream::fuzz::ScratchFile labels("idx-labels");
  const auto parts = gradstream::fuzz::split_parts(data, size, 2);
  features.write(parts.size() > 0 ? parts[0] : "");
  labels.write(parts.size() > 1 ? parts[1] : "");
  gradstream::engine::read_idx_shape(features.path(), labels.path());
  gradstream::engine::read_idx(features.path(), labels.path());
  return 0;
}

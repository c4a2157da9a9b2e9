// Fuzzes the CSV reader: the first input byte picks the options (bit 0: a
// header row; the rest, as a signed number, the label column, so negative
// columns count from the end), the remaining bytes are the file. Both the scan
// CreateJob runs on data.files and the full read a job runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/csv_reader.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gradstream::fuzz::ScratchFile file("csv");
  if (size == 0) return 0;
  const bool has_header = (data[0] & 1) != 0;
  const int label_column = static_cast<int8_t>(data[0]) >> 1;
  file.write(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  gradstream::engine::scan_csv(file.path(), label_column, has_header);
  gradstream::engine::read_csv(file.path(), label_column, has_header);
  return 0;
}

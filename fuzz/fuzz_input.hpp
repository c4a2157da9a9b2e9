// What every fuzzer does with its input bytes: cut them into the parts a
// parser takes (a features file and a labels file, a stream of messages) and
// hand file readers a file holding them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gradstream::fuzz {

// The input as consecutive parts, each a 2-byte big-endian length then that
// many bytes (fewer when the input ends first), except the last: the
// `max_parts`-th part, or a tail too short for a length, is the rest of the
// input. A mutated length moves a boundary; no byte is ever dropped.
std::vector<std::string_view> split_parts(const uint8_t* data, size_t size, size_t max_parts);

// `bytes` as a gzip file (deflate, fastest level), as `gzip -1` writes it.
std::string gzip(std::string_view bytes);

// A file of the fuzzer process's own (in /dev/shm when there is one, so no
// disk is written per execution), named by `stem` and the pid; removed when
// the object is destroyed.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& stem);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's content; the path for the reader under test.
  const std::string& write(std::string_view bytes);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gradstream::fuzz

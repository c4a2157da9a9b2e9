// What every fuzzer does with its input bytes: cut them into the parts a
// parser takes (a features file and a labels file, a stream of messages) and
// hand file readers a file holding them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

// gzip() for a fuzzer's every execution: one deflate stream and one output
// buffer, reset rather than rebuilt (deflateInit allocates about 256 KiB,
// which ASan makes costly). The same bytes as gzip().
class GzipCompressor {
 public:
  GzipCompressor();
  ~GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;

  // `bytes` compressed; valid until the next call.
  std::string_view compress(std::string_view bytes);

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  std::string out_;
};

// A file of the fuzzer process's own (in /dev/shm when there is one, so no
// disk is written per execution), named by `stem` and the pid; open for the
// object's life (each write truncates and rewrites it) and removed when the
// object is destroyed.
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
  int fd_ = -1;
};

}  // namespace gradstream::fuzz

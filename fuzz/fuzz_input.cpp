// Input splitting and scratch files for the fuzzers.
#include "fuzz/fuzz_input.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace gradstream::fuzz {

namespace {

constexpr size_t kLengthBytes = 2;
// gzip framing for deflate (zlib's windowBits + 16).
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemoryLevel = 8;

std::string scratch_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace

std::vector<std::string_view> split_parts(const uint8_t* data, size_t size, size_t max_parts) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < size && parts.size() < max_parts) {
    if (parts.size() + 1 == max_parts || pos + kLengthBytes > size) {
      parts.emplace_back(reinterpret_cast<const char*>(data + pos), size - pos);
      break;
    }
    const size_t length = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += kLengthBytes;
    const size_t taken = std::min(length, size - pos);
    parts.emplace_back(reinterpret_cast<const char*>(data + pos), taken);
    pos += taken;
  }
  return parts;
}

std::string gzip(std::string_view bytes) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, kGzipWindowBits, kMemoryLevel,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

ScratchFile::ScratchFile(const std::string& stem)
    : path_(scratch_dir() + "/gradstream-fuzz-" + std::to_string(::getpid()) + "-" + stem) {}

ScratchFile::~ScratchFile() { std::remove(path_.c_str()); }

const std::string& ScratchFile::write(std::string_view bytes) {
  std::FILE* file = std::fopen(path_.c_str(), "wb");
  if (file == nullptr) {
    std::perror(path_.c_str());
    std::abort();  // the fuzzer cannot run without its file: not a finding
  }
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  return path_;
}

}  // namespace gradstream::fuzz

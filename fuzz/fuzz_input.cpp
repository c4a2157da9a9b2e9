// Input splitting and scratch files for the fuzzers.
#include "fuzz/fuzz_input.hpp"

#include <fcntl.h>
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
// Only this process reads its scratch files.
constexpr mode_t kScratchFileMode = 0600;

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

struct GzipCompressor::Stream {
  z_stream z{};
};

GzipCompressor::GzipCompressor() : stream_(std::make_unique<Stream>()) {
  deflateInit2(&stream_->z, Z_BEST_SPEED, Z_DEFLATED, kGzipWindowBits, kMemoryLevel,
               Z_DEFAULT_STRATEGY);
}

GzipCompressor::~GzipCompressor() { deflateEnd(&stream_->z); }

std::string_view GzipCompressor::compress(std::string_view bytes) {
  z_stream& z = stream_->z;
  deflateReset(&z);
  // Grown to the largest bound seen, never shrunk: no allocation per call.
  const size_t bound = deflateBound(&z, bytes.size());
  if (out_.size() < bound) out_.resize(bound);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out_.data());
  z.avail_out = static_cast<uInt>(out_.size());
  deflate(&z, Z_FINISH);
  return std::string_view(out_.data(), z.total_out);
}

std::string gzip(std::string_view bytes) { return std::string(GzipCompressor().compress(bytes)); }

ScratchFile::ScratchFile(const std::string& stem)
    : path_(scratch_dir() + "/gradstream-fuzz-" + std::to_string(::getpid()) + "-" + stem),
      fd_(::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, kScratchFileMode)) {
  if (fd_ < 0) {
    std::perror(path_.c_str());
    std::abort();  // the fuzzer cannot run without its file: not a finding
  }
}

ScratchFile::~ScratchFile() {
  ::close(fd_);
  std::remove(path_.c_str());
}

const std::string& ScratchFile::write(std::string_view bytes) {
  bool ok = ::ftruncate(fd_, 0) == 0;
  for (size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    ok = n > 0;
    done += ok ? static_cast<size_t>(n) : 0;
  }
  if (!ok) {
    std::perror(path_.c_str());
    std::abort();  // a file short of the input would fuzz something else: not a finding
  }
  return path_;
}

}  // namespace gradstream::fuzz

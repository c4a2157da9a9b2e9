// Helpers of the dataset store's files: digests, names, errors.
#include "server/dataset_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>

#include "server/data_dir_space.hpp"

namespace gradstream::server::dataset_files {

std::string random_suffix() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mutex);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  uint64_t bits = rng();
  for (int i = 0; i < 16; ++i, bits >>= 4) out += kHex[bits & 0xF];
  return out;
}

engine::Status write_error(const std::filesystem::path& data_dir, const std::filesystem::path& path,
                           int error_number) {
  if (is_out_of_space(error_number)) {
    return data_dir_full(data_dir, "writing dataset file " + path.string());
  }
  return engine::internal_error("datasets: cannot write " + path.string() + ": " +
                                std::strerror(error_number));
}

engine::Status check_file_size(const std::filesystem::path& path, uint64_t size) {
  std::error_code ec;
  const uintmax_t on_disk = std::filesystem::file_size(path, ec);
  if (!ec && on_disk == size) return engine::ok_status();
  return engine::data_loss(
      "datasets: " + path.string() + " holds " +
      (ec ? std::string("nothing readable") : std::to_string(on_disk) + " bytes") +
      ", its header says " + std::to_string(size));
}

engine::Status read_exactly(const std::filesystem::path& path, char* dst, uint64_t size) {
  if (engine::Status s = check_file_size(path, size); !s.ok()) return s;
  std::ifstream in(path, std::ios::binary);
  if (!in.read(dst, static_cast<std::streamsize>(size)))
    return engine::data_loss("datasets: cannot read " + path.string());
  return engine::ok_status();
}

}  // namespace gradstream::server::dataset_files

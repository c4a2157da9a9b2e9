// The data directory's space: out-of-space errors and usage figures.
#include "server/data_dir_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <system_error>

#include "server/dataset_store.hpp"
#include "server/job_store.hpp"

namespace gradstream::server {

namespace fs = std::filesystem;

namespace {

// SQLite's companions of the database file in WAL mode.
constexpr const char* kJobStoreSuffixes[] = {"", "-wal", "-shm"};

uint64_t file_bytes(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

uint64_t tree_bytes(const fs::path& root) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error)) total += file_bytes(it->path());
  }
  return total;
}

}  // namespace

bool is_out_of_space(int error_number) { return error_number == ENOSPC || error_number == EDQUOT; }

engine::Status data_dir_full(const fs::path& data_dir, const std::string& doing) {
  return engine::resource_exhausted("data dir " + data_dir.string() + " is full: " + doing +
                                    "; free space on its volume, then retry");
}

DataDirUsage measure_data_dir(const fs::path& data_dir) {
  DataDirUsage usage;
  for (const char* suffix : kJobStoreSuffixes) {
    usage.job_store_bytes += file_bytes(data_dir / (std::string(kJobStoreFile) + suffix));
  }
  usage.dataset_bytes = tree_bytes(data_dir / kDatasetsSubdir);
  struct statvfs volume {};
  if (::statvfs(data_dir.c_str(), &volume) == 0) {
    usage.free_bytes = static_cast<uint64_t>(volume.f_bavail) * volume.f_frsize;
  }
  return usage;
}

}  // namespace gradstream::server

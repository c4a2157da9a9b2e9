// Fingerprints of data.files: each file streamed through sha256 (OpenSSL's
// EVP, as the dataset store does) in fixed chunks, never held whole.
#include "server/data_file_fingerprints.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "server/data_file_roles.hpp"
#include "server/dataset_files.hpp"

namespace gradstream::server {

namespace {

constexpr size_t kHashChunkBytes = size_t{1} << 20;

// The file's size and sha256 as it is now; errors name the file, not the field.
engine::Status fingerprint(v1::DataFileFingerprint& out) {
  const std::string& path = out.path();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return engine::not_found(path + ": no such file (or not a regular file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return engine::not_found(path + ": cannot open: " + std::strerror(errno));
  dataset_files::EvpContext sha = dataset_files::new_sha256();
  if (!sha) return engine::internal_error("sha256: OpenSSL cannot make a digest context");
  std::vector<char> chunk(kHashChunkBytes);
  uint64_t size = 0;
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    EVP_DigestUpdate(sha.get(), chunk.data(), got);
    size += got;
  }
  if (in.bad()) return engine::data_loss(path + ": read error");
  out.set_size_bytes(size);
  out.set_sha256(dataset_files::to_hex(dataset_files::finish_sha256(sha.get())));
  return engine::ok_status();
}

}  // namespace

engine::Result<std::vector<v1::DataFileFingerprint>> fingerprint_data_files(
    const v1::FileSource& files) {
  std::vector<v1::DataFileFingerprint> out;
  for (const DataFileRole& entry : kDataFileRoles) {
    const std::string& path = (files.*entry.path)();
    if (path.empty()) continue;
    v1::DataFileFingerprint file;
    file.set_role(entry.role);
    file.set_path(path);
    if (engine::Status s = fingerprint(file); !s.ok())
      return engine::Status(s.code(), data_file_field(entry.role) + ": " + s.message());
    out.push_back(std::move(file));
  }
  return out;
}

engine::Status check_data_files_unchanged(const DataFileFingerprints& recorded) {
  for (const v1::DataFileFingerprint& then : recorded) {
    const std::string where = data_file_field(then.role()) + ": " + then.path();
    v1::DataFileFingerprint now;
    now.set_path(then.path());
    if (engine::Status s = fingerprint(now); !s.ok()) {
      return engine::failed_precondition(where + " is no longer readable since the job started (" +
                                         s.message() + "; it was " +
                                         std::to_string(then.size_bytes()) + " bytes)");
    }
    if (now.size_bytes() == then.size_bytes() && now.sha256() == then.sha256()) continue;
    return engine::failed_precondition(where + " changed since the job started (sha256 " +
                                       then.sha256() + " -> " + now.sha256() + ", size " +
                                       std::to_string(then.size_bytes()) + " -> " +
                                       std::to_string(now.size_bytes()) + " bytes)");
  }
  return engine::ok_status();
}

}  // namespace gradstream::server

// The files of a stored dataset and the helpers DatasetStore and
// DatasetUpload share: their names, sha256 digests (OpenSSL's EVP API),
// random directory suffixes, and I/O errors that name the path.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/base/status.hpp"

namespace gradstream::server::dataset_files {

inline constexpr char kHeaderFile[] = "header.pb";
inline constexpr char kFeaturesFile[] = "features.bin";
inline constexpr char kLabelsFile[] = "labels.bin";
inline constexpr size_t kDigestBytes = 32;  // sha256

using Digest = std::array<unsigned char, kDigestBytes>;

struct EvpContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpContext = std::unique_ptr<EVP_MD_CTX, EvpContextFree>;

// A context ready to hash with sha256, or null when OpenSSL cannot make one.
EvpContext new_sha256();
Digest finish_sha256(EVP_MD_CTX* ctx);
std::string to_hex(const Digest& digest);
// 16 random hex digits, for temporary directory names.
std::string random_suffix();
// A failed write of `path` (errno `error_number`): resource_exhausted naming
// `data_dir` when its volume is full (data_dir_full), else internal_error
// "datasets: cannot write <path>: <errno text>".
engine::Status write_error(const std::filesystem::path& data_dir, const std::filesystem::path& path,
                           int error_number);
// Reads a whole file into `dst` (exactly `size` bytes), or data_loss naming it.
engine::Status read_exactly(const std::filesystem::path& path, char* dst, uint64_t size);

}  // namespace gradstream::server::dataset_files

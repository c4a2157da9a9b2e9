// The files of a stored dataset and the helpers DatasetStore and
// DatasetUpload share: their names, sha256 digests (OpenSSL's EVP API),
// random directory suffixes, and I/O errors that name the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "dataset_format/dataset_digest.hpp"
#include "engine/base/status.hpp"

namespace gradstream::server::dataset_files {

inline constexpr char kHeaderFile[] = "header.pb";
inline constexpr char kFeaturesFile[] = "features.bin";
inline constexpr char kLabelsFile[] = "labels.bin";
// The digest helpers live with the dataset format, which workers share.
using dataset_format::Digest;
using dataset_format::EvpContext;
using dataset_format::finish_sha256;
using dataset_format::kDigestBytes;
using dataset_format::new_sha256;
using dataset_format::to_hex;

// 16 random hex digits, for temporary directory names.
std::string random_suffix();
// A failed write of `path` (errno `error_number`): resource_exhausted naming
// `data_dir` when its volume is full (data_dir_full), else internal_error
// "datasets: cannot write <path>: <errno text>".
engine::Status write_error(const std::filesystem::path& data_dir, const std::filesystem::path& path,
                           int error_number);
// OK when the file holds exactly `size` bytes, else data_loss naming it.
engine::Status check_file_size(const std::filesystem::path& path, uint64_t size);
// Reads a whole file into `dst` (exactly `size` bytes), or data_loss naming it.
engine::Status read_exactly(const std::filesystem::path& path, char* dst, uint64_t size);

}  // namespace gradstream::server::dataset_files

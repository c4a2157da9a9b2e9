// DatasetUpload: an upload streamed to its files, checked (upload_check) and
// hashed as it arrives, and the atomic rename into place.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "server/dataset_files.hpp"
#include "server/dataset_store.hpp"

namespace gradstream::server {

namespace fs = std::filesystem;
using namespace dataset_files;  // NOLINT: the store's file helpers

// ---- DatasetUpload ---------------------------------------------------------

struct DatasetUpload::Stream {
  fs::path data_dir;  // named by an out-of-space error
  fs::path path;
  std::FILE* file = nullptr;
  EvpContext hash;

  ~Stream() {
    if (file != nullptr) std::fclose(file);
  }

  // `device`, when not empty, is written instead of `file_path` (tests: /dev/full).
  engine::Status open(const fs::path& dir_of_data, const fs::path& file_path,
                      const fs::path& device) {
    data_dir = dir_of_data;
    path = file_path;
    hash = new_sha256();
    if (!hash) return engine::internal_error("datasets: cannot start a sha256 hash");
    file = std::fopen(device.empty() ? path.c_str() : device.c_str(), "wb");
    if (file == nullptr) return write_error(data_dir, path, errno);
    return engine::ok_status();
  }

  engine::Status write(std::string_view bytes) {
    if (bytes.empty()) return engine::ok_status();
    if (std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
      return write_error(data_dir, path, errno);
    EVP_DigestUpdate(hash.get(), bytes.data(), bytes.size());
    return engine::ok_status();
  }

  // Flushed to the disk before the rename, so a stored dataset is complete. A
  // full disk shows here at the latest (stdio buffers the writes).
  engine::Status close() {
    int error_number = 0;
    if (std::fflush(file) != 0 || ::fsync(fileno(file)) != 0) error_number = errno;
    if (std::fclose(file) != 0 && error_number == 0) error_number = errno;
    file = nullptr;
    return error_number == 0 ? engine::ok_status() : write_error(data_dir, path, error_number);
  }
};

DatasetUpload::DatasetUpload(DatasetStore& store, v1::DatasetHeader header,
                             dataset_format::DatasetLayout layout, fs::path dir, std::string tenant)
    : store_(store),
      check_(std::move(header), layout),
      dir_(std::move(dir)),
      tenant_(std::move(tenant)) {}

DatasetUpload::~DatasetUpload() {
  features_.reset();
  labels_.reset();
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  store_.tenant_bytes_.settle(tenant_, static_cast<int64_t>(check_.layout().total_bytes()),
                              newly_owned_bytes_);
}

engine::Status DatasetUpload::open_files() {
  features_ = std::make_unique<Stream>();
  labels_ = std::make_unique<Stream>();
  const fs::path data_dir = store_.root_.parent_path();
  const fs::path& device = store_.content_device_;
  if (engine::Status s = features_->open(data_dir, dir_ / kFeaturesFile, device); !s.ok()) return s;
  return labels_->open(data_dir, dir_ / kLabelsFile, device);
}

engine::Status DatasetUpload::append_features(std::string_view bytes) {
  if (engine::Status s = check_.add_features(bytes); !s.ok()) return s;
  if (engine::Status s = features_->write(bytes); !s.ok()) return s;
  if (store_.on_bytes_ && !bytes.empty()) store_.on_bytes_(bytes.size());
  return engine::ok_status();
}

engine::Status DatasetUpload::append_labels(std::string_view bytes) {
  if (engine::Status s = check_.add_labels(bytes); !s.ok()) return s;
  if (engine::Status s = labels_->write(bytes); !s.ok()) return s;
  if (store_.on_bytes_ && !bytes.empty()) store_.on_bytes_(bytes.size());
  return engine::ok_status();
}

engine::Result<v1::Dataset> DatasetUpload::commit() {
  if (engine::Status s = check_.check_complete(); !s.ok()) return s;
  if (engine::Status s = features_->close(); !s.ok()) return s;
  if (engine::Status s = labels_->close(); !s.ok()) return s;
  {
    std::ofstream out(dir_ / kHeaderFile, std::ios::binary);
    if (!check_.header().SerializeToOstream(&out) || !out.flush())
      return write_error(store_.root_.parent_path(), dir_ / kHeaderFile, errno);
  }

  const std::string id = dataset_format::dataset_id(
      check_.header(), finish_sha256(features_->hash.get()), finish_sha256(labels_->hash.get()));
  if (id.empty()) return engine::internal_error("datasets: cannot start a sha256 hash");
  const std::string hex = id.substr(std::string_view(kDatasetIdPrefix).size());

  const fs::path target = store_.root_ / hex;
  const auto bytes = static_cast<int64_t>(check_.layout().total_bytes());
  // The owner file goes in before the rename: a stored dataset always has it.
  if (engine::Status s = add_dataset_owner(dir_, tenant_); !s.ok()) return s;
  std::error_code ec;
  if (!fs::exists(target, ec)) fs::rename(dir_, target, ec);
  if (std::error_code gone; !ec && !fs::exists(dir_, gone)) {
    committed_ = true;
    newly_owned_bytes_ = bytes;
    v1::Dataset dataset;
    dataset.set_id(id);
    *dataset.mutable_header() = check_.header();
    dataset.set_bytes(check_.layout().total_bytes());
    return dataset;
  }
  // Stored before (or by a concurrent upload of the same content): keep that
  // copy untouched; the destructor removes ours.
  auto stored = store_.describe(id);
  if (!stored.ok()) {
    return engine::internal_error("datasets: cannot store " + target.string() + ": " +
                                  (ec ? ec.message() : stored.status().message()));
  }
  if (!is_dataset_owner(target, tenant_)) {
    if (engine::Status s = add_dataset_owner(target, tenant_); !s.ok()) return s;
    newly_owned_bytes_ = bytes;
  }
  stored->set_already_present(true);
  return stored;
}

}  // namespace gradstream::server

// DatasetStore: uploaded datasets, content-addressed, under <data_dir>/datasets.
// DatasetUpload: one upload in progress, streamed to a temporary directory
// while it is checked and hashed, then renamed into place in one step.
//
// On disk, one directory per dataset, named by the hex digest:
//   <root>/<hex>/header.pb     the DatasetHeader (binary proto, name included)
//   <root>/<hex>/features.bin  little-endian, row-major, as uploaded
//   <root>/<hex>/labels.bin    int32 little-endian
// An upload writes <root>/.upload-<random>/ and renames it to <root>/<hex>:
// a dataset is either all there or absent. Leftover .upload-* directories
// (a crash mid-upload) are removed when the store is opened.
//
// The id is "sha256:" + hex of the header and content's digest
// (dataset_format/dataset_digest.hpp, which workers use to check what they fetch).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dataset_format/dataset_digest.hpp"
#include "dataset_format/dataset_header.hpp"
#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/trainer.pb.h"
#include "server/dataset_owners.hpp"
#include "server/upload_check.hpp"

namespace gradstream::server {

inline constexpr char kDatasetsSubdir[] = "datasets";
using dataset_format::kDatasetIdPrefix;
inline constexpr char kUploadDirPrefix[] = ".upload-";

// Called with the number of content bytes (features + labels) each append
// accepted: the hook for an uploaded-bytes counter. May be empty; called from
// concurrent uploads at once, so it must be thread-safe (a Prometheus counter is).
using UploadedBytesCallback = std::function<void(uint64_t)>;

// The answer for an id that is not stored, and, word for word, for another
// tenant's dataset (TrainerService): a tenant cannot tell the two apart.
inline engine::Status dataset_not_found(const std::string& id) {
  return engine::not_found("dataset \"" + id + "\" not found on this server");
}

class DatasetUpload;

// Thread-safe: uploads and loads touch only their own files, and storing is a
// rename, which the file system makes atomic.
class DatasetStore {
 public:
  // Creates <data_dir>/datasets if needed and removes leftover uploads.
  // failed_precondition naming the directory when it cannot be created.
  // `tenant_max_bytes` bounds each tenant's stored datasets (0: none); what
  // each owns is counted here, from the owner files (dataset_owners.hpp).
  static engine::Result<std::unique_ptr<DatasetStore>> open(const std::string& data_dir,
                                                            int64_t max_dataset_bytes,
                                                            UploadedBytesCallback on_bytes = {},
                                                            int64_t tenant_max_bytes = 0);

  DatasetStore(const DatasetStore&) = delete;
  DatasetStore& operator=(const DatasetStore&) = delete;

  // Validates the header (see validate_dataset_header), reserves its bytes
  // against `tenant`'s limit (resource_exhausted naming it) and creates the
  // upload's temporary directory. The stored dataset is owned by `tenant`.
  engine::Result<std::unique_ptr<DatasetUpload>> begin_upload(const v1::DatasetHeader& header,
                                                              const std::string& tenant = {});

  // Whether `tenant` uploaded the stored dataset `id` (false for "").
  bool owned_by(const std::string& id, const std::string& tenant) const;
  // Bytes of the datasets `tenant` owns.
  int64_t tenant_bytes(const std::string& tenant) const { return tenant_bytes_.stored(tenant); }

  // The stored header and size of `id`. invalid_argument when `id` is not
  // "sha256:<64 hex digits>", not_found naming it when it is not stored.
  engine::Result<v1::Dataset> describe(const std::string& id) const;

  // The stored dataset as the engine's Dataset (uint8 features become floats
  // 0..255 with source_type kUint8, as the readers do). data_loss when the
  // files on disk do not fit their header.
  engine::Result<engine::Dataset> load(const std::string& id) const;

  const std::filesystem::path& root() const { return root_; }

  // Uploads write their features and labels to `device` instead of their
  // files (tests: /dev/full fails them with ENOSPC, as a full disk does). Set
  // before any upload begins.
  void write_content_to_for_test(std::filesystem::path device) {
    content_device_ = std::move(device);
  }
  int64_t max_dataset_bytes() const { return max_dataset_bytes_; }

 private:
  friend class DatasetUpload;
  DatasetStore(std::filesystem::path root, int64_t max_dataset_bytes,
               UploadedBytesCallback on_bytes, int64_t tenant_max_bytes);

  engine::Result<std::filesystem::path> dataset_dir(const std::string& id) const;

  const std::filesystem::path root_;
  const int64_t max_dataset_bytes_;
  const UploadedBytesCallback on_bytes_;
  std::filesystem::path content_device_;  // empty: the upload's own files
  TenantBytes tenant_bytes_;
};

// One upload: bytes are appended in any interleaving of features and labels,
// each checked as it arrives (size bound, finite floats, label range), written
// to the temporary directory and hashed. commit() stores it; destroying an
// upload that was not committed removes everything it wrote. Not thread-safe.
class DatasetUpload {
 public:
  ~DatasetUpload();
  DatasetUpload(const DatasetUpload&) = delete;
  DatasetUpload& operator=(const DatasetUpload&) = delete;

  // invalid_argument naming the field when the bytes pass the size the header
  // gives, a float is NaN or infinite, or a label is out of [0, num_classes).
  engine::Status append_features(std::string_view bytes);
  engine::Status append_labels(std::string_view bytes);

  // Checks that exactly the header's bytes arrived, then renames the upload
  // into place, or, when the same id is already stored, drops it and answers
  // already_present with the stored header (its name included).
  engine::Result<v1::Dataset> commit();

 private:
  friend class DatasetStore;
  struct Stream;  // one output file with its hash and partial-element carry
  DatasetUpload(DatasetStore& store, v1::DatasetHeader header, dataset_format::DatasetLayout layout,
                std::filesystem::path dir, std::string tenant);

  engine::Status open_files();

  DatasetStore& store_;
  UploadContentCheck check_;  // the header, and what has arrived
  const std::filesystem::path dir_;
  std::unique_ptr<Stream> features_;
  std::unique_ptr<Stream> labels_;
  bool committed_ = false;
  const std::string tenant_;       // its bytes are reserved in store_.tenant_bytes_
  int64_t newly_owned_bytes_ = 0;  // the stored dataset's, when tenant_ did not own it
};

}  // namespace gradstream::server

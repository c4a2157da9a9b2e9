// DatasetStore: the directory of stored datasets, describing and loading them
// back for the engine, and starting uploads (dataset_upload.cpp).
#include "server/dataset_store.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

#include "dataset_format/dataset_content.hpp"
#include "server/dataset_files.hpp"

namespace gradstream::server {

namespace fs = std::filesystem;

using namespace dataset_files;  // NOLINT: this file's own helpers

// ---- DatasetStore ----------------------------------------------------------

DatasetStore::DatasetStore(fs::path root, int64_t max_dataset_bytes, UploadedBytesCallback on_bytes,
                           int64_t tenant_max_bytes)
    : root_(std::move(root)),
      max_dataset_bytes_(max_dataset_bytes),
      on_bytes_(std::move(on_bytes)),
      tenant_bytes_(tenant_max_bytes) {}

engine::Result<std::unique_ptr<DatasetStore>> DatasetStore::open(const std::string& data_dir,
                                                                 int64_t max_dataset_bytes,
                                                                 UploadedBytesCallback on_bytes,
                                                                 int64_t tenant_max_bytes) {
  const fs::path root = fs::path(data_dir) / kDatasetsSubdir;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return engine::failed_precondition("data_dir: cannot create " + root.string() + ": " +
                                       ec.message());
  }
  // Uploads cut off by a crash: never renamed into place, so never visible.
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    if (entry.path().filename().string().starts_with(kUploadDirPrefix)) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
    }
  }
  std::unique_ptr<DatasetStore> store(
      new DatasetStore(root, max_dataset_bytes, std::move(on_bytes), tenant_max_bytes));
  // Each tenant's stored bytes, from the owner files.
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    auto dataset = store->describe(kDatasetIdPrefix + entry.path().filename().string());
    if (!dataset.ok()) continue;
    for (const fs::directory_entry& owner :
         fs::directory_iterator(entry.path() / kOwnersSubdir, ec)) {
      store->tenant_bytes_.add_stored(owner.path().filename().string(),
                                      static_cast<int64_t>(dataset->bytes()));
    }
    ec.clear();  // a dataset without owner files has no owners directory
  }
  return store;
}

bool DatasetStore::owned_by(const std::string& id, const std::string& tenant) const {
  auto dir = dataset_dir(id);
  return dir.ok() && is_dataset_owner(*dir, tenant);
}

engine::Result<fs::path> DatasetStore::dataset_dir(const std::string& id) const {
  const std::string_view prefix = kDatasetIdPrefix;
  const std::string_view hex = std::string_view(id).substr(std::min(id.size(), prefix.size()));
  const bool well_formed = id.starts_with(prefix) && hex.size() == 2 * kDigestBytes &&
                           std::all_of(hex.begin(), hex.end(), [](char c) {
                             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                           });
  if (!well_formed) {
    return engine::invalid_argument("\"" + id + "\" is not a dataset id (sha256:<64 hex digits>)");
  }
  fs::path dir = root_ / std::string(hex);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return dataset_not_found(id);
  }
  return dir;
}

engine::Result<v1::Dataset> DatasetStore::describe(const std::string& id) const {
  auto dir = dataset_dir(id);
  if (!dir.ok()) return dir.status();
  v1::Dataset dataset;
  std::ifstream in(*dir / kHeaderFile, std::ios::binary);
  if (!in || !dataset.mutable_header()->ParseFromIstream(&in))
    return engine::data_loss("datasets: cannot read " + (*dir / kHeaderFile).string());
  auto layout = dataset_format::validate_dataset_header(dataset.header(),
                                                        std::numeric_limits<int64_t>::max());
  if (!layout.ok()) {
    return engine::data_loss("datasets: " + (*dir / kHeaderFile).string() + ": " +
                             layout.status().message());
  }
  dataset.set_id(id);
  dataset.set_bytes(layout->total_bytes());
  return dataset;
}

engine::Result<engine::Dataset> DatasetStore::load(const std::string& id) const {
  auto described = describe(id);
  if (!described.ok()) return described.status();
  const v1::DatasetHeader& header = described->header();
  const dataset_format::DatasetLayout layout =
      *dataset_format::validate_dataset_header(header, std::numeric_limits<int64_t>::max());
  const fs::path dir = root_ / id.substr(std::strlen(kDatasetIdPrefix));

  dataset_format::DatasetContent content(header, layout);
  if (engine::Status s =
          read_exactly(dir / kFeaturesFile, content.feature_bytes(), layout.feature_bytes);
      !s.ok())
    return s;
  if (engine::Status s = read_exactly(dir / kLabelsFile, content.label_bytes(), layout.label_bytes);
      !s.ok())
    return s;
  return std::move(content).finish("datasets: " + (dir / kLabelsFile).string());
}

engine::Result<std::unique_ptr<DatasetUpload>> DatasetStore::begin_upload(
    const v1::DatasetHeader& header, const std::string& tenant) {
  auto layout = dataset_format::validate_dataset_header(header, max_dataset_bytes_);
  if (!layout.ok()) return layout.status();
  const auto bytes = static_cast<int64_t>(layout->total_bytes());
  if (engine::Status s = tenant_bytes_.reserve(tenant, bytes); !s.ok()) return s;
  const fs::path dir = root_ / (std::string(kUploadDirPrefix) + random_suffix());
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec) {
    tenant_bytes_.settle(tenant, bytes, 0);
    if (ec) return write_error(root_.parent_path(), dir, ec.value());
    return engine::internal_error("datasets: cannot create " + dir.string() + ": " +
                                  (ec ? ec.message() : std::string("it exists")));
  }
  // From here the upload's destructor lets the reservation go.
  std::unique_ptr<DatasetUpload> upload(new DatasetUpload(*this, header, *layout, dir, tenant));
  if (engine::Status s = upload->open_files(); !s.ok()) return s;  // the destructor cleans up
  return upload;
}

}  // namespace gradstream::server

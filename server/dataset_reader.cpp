// DatasetReader: header, then features, then labels, a piece at a time.
#include "server/dataset_reader.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "server/dataset_files.hpp"

namespace gradstream::server {

namespace fs = std::filesystem;

namespace {

// Up to `max_bytes` of `left` from `in` into `out`.
engine::Status read_piece(std::ifstream& in, const fs::path& path, size_t max_bytes, uint64_t& left,
                          std::string& out) {
  const auto size = static_cast<size_t>(std::min<uint64_t>(left, max_bytes));
  out.resize(size);
  if (!in.read(out.data(), static_cast<std::streamsize>(size)))
    return engine::data_loss("datasets: cannot read " + path.string());
  left -= size;
  return engine::ok_status();
}

}  // namespace

engine::Result<std::unique_ptr<DatasetReader>> DatasetReader::open(const DatasetStore& store,
                                                                   const std::string& id) {
  auto described = store.describe(id);
  if (!described.ok()) return described.status();
  const auto layout = dataset_format::validate_dataset_header(described->header(),
                                                              std::numeric_limits<int64_t>::max());
  if (!layout.ok()) return layout.status();  // describe checked it: never
  const fs::path dir = store.root() / id.substr(std::string_view(kDatasetIdPrefix).size());
  const fs::path features = dir / dataset_files::kFeaturesFile;
  const fs::path labels = dir / dataset_files::kLabelsFile;
  if (engine::Status s = dataset_files::check_file_size(features, layout->feature_bytes); !s.ok())
    return s;
  if (engine::Status s = dataset_files::check_file_size(labels, layout->label_bytes); !s.ok())
    return s;
  std::unique_ptr<DatasetReader> reader(new DatasetReader(
      std::move(described).value(), features, labels, layout->feature_bytes, layout->label_bytes));
  if (!reader->features_ || !reader->labels_)
    return engine::data_loss("datasets: cannot open the files of " + dir.string());
  return reader;
}

DatasetReader::DatasetReader(v1::Dataset dataset, fs::path features_path, fs::path labels_path,
                             uint64_t feature_bytes, uint64_t label_bytes)
    : dataset_(std::move(dataset)),
      features_path_(std::move(features_path)),
      labels_path_(std::move(labels_path)),
      features_(features_path_, std::ios::binary),
      labels_(labels_path_, std::ios::binary),
      features_left_(feature_bytes),
      labels_left_(label_bytes) {}

engine::Result<bool> DatasetReader::next(size_t max_bytes, v1::DatasetChunk& chunk) {
  chunk.Clear();
  if (!header_sent_) {
    header_sent_ = true;
    chunk.set_dataset_id(dataset_.id());
    *chunk.mutable_header() = dataset_.header();
    return true;
  }
  if (features_left_ > 0) {
    if (engine::Status s = read_piece(features_, features_path_, max_bytes, features_left_,
                                      *chunk.mutable_features());
        !s.ok())
      return s;
    return true;
  }
  if (labels_left_ > 0) {
    if (engine::Status s =
            read_piece(labels_, labels_path_, max_bytes, labels_left_, *chunk.mutable_labels());
        !s.ok())
      return s;
    return true;
  }
  return false;
}

}  // namespace gradstream::server

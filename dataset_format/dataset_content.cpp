// DatasetContent: content bytes into the engine's Dataset.
#include "dataset_format/dataset_content.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace gradstream::dataset_format {

// Content bytes are little-endian; on such a host they are copied as they are.
static_assert(std::endian::native == std::endian::little,
              "dataset content assumes a little-endian host");

DatasetContent::DatasetContent(const v1::DatasetHeader& header, const DatasetLayout& layout)
    : num_classes_(header.num_classes()), layout_(layout) {
  for (uint32_t dim : header.sample_shape()) data_.sample_shape.push_back(dim);
  data_.count = static_cast<int64_t>(header.count());
  data_.features.resize(header.count() * layout.sample_values);
  if (header.element_type() == v1::UINT8) {
    data_.source_type = engine::SourceType::kUint8;
    raw_uint8_.resize(layout.feature_bytes);
  } else {
    data_.source_type = engine::SourceType::kFloat32;
  }
  data_.labels.resize(header.count());
}

char* DatasetContent::feature_bytes() {
  if (data_.source_type == engine::SourceType::kUint8)
    return reinterpret_cast<char*>(raw_uint8_.data());
  return reinterpret_cast<char*>(data_.features.data());
}

char* DatasetContent::label_bytes() { return reinterpret_cast<char*>(data_.labels.data()); }

engine::Status DatasetContent::append(const char* what, std::string_view bytes, char* dst,
                                      uint64_t size, uint64_t& filled) {
  if (bytes.size() > size - filled) {
    return engine::invalid_argument(
        std::string(what) + ": " + std::to_string(filled + bytes.size()) +
        " bytes, more than the " + std::to_string(size) + " its header gives");
  }
  std::memcpy(dst + filled, bytes.data(), bytes.size());
  filled += bytes.size();
  return engine::ok_status();
}

engine::Status DatasetContent::append_features(std::string_view bytes) {
  return append("features", bytes, feature_bytes(), layout_.feature_bytes, features_filled_);
}

engine::Status DatasetContent::append_labels(std::string_view bytes) {
  return append("labels", bytes, label_bytes(), layout_.label_bytes, labels_filled_);
}

bool DatasetContent::complete() const {
  return features_filled_ == layout_.feature_bytes && labels_filled_ == layout_.label_bytes;
}

engine::Result<engine::Dataset> DatasetContent::finish(const std::string& labels_source) && {
  if (data_.source_type == engine::SourceType::kUint8) {
    std::copy(raw_uint8_.begin(), raw_uint8_.end(), data_.features.begin());
    raw_uint8_ = {};
  }
  const auto bad = std::find_if(data_.labels.begin(), data_.labels.end(), [&](int32_t label) {
    return label < 0 || static_cast<uint32_t>(label) >= num_classes_;
  });
  if (bad != data_.labels.end()) {
    return engine::data_loss(labels_source + ": label " + std::to_string(*bad) +
                             " is out of range");
  }
  return std::move(data_);
}

}  // namespace gradstream::dataset_format

// UploadContentCheck and the chunk order: an upload's checks over its bytes.
#include "server/upload_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace gradstream::server {

namespace {

// Calls visit(index, element) for each complete `width`-byte element of
// carry + bytes, numbering them from `index`; an incomplete tail waits in `carry`.
template <class Visit>
engine::Status for_each_element(std::string& carry, uint64_t& index, size_t width,
                                std::string_view bytes, Visit&& visit) {
  size_t pos = 0;
  if (!carry.empty()) {
    pos = std::min(width - carry.size(), bytes.size());
    carry.append(bytes.substr(0, pos));
    if (carry.size() < width) return engine::ok_status();
    if (engine::Status s = visit(index, carry.data()); !s.ok()) return s;
    ++index;
    carry.clear();
  }
  for (; pos + width <= bytes.size(); pos += width, ++index)
    if (engine::Status s = visit(index, bytes.data() + pos); !s.ok()) return s;
  carry.assign(bytes.substr(pos));
  return engine::ok_status();
}

}  // namespace

engine::Status check_chunk_order(bool first_chunk, const v1::UploadDatasetChunk& chunk) {
  if (first_chunk && !chunk.has_header())
    return engine::invalid_argument("header: the first chunk must carry it");
  if (!first_chunk && chunk.has_header())
    return engine::invalid_argument("header: only the first chunk may carry it");
  return engine::ok_status();
}

UploadContentCheck::UploadContentCheck(v1::DatasetHeader header,
                                       dataset_format::DatasetLayout layout)
    : header_(std::move(header)), layout_(layout) {}

engine::Status UploadContentCheck::add_features(std::string_view bytes) {
  if (features_.bytes + bytes.size() > layout_.feature_bytes) {
    return engine::invalid_argument(
        "features: header.sample_shape " + dataset_format::sample_shape_text(header_) +
        " x header.count " + std::to_string(header_.count()) + " x " +
        std::to_string(layout_.element_bytes) +
        " bytes = " + std::to_string(layout_.feature_bytes) + " bytes expected, got at least " +
        std::to_string(features_.bytes + bytes.size()));
  }
  if (engine::Status s = check_feature_values(bytes); !s.ok()) return s;
  features_.bytes += bytes.size();
  return engine::ok_status();
}

engine::Status UploadContentCheck::add_labels(std::string_view bytes) {
  if (labels_.bytes + bytes.size() > layout_.label_bytes) {
    return engine::invalid_argument("labels: header.count " + std::to_string(header_.count()) +
                                    " x 4 bytes = " + std::to_string(layout_.label_bytes) +
                                    " bytes expected, got at least " +
                                    std::to_string(labels_.bytes + bytes.size()));
  }
  if (engine::Status s = check_label_values(bytes); !s.ok()) return s;
  labels_.bytes += bytes.size();
  return engine::ok_status();
}

engine::Status UploadContentCheck::check_complete() const {
  if (features_.bytes != layout_.feature_bytes) {
    return engine::invalid_argument("features: header.sample_shape " +
                                    dataset_format::sample_shape_text(header_) +
                                    " x header.count " + std::to_string(header_.count()) + " x " +
                                    std::to_string(layout_.element_bytes) +
                                    " bytes = " + std::to_string(layout_.feature_bytes) +
                                    " bytes expected, got " + std::to_string(features_.bytes));
  }
  if (labels_.bytes != layout_.label_bytes) {
    return engine::invalid_argument("labels: header.count " + std::to_string(header_.count()) +
                                    " x 4 bytes = " + std::to_string(layout_.label_bytes) +
                                    " bytes expected, got " + std::to_string(labels_.bytes));
  }
  return engine::ok_status();
}

engine::Status UploadContentCheck::check_feature_values(std::string_view bytes) {
  if (header_.element_type() != v1::FLOAT32) {
    features_.elements += bytes.size();
    return engine::ok_status();
  }
  const uint64_t per_sample = layout_.sample_values;
  return for_each_element(
      features_.carry, features_.elements, sizeof(float), bytes,
      [&](uint64_t index, const char* element) {
        float value;
        std::memcpy(&value, element, sizeof value);
        if (std::isfinite(value)) return engine::ok_status();
        return engine::invalid_argument("features: sample " + std::to_string(index / per_sample) +
                                        ", value " + std::to_string(index % per_sample) + " is " +
                                        (std::isnan(value) ? "NaN" : "infinite") +
                                        "; float32 features must be finite");
      });
}

engine::Status UploadContentCheck::check_label_values(std::string_view bytes) {
  const uint32_t classes = header_.num_classes();
  return for_each_element(
      labels_.carry, labels_.elements, dataset_format::kLabelBytes, bytes,
      [&](uint64_t index, const char* element) {
        int32_t label;
        std::memcpy(&label, element, sizeof label);
        if (label >= 0 && static_cast<uint32_t>(label) < classes) return engine::ok_status();
        return engine::invalid_argument("labels[" + std::to_string(index) +
                                        "]: " + std::to_string(label) + " is out of range [0, " +
                                        std::to_string(classes) + ") (header.num_classes)");
      });
}

}  // namespace gradstream::server

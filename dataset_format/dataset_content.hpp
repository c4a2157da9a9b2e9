// DatasetContent: the engine's Dataset an uploaded dataset's header describes,
// filled with its content bytes as stored (the server reading its files) or as
// fetched (a worker receiving them): one conversion, so both train on the same
// values. Features are little-endian row-major float32, or uint8 widened to
// floats 0..255 with source_type kUint8 (as the readers do); labels int32.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataset_format/dataset_header.hpp"
#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::dataset_format {

// Not thread-safe.
class DatasetContent {
 public:
  // Allocates what `layout` (validate_dataset_header's for `header`) says.
  DatasetContent(const v1::DatasetHeader& header, const DatasetLayout& layout);

  // Where all layout.feature_bytes (label_bytes) bytes go at once (a file read whole).
  char* feature_bytes();
  char* label_bytes();
  // Or piece by piece, in order: invalid_argument ("features: ...") when the
  // bytes pass what the header gives.
  engine::Status append_features(std::string_view bytes);
  engine::Status append_labels(std::string_view bytes);
  // Whether every appended byte the header gives has arrived.
  bool complete() const;

  // The Dataset. data_loss naming `labels_source` when a label is outside
  // [0, num_classes).
  engine::Result<engine::Dataset> finish(const std::string& labels_source) &&;

 private:
  static engine::Status append(const char* what, std::string_view bytes, char* dst, uint64_t size,
                               uint64_t& filled);

  const uint32_t num_classes_;
  const DatasetLayout layout_;
  engine::Dataset data_;
  std::vector<unsigned char> raw_uint8_;  // UINT8 features before widening
  uint64_t features_filled_ = 0;
  uint64_t labels_filled_ = 0;
};

}  // namespace gradstream::dataset_format

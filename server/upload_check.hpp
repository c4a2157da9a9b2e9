// What an UploadDataset stream must hold, apart from where its bytes are
// written: the header in the first chunk only, then content that fits the
// header (sizes, finite float32 features, labels in [0, num_classes)). Pure
// checks over the bytes as they arrive, so DatasetUpload and the upload fuzzer
// run the same code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dataset_format/dataset_header.hpp"
#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

// invalid_argument when the first chunk lacks the header or a later one
// carries one.
engine::Status check_chunk_order(bool first_chunk, const v1::UploadDatasetChunk& chunk);

// The content checks of one upload whose header passed validate_dataset_header
// (`layout` is what it returned). Features and labels may arrive in any
// interleaving and split anywhere, elements included: a partial element waits
// for the next bytes. Not thread-safe.
class UploadContentCheck {
 public:
  UploadContentCheck(v1::DatasetHeader header, dataset_format::DatasetLayout layout);

  // OK and the bytes counted as received, or invalid_argument naming the
  // field when they pass the size the header gives, a float is NaN or
  // infinite, or a label is out of [0, num_classes).
  engine::Status add_features(std::string_view bytes);
  engine::Status add_labels(std::string_view bytes);
  // OK when exactly the header's bytes arrived, else invalid_argument saying
  // how many were expected and how many came.
  engine::Status check_complete() const;

  const v1::DatasetHeader& header() const { return header_; }
  const dataset_format::DatasetLayout& layout() const { return layout_; }

 private:
  // One of the two byte streams: what arrived, and an element split across adds.
  struct Received {
    uint64_t bytes = 0;
    uint64_t elements = 0;  // complete elements checked so far
    std::string carry;      // the first bytes of an element split across adds
  };

  engine::Status check_feature_values(std::string_view bytes);
  engine::Status check_label_values(std::string_view bytes);

  const v1::DatasetHeader header_;
  const dataset_format::DatasetLayout layout_;
  Received features_;
  Received labels_;
};

}  // namespace gradstream::server

// Dataset headers (trainer.proto's DatasetHeader): what a valid one is, the
// byte sizes it implies, and the canonical encoding a dataset's id hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::dataset_format {

// First bytes of the canonical encoding: a new encoding gets a new tag.
inline constexpr char kDatasetHashTag[] = "gradstream.dataset.v1";
// Labels are class indices: num_classes in [1, kMaxDatasetClasses], the most a
// Dense layer can tell apart. 0 (regression without classes) is not accepted:
// every loss here reads int32 labels.
inline constexpr uint32_t kMaxDatasetClasses = 65536;
// Dimensions of one sample. The name is checked as every name is
// (engine::check_name: kMaxNameLength characters of kNameCharacters).
inline constexpr int kMaxSampleRank = 8;
inline constexpr uint64_t kLabelBytes = 4;  // int32

// Byte sizes a valid header implies.
struct DatasetLayout {
  uint64_t element_bytes = 0;  // 4 for FLOAT32, 1 for UINT8
  uint64_t sample_values = 0;  // product of sample_shape
  uint64_t feature_bytes = 0;  // count x sample_values x element_bytes
  uint64_t label_bytes = 0;    // count x kLabelBytes
  uint64_t total_bytes() const { return feature_bytes + label_bytes; }
};

// Checks every header field (invalid_argument naming it, e.g.
// "header.sample_shape[1]: 0 is out of range [1, 4294967295]"), then the size:
// resource_exhausted when features + labels would pass max_bytes. Nothing is
// allocated before this passes.
engine::Result<DatasetLayout> validate_dataset_header(const v1::DatasetHeader& header,
                                                      int64_t max_bytes);

// kDatasetHashTag (with its NUL) then, little-endian: u32 element_type,
// u32 rank, u32 per dim, u64 count, u32 num_classes. Not the name: the same
// data under another name is the same dataset.
std::string canonical_dataset_header(const v1::DatasetHeader& header);

// "[28, 28]", for messages.
std::string sample_shape_text(const v1::DatasetHeader& header);

}  // namespace gradstream::dataset_format

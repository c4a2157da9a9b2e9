// An uploaded dataset's splits.
#include "dataset_format/uploaded_splits.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace gradstream::dataset_format {

engine::Result<engine::DataSplits> uploaded_splits(engine::Dataset dataset,
                                                   const v1::DataSpec& data_spec, uint64_t seed,
                                                   uint32_t num_classes) {
  auto splits = engine::split_and_preprocess(std::move(dataset), std::nullopt, data_spec, seed);
  if (splits.ok()) {
    splits->num_classes = std::max<int32_t>(splits->num_classes, static_cast<int32_t>(num_classes));
  }
  return splits;
}

}  // namespace gradstream::dataset_format

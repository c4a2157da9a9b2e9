// An uploaded dataset split and preprocessed for a job, wherever it trains
// (the server, from its store; a worker, from the copy it fetched), so both
// train on the same splits.
#pragma once

#include <cstdint>

#include "engine/base/status.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::dataset_format {

// split_and_preprocess with no separate test set; num_classes is its
// header's: a class the uploader declared still gets an output unit even if
// no label uses it.
engine::Result<engine::DataSplits> uploaded_splits(engine::Dataset dataset,
                                                   const v1::DataSpec& data_spec, uint64_t seed,
                                                   uint32_t num_classes);

}  // namespace gradstream::dataset_format

// Data loading for a training job: resolves data.source (a built-in data set or
// files) to Datasets, splits off validation, preprocesses, counts classes.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/base/status.hpp"
#include "engine/data/input_preprocessing.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

struct DataSplits {
  Dataset train;
  Dataset validation;
  Dataset test;
  bool has_validation = false;
  bool has_test = false;
  int32_t num_classes = 0;           // max label + 1 over all splits
  InputPreprocessing preprocessing;  // what was applied to every split (model files keep it)
};

// Where built-in data sets live; overridable via env GRADSTREAM_FASHION_MNIST_DIR.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kFashionMnistDirEnv = "GRADSTREAM_FASHION_MNIST_DIR";

// data.validation_fraction must lie in [0, kMaxValidationFraction].
inline constexpr float kMaxValidationFraction = 0.5f;
// dense.units is at most 65536, so more classes could never be told apart.
inline constexpr int64_t kMaxClasses = 65536;

// Loads data.builtin or data.files, then split_and_preprocess. data.dataset_id
// gives not_found: uploaded data sets are resolved by gradstream-server, which
// then calls split_and_preprocess itself. Errors name the spec field or file.
Result<DataSplits> load_data(const v1::DataSpec& spec, uint64_t seed);

// What a job's data is, without preparing it: for built-in sets the counts
// of the (once read, then cached) files and the spec's own checks, no copy,
// split or scaling, so CreateJob answers in microseconds; for data.files,
// the files' headers and metadata only (scan_file_pair): they exist and
// parse, features and labels agree on the count, train and test on the
// sample size, and validation_fraction leaves samples on both sides. What
// only a full read finds (a cell that is not a number, a label out of range)
// is load_data's error, when the job starts.
struct DataSummary {
  int64_t train_count = 0;  // before the validation split: an upper bound
  int64_t sample_size = 0;
};
Result<DataSummary> summarize_data(const v1::DataSpec& spec, uint64_t seed);

// Everything after reading:
//   1. validation: round(count * validation_fraction) samples (at most
//      count - 1) chosen by a permutation seeded with `seed`; train and
//      validation each keep their samples in file order.
//   2. preprocessing (data.preprocess; UNSPECIFIED = SCALE for uint8 sources,
//      NONE otherwise), STANDARDIZE using the statistics of the final train split;
//      its constants in DataSplits::preprocessing.
//   3. num_classes = max label + 1 over train, validation and test.
// The test set, when given, must have train's sample_size.
Result<DataSplits> split_and_preprocess(Dataset train, std::optional<Dataset> test,
                                        const v1::DataSpec& spec, uint64_t seed);

}  // namespace gradstream::engine

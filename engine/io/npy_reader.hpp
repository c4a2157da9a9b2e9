// Reader for NumPy .npy files (format versions 1, 2 and 3): a magic string, a
// little-endian header length, a Python dict literal describing the array
// ('descr', 'fortran_order', 'shape'), then the raw array.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"

namespace gradstream::engine {

// Largest array (in elements) a header may announce; checked, together with
// the file size, before anything is allocated.
inline constexpr int64_t kMaxNpyElements = int64_t{1} << 31;
// numpy writes headers of a few hundred bytes; anything far larger is not one.
inline constexpr int64_t kMaxNpyHeaderBytes = int64_t{1} << 16;
// Labels are int32 and the class count is max label + 1, which must fit too.
inline constexpr int64_t kMaxNpyLabel = std::numeric_limits<int32_t>::max() - 1;

// Reads a features array and a labels array into one Dataset, whole or not at all.
//   features: dtype '<f4' or '|u1' ('<u1' also accepted), C order, >= 1 dims;
//             shape[0] is the sample count, the rest the sample shape.
//   labels:   dtype '|u1', '<u1', '<i4' or '<i8', one dimension equal to the
//             sample count, values in [0, kMaxNpyLabel].
// Errors name the file and the problem:
//   not_found        the file cannot be opened;
//   data_loss        bad magic, an unparsable header, truncated data, trailing bytes;
//   invalid_argument unsupported dtype or version, fortran_order True, a zero
//                    dimension, too many elements, shape mismatch between the
//                    two files, NaN or infinite features, labels out of range.
Result<Dataset> read_npy(const std::string& features_path, const std::string& labels_path);

// The sample count and shape, from the headers and file sizes alone: every
// check above but those of the values (NaN features, labels out of range).
Result<DatasetShape> read_npy_shape(const std::string& features_path,
                                    const std::string& labels_path);

// The features array alone, checked as above (for inputs to predict: no labels).
Result<Dataset> read_npy_features(const std::string& path);

}  // namespace gradstream::engine

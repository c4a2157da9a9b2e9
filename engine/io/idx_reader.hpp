// Reader for IDX files, the format of MNIST and Fashion-MNIST: a big-endian
// header (magic, then one uint32 per dimension) followed by the raw array.
// Files may be gzip-compressed; the gzip magic (1f 8b) decides, not the name.
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"

namespace gradstream::engine {

// Largest array (in elements) a header may announce. Checked before anything
// is allocated, so a corrupt or hostile header cannot ask for terabytes.
inline constexpr int64_t kMaxIdxElements = int64_t{1} << 31;

// Reads a features file and its labels file into one Dataset, whole or not at all.
//   features: type byte 0x08 (ubyte) or 0x0D (big-endian float32), >= 1 dims;
//             dims[0] is the sample count, the rest the sample shape.
//             Values are kept raw (0..255 for ubyte); preprocessing is separate.
//   labels:   magic 0x00000801 (ubyte, one dim), one per sample.
// Errors name the file and the problem:
//   not_found        the file cannot be opened;
//   data_loss        wrong magic, truncated header or data, trailing bytes,
//                    corrupt gzip stream;
//   invalid_argument a zero dimension, an array over kMaxIdxElements, or label
//                    and sample counts that disagree.
Result<Dataset> read_idx(const std::string& features_path, const std::string& labels_path);

// The sample count and shape, from the headers alone: every check above but
// those of the payload (NaN floats; for gzip files, truncation and trailing
// bytes), and nothing of the payload is read.
Result<DatasetShape> read_idx_shape(const std::string& features_path,
                                    const std::string& labels_path);

}  // namespace gradstream::engine

// data.files: the table of file formats, and a split's pair of files (features
// and labels, or one CSV) either read whole or described from headers alone.
#pragma once

#include <string>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

// The format `split`'s files are read as: data.files.format, or else the one
// the features file's suffix implies (invalid_argument naming the field when
// it implies none).
Result<v1::Format> file_format(const v1::FileSource& src, const std::string& split);

// `split` is "train" or "test": the pair data.files.<split>_features and
// data.files.<split>_labels. The format is data.files.format, or else implied
// by the features file's suffix (.idx/.gz/-ubyte, .csv, .npy). Field errors
// name the field (data.files.test_labels: is required for IDX files); file
// errors are the reader's, which name the file.
Result<Dataset> read_file_pair(const v1::FileSource& src, const std::string& split);

// The same pair's sample count and shape from the files' headers (IDX, NPY)
// or a scan of their lines (CSV), without reading or parsing the data, so
// its cost on CreateJob's thread does not grow with a parse of every value.
Result<DatasetShape> scan_file_pair(const v1::FileSource& src, const std::string& split);

}  // namespace gradstream::engine

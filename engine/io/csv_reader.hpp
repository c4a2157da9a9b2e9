// Reader for numeric CSV files: one sample per row, the label in one column
// and every other column a float feature.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "engine/base/status.hpp"
#include "engine/io/dataset.hpp"

namespace gradstream::engine {

// Most feature values one file may hold: a bound on memory for huge inputs.
inline constexpr int64_t kMaxCsvElements = int64_t{1} << 31;
// Labels are int32 and the class count is max label + 1, which must fit too.
inline constexpr int64_t kMaxCsvLabel = std::numeric_limits<int32_t>::max() - 1;

// Reads `path` into a Dataset with sample_shape {columns - 1}, whole or not at all.
//   label_column: index of the label column, 0-based; negative counts from the
//                 end (-1 is the last column).
//   has_header:   the first non-blank line is a header and is skipped.
// Blank lines and a leading UTF-8 BOM are skipped, "\r\n" endings accepted,
// cells may be padded with spaces. Errors name the file and, for a bad cell,
// its line and column (1-based):
//   not_found        the file cannot be opened;
//   data_loss        a cell that is not a number, rows of different widths;
// (messages say what was expected in a cell, never the cell's text)
//   invalid_argument no data rows, label_column out of range, NaN or infinite
//                    features, a label that is not an integer in
//                    [0, kMaxCsvLabel], more than kMaxCsvElements features.
Result<Dataset> read_csv(const std::string& path, int label_column, bool has_header);

// The row count and sample shape {columns - 1} without parsing a number: the
// first data row gives the width (and label_column is checked against it),
// the rest are counted as non-blank lines. Errors as read_csv's for a missing
// file, no data rows, label_column, and more than kMaxCsvElements features;
// a bad cell or a row of another width is found only by read_csv.
Result<DatasetShape> scan_csv(const std::string& path, int label_column, bool has_header);

}  // namespace gradstream::engine

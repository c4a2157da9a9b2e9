// CSV reading: line by line with std::from_chars, so parsing is locale-free
// and exact (each float is the correctly rounded value of its text). Errors
// say where a cell is and what was expected, never the cell's text: a file's
// content stays out of logs and job reasons.
#include "engine/io/csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

namespace gradstream::engine {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// The largest buffer scan_csv counts rows through; a smaller file gets one of
// its own size.
constexpr size_t kScanChunkBytes = size_t{1} << 20;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void split_cells(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      cells.push_back(trim(line.substr(start)));
      return;
    }
    cells.push_back(trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
}

// Parses the whole cell as a number; from_chars takes no leading '+', CSV writers may.
template <class T>
bool parse_number(std::string_view cell, T& value) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '-' && cell[1] != '+') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return ec == std::errc() && end == cell.data() + cell.size();
}

// Parser state for one file, so each check can name the line it is on.
class CsvParser {
 public:
  CsvParser(const std::string& path, int label_column) : path_(path), label_column_(label_column) {}

  // The first data row: its width becomes the file's, the label column is checked against it.
  Status set_columns(std::string_view line, int64_t line_no) {
    split_cells(line, cells_);
    return set_columns(line_no);
  }
  size_t columns() const { return columns_; }

  Status add_row(std::string_view line, int64_t line_no) {
    split_cells(line, cells_);
    if (columns_ == 0) {
      if (Status s = set_columns(line_no); !s.ok()) return s;
    } else if (cells_.size() != columns_) {
      return data_loss(where(line_no) + "has " + std::to_string(cells_.size()) +
                       " columns, expected " + std::to_string(columns_) + " (as on line " +
                       std::to_string(first_line_) + ")");
    }
    const int64_t features_per_row = static_cast<int64_t>(columns_) - 1;
    if ((out_.count + 1) * features_per_row > kMaxCsvElements)
      return invalid_argument(path_ + ": more than " + std::to_string(kMaxCsvElements) +
                              " feature values");
    for (size_t c = 0; c < columns_; ++c) {
      Status s =
          c == label_index_ ? add_label(cells_[c], line_no, c) : add_feature(cells_[c], line_no, c);
      if (!s.ok()) return s;
    }
    ++out_.count;
    return ok_status();
  }

  Result<Dataset> finish() {
    if (out_.count == 0) return invalid_argument(path_ + ": no data rows");
    out_.sample_shape = {static_cast<int64_t>(columns_) - 1};
    out_.source_type = SourceType::kFloat32;
    return std::move(out_);
  }

 private:
  std::string where(int64_t line_no) const {
    return path_ + ": line " + std::to_string(line_no) + " ";
  }
  std::string where(int64_t line_no, size_t column) const {
    return path_ + ": line " + std::to_string(line_no) + ", column " + std::to_string(column + 1) +
           ": ";
  }

  Status set_columns(int64_t line_no) {
    const int64_t n = static_cast<int64_t>(cells_.size());
    if (n < 2)
      return invalid_argument(where(line_no) + "has " + std::to_string(n) +
                              " column; need a label column and at least one feature");
    const int64_t index = label_column_ < 0 ? n + label_column_ : label_column_;
    if (index < 0 || index >= n)
      return invalid_argument(path_ + ": label_column " + std::to_string(label_column_) +
                              " is out of range [" + std::to_string(-n) + ", " +
                              std::to_string(n - 1) + "] for " + std::to_string(n) + " columns");
    columns_ = cells_.size();
    label_index_ = static_cast<size_t>(index);
    first_line_ = line_no;
    return ok_status();
  }

  Status add_feature(std::string_view cell, int64_t line_no, size_t column) {
    float value = 0;
    if (!parse_number(cell, value))
      return data_loss(where(line_no, column) + "the feature is not a number (expected a decimal)");
    if (!std::isfinite(value))
      return invalid_argument(where(line_no, column) +
                              "the feature is NaN or infinite (expected a finite decimal)");
    out_.features.push_back(value);
    return ok_status();
  }

  Status add_label(std::string_view cell, int64_t line_no, size_t column) {
    double value = 0;
    if (!parse_number(cell, value))
      return data_loss(where(line_no, column) +
                       "the label is not a number (expected an integer in [0, " +
                       std::to_string(kMaxCsvLabel) + "])");
    if (!std::isfinite(value) || value < 0 || value != std::floor(value) ||
        value > static_cast<double>(kMaxCsvLabel))
      return invalid_argument(where(line_no, column) + "the label is not an integer in [0, " +
                              std::to_string(kMaxCsvLabel) + "]");
    out_.labels.push_back(static_cast<int32_t>(value));
    return ok_status();
  }

  const std::string& path_;
  const int label_column_;
  std::vector<std::string_view> cells_;
  size_t columns_ = 0;
  size_t label_index_ = 0;
  int64_t first_line_ = 0;
  Dataset out_;
};

// A CSV file's data rows, line by line: a leading BOM, blank lines and the
// header (when there is one) are skipped.
class CsvRows {
 public:
  explicit CsvRows(bool has_header) : header_pending_(has_header) {}

  Status open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
    if (!std::filesystem::is_regular_file(path, ec))
      return invalid_argument(path + ": not a regular file");
    file_bytes_ = std::filesystem::file_size(path, ec);  // uintmax_t(-1) on error: no bound
    in_.open(path, std::ios::binary);
    if (!in_) return not_found(path + ": cannot open");
    return ok_status();
  }

  // The next data row into line(); false at the end of the file.
  bool next() {
    while (std::getline(in_, line_)) {
      ++line_no_;
      // Spreadsheet exports often start with a UTF-8 byte order mark.
      if (line_no_ == 1 && line_.starts_with(kUtf8Bom)) line_.erase(0, kUtf8Bom.size());
      if (trim(line_).empty()) continue;
      if (header_pending_) {
        header_pending_ = false;
        continue;
      }
      return true;
    }
    return false;
  }

  const std::string& line() const { return line_; }
  int64_t line_no() const { return line_no_; }
  std::istream& stream() { return in_; }
  // The size when opened: what is left to read is at most this.
  uintmax_t file_bytes() const { return file_bytes_; }

 private:
  std::ifstream in_;
  uintmax_t file_bytes_ = 0;
  std::string line_;
  int64_t line_no_ = 0;
  bool header_pending_;
};

// The rows left in `in`: lines with a character other than blanks, as
// read_csv counts them. Cheap enough for CreateJob's thread: one sequential
// pass through a buffer of at most kScanChunkBytes (no larger than the file,
// `file_bytes`, so a small file costs no megabyte to allocate and clear),
// memchr to each newline and a look at a line's first characters; no number
// is parsed and nothing is allocated per row.
Result<int64_t> count_rows(std::istream& in, uintmax_t file_bytes, const std::string& path) {
  std::vector<char> chunk(
      static_cast<size_t>(std::clamp<uintmax_t>(file_bytes, 1, kScanChunkBytes)));
  int64_t rows = 0;
  bool row_has_content = false;  // the line being scanned so far
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const char* p = chunk.data();
    const char* const end = p + in.gcount();
    while (p < end) {
      const auto* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* const line_end = newline != nullptr ? newline : end;
      if (!row_has_content) row_has_content = std::find_if_not(p, line_end, is_space) != line_end;
      if (newline == nullptr) break;
      rows += row_has_content ? 1 : 0;
      row_has_content = false;
      p = newline + 1;
    }
  }
  if (in.bad()) return data_loss(path + ": read error");
  return rows + (row_has_content ? 1 : 0);
}

}  // namespace

Result<Dataset> read_csv(const std::string& path, int label_column, bool has_header) {
  CsvRows rows(has_header);
  if (Status s = rows.open(path); !s.ok()) return s;
  CsvParser parser(path, label_column);
  while (rows.next())
    if (Status s = parser.add_row(rows.line(), rows.line_no()); !s.ok()) return s;
  if (rows.stream().bad()) return data_loss(path + ": read error");
  return parser.finish();
}

Result<DatasetShape> scan_csv(const std::string& path, int label_column, bool has_header) {
  CsvRows rows(has_header);
  if (Status s = rows.open(path); !s.ok()) return s;
  if (!rows.next()) {
    if (rows.stream().bad()) return data_loss(path + ": read error");
    return invalid_argument(path + ": no data rows");
  }
  CsvParser parser(path, label_column);
  if (Status s = parser.set_columns(rows.line(), rows.line_no()); !s.ok()) return s;
  auto rest = count_rows(rows.stream(), rows.file_bytes(), path);
  if (!rest.ok()) return rest.status();
  const int64_t count = 1 + *rest;
  const int64_t features_per_row = static_cast<int64_t>(parser.columns()) - 1;
  if (count * features_per_row > kMaxCsvElements)
    return invalid_argument(path + ": more than " + std::to_string(kMaxCsvElements) +
                            " feature values");
  return DatasetShape{count, {features_per_row}};
}

}  // namespace gradstream::engine

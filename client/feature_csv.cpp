// parse_feature_csv: strict number parsing with std::from_chars, per line.
#include "client/feature_csv.hpp"

#include <charconv>
#include <system_error>

namespace gradstream::client {

namespace {

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The line's numbers, or false if any field is not a number.
bool parse_row(const std::string& line, std::vector<float>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    const std::string field =
        trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    float value = 0.0F;
    const char* begin = field.data();
    if (!field.empty() && field[0] == '+') ++begin;  // from_chars refuses a leading '+'
    const auto [end, error] = std::from_chars(begin, field.data() + field.size(), value);
    if (field.empty() || error != std::errc() || end != field.data() + field.size()) return false;
    out.push_back(value);
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

}  // namespace

std::string parse_feature_csv(std::istream& in, FeatureRows& rows) {
  rows = {};
  std::string line;
  std::vector<float> row;
  size_t line_number = 0;
  size_t first_line = 0;  // line of the first data row
  while (std::getline(in, line)) {
    ++line_number;
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    if (!parse_row(text, row)) {
      if (first_line == 0 && rows.count == 0 && line_number == 1) continue;  // header
      return "line " + std::to_string(line_number) + ": not a row of comma-separated numbers";
    }
    if (first_line == 0) {
      first_line = line_number;
      rows.features = static_cast<uint32_t>(row.size());
    } else if (row.size() != rows.features) {
      return "line " + std::to_string(line_number) + ": has " + std::to_string(row.size()) +
             " values, line " + std::to_string(first_line) + " has " +
             std::to_string(rows.features);
    }
    rows.values.insert(rows.values.end(), row.begin(), row.end());
    ++rows.count;
  }
  if (rows.count == 0) return "no feature rows found";
  return {};
}

}  // namespace gradstream::client

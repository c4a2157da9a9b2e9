// Feature rows for `gradstream predict --input FILE`: a CSV file with one
// sample per line, its features as comma-separated numbers. Blank lines and
// lines starting with '#' are skipped; a first line that is not numeric is a
// header and skipped too. Every row must have the same number of features.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace gradstream::client {

struct FeatureRows {
  uint32_t count = 0;
  uint32_t features = 0;
  std::vector<float> values;  // count x features, row-major
};

// Fills `rows`; returns an empty string, or what is wrong and on which line
// ("line 3: has 4 values, line 1 has 5").
std::string parse_feature_csv(std::istream& in, FeatureRows& rows);

}  // namespace gradstream::client

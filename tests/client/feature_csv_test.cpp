// parse_feature_csv: rows, header and comment skipping, and errors naming the line.
#include "client/feature_csv.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace gradstream::client {
namespace {

TEST(FeatureCsvTest, ReadsRowsSkippingHeaderCommentsAndBlankLines) {
  std::istringstream in("a,b,c\n1, 2.5 ,-3\n\n# a comment\n+4,5e-1,6\r\n");
  FeatureRows rows;
  EXPECT_EQ(parse_feature_csv(in, rows), "");
  EXPECT_EQ(rows.count, 2U);
  EXPECT_EQ(rows.features, 3U);
  EXPECT_EQ(rows.values, (std::vector<float>{1, 2.5F, -3, 4, 0.5F, 6}));
}

TEST(FeatureCsvTest, RaggedRowNamesItsLine) {
  std::istringstream in("1,2,3\n4,5\n");
  FeatureRows rows;
  EXPECT_EQ(parse_feature_csv(in, rows), "line 2: has 2 values, line 1 has 3");
}

TEST(FeatureCsvTest, NonNumericDataRowAndEmptyFileAreErrors) {
  std::istringstream bad("1,2\n3,x\n");
  FeatureRows rows;
  EXPECT_EQ(parse_feature_csv(bad, rows), "line 2: not a row of comma-separated numbers");
  std::istringstream empty("# nothing\n");
  EXPECT_EQ(parse_feature_csv(empty, rows), "no feature rows found");
}

}  // namespace
}  // namespace gradstream::client

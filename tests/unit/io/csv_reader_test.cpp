// Tests of read_csv and scan_csv: label column placement, headers, line
// endings, and each malformed input with its status code and a message naming
// file and line but never the cell's text.
#include "engine/io/csv_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

class CsvReaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text, const std::string& name = "data.csv") {
    return dir_.write(name, text);
  }

  template <class T>
  void expect_error(const Result<T>& r, StatusCode code, const std::vector<std::string>& words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    for (const std::string& w : words)
      EXPECT_NE(r.status().message().find(w), std::string::npos)
          << "'" << w << "' not in: " << r.status().message();
  }

  test_support::TempDir dir_{"csv"};
};

TEST_F(CsvReaderTest, ReadsLastColumnLabelsWithHeader) {
  auto r = read_csv(write("a,b,label\n1.5,-2,0\n3e2, 4 ,2\n"), -1, true);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, 2);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(r->source_type, SourceType::kFloat32);
  EXPECT_EQ(r->features, (std::vector<float>{1.5f, -2.0f, 300.0f, 4.0f}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{0, 2}));
}

TEST_F(CsvReaderTest, ReadsFirstColumnLabelsWithCrlfAndBlankLines) {
  auto r = read_csv(write("7,0.25,+1\r\n\r\n3,1e-3,-0.5\r\n\n\n"), 0, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, 2);
  EXPECT_EQ(r->features, (std::vector<float>{0.25f, 1.0f, 1e-3f, -0.5f}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{7, 3}));
}

TEST_F(CsvReaderTest, SkipsUtf8ByteOrderMark) {
  auto r = read_csv(write("\xEF\xBB\xBF"
                          "1.25,3\n"),
                    -1, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->features, (std::vector<float>{1.25f}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{3}));
}

TEST_F(CsvReaderTest, MiddleLabelColumnAndIntegralFloatLabels) {
  auto r = read_csv(write("1,2.0,3\n4,5.0,6\n"), 1, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->features, (std::vector<float>{1, 3, 4, 6}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{2, 5}));
  auto from_end = read_csv(write("1,2.0,3\n4,5.0,6\n"), -2, false);
  ASSERT_TRUE(from_end.ok());
  EXPECT_EQ(from_end->labels, (std::vector<int32_t>{2, 5}));
}

TEST_F(CsvReaderTest, MissingFileIsNotFound) {
  const std::string path = dir_.file("missing.csv");
  expect_error(read_csv(path, -1, false), StatusCode::kNotFound, {path});
}

TEST_F(CsvReaderTest, NonNumericCellNamesFileLineAndColumn) {
  const std::string path = write("x,y,label\n1,2,0\n3,abc,1\n");
  expect_error(read_csv(path, -1, true), StatusCode::kDataLoss,
               {path, "line 3, column 2: the feature is not a number (expected a decimal)"});
  EXPECT_EQ(read_csv(path, -1, true).status().message().find("abc"), std::string::npos);
}

TEST_F(CsvReaderTest, EmptyCellIsNotANumber) {
  const std::string path = write("1,,0\n");
  expect_error(read_csv(path, -1, false), StatusCode::kDataLoss, {path, "line 1", "column 2"});
}

TEST_F(CsvReaderTest, PartlyNumericCellIsRejected) {
  const std::string path = write("1,2,0\n1.5x,2,0\n");
  expect_error(read_csv(path, -1, false), StatusCode::kDataLoss,
               {path, "line 2", "column 1", "not a number"});
  EXPECT_EQ(read_csv(path, -1, false).status().message().find("1.5x"), std::string::npos);
}

TEST_F(CsvReaderTest, NanFeatureIsInvalidArgument) {
  const std::string path = write("1,2,0\n\n3,nan,1\n");
  expect_error(read_csv(path, -1, false), StatusCode::kInvalidArgument,
               {path, "line 3", "column 2", "NaN or infinite"});
}

TEST_F(CsvReaderTest, InfiniteFeatureIsInvalidArgument) {
  const std::string path = write("-inf,2,0\n");
  expect_error(read_csv(path, -1, false), StatusCode::kInvalidArgument,
               {path, "line 1", "column 1"});
}

TEST_F(CsvReaderTest, NegativeOrFractionalLabelIsInvalidArgument) {
  const std::string negative = write("1,2,-1\n", "neg.csv");
  expect_error(read_csv(negative, -1, false), StatusCode::kInvalidArgument,
               {negative, "line 1", "column 3", "the label is not an integer in [0, 2147483646]"});
  const std::string fractional = write("1,2,0\n1,2,1.5\n", "frac.csv");
  expect_error(read_csv(fractional, 2, false), StatusCode::kInvalidArgument,
               {fractional, "line 2", "the label is not an integer"});
  EXPECT_EQ(read_csv(fractional, 2, false).status().message().find("1.5"), std::string::npos);
  const std::string word = write("1,2,cat\n", "word.csv");
  expect_error(read_csv(word, -1, false), StatusCode::kDataLoss,
               {word, "line 1, column 3: the label is not a number (expected an integer in [0, "});
  EXPECT_EQ(read_csv(word, -1, false).status().message().find("cat"), std::string::npos);
}

TEST_F(CsvReaderTest, RowsOfDifferentWidthsAreDataLoss) {
  const std::string path = write("h1,h2,h3\n1,2,0\n1,2,3,0\n");
  expect_error(read_csv(path, -1, true), StatusCode::kDataLoss,
               {path, "line 3", "4 columns, expected 3", "line 2"});
}

TEST_F(CsvReaderTest, EmptyFileAndHeaderOnlyHaveNoRows) {
  const std::string empty = write("", "empty.csv");
  expect_error(read_csv(empty, -1, false), StatusCode::kInvalidArgument, {empty, "no data rows"});
  const std::string header_only = write("a,b,label\n", "header.csv");
  expect_error(read_csv(header_only, -1, true), StatusCode::kInvalidArgument,
               {header_only, "no data rows"});
}

TEST_F(CsvReaderTest, LabelColumnOutOfRangeIsInvalidArgument) {
  const std::string path = write("1,2,0\n");
  expect_error(read_csv(path, 3, false), StatusCode::kInvalidArgument,
               {path, "label_column 3 is out of range [-3, 2]"});
  expect_error(read_csv(path, -4, false), StatusCode::kInvalidArgument, {path, "label_column -4"});
}

TEST_F(CsvReaderTest, SingleColumnHasNoFeatures) {
  const std::string path = write("1\n2\n");
  expect_error(read_csv(path, 0, false), StatusCode::kInvalidArgument,
               {path, "at least one feature"});
}

TEST_F(CsvReaderTest, ScanCountsRowsAndColumnsWithoutParsing) {
  // A BOM, a header, blank and whitespace-only lines, CRLF endings, no final newline.
  const std::string path = write(
      "\xEF\xBB\xBF"
      "a,b,c,label\r\n1,2,3,0\r\n\r\n  \t\n4,5,6,1\n7,8,9,2");
  auto shape = scan_csv(path, -1, true);
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, 3);
  EXPECT_EQ(shape->sample_shape, (std::vector<int64_t>{3}));
  auto read = read_csv(path, -1, true);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->count, shape->count);
}

// scan_csv counts through a buffer of at most 1 MiB: a 1.44 MB file of rows
// and blank lines fills it and goes on, a line cut at its edge.
TEST_F(CsvReaderTest, ScanCountsRowsPastItsMegabyteBuffer) {
  std::string text = "x,label\n";
  constexpr int kRows = 160000;
  for (int i = 0; i < kRows; ++i) text += i % 3 == 0 ? "0.125,4\n\n" : "-2.5e1,1\n";
  ASSERT_GT(text.size(), size_t{1} << 20);
  const std::string path = write(text);
  auto shape = scan_csv(path, -1, true);
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, kRows);
  auto read = read_csv(path, -1, true);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->count, kRows);
}

TEST_F(CsvReaderTest, ScanPassesABadCellThatTheReadNamesByLineAndColumn) {
  std::string text;
  for (int i = 0; i < 9000; ++i) text += "0.5,1.5,1\n";
  text += "0.5,secret-text,1\n";
  const std::string path = write(text);
  auto shape = scan_csv(path, -1, false);
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, 9001);
  auto read = read_csv(path, -1, false);
  expect_error(read, StatusCode::kDataLoss,
               {path, "line 9001, column 2: the feature is not a number (expected a decimal)"});
  EXPECT_EQ(read.status().message().find("secret"), std::string::npos);
}

TEST_F(CsvReaderTest, ScanChecksWhatTheFirstRowTells) {
  const std::string missing = dir_.file("missing.csv");
  expect_error(scan_csv(missing, -1, false), StatusCode::kNotFound, {missing, "no such file"});
  const std::string header_only = write("a,b,label\n\n", "header.csv");
  expect_error(scan_csv(header_only, -1, true), StatusCode::kInvalidArgument,
               {header_only, "no data rows"});
  const std::string narrow = write("1\n2\n", "narrow.csv");
  expect_error(scan_csv(narrow, 0, false), StatusCode::kInvalidArgument,
               {narrow, "line 1 has 1 column", "at least one feature"});
  const std::string rows = write("1,2,0\n", "rows.csv");
  expect_error(scan_csv(rows, 3, false), StatusCode::kInvalidArgument,
               {rows, "label_column 3 is out of range [-3, 2]"});
  expect_error(scan_csv(dir_.path().string(), -1, false), StatusCode::kInvalidArgument,
               {"not a regular file"});
}

}  // namespace
}  // namespace gradstream::engine

// Tests of read_file_pair and scan_file_pair: the format table (by suffix or
// data.files.format), field errors naming the field, and the header-only scan
// agreeing with the full read on every format.
#include "engine/data/file_source.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

template <class T>
void expect_error(const Result<T>& r, StatusCode code, const std::string& words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
}

// An IDX file: magic 0x0000 08 ndims, big-endian dims, ubyte payload.
std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& payload) {
  std::string out = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(d >> shift);
  out.append(payload.begin(), payload.end());
  return out;
}

// A version 1 .npy file of '|u1' values, header padded as numpy pads it.
std::string npy_bytes(const std::string& shape, const std::vector<uint8_t>& payload) {
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xFF);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + std::string(payload.begin(), payload.end());
}

class FileSourceTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }
  test_support::TempDir dir_{"file_source"};
};

TEST_F(FileSourceTest, ScanAgreesWithTheReadForEveryFormat) {
  v1::FileSource csv;
  csv.set_train_features(write("train.csv", "1,2,3,0\n4,5,6,1\n"));
  csv.set_label_column(-1);
  v1::FileSource idx;
  idx.set_train_features(write("x-ubyte", idx_bytes({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})));
  idx.set_train_labels(write("y-ubyte", idx_bytes({2}, {0, 1})));
  v1::FileSource npy;
  npy.set_test_features(write("x.npy", npy_bytes("(3, 5)", std::vector<uint8_t>(15, 7))));
  npy.set_test_labels(write("y.npy", npy_bytes("(3,)", {0, 1, 2})));
  struct Case {
    const v1::FileSource& src;
    std::string split;
    int64_t count;
    std::vector<int64_t> sample_shape;
  };
  for (const Case& c :
       {Case{csv, "train", 2, {3}}, Case{idx, "train", 2, {2, 2}}, Case{npy, "test", 3, {5}}}) {
    auto shape = scan_file_pair(c.src, c.split);
    ASSERT_TRUE(shape.ok()) << shape.status().message();
    EXPECT_EQ(shape->count, c.count);
    EXPECT_EQ(shape->sample_shape, c.sample_shape);
    auto read = read_file_pair(c.src, c.split);
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(read->count, c.count);
    EXPECT_EQ(read->sample_shape, c.sample_shape);
  }
}

TEST_F(FileSourceTest, FormatFieldOverridesTheSuffix) {
  v1::FileSource src;
  src.set_format(v1::CSV);
  src.set_train_features(write("rows.txt", "1,0\n2,1\n3,0\n"));
  src.set_label_column(-1);
  auto shape = scan_file_pair(src, "train");
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, 3);
}

TEST_F(FileSourceTest, FieldErrorsNameTheFieldOfTheSplit) {
  v1::FileSource src;
  expect_error(scan_file_pair(src, "train"), StatusCode::kInvalidArgument,
               "data.files.train_features: is required");
  src.set_test_features(write("test.bin", "1,0\n"));
  expect_error(scan_file_pair(src, "test"), StatusCode::kInvalidArgument,
               "data.files.test_features: cannot tell the format of");
  src.set_test_features("t10k-images-idx3-ubyte");
  expect_error(scan_file_pair(src, "test"), StatusCode::kInvalidArgument,
               "data.files.test_labels: is required for IDX files");
  src.set_test_features(write("test.csv", "1,0\n"));
  src.set_test_labels("labels.csv");
  expect_error(scan_file_pair(src, "test"), StatusCode::kInvalidArgument,
               "data.files.test_labels: CSV files hold their labels");
}

TEST_F(FileSourceTest, ScanErrorsKeepTheFilePath) {
  v1::FileSource src;
  const std::string labels = write("y.npy", npy_bytes("(2,)", {0, 1}));
  const std::string features = write("x.npy", npy_bytes("(3, 1)", {1, 2, 3}));
  src.set_train_features(features);
  src.set_train_labels(labels);
  expect_error(scan_file_pair(src, "train"), StatusCode::kInvalidArgument,
               labels +
                   ": labels must have shape (samples,): one dimension, as long as the "
                   "first of " +
                   features);
}

}  // namespace
}  // namespace gradstream::engine

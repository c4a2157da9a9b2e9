// Tests of read_npy: files laid out exactly as numpy.save writes them (v1 and
// v2 headers), and each malformed case with its status code and file path.
#include "engine/io/npy_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

using Bytes = std::vector<uint8_t>;

// numpy.save's layout: magic, version, header length, dict padded with spaces
// and ended by '\n' so the data starts on a 64-byte boundary.
Bytes npy_file(const std::string& descr, const std::string& shape, const Bytes& payload,
               int major = 1, const std::string& fortran = "False") {
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
  const size_t preamble = 6 + 2 + (major == 1 ? 2 : 4);
  while ((preamble + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<uint8_t>(dict.size() >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

template <class T>
Bytes le_bytes(const std::vector<T>& values) {
  Bytes out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

class NpyReaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const Bytes& bytes) {
    return dir_.write(name, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  }
  // Three 2x2 float samples 0.5, 1.5, ... and their int64 labels 2, 0, 1.
  std::string features() {
    return write("x.npy", npy_file("<f4", "(3, 2, 2)",
                                   le_bytes<float>({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f,
                                                    8.5f, 9.5f, 10.5f, -11.5f})));
  }
  std::string labels() {
    return write("y.npy", npy_file("<i8", "(3,)", le_bytes<int64_t>({2, 0, 1})));
  }

  template <class T>
  void expect_error(const Result<T>& r, StatusCode code, const std::string& path,
                    const std::string& words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  }

  test_support::TempDir dir_{"npy"};
};

TEST_F(NpyReaderTest, ReadsFloat32FeaturesAndInt64Labels) {
  auto r = read_npy(features(), labels());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r->source_type, SourceType::kFloat32);
  EXPECT_EQ(r->features[0], 0.5f);
  EXPECT_EQ(r->features[11], -11.5f);
  EXPECT_EQ(r->labels, (std::vector<int32_t>{2, 0, 1}));
}

TEST_F(NpyReaderTest, ReadsUint8FeaturesWithVersion2HeaderAndInt32Labels) {
  auto r = read_npy(write("x.npy", npy_file("|u1", "(2, 3)", {0, 128, 255, 1, 2, 3}, 2)),
                    write("y.npy", npy_file("<i4", "(2,)", le_bytes<int32_t>({5, 7}))));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source_type, SourceType::kUint8);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(r->features, (std::vector<float>{0, 128, 255, 1, 2, 3}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{5, 7}));
}

TEST_F(NpyReaderTest, ReadsUint8Labels) {
  for (const char* descr : {"|u1", "<u1"}) {
    auto r = read_npy(features(), write("y.npy", npy_file(descr, "(3,)", {9, 8, 7})));
    ASSERT_TRUE(r.ok()) << descr << ": " << r.status().message();
    EXPECT_EQ(r->labels, (std::vector<int32_t>{9, 8, 7}));
  }
}

// Past the reader's 1 MiB staging buffer: float features in two pieces, and
// a label file of 150 000 int64 labels (1.2 MB) in two more.
TEST_F(NpyReaderTest, DataLargerThanTheStagingBufferReadsWhole) {
  constexpr int64_t kSamples = 150000, kWidth = 2;  // 1.2 MB of float32
  std::vector<float> values(kSamples * kWidth);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000) - 0.5f;
  std::vector<int64_t> classes(kSamples);
  for (size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<int64_t>(i % 7);
  const std::string x = write("x.npy", npy_file("<f4", "(150000, 2)", le_bytes(values)));
  auto r = read_npy(x, write("y.npy", npy_file("<i8", "(150000,)", le_bytes(classes))));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, kSamples);
  EXPECT_EQ(r->features, values);
  ASSERT_EQ(r->labels.size(), classes.size());
  size_t wrong = 0;
  for (size_t i = 0; i < classes.size(); ++i) wrong += r->labels[i] != classes[i] ? 1 : 0;
  EXPECT_EQ(wrong, 0u);
  auto alone = read_npy_features(x);
  ASSERT_TRUE(alone.ok()) << alone.status().message();
  EXPECT_EQ(alone->features, values);
}

TEST_F(NpyReaderTest, MissingFileIsNotFound) {
  const std::string path = dir_.file("none.npy");
  expect_error(read_npy(path, labels()), StatusCode::kNotFound, path, "no such file");
}

TEST_F(NpyReaderTest, BadMagicIsDataLoss) {
  Bytes bad = npy_file("<i8", "(3,)", le_bytes<int64_t>({2, 0, 1}));
  bad[1] = 'X';
  const std::string path = write("bad.npy", bad);
  expect_error(read_npy(features(), path), StatusCode::kDataLoss, path, "bad magic");
}

TEST_F(NpyReaderTest, UnparsableHeaderIsDataLoss) {
  const std::string path = write("x.npy", npy_file("<f4", "(3, two)", Bytes(12, 0)));
  expect_error(read_npy(path, labels()), StatusCode::kDataLoss, path, "cannot parse header");
}

TEST_F(NpyReaderTest, TruncatedDataIsDataLoss) {
  const std::string path = write("x.npy", npy_file("<f4", "(3, 2, 2)", Bytes(40, 0)));
  expect_error(read_npy(path, labels()), StatusCode::kDataLoss, path, "truncated");
}

TEST_F(NpyReaderTest, TrailingBytesAreDataLoss) {
  const std::string path = write("y.npy", npy_file("<i8", "(3,)", Bytes(25, 0)));
  expect_error(read_npy(features(), path), StatusCode::kDataLoss, path, "trailing bytes");
}

TEST_F(NpyReaderTest, LyingShapeIsRejectedBeforeAllocating) {
  const std::string huge =
      write("huge.npy", npy_file("<f4", "(100000, 100000, 100000)", Bytes(12, 0)));
  expect_error(read_npy(huge, labels()), StatusCode::kInvalidArgument, huge, "more than");
  const std::string big = write("big.npy", npy_file("<f4", "(60000, 784)", Bytes(12, 0)));
  expect_error(read_npy(big, labels()), StatusCode::kDataLoss, big,
               "truncated: the header's shape and dtype need more data");
}

TEST_F(NpyReaderTest, UnsupportedFeatureDtypeIsInvalidArgument) {
  const std::string path = write("x.npy", npy_file("<f8", "(3, 1)", Bytes(24, 0)));
  expect_error(read_npy(path, labels()), StatusCode::kInvalidArgument, path,
               "unsupported features dtype in the header's 'descr'");
}

TEST_F(NpyReaderTest, UnsupportedLabelDtypeIsInvalidArgument) {
  const std::string path = write("y.npy", npy_file("<f4", "(3,)", le_bytes<float>({0, 1, 2})));
  expect_error(read_npy(features(), path), StatusCode::kInvalidArgument, path,
               "unsupported labels dtype in the header's 'descr'");
}

TEST_F(NpyReaderTest, FortranOrderIsInvalidArgument) {
  const std::string path = write("x.npy", npy_file("<f4", "(3, 1)", Bytes(12, 0), 1, "True"));
  expect_error(read_npy(path, labels()), StatusCode::kInvalidArgument, path, "fortran_order");
}

TEST_F(NpyReaderTest, LabelShapeMismatchIsInvalidArgument) {
  const std::string short_labels =
      write("y2.npy", npy_file("<i8", "(2,)", le_bytes<int64_t>({0, 1})));
  expect_error(read_npy(features(), short_labels), StatusCode::kInvalidArgument, short_labels,
               "labels must have shape (samples,)");
  const std::string column =
      write("y3.npy", npy_file("<i8", "(3, 1)", le_bytes<int64_t>({0, 1, 2})));
  expect_error(read_npy(features(), column), StatusCode::kInvalidArgument, column,
               "labels must have shape (samples,)");
}

TEST_F(NpyReaderTest, NanInFeaturesIsInvalidArgument) {
  const std::string path =
      write("x.npy", npy_file("<f4", "(3, 1)", le_bytes<float>({1.0f, std::nanf(""), 2.0f})));
  expect_error(read_npy(path, labels()), StatusCode::kInvalidArgument, path, "element 1 is NaN");
}

TEST_F(NpyReaderTest, NegativeLabelIsInvalidArgument) {
  const std::string path = write("y.npy", npy_file("<i4", "(3,)", le_bytes<int32_t>({0, -2, 1})));
  expect_error(read_npy(features(), path), StatusCode::kInvalidArgument, path,
               "label 1 is outside [0, ");
}

TEST_F(NpyReaderTest, ZeroDimensionIsInvalidArgument) {
  const std::string path = write("x.npy", npy_file("<f4", "(3, 0)", {}));
  expect_error(read_npy(path, labels()), StatusCode::kInvalidArgument, path, "dimension 1 is zero");
}

TEST_F(NpyReaderTest, ShapeComesFromTheHeadersAlone) {
  auto shape = read_npy_shape(features(), labels());
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, 3);
  EXPECT_EQ(shape->sample_shape, (std::vector<int64_t>{2, 2}));
  // A label out of range is in the data: only the full read finds it.
  const std::string negative =
      write("neg.npy", npy_file("<i8", "(3,)", le_bytes<int64_t>({2, -1, 1})));
  EXPECT_TRUE(read_npy_shape(features(), negative).ok());
  expect_error(read_npy(features(), negative), StatusCode::kInvalidArgument, negative,
               "label 1 is outside [0, ");
}

TEST_F(NpyReaderTest, ShapeChecksHeadersSizesAndCounts) {
  const std::string x = features();
  const std::string two = write("two.npy", npy_file("<i8", "(2,)", le_bytes<int64_t>({0, 1})));
  expect_error(read_npy_shape(x, two), StatusCode::kInvalidArgument, two,
               "labels must have shape (samples,)");
  const std::string garbled = write("garbled.npy", npy_file("<f4", "(3, oops-private)", {}));
  auto r = read_npy_shape(garbled, labels());
  expect_error(r, StatusCode::kDataLoss, garbled, "cannot parse header");
  EXPECT_EQ(r.status().message().find("oops-private"), std::string::npos);
  const std::string short_data =
      write("short.npy", npy_file("<f4", "(3, 2)", le_bytes<float>({1, 2})));
  expect_error(read_npy_shape(short_data, labels()), StatusCode::kDataLoss, short_data,
               "truncated");
}
}  // namespace
}  // namespace gradstream::engine

// Tests of read_idx: raw and gzip files, ubyte and float32 features, and every
// malformed case with its status code and a message naming the file.
#include "engine/io/idx_reader.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::engine {
namespace {

using Bytes = std::vector<uint8_t>;

void append_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes idx_file(uint8_t type, const std::vector<uint32_t>& dims, const Bytes& payload) {
  Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) append_be32(out, d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes be_floats(const std::vector<float>& values) {
  Bytes out;
  for (float f : values) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    append_be32(out, bits);
  }
  return out;
}

class IdxReaderTest : public ::testing::Test {
 protected:
  std::string write_raw(const std::string& name, const Bytes& bytes) {
    return dir_.write(name, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  }
  std::string write_gz(const std::string& name, const Bytes& bytes) {
    const std::string path = dir_.file(name);
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return path;
  }

  // Three 2x2 images 0..11 (255 in the last pixel) and labels 1, 0, 9.
  Bytes images() const {
    return idx_file(0x08, {3, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255});
  }
  Bytes labels() const { return idx_file(0x08, {3}, {1, 0, 9}); }

  template <class T>
  void expect_error(const Result<T>& r, StatusCode code, const std::string& path,
                    const std::string& words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  }

  test_support::TempDir dir_{"idx"};
};

TEST_F(IdxReaderTest, ReadsRawUbyteImagesAndLabels) {
  auto r =
      read_idx(write_raw("images-idx3-ubyte", images()), write_raw("labels-idx1-ubyte", labels()));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r->source_type, SourceType::kUint8);
  EXPECT_EQ(r->features, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}));
  EXPECT_EQ(r->labels, (std::vector<int32_t>{1, 0, 9}));
}

TEST_F(IdxReaderTest, ReadsGzipFilesDetectedByMagicNotName) {
  auto r = read_idx(write_gz("images.gz", images()), write_gz("labels-no-suffix", labels()));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r->features[11], 255.0f);
  EXPECT_EQ(r->labels, (std::vector<int32_t>{1, 0, 9}));
}

TEST_F(IdxReaderTest, ReadsGzipFeaturesWithRawLabels) {
  auto r = read_idx(write_gz("images.gz", images()), write_raw("labels", labels()));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->features[5], 5.0f);
  EXPECT_EQ(r->labels[2], 9);
}

TEST_F(IdxReaderTest, ReadsBigEndianFloat32Features) {
  const std::vector<float> values = {-1.5f, 0.0f, 2.25f, 1e-3f, 100.0f, -7.0f};
  auto r = read_idx(write_raw("f", idx_file(0x0D, {2, 3}, be_floats(values))),
                    write_raw("l", idx_file(0x08, {2}, {4, 2})));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source_type, SourceType::kFloat32);
  EXPECT_EQ(r->sample_shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(r->features, values);
  EXPECT_EQ(r->labels, (std::vector<int32_t>{4, 2}));
}

TEST_F(IdxReaderTest, OneDimensionalFeaturesAreScalarSamples) {
  auto r = read_idx(write_raw("f", idx_file(0x08, {4}, {7, 8, 9, 10})),
                    write_raw("l", idx_file(0x08, {4}, {0, 1, 0, 1})));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->sample_shape.empty());
  EXPECT_EQ(r->sample_size(), 1);
  EXPECT_EQ(r->features, (std::vector<float>{7, 8, 9, 10}));
}

// Past the reader's 1 MiB staging buffer, in several pieces: raw, and from a
// gzip file far smaller than what it holds (a small zlib buffer, many reads).
TEST_F(IdxReaderTest, PayloadsLargerThanTheStagingBufferReadWhole) {
  constexpr uint32_t kSamples = 3, kRows = 700, kCols = 600;  // 1 260 000 bytes
  Bytes pixels(size_t{kSamples} * kRows * kCols);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 251);
  const Bytes features = idx_file(0x08, {kSamples, kRows, kCols}, pixels);
  const Bytes labels = idx_file(0x08, {kSamples}, {6, 1, 4});
  const std::string gz = write_gz("f.gz", features);
  ASSERT_LT(std::filesystem::file_size(gz), pixels.size() / 16);
  for (const std::string& path : {write_raw("f", features), gz}) {
    auto r = read_idx(path, write_raw("l", labels));
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().message();
    ASSERT_EQ(r->features.size(), pixels.size()) << path;
    size_t wrong = 0;
    for (size_t i = 0; i < pixels.size(); ++i) wrong += r->features[i] != float(i % 251) ? 1 : 0;
    EXPECT_EQ(wrong, 0u) << path;
    EXPECT_EQ(r->labels, (std::vector<int32_t>{6, 1, 4})) << path;
  }
  // float32: 300 000 four-byte elements, the buffer's 262 144 and the rest.
  std::vector<float> values(300000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f;
  auto r = read_idx(write_raw("ff", idx_file(0x0D, {1, 300000}, be_floats(values))),
                    write_raw("fl", idx_file(0x08, {1}, {3})));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->features, values);
}

TEST_F(IdxReaderTest, MissingFileIsNotFound) {
  const std::string missing = dir_.file("nope-idx3-ubyte");
  expect_error(read_idx(missing, write_raw("l", labels())), StatusCode::kNotFound, missing,
               "no such");
  expect_error(read_idx(write_raw("f", images()), missing), StatusCode::kNotFound, missing,
               "no such");
}

TEST_F(IdxReaderTest, WrongFeatureMagicIsDataLoss) {
  Bytes bad = images();
  bad[0] = 0x12;
  const std::string path = write_raw("f", bad);
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kDataLoss, path, "magic");
}

TEST_F(IdxReaderTest, WrongLabelMagicIsDataLoss) {
  // Two dimensions: magic 0x00000802, not the labels' 0x00000801.
  const std::string path = write_raw("l", idx_file(0x08, {3, 1}, {1, 0, 9}));
  expect_error(read_idx(write_raw("f", images()), path), StatusCode::kDataLoss, path,
               "bad magic in bytes 0-3, expected 0x00000801");
}

TEST_F(IdxReaderTest, UnsupportedElementTypeIsInvalidArgument) {
  const std::string path = write_raw("f", idx_file(0x0B, {3, 1}, {0, 1, 0, 2, 0, 3}));
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kInvalidArgument, path,
               "unsupported IDX element type in byte 2");
}

TEST_F(IdxReaderTest, TruncatedHeaderIsDataLoss) {
  const std::string path = write_raw("f", {0, 0, 8, 3, 0, 0});
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kDataLoss, path, "truncated");
}

TEST_F(IdxReaderTest, TruncatedRawDataIsDataLoss) {
  Bytes cut = images();
  cut.resize(cut.size() - 2);
  const std::string path = write_raw("f", cut);
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kDataLoss, path, "truncated");
}

TEST_F(IdxReaderTest, TruncatedGzipDataIsDataLoss) {
  Bytes cut = images();
  cut.resize(cut.size() - 2);
  const std::string path = write_gz("f.gz", cut);
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kDataLoss, path, "truncated");
}

TEST_F(IdxReaderTest, TrailingBytesAreDataLoss) {
  Bytes longer = labels();
  longer.push_back(3);
  const std::string raw = write_raw("l", longer);
  expect_error(read_idx(write_raw("f", images()), raw), StatusCode::kDataLoss, raw, "trailing");
  const std::string gz = write_gz("l.gz", longer);
  expect_error(read_idx(write_raw("f", images()), gz), StatusCode::kDataLoss, gz, "trailing");
}

TEST_F(IdxReaderTest, HeaderCountLargerThanDataIsDataLoss) {
  // Claims 60000 28x28 images but holds the 12 bytes of three 2x2 ones.
  const Bytes payload = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};
  const std::string raw = write_raw("f", idx_file(0x08, {60000, 28, 28}, payload));
  expect_error(read_idx(raw, write_raw("l", labels())), StatusCode::kDataLoss, raw,
               "truncated: the header's dimensions need more data");
  // A tiny gzip file cannot hold 47 MB either: refused before allocating.
  const std::string gz = write_gz("f.gz", idx_file(0x08, {60000, 28, 28}, payload));
  const std::string gz_labels = write_gz("l.gz", idx_file(0x08, {60000}, {1, 2, 3}));
  expect_error(read_idx(gz, gz_labels), StatusCode::kDataLoss, gz, "truncated");
}

TEST_F(IdxReaderTest, HugeHeaderIsRejectedBeforeAllocating) {
  const std::string path = write_raw("f", idx_file(0x08, {65535, 65535, 65535}, {}));
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kInvalidArgument, path,
               "more than 2147483648 elements");
}

TEST_F(IdxReaderTest, LabelCountMismatchIsInvalidArgument) {
  const std::string f = write_raw("f", images());
  const std::string l = write_raw("l", idx_file(0x08, {2}, {1, 0}));
  auto r = read_idx(f, l);
  expect_error(r, StatusCode::kInvalidArgument, l,
               "its label count (bytes 4-7) differs from the sample count of " + f);
}

TEST_F(IdxReaderTest, ZeroDimensionIsInvalidArgument) {
  const std::string path = write_raw("f", idx_file(0x08, {3, 0, 2}, {}));
  expect_error(read_idx(path, write_raw("l", labels())), StatusCode::kInvalidArgument, path,
               "dimension 1 is zero");
}

TEST_F(IdxReaderTest, NanInFloatFeaturesIsInvalidArgument) {
  const std::string path = write_raw("f", idx_file(0x0D, {2, 1}, be_floats({1.0f, std::nanf("")})));
  expect_error(read_idx(path, write_raw("l", idx_file(0x08, {2}, {0, 1}))),
               StatusCode::kInvalidArgument, path, "element 1 is NaN");
}

TEST_F(IdxReaderTest, CorruptGzipIsDataLoss) {
  Bytes big = idx_file(0x08, {1000, 10}, Bytes(10000, 0));
  for (size_t i = 0; i < 10000; ++i) big[12 + i] = static_cast<uint8_t>(i * 7919 % 251);
  std::string path = write_gz("f.gz", big);
  // Flip bytes in the middle of the deflate stream; the CRC or inflate catches it.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(200);
  f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  f.close();
  expect_error(read_idx(path, write_raw("l", idx_file(0x08, {1000}, Bytes(1000, 1)))),
               StatusCode::kDataLoss, path, "");
}

TEST_F(IdxReaderTest, ShapeComesFromTheHeadersAlone) {
  auto shape = read_idx_shape(write_raw("images-idx3-ubyte", images()),
                              write_raw("labels-idx1-ubyte", labels()));
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  EXPECT_EQ(shape->count, 3);
  EXPECT_EQ(shape->sample_shape, (std::vector<int64_t>{2, 2}));
  // A NaN float is in the payload: only the full read finds it.
  const std::string floats =
      write_raw("f.idx", idx_file(0x0D, {3, 1}, be_floats({1.0f, NAN, 2.0f})));
  const std::string labels_path = write_raw("l.idx", labels());
  EXPECT_TRUE(read_idx_shape(floats, labels_path).ok());
  expect_error(read_idx(floats, labels_path), StatusCode::kInvalidArgument, floats,
               "element 1 is NaN or infinite");
}

TEST_F(IdxReaderTest, ShapeChecksMagicSizesAndCounts) {
  const std::string images_path = write_raw("i.idx", images());
  const std::string bad = write_raw("bad.idx", {1, 2, 3, 4, 5, 6, 7, 8});
  expect_error(read_idx_shape(bad, write_raw("l.idx", labels())), StatusCode::kDataLoss, bad,
               "bad magic");
  Bytes short_images = images();
  short_images.pop_back();
  const std::string truncated = write_raw("short.idx", short_images);
  expect_error(read_idx_shape(truncated, write_raw("l.idx", labels())), StatusCode::kDataLoss,
               truncated, "truncated");
  const std::string two = write_raw("two.idx", idx_file(0x08, {2}, {1, 0}));
  expect_error(read_idx_shape(images_path, two), StatusCode::kInvalidArgument, two,
               "its label count (bytes 4-7) differs from the sample count of " + images_path);
  const std::string missing = dir_.file("missing.idx");
  expect_error(read_idx_shape(images_path, missing), StatusCode::kNotFound, missing,
               "no such file");
}
}  // namespace
}  // namespace gradstream::engine

// DatasetContent: bytes whole or appended become the engine's Dataset (uint8
// widened to 0..255), more bytes than the header gives are refused, and a
// label outside [0, num_classes) is data loss naming where it was read.
#include "dataset_format/dataset_content.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace gradstream::dataset_format {
namespace {

v1::DatasetHeader header(v1::ElementType type, uint64_t count, uint32_t num_classes) {
  v1::DatasetHeader h;
  h.set_name("t");
  h.set_element_type(type);
  h.add_sample_shape(2);
  h.set_count(count);
  h.set_num_classes(num_classes);
  return h;
}

std::string label_bytes(const std::vector<int32_t>& labels) {
  return std::string(reinterpret_cast<const char*>(labels.data()), labels.size() * 4);
}

TEST(DatasetContentTest, Float32BytesWrittenWholeAreTheFeatures) {
  const v1::DatasetHeader h = header(v1::FLOAT32, 2, 3);
  auto layout = validate_dataset_header(h, 1 << 20);
  ASSERT_TRUE(layout.ok());
  DatasetContent content(h, *layout);
  const float features[] = {0.5F, -1.0F, 2.25F, 3.0F};
  std::memcpy(content.feature_bytes(), features, sizeof(features));
  const std::string labels = label_bytes({2, 0});
  std::memcpy(content.label_bytes(), labels.data(), labels.size());
  auto data = std::move(content).finish("labels.bin");
  ASSERT_TRUE(data.ok()) << data.status().message();
  EXPECT_EQ(data->source_type, engine::SourceType::kFloat32);
  EXPECT_EQ(data->sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->features, (std::vector<float>{0.5F, -1.0F, 2.25F, 3.0F}));
  EXPECT_EQ(data->labels, (std::vector<int32_t>{2, 0}));
}

TEST(DatasetContentTest, Uint8BytesAppendedInPiecesAreWidened) {
  const v1::DatasetHeader h = header(v1::UINT8, 2, 2);
  auto layout = validate_dataset_header(h, 1 << 20);
  ASSERT_TRUE(layout.ok());
  DatasetContent content(h, *layout);
  ASSERT_TRUE(content.append_features(std::string("\x00\xff", 2)).ok());
  EXPECT_FALSE(content.complete());
  ASSERT_TRUE(content.append_features(std::string("\x07\x80", 2)).ok());
  const std::string labels = label_bytes({1, 0});
  ASSERT_TRUE(content.append_labels(labels.substr(0, 3)).ok());
  ASSERT_TRUE(content.append_labels(labels.substr(3)).ok());
  EXPECT_TRUE(content.complete());
  auto data = std::move(content).finish("labels");
  ASSERT_TRUE(data.ok()) << data.status().message();
  EXPECT_EQ(data->source_type, engine::SourceType::kUint8);
  EXPECT_EQ(data->features, (std::vector<float>{0.0F, 255.0F, 7.0F, 128.0F}));
  EXPECT_EQ(data->labels, (std::vector<int32_t>{1, 0}));
}

TEST(DatasetContentTest, BytesPastTheHeadersSizeAreRefused) {
  const v1::DatasetHeader h = header(v1::UINT8, 2, 2);
  auto layout = validate_dataset_header(h, 1 << 20);
  ASSERT_TRUE(layout.ok());
  DatasetContent content(h, *layout);
  ASSERT_TRUE(content.append_features("abc").ok());
  const engine::Status s = content.append_features("de");
  EXPECT_EQ(s.code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "features: 5 bytes, more than the 4 its header gives");
}

TEST(DatasetContentTest, ALabelOutOfRangeIsDataLossNamingTheSource) {
  const v1::DatasetHeader h = header(v1::UINT8, 2, 2);
  auto layout = validate_dataset_header(h, 1 << 20);
  ASSERT_TRUE(layout.ok());
  DatasetContent content(h, *layout);
  ASSERT_TRUE(content.append_features("abcd").ok());
  ASSERT_TRUE(content.append_labels(label_bytes({1, 2})).ok());
  auto data = std::move(content).finish("datasets: x/labels.bin");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), engine::StatusCode::kDataLoss);
  EXPECT_EQ(data.status().message(), "datasets: x/labels.bin: label 2 is out of range");
}

}  // namespace
}  // namespace gradstream::dataset_format

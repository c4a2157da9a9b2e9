// An upload's content checks: the chunk order, sizes against the header,
// finite float32 features and labels in range, wherever the bytes are split.
#include "server/upload_check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace gradstream::server {
namespace {

v1::DatasetHeader two_floats_two_samples() {
  v1::DatasetHeader h;
  h.set_element_type(v1::FLOAT32);
  h.add_sample_shape(2);
  h.set_count(2);
  h.set_num_classes(3);
  return h;
}

UploadContentCheck check_for(const v1::DatasetHeader& header) {
  auto layout = dataset_format::validate_dataset_header(header, 1 << 20);
  EXPECT_TRUE(layout.ok()) << layout.status().message();
  return UploadContentCheck(header, layout.ok() ? *layout : dataset_format::DatasetLayout{});
}

std::string floats(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

std::string labels(const std::vector<int32_t>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int32_t));
}

TEST(UploadCheckTest, HeaderOnlyInTheFirstChunk) {
  v1::UploadDatasetChunk with_header;
  *with_header.mutable_header() = two_floats_two_samples();
  const v1::UploadDatasetChunk bytes_only;
  EXPECT_TRUE(check_chunk_order(true, with_header).ok());
  EXPECT_TRUE(check_chunk_order(false, bytes_only).ok());
  EXPECT_EQ(check_chunk_order(true, bytes_only).message(), "header: the first chunk must carry it");
  EXPECT_EQ(check_chunk_order(false, with_header).message(),
            "header: only the first chunk may carry it");
}

TEST(UploadCheckTest, ElementsSplitAnywhereAreCheckedWhole) {
  UploadContentCheck check = check_for(two_floats_two_samples());
  const std::string content = floats({1.0F, -2.0F, 0.5F, 3.0F});
  const std::string label_bytes = labels({2, 0});
  for (size_t i = 0; i < content.size(); i += 3) {
    ASSERT_TRUE(check.add_features(content.substr(i, 3)).ok()) << i;
  }
  ASSERT_TRUE(check.add_labels(label_bytes.substr(0, 1)).ok());
  EXPECT_EQ(check.check_complete().message(),
            "labels: header.count 2 x 4 bytes = 8 bytes expected, got 1");
  ASSERT_TRUE(check.add_labels(label_bytes.substr(1)).ok());
  EXPECT_TRUE(check.check_complete().ok());
}

TEST(UploadCheckTest, ANonFiniteFeatureSplitAcrossAddsNamesItsSampleAndValue) {
  UploadContentCheck check = check_for(two_floats_two_samples());
  const std::string content = floats({1.0F, -2.0F, 0.5F, std::numeric_limits<float>::infinity()});
  ASSERT_TRUE(check.add_features(content.substr(0, 14)).ok());
  EXPECT_EQ(check.add_features(content.substr(14)).message(),
            "features: sample 1, value 1 is infinite; float32 features must be finite");
}

TEST(UploadCheckTest, LabelsOutOfRangeAndTooManyBytesAreRefused) {
  UploadContentCheck check = check_for(two_floats_two_samples());
  EXPECT_EQ(check.add_labels(labels({1, 3})).message(),
            "labels[1]: 3 is out of range [0, 3) (header.num_classes)");
  UploadContentCheck fresh = check_for(two_floats_two_samples());
  EXPECT_EQ(fresh.add_labels(labels({1, 2, 0})).message(),
            "labels: header.count 2 x 4 bytes = 8 bytes expected, got at least 12");
  EXPECT_EQ(fresh.add_features(floats({1, 2, 3, 4, 5})).message(),
            "features: header.sample_shape [2] x header.count 2 x 4 bytes = 16 bytes expected, "
            "got at least 20");
}

TEST(UploadCheckTest, Uint8FeaturesTakeAnyByte) {
  v1::DatasetHeader header = two_floats_two_samples();
  header.set_element_type(v1::UINT8);
  UploadContentCheck check = check_for(header);
  EXPECT_TRUE(check.add_features(std::string("\xff\x00\x7f\x80", 4)).ok());
  EXPECT_TRUE(check.add_labels(labels({0, 2})).ok());
  EXPECT_TRUE(check.check_complete().ok());
}

}  // namespace
}  // namespace gradstream::server

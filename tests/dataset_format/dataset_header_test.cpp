// Dataset headers: the layout a valid header implies, and the canonical
// encoding the dataset id hashes (every field but the name, little-endian).
#include "dataset_format/dataset_header.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::dataset_format {
namespace {

v1::DatasetHeader mnist_like(const std::string& name) {
  v1::DatasetHeader h;
  h.set_name(name);
  h.set_element_type(v1::UINT8);
  h.add_sample_shape(28);
  h.add_sample_shape(28);
  h.set_count(3);
  h.set_num_classes(10);
  return h;
}

TEST(DatasetHeaderTest, LayoutGivesTheByteSizes) {
  auto layout = validate_dataset_header(mnist_like("m"), 1 << 20);
  ASSERT_TRUE(layout.ok()) << layout.status().message();
  EXPECT_EQ(layout->element_bytes, 1u);
  EXPECT_EQ(layout->sample_values, 784u);
  EXPECT_EQ(layout->feature_bytes, 3u * 784u);
  EXPECT_EQ(layout->label_bytes, 12u);
  EXPECT_EQ(layout->total_bytes(), 3u * 784u + 12u);
}

TEST(DatasetHeaderTest, CanonicalEncodingIsLittleEndianAndLeavesOutTheName) {
  const std::string tag(kDatasetHashTag, sizeof(kDatasetHashTag));
  const std::string expected = tag + std::string("\x02\0\0\0", 4) +      // UINT8
                               std::string("\x02\0\0\0", 4) +            // rank 2
                               std::string("\x1c\0\0\0\x1c\0\0\0", 8) +  // 28, 28
                               std::string("\x03\0\0\0\0\0\0\0", 8) +    // count 3
                               std::string("\x0a\0\0\0", 4);             // 10 classes
  EXPECT_EQ(canonical_dataset_header(mnist_like("a")), expected);
  EXPECT_EQ(canonical_dataset_header(mnist_like("b")), expected);
}

TEST(DatasetHeaderTest, ShapeText) { EXPECT_EQ(sample_shape_text(mnist_like("m")), "[28, 28]"); }

}  // namespace
}  // namespace gradstream::dataset_format

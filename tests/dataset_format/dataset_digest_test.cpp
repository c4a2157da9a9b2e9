// Digests and dataset ids: sha256 itself, the id hashing header and content
// (not the name), and ContentDigest giving the same id however the content
// is cut into pieces.
#include "dataset_format/dataset_digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::dataset_format {
namespace {

v1::DatasetHeader header(const std::string& name) {
  v1::DatasetHeader h;
  h.set_name(name);
  h.set_element_type(v1::UINT8);
  h.add_sample_shape(3);
  h.set_count(2);
  h.set_num_classes(2);
  return h;
}

std::string id_of(const v1::DatasetHeader& h, const std::string& features,
                  const std::string& labels, size_t piece) {
  auto digest = ContentDigest::create();
  EXPECT_TRUE(digest.ok());
  for (size_t at = 0; at < features.size(); at += piece)
    digest->add_features(features.substr(at, piece));
  for (size_t at = 0; at < labels.size(); at += piece) digest->add_labels(labels.substr(at, piece));
  return digest->finish(h);
}

TEST(DatasetDigestTest, Sha256OfAbcIsTheStandardsVector) {
  EvpContext ctx = new_sha256();
  ASSERT_TRUE(ctx);
  EVP_DigestUpdate(ctx.get(), "abc", 3);
  EXPECT_EQ(to_hex(finish_sha256(ctx.get())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DatasetDigestTest, TheIdIgnoresTheNameAndHowTheContentIsCut) {
  const std::string features("\x01\x02\x03\x04\x05\x06", 6);
  const std::string labels(8, '\0');
  const std::string whole = id_of(header("a"), features, labels, 100);
  EXPECT_EQ(whole.rfind("sha256:", 0), 0U);
  EXPECT_EQ(whole.size(), 7U + 64U);
  EXPECT_EQ(id_of(header("a"), features, labels, 1), whole);
  EXPECT_EQ(id_of(header("another-name"), features, labels, 5), whole);
}

TEST(DatasetDigestTest, AnyChangeOfContentOrHeaderChangesTheId) {
  const std::string features("\x01\x02\x03\x04\x05\x06", 6);
  const std::string labels(8, '\0');
  const std::string whole = id_of(header("a"), features, labels, 100);
  std::string flipped = features;
  flipped[4] = '\x07';
  EXPECT_NE(id_of(header("a"), flipped, labels, 100), whole);
  v1::DatasetHeader more_classes = header("a");
  more_classes.set_num_classes(3);
  EXPECT_NE(id_of(more_classes, features, labels, 100), whole);
  // Bytes moved from the labels to the features: the same concatenation, another id.
  EXPECT_NE(id_of(header("a"), features + labels.substr(0, 1), labels.substr(1), 100), whole);
}

}  // namespace
}  // namespace gradstream::dataset_format

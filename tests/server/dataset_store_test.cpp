// DatasetStore and DatasetUpload: round trips (float32 and uint8), content
// addressing (same content, same id; header changes the id; the name does
// not), restart, every malformed header and body with its named error, size
// limits, and that a failed upload (a full disk included) leaves nothing behind.
#include "server/dataset_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

std::string float_bytes(const std::vector<float>& values) {
  std::string out(values.size() * sizeof(float), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::string label_bytes(const std::vector<int32_t>& labels) {
  std::string out(labels.size() * sizeof(int32_t), '\0');
  std::memcpy(out.data(), labels.data(), out.size());
  return out;
}

v1::DatasetHeader header(v1::ElementType type, std::vector<uint32_t> shape, uint64_t count,
                         uint32_t num_classes, const std::string& name = "blobs") {
  v1::DatasetHeader h;
  h.set_name(name);
  h.set_element_type(type);
  for (uint32_t d : shape) h.add_sample_shape(d);
  h.set_count(count);
  h.set_num_classes(num_classes);
  return h;
}

class DatasetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_store(); }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<DatasetStore> open_store(int64_t max_bytes = kNoLimit,
                                           UploadedBytesCallback on_bytes = {}) {
    auto store = DatasetStore::open(data_dir_.string(), max_bytes, std::move(on_bytes));
    EXPECT_TRUE(store.ok()) << store.status().message();
    return std::move(store).value();
  }

  // Names in <data_dir>/datasets.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(data_dir_ / kDatasetsSubdir))
      names.push_back(e.path().filename().string());
    return names;
  }

  // Uploads features and labels in one append each; the commit's result.
  engine::Result<v1::Dataset> upload(DatasetStore& store, const v1::DatasetHeader& h,
                                     const std::string& features, const std::string& labels) {
    auto up = store.begin_upload(h);
    if (!up.ok()) return up.status();
    if (engine::Status s = (*up)->append_features(features); !s.ok()) return s;
    if (engine::Status s = (*up)->append_labels(labels); !s.ok()) return s;
    return (*up)->commit();
  }

  // 3 samples of 2 floats, labels 0..1.
  const std::vector<float> features_{0.5f, -1.0f, 2.0f, 3.25f, -0.125f, 7.0f};
  const std::vector<int32_t> labels_{1, 0, 1};
  test_support::TempDir scratch_{"dataset_store"};
  const fs::path data_dir_ = scratch_.path() / "data";  // made by DatasetStore::open
  std::unique_ptr<DatasetStore> store_;
};

TEST_F(DatasetStoreTest, Float32RoundTripAcrossOddChunkBoundaries) {
  auto up = store_->begin_upload(header(v1::FLOAT32, {2}, 3, 2));
  ASSERT_TRUE(up.ok()) << up.status().message();
  const std::string f = float_bytes(features_), l = label_bytes(labels_);
  // Elements split across appends, features and labels interleaved.
  ASSERT_TRUE((*up)->append_features(f.substr(0, 5)).ok());
  ASSERT_TRUE((*up)->append_labels(l.substr(0, 3)).ok());
  ASSERT_TRUE((*up)->append_features(f.substr(5, 10)).ok());
  ASSERT_TRUE((*up)->append_labels(l.substr(3)).ok());
  ASSERT_TRUE((*up)->append_features(f.substr(15)).ok());
  auto stored = (*up)->commit();
  ASSERT_TRUE(stored.ok()) << stored.status().message();

  EXPECT_TRUE(stored->id().starts_with("sha256:"));
  EXPECT_EQ(stored->id().size(), 7u + 64u);
  EXPECT_EQ(stored->bytes(), 6u * 4u + 3u * 4u);
  EXPECT_FALSE(stored->already_present());
  EXPECT_EQ(stored->header().name(), "blobs");

  auto loaded = store_->load(stored->id());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(loaded->count, 3);
  EXPECT_EQ(loaded->features, features_);
  EXPECT_EQ(loaded->labels, labels_);
  EXPECT_EQ(loaded->source_type, engine::SourceType::kFloat32);
  EXPECT_EQ(entries(), std::vector<std::string>{stored->id().substr(7)});
}

TEST_F(DatasetStoreTest, Uint8LoadsAsRawFloatValues) {
  const std::string pixels{'\x00', '\x7f', '\xff', '\x10'};
  auto stored = upload(*store_, header(v1::UINT8, {2, 1}, 2, 3), pixels, label_bytes({2, 0}));
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->bytes(), 4u + 8u);
  auto loaded = store_->load(stored->id());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->features, (std::vector<float>{0.0f, 127.0f, 255.0f, 16.0f}));
  EXPECT_EQ(loaded->sample_shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(loaded->labels, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(loaded->source_type, engine::SourceType::kUint8);
}

TEST_F(DatasetStoreTest, SameContentGivesSameIdAndAlreadyPresent) {
  const std::string f = float_bytes(features_), l = label_bytes(labels_);
  auto first = upload(*store_, header(v1::FLOAT32, {2}, 3, 2, "first"), f, l);
  auto second = upload(*store_, header(v1::FLOAT32, {2}, 3, 2, "second"), f, l);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->id(), second->id());
  EXPECT_FALSE(first->already_present());
  EXPECT_TRUE(second->already_present());
  EXPECT_EQ(second->header().name(), "first");  // the stored copy is kept
  EXPECT_EQ(entries().size(), 1u);              // and the second one removed
}

TEST_F(DatasetStoreTest, HeaderAndContentChangeTheId) {
  const std::string f = float_bytes(features_), l = label_bytes(labels_);
  auto base = upload(*store_, header(v1::FLOAT32, {2}, 3, 2), f, l);
  auto other_shape = upload(*store_, header(v1::FLOAT32, {1, 2}, 3, 2), f, l);
  auto other_classes = upload(*store_, header(v1::FLOAT32, {2}, 3, 3), f, l);
  auto other_labels = upload(*store_, header(v1::FLOAT32, {2}, 3, 2), f, label_bytes({1, 1, 1}));
  ASSERT_TRUE(base.ok() && other_shape.ok() && other_classes.ok() && other_labels.ok());
  EXPECT_NE(base->id(), other_shape->id());
  EXPECT_NE(base->id(), other_classes->id());
  EXPECT_NE(base->id(), other_labels->id());
  EXPECT_FALSE(other_shape->already_present());
  EXPECT_EQ(entries().size(), 4u);
}

TEST_F(DatasetStoreTest, SurvivesReopeningAndRemovesInterruptedUploads) {
  auto stored =
      upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features_), label_bytes(labels_));
  ASSERT_TRUE(stored.ok());
  fs::create_directory(data_dir_ / kDatasetsSubdir / ".upload-crashed");
  store_ = open_store();
  EXPECT_EQ(entries(), std::vector<std::string>{stored->id().substr(7)});
  auto described = store_->describe(stored->id());
  ASSERT_TRUE(described.ok()) << described.status().message();
  EXPECT_EQ(described->header().count(), 3u);
  auto loaded = store_->load(stored->id());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->features, features_);
}

TEST_F(DatasetStoreTest, EveryMalformedHeaderIsNamed) {
  struct Case {
    v1::DatasetHeader header;
    std::string message;
  };
  const std::vector<Case> cases = {
      {header(v1::ELEMENT_TYPE_UNSPECIFIED, {2}, 3, 2),
       "header.element_type: 0 is not FLOAT32 or UINT8"},
      {header(v1::FLOAT32, {}, 3, 2), "header.sample_shape: must have at least one dimension"},
      {header(v1::FLOAT32, {2, 0}, 3, 2),
       "header.sample_shape[1]: 0 is out of range [1, 4294967295]"},
      {header(v1::FLOAT32, {1, 1, 1, 1, 1, 1, 1, 1, 1}, 3, 2),
       "header.sample_shape: 9 dimensions, at most 8"},
      {header(v1::FLOAT32, {2}, 0, 2), "header.count: must be at least 1"},
      {header(v1::FLOAT32, {2}, 3, 0), "header.num_classes: 0 is out of range [1, 65536]"},
      {header(v1::FLOAT32, {2}, 3, 65537), "header.num_classes: 65537 is out of range [1, 65536]"},
      {header(v1::FLOAT32, {2}, 3, 2, std::string(65, 'n')),
       "header.name: 65 characters, at most 64 characters of [A-Za-z0-9._-]"},
      {header(v1::FLOAT32, {2}, 3, 2, "my data"),
       "header.name: character 2 (' ') is not allowed; a name is at most 64 characters of "
       "[A-Za-z0-9._-]"},
  };
  for (const Case& c : cases) {
    auto up = store_->begin_upload(c.header);
    ASSERT_FALSE(up.ok()) << c.message;
    EXPECT_EQ(up.status().code(), engine::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(up.status().message(), c.message);
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(DatasetStoreTest, ShortFeaturesAreNamedAndLeaveNothing) {
  auto up = store_->begin_upload(header(v1::FLOAT32, {784}, 10, 10));
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(entries().size(), 1u);  // the upload's temporary directory
  ASSERT_TRUE((*up)->append_features(std::string(31000, '\0')).ok());
  ASSERT_TRUE((*up)->append_labels(label_bytes(std::vector<int32_t>(10, 3))).ok());
  auto stored = (*up)->commit();
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(stored.status().message(),
            "features: header.sample_shape [784] x header.count 10 x 4 bytes = 31360 bytes "
            "expected, got 31000");
  up->reset();
  EXPECT_TRUE(entries().empty());
}

TEST_F(DatasetStoreTest, ExtraFeatureBytesAreRejectedAsTheyArrive) {
  auto up = store_->begin_upload(header(v1::UINT8, {4}, 2, 2));
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE((*up)->append_features(std::string(6, '\1')).ok());
  const engine::Status s = (*up)->append_features(std::string(3, '\1'));
  EXPECT_EQ(s.code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "features: header.sample_shape [4] x header.count 2 x 1 bytes = 8 bytes expected, got "
            "at least 9");
}

TEST_F(DatasetStoreTest, ShortLabelsAreNamed) {
  auto stored =
      upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features_), label_bytes({1, 0}));
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().message(),
            "labels: header.count 3 x 4 bytes = 12 bytes expected, got 8");
  EXPECT_TRUE(entries().empty());
}

TEST_F(DatasetStoreTest, LabelOutOfRangeIsNamedWithItsIndex) {
  std::vector<int32_t> labels(20, 1);
  labels[17] = 12;
  const std::string l = label_bytes(labels);
  auto up = store_->begin_upload(header(v1::UINT8, {1}, 20, 10));
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE((*up)->append_features(std::string(20, '\0')).ok());
  ASSERT_TRUE((*up)->append_labels(l.substr(0, 69)).ok());  // label 17 is bytes 68..71
  const engine::Status s = (*up)->append_labels(l.substr(69));
  EXPECT_EQ(s.code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "labels[17]: 12 is out of range [0, 10) (header.num_classes)");
  up->reset();
  EXPECT_TRUE(entries().empty());
}

TEST_F(DatasetStoreTest, NegativeLabelIsOutOfRange) {
  auto stored = upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features_),
                       label_bytes({0, -1, 1}));
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().message(), "labels[1]: -1 is out of range [0, 2) (header.num_classes)");
}

TEST_F(DatasetStoreTest, NonFiniteFeaturesAreNamed) {
  std::vector<float> features = features_;
  features[3] = std::nanf("");
  auto nan =
      upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features), label_bytes(labels_));
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().message(),
            "features: sample 1, value 1 is NaN; float32 features must be finite");
  features[3] = 1.0f;
  features[4] = -INFINITY;
  auto inf =
      upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features), label_bytes(labels_));
  ASSERT_FALSE(inf.ok());
  EXPECT_EQ(inf.status().message(),
            "features: sample 2, value 0 is infinite; float32 features must be finite");
  EXPECT_TRUE(entries().empty());
}

TEST_F(DatasetStoreTest, MaxBytesIsCheckedFromTheHeader) {
  // 10 samples x 3 float32 = 120 bytes + 40 bytes of labels = 160.
  store_ = open_store(/*max_bytes=*/159);
  auto up = store_->begin_upload(header(v1::FLOAT32, {3}, 10, 2));
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().code(), engine::StatusCode::kResourceExhausted);
  EXPECT_EQ(up.status().message(),
            "header: 10 samples of 3 float32 values and their int32 labels are 160 bytes, more "
            "than the server's limit of 159 bytes (max_dataset_bytes)");
  EXPECT_TRUE(entries().empty());

  store_ = open_store(/*max_bytes=*/160);
  auto exact =
      upload(*store_, header(v1::FLOAT32, {3}, 10, 2), float_bytes(std::vector<float>(30, 0.5f)),
             label_bytes(std::vector<int32_t>(10, 1)));
  EXPECT_TRUE(exact.ok()) << exact.status().message();
}

TEST_F(DatasetStoreTest, HugeHeaderIsRejectedWithoutOverflow) {
  auto up = store_->begin_upload(header(v1::FLOAT32, {4096, 4096}, uint64_t{1} << 62, 2));
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().code(), engine::StatusCode::kResourceExhausted);
  auto wide = store_->begin_upload(header(v1::FLOAT32, {65536, 65536}, 1, 2));
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      wide.status().message().starts_with("header.sample_shape: [65536, 65536] is 4294967296"))
      << wide.status().message();
}

TEST_F(DatasetStoreTest, UnknownAndMalformedIds) {
  const std::string unknown = "sha256:" + std::string(64, 'a');
  auto missing = store_->load(unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), engine::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "dataset \"" + unknown + "\" not found on this server");
  const std::vector<std::string> malformed = {"sha256:../../etc", "md5:abc", "",
                                              "sha256:" + std::string(64, 'G')};
  for (const std::string& id : malformed) {
    auto bad = store_->describe(id);
    ASSERT_FALSE(bad.ok()) << id;
    EXPECT_EQ(bad.status().code(), engine::StatusCode::kInvalidArgument) << id;
  }
}

TEST_F(DatasetStoreTest, UploadedBytesAreReportedToTheHook) {
  uint64_t total = 0;
  store_ = open_store(kNoLimit, [&](uint64_t n) { total += n; });
  auto stored =
      upload(*store_, header(v1::FLOAT32, {2}, 3, 2), float_bytes(features_), label_bytes(labels_));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(total, stored->bytes());
}

// A full disk (/dev/full answers every write with ENOSPC): the upload fails
// as resource_exhausted naming the data dir, and leaves no file behind.
TEST_F(DatasetStoreTest, AFullDiskIsResourceExhaustedAndLeavesNothing) {
  store_->write_content_to_for_test("/dev/full");
  // Large (1 MB of features) and small (3 samples, only written at commit).
  for (const uint64_t count : {uint64_t{131072}, uint64_t{3}}) {
    const std::string features = float_bytes(std::vector<float>(count * 2, 0.5f));
    auto stored = upload(*store_, header(v1::FLOAT32, {2}, count, 2), features,
                         label_bytes(std::vector<int32_t>(count, 1)));
    ASSERT_FALSE(stored.ok()) << count;
    EXPECT_EQ(stored.status().code(), engine::StatusCode::kResourceExhausted) << count;
    EXPECT_TRUE(stored.status().message().starts_with("data dir " + data_dir_.string() +
                                                      " is full: writing dataset file " +
                                                      (data_dir_ / kDatasetsSubdir).string()))
        << stored.status().message();
    EXPECT_TRUE(entries().empty()) << count;
  }
}

}  // namespace
}  // namespace gradstream::server

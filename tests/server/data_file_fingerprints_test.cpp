// Tests of fingerprint_data_files and check_data_files_unchanged: sizes and
// sha256 digests (checked against sha256sum's), roles in field order, and a
// changed, resized or missing file named with its field and path.
#include "server/data_file_fingerprints.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

// sha256sum of "abc", "abd" and "1,2,0\n3,4,1\n".
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kAbd[] = "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9";
constexpr char kRows[] = "6881a9620ebca1596c154cfba1f23f84d0e9107eb0f20bb41e20b68e0dcf4f92";

class DataFileFingerprintsTest : public ::testing::Test {
 protected:
  DataFileFingerprints recorded(const v1::FileSource& files) {
    auto taken = fingerprint_data_files(files);
    EXPECT_TRUE(taken.ok()) << taken.status().message();
    DataFileFingerprints out;
    if (taken.ok())
      for (const v1::DataFileFingerprint& file : *taken) *out.Add() = file;
    return out;
  }
  test_support::TempDir dir_{"fingerprints"};
};

TEST_F(DataFileFingerprintsTest, RecordsEachFileWithItsRoleSizeAndSha256) {
  v1::FileSource files;
  files.set_train_features(dir_.write("x.idx", "abc"));
  files.set_train_labels(dir_.write("y.idx", "1,2,0\n3,4,1\n"));
  files.set_test_labels(dir_.write("ty.idx", "abd"));  // test_features left empty: skipped
  auto taken = fingerprint_data_files(files);
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  ASSERT_EQ(taken->size(), 3U);
  EXPECT_EQ((*taken)[0].role(), "train_features");
  EXPECT_EQ((*taken)[0].path(), files.train_features());
  EXPECT_EQ((*taken)[0].size_bytes(), 3U);
  EXPECT_EQ((*taken)[0].sha256(), kAbc);
  EXPECT_EQ((*taken)[1].role(), "train_labels");
  EXPECT_EQ((*taken)[1].size_bytes(), 12U);
  EXPECT_EQ((*taken)[1].sha256(), kRows);
  EXPECT_EQ((*taken)[2].role(), "test_labels");
  EXPECT_EQ((*taken)[2].sha256(), kAbd);
}

TEST_F(DataFileFingerprintsTest, AMissingFileIsNamedByFieldAndPath) {
  v1::FileSource files;
  files.set_train_features(dir_.file("gone.csv"));
  auto taken = fingerprint_data_files(files);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), engine::StatusCode::kNotFound);
  EXPECT_EQ(
      taken.status().message().rfind("data.files.train_features: " + files.train_features(), 0), 0U)
      << taken.status().message();
}

TEST_F(DataFileFingerprintsTest, UnchangedFilesPass) {
  v1::FileSource files;
  files.set_train_features(dir_.write("x.csv", "abc"));
  const DataFileFingerprints then = recorded(files);
  EXPECT_TRUE(check_data_files_unchanged(then).ok());
}

TEST_F(DataFileFingerprintsTest, ASameSizeEditNamesBothDigests) {
  v1::FileSource files;
  files.set_train_features(dir_.write("x.csv", "abc"));
  const DataFileFingerprints then = recorded(files);
  dir_.write("x.csv", "abd");
  const engine::Status s = check_data_files_unchanged(then);
  EXPECT_EQ(s.code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "data.files.train_features: " + files.train_features() +
                             " changed since the job started (sha256 " + kAbc + " -> " + kAbd +
                             ", size 3 -> 3 bytes)");
}

TEST_F(DataFileFingerprintsTest, AResizedOrMissingFileFails) {
  v1::FileSource files;
  files.set_train_features(dir_.write("x.csv", "abc"));
  files.set_test_features(dir_.write("t.csv", "abc"));
  const DataFileFingerprints then = recorded(files);
  dir_.write("t.csv", "1,2,0\n3,4,1\n");
  engine::Status s = check_data_files_unchanged(then);
  EXPECT_EQ(s.code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("data.files.test_features: " + files.test_features() + " changed"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("size 3 -> 12 bytes"), std::string::npos) << s.message();
  std::filesystem::remove(files.test_features());
  s = check_data_files_unchanged(then);
  EXPECT_EQ(s.code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("data.files.test_features: " + files.test_features() +
                             " is no longer readable since the job started"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("it was 3 bytes"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace gradstream::server

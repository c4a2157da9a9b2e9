// data_dir_space: the out-of-space errors (which errno values, the message a
// client gets) and measure_data_dir's figures against files of known sizes.
#include "server/data_dir_space.hpp"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "server/dataset_store.hpp"
#include "server/job_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, size_t bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
}

TEST(DataDirSpaceTest, OnlyAFullVolumeOrQuotaIsOutOfSpace) {
  EXPECT_TRUE(is_out_of_space(ENOSPC));
  EXPECT_TRUE(is_out_of_space(EDQUOT));
  EXPECT_FALSE(is_out_of_space(EIO));
  EXPECT_FALSE(is_out_of_space(EACCES));
  EXPECT_FALSE(is_out_of_space(0));
}

TEST(DataDirSpaceTest, AFullDataDirIsResourceExhaustedNamingItAndTheWrite) {
  const engine::Status s = data_dir_full("/var/lib/gradstream", "writing dataset file x.bin");
  EXPECT_EQ(s.code(), engine::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "data dir /var/lib/gradstream is full: writing dataset file x.bin; free space on its "
            "volume, then retry");
}

TEST(DataDirSpaceTest, UsageCountsTheStoreTheDatasetsAndTheVolumesFreeBytes) {
  test_support::TempDir scratch{"data_dir_space"};
  const fs::path dir = scratch.path();
  EXPECT_EQ(measure_data_dir(dir).job_store_bytes, 0U);
  write_file(dir / kJobStoreFile, 4096);
  write_file(dir / (std::string(kJobStoreFile) + "-wal"), 1000);
  write_file(dir / (std::string(kJobStoreFile) + "-shm"), 32);
  write_file(dir / kDatasetsSubdir / "ab12" / "features.bin", 700);
  write_file(dir / kDatasetsSubdir / "ab12" / "labels.bin", 20);
  write_file(dir / kDatasetsSubdir / ".upload-1" / "features.bin", 5);
  write_file(dir / "server.lock", 3);  // neither store nor dataset

  const DataDirUsage usage = measure_data_dir(dir);
  EXPECT_EQ(usage.job_store_bytes, 4096U + 1000U + 32U);
  EXPECT_EQ(usage.dataset_bytes, 700U + 20U + 5U);
  struct statvfs volume {};
  ASSERT_EQ(::statvfs(dir.c_str(), &volume), 0);
  const double expected_free = static_cast<double>(volume.f_bavail) * volume.f_frsize;
  EXPECT_GT(usage.free_bytes, 0U);
  // Other tests write meanwhile: within 64 MiB of what statvfs says now.
  EXPECT_NEAR(static_cast<double>(usage.free_bytes), expected_free, 64.0 * 1024 * 1024);
}

TEST(DataDirSpaceTest, AMissingDataDirMeasuresNothing) {
  const DataDirUsage usage = measure_data_dir("/nonexistent/gradstream-data");
  EXPECT_EQ(usage.job_store_bytes, 0U);
  EXPECT_EQ(usage.dataset_bytes, 0U);
  EXPECT_EQ(usage.free_bytes, 0U);
}

}  // namespace
}  // namespace gradstream::server

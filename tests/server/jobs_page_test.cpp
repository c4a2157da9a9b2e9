// fill_jobs_page: a page ends at the count or before the byte budget,
// whichever comes first, always holding at least one job; list_page_bytes is
// half the message limit.
#include "server/jobs_page.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradstream::server {
namespace {

// `count` jobs whose names make each about `bytes` long.
std::vector<v1::Job> jobs_of(size_t count, size_t bytes) {
  std::vector<v1::Job> jobs(count);
  for (size_t i = 0; i < count; ++i) {
    jobs[i].set_id("job-" + std::to_string(i));
    jobs[i].mutable_spec()->set_name(std::string(bytes, 'n'));
  }
  return jobs;
}

TEST(JobsPageTest, HalfTheMessageLimit) {
  EXPECT_EQ(list_page_bytes(16 << 20), size_t{8} << 20);
  EXPECT_EQ(list_page_bytes(0), 0U);
}

TEST(JobsPageTest, SmallJobsStopAtTheCount) {
  const auto jobs = jobs_of(10, 100);
  v1::ListJobsResponse page;
  EXPECT_EQ(fill_jobs_page(jobs, 2, 5, 1 << 20, page), 7U);
  ASSERT_EQ(page.jobs_size(), 5);
  EXPECT_EQ(page.jobs(0).id(), "job-2");
  EXPECT_EQ(page.jobs(4).id(), "job-6");
}

TEST(JobsPageTest, BigJobsStopBeforeTheBudget) {
  const auto jobs = jobs_of(10, 1000);  // ~1010 bytes each, ~1013 framed
  v1::ListJobsResponse page;
  const size_t next = fill_jobs_page(jobs, 0, 50, 3500, page);
  EXPECT_EQ(next, 3U);  // a fourth would pass 3500 bytes
  EXPECT_EQ(page.jobs_size(), 3);
  EXPECT_LE(page.ByteSizeLong(), 3500U);
  EXPECT_GT(page.ByteSizeLong(), 3000U);
}

TEST(JobsPageTest, AJobBiggerThanTheBudgetIsStillListedAlone) {
  const auto jobs = jobs_of(3, 5000);
  v1::ListJobsResponse page;
  EXPECT_EQ(fill_jobs_page(jobs, 1, 50, 1000, page), 2U);
  ASSERT_EQ(page.jobs_size(), 1);
  EXPECT_EQ(page.jobs(0).id(), "job-1");
}

TEST(JobsPageTest, StartAtTheEndGivesAnEmptyPage) {
  const auto jobs = jobs_of(2, 10);
  v1::ListJobsResponse page;
  EXPECT_EQ(fill_jobs_page(jobs, 2, 50, 1000, page), 2U);
  EXPECT_EQ(page.jobs_size(), 0);
}

}  // namespace
}  // namespace gradstream::server

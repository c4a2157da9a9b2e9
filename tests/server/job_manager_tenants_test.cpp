// JobManager's tenants: each job carries its tenant, lists filter by it, and
// the per-tenant limits hold: queued jobs past the limit are refused, running
// jobs past it wait while other tenants' jobs start, also under concurrent
// callers.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "server/job_manager.hpp"
#include "tests/server/job_manager_test_support.hpp"

namespace gradstream::server {
namespace {

using engine::StatusCode;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

// Counts `tenant`'s RUNNING jobs.
size_t running(const JobManager& manager, const std::string& tenant) {
  size_t n = 0;
  for (const v1::Job& job : manager.list_jobs(v1::RUNNING)) n += job.tenant() == tenant ? 1 : 0;
  return n;
}

TEST(JobManagerTenantsTest, JobsCarryTheirTenantAndListsFilterByIt) {
  JobManager manager(JobManagerOptions{.threads_per_job = 1});
  auto a = manager.create_job(spec(1), "", loader(), "alpha");
  auto b = manager.create_job(spec(1), "", loader(), "beta");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tenant(), "alpha");
  EXPECT_EQ(*manager.tenant_of(b->id()), "beta");
  const std::string alpha = "alpha";
  const std::vector<v1::Job> alphas = manager.list_jobs(v1::JOB_STATE_UNSPECIFIED, &alpha);
  ASSERT_EQ(alphas.size(), 1U);
  EXPECT_EQ(alphas[0].id(), a->id());
  EXPECT_EQ(manager.list_jobs().size(), 2U);
  auto unknown = manager.tenant_of("job-missing");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "job \"job-missing\" not found");
  ASSERT_TRUE(manager.wait_idle(kTimeout));
}

TEST(JobManagerTenantsTest, QueuedJobsPastTheTenantsLimitAreRefusedUnderConcurrentCallers) {
  // One worker busy with beta's long job: everything alpha sends stays queued.
  JobManager manager(JobManagerOptions{
      .max_concurrent_jobs = 1, .threads_per_job = 1, .tenant_limits = {.max_queued_jobs = 3}});
  auto blocker = manager.create_job(long_spec(), "", long_loader(), "beta");
  ASSERT_TRUE(blocker.ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, blocker->id()) == v1::RUNNING; }));

  constexpr int kClients = 4;
  constexpr int kJobsEach = 3;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int j = 0; j < kJobsEach; ++j) {
        auto created = manager.create_job(spec(1), "", loader(), "alpha");
        if (created.ok()) {
          ++accepted;
        } else {
          EXPECT_EQ(created.status().code(), StatusCode::kResourceExhausted);
          EXPECT_NE(
              created.status().message().find(
                  "tenant \"alpha\" has 3 jobs queued, its limit (--tenant-max-queued-jobs 3)"),
              std::string::npos)
              << created.status().message();
          ++refused;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(accepted.load(), 3);
  EXPECT_EQ(refused.load(), kClients * kJobsEach - 3);
  // Another tenant is not held by alpha's limit.
  EXPECT_TRUE(manager.create_job(spec(1), "", loader(), "gamma").ok());
  ASSERT_TRUE(manager.cancel_job(blocker->id()).ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
}

TEST(JobManagerTenantsTest, RunningJobsPastTheTenantsLimitWaitWhileOthersStart) {
  JobManager manager(JobManagerOptions{
      .max_concurrent_jobs = 2, .threads_per_job = 1, .tenant_limits = {.max_running_jobs = 1}});
  auto a1 = manager.create_job(long_spec(), "", long_loader(), "alpha");
  auto a2 = manager.create_job(long_spec(), "", long_loader(), "alpha");
  auto b1 = manager.create_job(long_spec(), "", long_loader(), "beta");
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok());
  // beta's job takes the second slot although alpha's second job is ahead of it.
  ASSERT_TRUE(eventually([&] { return state_of(manager, b1->id()) == v1::RUNNING; }));
  EXPECT_EQ(state_of(manager, a1->id()), v1::RUNNING);
  EXPECT_EQ(state_of(manager, a2->id()), v1::QUEUED);
  for (int i = 0; i < 20; ++i) {
    EXPECT_LE(running(manager, "alpha"), 1U);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // alpha's slot frees: its next job starts.
  ASSERT_TRUE(manager.cancel_job(a1->id()).ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, a2->id()) == v1::RUNNING; }));
  EXPECT_EQ(running(manager, "alpha"), 1U);
  ASSERT_TRUE(manager.cancel_job(a2->id()).ok());
  ASSERT_TRUE(manager.cancel_job(b1->id()).ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
}

}  // namespace
}  // namespace gradstream::server

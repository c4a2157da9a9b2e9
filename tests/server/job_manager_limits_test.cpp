// JobManager's limits: the thread budget per job, the queue bound, shutdown,
// finished-job retention, and data loaded when a job starts.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/spec/spec_validator.hpp"
#include "server/job_manager.hpp"
#include "tests/server/job_manager_test_support.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;
using engine::StatusCode;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

// The cores in this process's CPU affinity mask (what taskset and containers
// leave it), at least 1.
uint32_t affinity_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

TEST(JobManagerTest, JobNeverGetsMoreThreadsThanItsBudget) {
  JobManager manager(JobManagerOptions{.threads_per_job = 1});
  EXPECT_EQ(manager.thread_budget(), 1U);
  v1::TrainingSpec greedy = spec(1);
  greedy.set_threads(8);
  auto created = manager.create_job(greedy, "", loader());
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->spec().threads(), 1U);
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, created->id()), v1::SUCCEEDED);
}

TEST(JobManagerTest, PrefetchThreadOnlyOnASpareCoreOfTheJobsShare) {
  // Two jobs on the machine, each using its whole share: a prefetch thread
  // would run on the other job's cores.
  JobManager shared(JobManagerOptions{.max_concurrent_jobs = 2});
  v1::TrainingSpec full_share = spec(1);
  full_share.set_threads(shared.thread_budget());
  auto created = shared.create_job(full_share, "", loader());
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->spec().data().no_prefetch());
  // One job with one thread: any other core is its own.
  JobManager alone(JobManagerOptions{.max_concurrent_jobs = 1});
  v1::TrainingSpec one_thread = spec(1);
  one_thread.set_threads(1);
  created = alone.create_job(one_thread, "", loader());
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->spec().data().no_prefetch(), affinity_cores() == 1U);
  ASSERT_TRUE(alone.wait_idle(kTimeout));
  EXPECT_EQ(state_of(alone, created->id()), v1::SUCCEEDED);
}

TEST(JobManagerTest, DefaultBudgetSplitsTheCores) {
  const uint32_t cores = affinity_cores();
  // One job at a time gets every usable core.
  EXPECT_EQ(JobManager(JobManagerOptions{.max_concurrent_jobs = 1}).thread_budget(), cores);
  EXPECT_EQ(JobManager(JobManagerOptions{.max_concurrent_jobs = 2}).thread_budget(),
            std::max(1U, cores / 2));
  // Asking for more than the share still gets the share: no oversubscription.
  EXPECT_EQ(JobManager(JobManagerOptions{.threads_per_job = 1000}).thread_budget(), cores);
}

TEST(JobManagerTest, ValidateOptionsRejectsSharedCores) {
  EXPECT_TRUE(validate_options({.max_concurrent_jobs = 2, .threads_per_job = 2}, 4).ok());
  EXPECT_TRUE(validate_options({.max_concurrent_jobs = 2}, 2).ok());
  EXPECT_EQ(validate_options({.max_concurrent_jobs = 0}, 2).message(),
            "max_concurrent_jobs: 0 is out of range [1, 2]");
  EXPECT_EQ(validate_options({.max_concurrent_jobs = 3}, 2).message(),
            "max_concurrent_jobs: 3 is more than the 2 usable cores; concurrent jobs would share "
            "cores");
  const engine::Status s = validate_options({.max_concurrent_jobs = 2, .threads_per_job = 2}, 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // 2 cores / 2 jobs leave 1 thread a job.
  EXPECT_EQ(s.message(),
            "threads_per_job: 2 x 2 concurrent jobs is more than the 2 usable cores; at most 1");
}

TEST(JobManagerTest, FullQueueIsResourceExhausted) {
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 1, .max_queued_jobs = 1});
  auto running = manager.create_job(long_spec(), "", long_loader());
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, running->id()) == v1::RUNNING; }));
  ASSERT_TRUE(manager.create_job(spec(1), "", loader()).ok());
  auto refused = manager.create_job(spec(1), "refused", loader());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "job queue is full: 1 jobs are waiting (at most 1); retry later");
  EXPECT_EQ(manager.list_jobs().size(), 2U);
  manager.shutdown(/*cancel_running=*/true);
}

TEST(JobManagerTest, ShutdownCancellingStopsEverythingAndRejectsNewJobs) {
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 1});
  auto running = manager.create_job(long_spec(), "", long_loader());
  ASSERT_TRUE(running.ok());
  auto log = manager.event_log(running->id());
  ASSERT_TRUE(eventually([&] { return has_step_event(*log); }));
  auto queued = manager.create_job(spec(1), "", loader());
  ASSERT_TRUE(queued.ok());

  manager.shutdown(/*cancel_running=*/true);
  auto stopped = manager.get_job(running->id());
  ASSERT_TRUE(stopped.ok());
  const uint64_t steps = last_reported_step(*log);
  ASSERT_GE(steps, 1U);  // a step report was waited for
  expect_stopped_at(*stopped, steps, "cancelled: server is shutting down");
  expect_ending(*log, v1::DoneReport::CANCELLED, v1::CANCELLED);
  auto never_ran = manager.get_job(queued->id());
  EXPECT_EQ(never_ran->state(), v1::CANCELLED);
  EXPECT_EQ(never_ran->reason(), "cancelled: server is shutting down (before it started)");
  EXPECT_FALSE(never_ran->has_started());

  auto refused = manager.create_job(spec(1), "", loader());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.status().message(), "server is shutting down; retry against its successor");
  EXPECT_TRUE(manager.wait_idle(0ms));
  manager.shutdown(/*cancel_running=*/true);  // idempotent
}

TEST(JobManagerTest, ShutdownWithoutCancellingLetsRunningJobsFinish) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(spec(5), "", loader());
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, created->id()) != v1::QUEUED; }));
  manager.shutdown(/*cancel_running=*/false);
  EXPECT_EQ(state_of(manager, created->id()), v1::SUCCEEDED);
}

TEST(JobManagerTest, KeepsOnlyTheNewestFinishedJobs) {
  JobManager manager(JobManagerOptions{.max_finished_jobs = 2});
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    // One at a time, so the jobs end in creation order.
    auto job = manager.create_job(spec(1), i == 0 ? "first-key" : "", loader());
    ASSERT_TRUE(job.ok()) << job.status().message();
    ids.push_back(job->id());
    ASSERT_TRUE(manager.wait_idle(kTimeout));
  }
  const std::vector<v1::Job> kept = manager.list_jobs();
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].id(), ids[2]);
  EXPECT_EQ(kept[1].id(), ids[3]);
  for (int i : {0, 1}) {
    EXPECT_EQ(manager.get_job(ids[i]).status().code(), StatusCode::kNotFound) << ids[i];
    EXPECT_EQ(manager.event_log(ids[i]), nullptr);
    EXPECT_EQ(manager.model_bytes(ids[i]).status().code(), StatusCode::kNotFound);
  }
  EXPECT_TRUE(manager.model_bytes(ids[3]).ok());
  // The forgotten job's idempotency key is free again: it makes a new job.
  auto reused = manager.create_job(spec(1), "first-key", loader());
  ASSERT_TRUE(reused.ok());
  EXPECT_NE(reused->id(), ids[0]);
}

TEST(JobManagerTest, DataIsLoadedWhenTheJobStartsAndALoaderFailureFailsOnlyItsJob) {
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 1});
  std::atomic<int> loads{0};
  auto counted = [&loads]() -> engine::Result<engine::DataSplits> {
    ++loads;
    return splits();
  };
  auto first = manager.create_job(spec(1), "", counted);
  auto broken = manager.create_job(spec(1), "", []() -> engine::Result<engine::DataSplits> {
    return engine::data_loss("data.dataset_id: features.bin is truncated");
  });
  auto throwing = manager.create_job(spec(1), "", []() -> engine::Result<engine::DataSplits> {
    throw std::runtime_error("disk gone");
  });
  auto last = manager.create_job(spec(1), "", counted);
  ASSERT_TRUE(first.ok() && broken.ok() && throwing.ok() && last.ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(loads.load(), 2);
  EXPECT_EQ(state_of(manager, first->id()), v1::SUCCEEDED);
  EXPECT_EQ(state_of(manager, last->id()), v1::SUCCEEDED);
  auto failed = manager.get_job(broken->id());
  EXPECT_EQ(failed->state(), v1::FAILED);
  EXPECT_EQ(failed->reason(), "data.dataset_id: features.bin is truncated");
  auto thrown = manager.get_job(throwing->id());
  EXPECT_EQ(thrown->state(), v1::FAILED);
  EXPECT_EQ(thrown->reason(), "loading data: disk gone");
}

}  // namespace
}  // namespace gradstream::server

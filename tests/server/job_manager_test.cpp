// JobManager: job lifecycle and event logs, cancellation, idempotency, the
// concurrency limit, failure isolation, the record of each run.
#include "server/job_manager.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/core/run_record.hpp"
#include "engine/spec/spec_validator.hpp"
#include "tests/server/job_manager_test_support.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;
using engine::StatusCode;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

TEST(JobManagerTest, JobRunsToSucceededWithOrderedGapFreeEvents) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(spec(3), "", loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->state(), v1::QUEUED);
  // "job-" and 12 hex digits, as in README's examples (job-a1f5ae0423ff).
  EXPECT_TRUE(std::regex_match(created->id(), std::regex("job-[0-9a-f]{32}"))) << created->id();
  EXPECT_TRUE(created->has_created());
  EXPECT_TRUE(created->spec().optimizer().has_adam());  // defaults made explicit
  EXPECT_EQ(created->spec().reporting().step_every(), 1U);

  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto job = manager.get_job(created->id());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::SUCCEEDED) << job->reason();
  EXPECT_EQ(job->reason(), "completed 3 epochs (12 steps)");
  EXPECT_EQ(job->steps(), 12U);  // 64 samples / 16 = 4 steps, 3 epochs
  EXPECT_EQ(job->epochs(), 3U);
  EXPECT_TRUE(job->has_test());
  EXPECT_GT(job->final_test_accuracy(), 0.8F);
  EXPECT_TRUE(job->has_started());
  EXPECT_TRUE(job->has_finished());
  EXPECT_LE(job->started(), job->finished());

  auto log = manager.event_log(created->id());
  ASSERT_NE(log, nullptr);
  const auto events = all_events(*log);
  EXPECT_EQ(job->last_sequence(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].job_id(), created->id());
  }
  ASSERT_GE(events.size(), 4U);
  EXPECT_EQ(events[0].state(), v1::QUEUED);
  EXPECT_EQ(events[1].state(), v1::RUNNING);
  expect_ending(*log, v1::DoneReport::SUCCEEDED, v1::SUCCEEDED);
  // Between RUNNING and done, only engine reports, steps counting up in order
  // and each epoch after its own last step.
  uint64_t next_step = 1;
  uint32_t next_epoch = 1;
  for (size_t i = 2; i + 2 < events.size(); ++i) {
    ASSERT_NE(events[i].event_case(), v1::TrainingEvent::kState) << i;
    ASSERT_FALSE(events[i].has_done()) << i;
    if (events[i].has_step()) {
      EXPECT_EQ(events[i].step().step(), next_step++);
    }
    if (events[i].has_epoch()) {
      EXPECT_EQ(events[i].epoch().epoch(), next_epoch++);
      EXPECT_EQ(next_step - 1, 4U * events[i].epoch().epoch());
    }
  }
  EXPECT_EQ(next_step, 13U);
  EXPECT_EQ(next_epoch, 4U);
}

TEST(JobManagerTest, CancelRunningJobEndsCancelledAfterSomeSteps) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(long_spec(), "", long_loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto log = manager.event_log(created->id());
  ASSERT_TRUE(eventually([&] { return has_step_event(*log); }));

  auto cancelled = manager.cancel_job(created->id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state(), v1::RUNNING);           // asked to stop; stops at the next step
  EXPECT_TRUE(manager.cancel_job(created->id()).ok());  // asking twice is harmless
  ASSERT_TRUE(manager.wait_idle(kTimeout));

  auto job = manager.get_job(created->id());
  ASSERT_TRUE(job.ok());
  const uint64_t steps = last_reported_step(*log);
  ASSERT_GE(steps, 1U);  // a step report was waited for
  expect_stopped_at(*job, steps, "cancelled by request");
  expect_ending(*log, v1::DoneReport::CANCELLED, v1::CANCELLED);
  const auto events = all_events(*log);
  EXPECT_EQ(events[events.size() - 2].done().steps(), steps);
}

TEST(JobManagerTest, CancelQueuedJobEndsAtOnceWithoutRunning) {
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 1});
  auto first = manager.create_job(long_spec(), "", long_loader());
  auto second = manager.create_job(spec(3), "", loader());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(second->state(), v1::QUEUED);

  auto cancelled = manager.cancel_job(second->id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state(), v1::CANCELLED);
  EXPECT_FALSE(cancelled->has_started());
  EXPECT_TRUE(cancelled->has_finished());
  EXPECT_EQ(cancelled->steps(), 0U);
  EXPECT_EQ(cancelled->epochs(), 0U);
  EXPECT_EQ(cancelled->reason(), "cancelled by request (before it started)");

  auto log = manager.event_log(second->id());
  const auto events = all_events(*log);
  ASSERT_EQ(events.size(), 3U);  // QUEUED, done, CANCELLED: never RUNNING
  EXPECT_EQ(events[0].state(), v1::QUEUED);
  expect_ending(*log, v1::DoneReport::CANCELLED, v1::CANCELLED);

  ASSERT_TRUE(manager.cancel_job(first->id()).ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, second->id()), v1::CANCELLED);
}

TEST(JobManagerTest, CancellingFinishedJobIsFailedPrecondition) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(spec(1), "", loader());
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto cancelled = manager.cancel_job(created->id());
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(cancelled.status().message(),
            "job \"" + created->id() +
                "\" is already SUCCEEDED; only QUEUED or RUNNING jobs can be cancelled");
}

TEST(JobManagerTest, UnknownIdIsNotFound) {
  JobManager manager(JobManagerOptions{});
  for (const auto& result : {manager.get_job("job-nope"), manager.cancel_job("job-nope")}) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(result.status().message(), "job \"job-nope\" not found");
  }
  EXPECT_EQ(manager.event_log("job-nope"), nullptr);
}

TEST(JobManagerTest, IdempotencyKeyReturnsTheSameJob) {
  JobManager manager(JobManagerOptions{});
  auto first = manager.create_job(spec(1), "key-1", loader());
  auto again = manager.create_job(spec(1), "key-1", loader());
  auto other = manager.create_job(spec(1), "key-2", loader());
  auto unkeyed_a = manager.create_job(spec(1), "", loader());
  auto unkeyed_b = manager.create_job(spec(1), "", loader());
  ASSERT_TRUE(first.ok() && again.ok() && other.ok() && unkeyed_a.ok() && unkeyed_b.ok());
  EXPECT_EQ(again->id(), first->id());
  EXPECT_NE(other->id(), first->id());
  EXPECT_NE(unkeyed_a->id(), unkeyed_b->id());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(manager.list_jobs().size(), 4U);
  auto after = manager.create_job(spec(1), "key-1", loader());  // after it finished, too
  EXPECT_EQ(after->id(), first->id());
  EXPECT_EQ(after->state(), v1::SUCCEEDED);
}

TEST(JobManagerTest, BurstOfJobsNeverExceedsConcurrencyLimit) {
  constexpr int kJobs = 20;
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 2});
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) {
    auto created = manager.create_job(spec(2), "", loader());
    ASSERT_TRUE(created.ok()) << created.status().message();
    ids.push_back(created->id());
  }
  ASSERT_TRUE(manager.wait_idle(kTimeout));

  const auto jobs = manager.list_jobs();
  ASSERT_EQ(jobs.size(), static_cast<size_t>(kJobs));
  // Rather than sampling list_jobs (which can miss an instant), check that no
  // instant lies inside more than two [started, finished] intervals. Both
  // times are taken under the manager's lock; at equal times the end sorts first.
  std::vector<std::pair<int64_t, int>> changes;
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(jobs[i].id(), ids[i]);  // creation order
    EXPECT_EQ(jobs[i].state(), v1::SUCCEEDED) << jobs[i].reason();
    using google::protobuf::util::TimeUtil;
    changes.emplace_back(TimeUtil::TimestampToNanoseconds(jobs[i].started()), +1);
    changes.emplace_back(TimeUtil::TimestampToNanoseconds(jobs[i].finished()), -1);
  }
  std::sort(changes.begin(), changes.end());
  int running = 0;
  int peak = 0;
  for (const auto& [time, delta] : changes) {
    running += delta;
    peak = std::max(peak, running);
  }
  EXPECT_LE(peak, 2);
  RecordProperty("peak_running", peak);
  EXPECT_EQ(manager.list_jobs(v1::SUCCEEDED).size(), static_cast<size_t>(kJobs));
  EXPECT_TRUE(manager.list_jobs(v1::FAILED).empty());
}

TEST(JobManagerTest, FailingJobEndsFailedWhileOthersSucceed) {
  JobManager manager(JobManagerOptions{.max_concurrent_jobs = 2});
  auto good = manager.create_job(spec(20), "", loader());
  v1::TrainingSpec misfit = spec(3);
  misfit.mutable_model()->set_input_shape(0, 3);  // the data has 2 features
  auto bad = manager.create_job(misfit, "", loader());
  ASSERT_TRUE(good.ok() && bad.ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));

  auto failed = manager.get_job(bad->id());
  EXPECT_EQ(failed->state(), v1::FAILED);
  EXPECT_EQ(failed->reason(),
            "model.input_shape: describes 3 features but the data's samples have 2");
  EXPECT_EQ(failed->steps(), 0U);
  EXPECT_TRUE(failed->has_started());
  auto log = manager.event_log(bad->id());
  expect_ending(*log, v1::DoneReport::FAILED, v1::FAILED);
  const auto events = all_events(*log);
  EXPECT_EQ(events[events.size() - 2].done().reason(), failed->reason());

  EXPECT_EQ(state_of(manager, good->id()), v1::SUCCEEDED);
}

TEST(JobManagerTest, InvalidSpecIsRejectedBeforeQueueing) {
  JobManager manager(JobManagerOptions{});
  v1::TrainingSpec bad = spec(1);
  bad.set_epochs(10001);  // one more than the 10000 a spec may ask for
  auto created = manager.create_job(bad, "", loader());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(created.status().message(), "epochs: 10001 is out of range [1, 10000]");
  EXPECT_TRUE(manager.list_jobs().empty());
}

TEST(JobManagerTest, FinishedJobRecordsItsRunWithTheThreadsAndSeedItRanWith) {
  JobManager manager(JobManagerOptions{});
  v1::TrainingSpec asked = spec(2);
  asked.set_threads(manager.thread_budget() + 1);  // lowered to the budget
  asked.set_seed(0x1234567890abcdefULL);
  auto created = manager.create_job(asked, "", loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_FALSE(created->has_run());  // queued: nothing has run yet
  ASSERT_TRUE(manager.wait_idle(kTimeout));

  auto job = manager.get_job(created->id());
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->state(), v1::SUCCEEDED) << job->reason();
  ASSERT_TRUE(job->has_run());
  EXPECT_FALSE(job->run().isa().empty());
  EXPECT_EQ(job->run().isa(), engine::onednn_isa_name(dnnl_get_effective_cpu_isa()));
  EXPECT_EQ(job->run().cpu_model(), engine::cpu_model());
  EXPECT_EQ(job->run().onednn_version(), engine::onednn_version());
  EXPECT_EQ(job->run().threads(), manager.thread_budget());
  EXPECT_EQ(job->run().threads(), job->spec().threads());
  EXPECT_EQ(job->run().seed(), 0x1234567890abcdefULL);
  // The done report carries the same record.
  const auto events = all_events(*manager.event_log(created->id()));
  ASSERT_GE(events.size(), 2U);
  ASSERT_TRUE(events[events.size() - 2].has_done());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      events[events.size() - 2].done().run(), job->run()))
      << events[events.size() - 2].done().DebugString();
}

TEST(JobManagerTest, RunIsRecordedWhenTheJobStartsNotWhenItEnds) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(long_spec(), "", long_loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  ASSERT_TRUE(eventually([&] { return state_of(manager, created->id()) == v1::RUNNING; }));
  auto running = manager.get_job(created->id());
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(running->has_run());
  EXPECT_EQ(running->run().isa(), engine::onednn_isa_name(dnnl_get_effective_cpu_isa()));
  EXPECT_EQ(running->run().threads(), 1U);  // the spec's default
  EXPECT_EQ(running->run().seed(), 3U);     // the test spec's seed
  ASSERT_TRUE(manager.cancel_job(created->id()).ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
}

}  // namespace
}  // namespace gradstream::server

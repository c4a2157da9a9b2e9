// JobManager: job lifecycle and event logs, cancellation, idempotency, the
// concurrency limit and thread budget, failure isolation, shutdown.
#include "server/job_manager.hpp"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/spec_io.hpp"
#include "engine/spec_validator.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;
using engine::StatusCode;

constexpr auto kTimeout = 60s;

// Points on either side of the line x0 + x1 = 0: a tiny MLP learns it in a
// few epochs, so a job's whole life takes milliseconds.
engine::Dataset separable(int64_t count, uint64_t seed) {
  engine::Dataset d;
  d.sample_shape = {2};
  d.count = count;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
  for (int64_t i = 0; i < count; ++i) {
    const float x0 = uniform(rng);
    const float x1 = uniform(rng);
    d.features.insert(d.features.end(), {x0, x1});
    d.labels.push_back(x0 + x1 > 0.0F ? 1 : 0);
  }
  return d;
}

engine::DataSplits splits(int64_t train_count = 64) {
  engine::DataSplits s;
  s.train = separable(train_count, 1);
  s.test = separable(64, 2);
  s.has_test = true;
  s.num_classes = 2;
  return s;
}

// What a job is queued with: a loader giving it splits() when it starts.
JobManager::DataLoader loader() {
  return []() -> engine::Result<engine::DataSplits> { return splits(); };
}

v1::TrainingSpec spec(uint32_t epochs, uint32_t batch_size = 16) {
  auto parsed = engine::parse_spec_json(R"({
      "model": {"inputShape": [2], "layers": [
        {"dense": {"units": 8, "activation": {"name": "tanh"}}}, {"dense": {"units": 2}}]},
      "optimizer": {"adam": {}, "learningRate": 0.05},
      "data": {"datasetId": "in-memory"}, "seed": 3})",
                                        "test spec");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  parsed->set_epochs(epochs);
  parsed->set_batch_size(batch_size);
  return *parsed;
}

// 10000 epochs of 32 steps: runs for many seconds unless cancelled.
v1::TrainingSpec long_spec() { return spec(engine::kMaxEpochs, 8); }
JobManager::DataLoader long_loader() {
  return []() -> engine::Result<engine::DataSplits> { return splits(256); };
}

std::vector<v1::TrainingEvent> all_events(const EventLog& log) {
  return log.read(1, log.size() + 1);
}

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

bool has_step_event(const EventLog& log) {
  const auto events = all_events(log);
  return std::any_of(events.begin(), events.end(), [](const auto& e) { return e.has_step(); });
}

v1::JobState state_of(const JobManager& manager, const std::string& id) {
  auto job = manager.get_job(id);
  return job.ok() ? job->state() : v1::JOB_STATE_UNSPECIFIED;
}

// The log of every ended job: done report with `outcome`, final `state`, closed.
void expect_ending(const EventLog& log, v1::DoneReport::Outcome outcome, v1::JobState state) {
  const auto events = all_events(log);
  ASSERT_GE(events.size(), 3U);
  EXPECT_TRUE(log.closed());
  ASSERT_TRUE(events[events.size() - 2].has_done());
  EXPECT_EQ(events[events.size() - 2].done().outcome(), outcome);
  ASSERT_EQ(events.back().event_case(), v1::TrainingEvent::kState);
  EXPECT_EQ(events.back().state(), state);
}

TEST(JobManagerTest, JobRunsToSucceededWithOrderedGapFreeEvents) {
  JobManager manager(JobManagerOptions{});
  auto created = manager.create_job(spec(3), "", loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->state(), v1::QUEUED);
  EXPECT_EQ(created->id().rfind("job-", 0), 0U);
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
  EXPECT_EQ(job->state(), v1::CANCELLED);
  EXPECT_GT(job->steps(), 0U);
  EXPECT_LT(job->epochs(), engine::kMaxEpochs);
  EXPECT_NE(job->reason().find("cancelled by request"), std::string::npos) << job->reason();
  expect_ending(*log, v1::DoneReport::CANCELLED, v1::CANCELLED);
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
  EXPECT_NE(cancelled->reason().find("before it started"), std::string::npos);

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
  EXPECT_NE(cancelled.status().message().find("SUCCEEDED"), std::string::npos)
      << cancelled.status().message();
}

TEST(JobManagerTest, UnknownIdIsNotFound) {
  JobManager manager(JobManagerOptions{});
  for (const auto& result : {manager.get_job("job-nope"), manager.cancel_job("job-nope")}) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
    EXPECT_NE(result.status().message().find("job-nope"), std::string::npos);
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
  EXPECT_NE(failed->reason().find("model.input_shape"), std::string::npos) << failed->reason();
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
  bad.set_epochs(engine::kMaxEpochs + 1);
  auto created = manager.create_job(bad, "", loader());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(manager.list_jobs().empty());
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
  EXPECT_EQ(created->spec().data().no_prefetch(), alone.thread_budget() == 1U);
  ASSERT_TRUE(alone.wait_idle(kTimeout));
  EXPECT_EQ(state_of(alone, created->id()), v1::SUCCEEDED);
}

TEST(JobManagerTest, DefaultBudgetSplitsTheCores) {
  const uint32_t cores = JobManager(JobManagerOptions{.max_concurrent_jobs = 1}).thread_budget();
  EXPECT_GE(cores, 1U);
  EXPECT_EQ(JobManager(JobManagerOptions{.max_concurrent_jobs = 2}).thread_budget(),
            std::max(1U, cores / 2));
  // Asking for more than the share still gets the share: no oversubscription.
  EXPECT_EQ(JobManager(JobManagerOptions{.threads_per_job = 1000}).thread_budget(), cores);
}

TEST(JobManagerTest, ValidateOptionsRejectsSharedCores) {
  EXPECT_TRUE(validate_options({.max_concurrent_jobs = 2, .threads_per_job = 2}, 4).ok());
  EXPECT_TRUE(validate_options({.max_concurrent_jobs = 2}, 2).ok());
  EXPECT_FALSE(validate_options({.max_concurrent_jobs = 0}, 2).ok());
  EXPECT_FALSE(validate_options({.max_concurrent_jobs = 3}, 2).ok());
  const engine::Status s = validate_options({.max_concurrent_jobs = 2, .threads_per_job = 2}, 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("threads_per_job"), std::string::npos) << s.message();
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
  EXPECT_EQ(stopped->state(), v1::CANCELLED);
  EXPECT_GT(stopped->steps(), 0U);
  EXPECT_NE(stopped->reason().find("shutting down"), std::string::npos) << stopped->reason();
  expect_ending(*log, v1::DoneReport::CANCELLED, v1::CANCELLED);
  auto never_ran = manager.get_job(queued->id());
  EXPECT_EQ(never_ran->state(), v1::CANCELLED);
  EXPECT_FALSE(never_ran->has_started());

  auto refused = manager.create_job(spec(1), "", loader());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "server is shutting down");
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

// JobManager with a JobStore: a restarted manager gets back every finished
// job (state, times, progress, events, model, idempotency key); jobs a killed
// server left QUEUED or RUNNING come back FAILED and are saved so; retention
// applies to restored jobs and deletes their rows; cancelled and forgotten
// jobs reach the store; a running job's progress is saved each epoch; a
// job's end the store refuses (a full disk, any error) is shown only once a
// retry has stored it.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/job_manager.hpp"
#include "server/job_observer.hpp"
#include "server/job_store.hpp"
#include "server/server_metrics.hpp"
#include "tests/server/job_manager_test_support.hpp"
#include "tests/server/prometheus_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using engine::StatusCode;
using google::protobuf::util::MessageDifferencer;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

class JobManagerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_store(); }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<JobStore> open_store() {
    auto store = JobStore::open(dir_.string());
    EXPECT_TRUE(store.ok()) << store.status().message();
    return std::move(store).value();
  }

  // What a restarted server does: a new store on the same file, a new manager
  // given its rows.
  std::unique_ptr<JobManager> restart(JobManagerOptions options = {}) {
    store_ = open_store();
    auto rows = store_->load_all();
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    auto manager = std::make_unique<JobManager>(options, nullptr, store_.get());
    manager->restore(std::move(rows).value());
    return manager;
  }

  std::vector<StoredJob> rows() {
    auto rows = store_->load_all();
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    return rows.ok() ? std::move(rows).value() : std::vector<StoredJob>{};
  }

  test_support::TempDir scratch_{"job_manager_store"};
  const fs::path dir_ = scratch_.path() / "data";  // made by JobStore::open
  std::unique_ptr<JobStore> store_;
};

TEST_F(JobManagerStoreTest, FinishedJobsComeBackWithEventsModelAndKey) {
  std::string id;
  v1::Job before;
  std::vector<v1::TrainingEvent> events_before;
  std::string model_before;
  {
    JobManager manager(JobManagerOptions{}, nullptr, store_.get());
    auto created = manager.create_job(spec(3), "retry-key", loader());
    ASSERT_TRUE(created.ok()) << created.status().message();
    id = created->id();
    ASSERT_TRUE(manager.wait_idle(kTimeout));
    before = *manager.get_job(id);
    ASSERT_EQ(before.state(), v1::SUCCEEDED) << before.reason();
    events_before = all_events(*manager.event_log(id));
    model_before = **manager.model_bytes(id);
  }
  auto manager = restart();
  auto after = manager->get_job(id);
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_TRUE(MessageDifferencer::Equals(before, *after)) << "before:\n"
                                                          << before.DebugString() << "after:\n"
                                                          << after->DebugString();
  EXPECT_FALSE(after->run().isa().empty());  // the record of the run came back with it
  auto log = manager->event_log(id);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->closed());
  const auto events_after = all_events(*log);
  ASSERT_EQ(events_after.size(), events_before.size());
  for (size_t i = 0; i < events_after.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(events_before[i], events_after[i])) << "event " << i;
  }
  auto model = manager->model_bytes(id);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(**model, model_before);
  // The key still names the job: a retried create does not train it again.
  auto retried = manager->create_job(spec(3), "retry-key", loader());
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->id(), id);
  EXPECT_EQ(manager->list_jobs().size(), 1U);
}

TEST_F(JobManagerStoreTest, JobsAKilledServerLeftUnfinishedComeBackFailed) {
  // Rows as a killed server leaves them: written when queued, never updated.
  StoredJob queued;
  queued.job.set_id("job-000000000001");
  queued.job.set_state(v1::QUEUED);
  *queued.job.mutable_spec() = spec(3);
  queued.events.push_back(state_event(v1::QUEUED));
  queued.events.back().set_sequence(1);
  ASSERT_TRUE(store_->insert_new(queued).ok());
  StoredJob running = queued;
  running.job.set_id("job-000000000002");
  running.job.set_state(v1::RUNNING);
  ASSERT_TRUE(store_->insert_new(running).ok());

  auto manager = restart();
  for (const std::string id : {"job-000000000001", "job-000000000002"}) {
    auto job = manager->get_job(id);
    ASSERT_TRUE(job.ok()) << id;
    EXPECT_EQ(job->state(), v1::FAILED);
    EXPECT_EQ(job->reason(),
              "the server stopped before the job ended, and this server does not resume jobs; "
              "submit it again");
    EXPECT_TRUE(job->has_finished());
    expect_ending(*manager->event_log(id), v1::DoneReport::FAILED, v1::FAILED);
    EXPECT_EQ(manager->model_bytes(id).status().code(), StatusCode::kFailedPrecondition);
  }
  // Saved as FAILED: the next restart reads the same.
  const auto saved = rows();
  ASSERT_EQ(saved.size(), 2U);
  for (const StoredJob& row : saved) {
    EXPECT_EQ(row.job.state(), v1::FAILED) << row.job.id();
    ASSERT_FALSE(row.events.empty());
    EXPECT_EQ(row.events.back().state(), v1::FAILED);
  }
}

TEST_F(JobManagerStoreTest, RunningJobsSaveTheirProgressAfterEachEpoch) {
  std::vector<StoredJob> while_running;
  std::string id;
  {
    JobManager manager(JobManagerOptions{}, nullptr, store_.get());
    auto created = manager.create_job(long_spec(), "", long_loader());
    ASSERT_TRUE(created.ok());
    id = created->id();
    ASSERT_TRUE(eventually([&] {
      const auto now = rows();
      return now.size() == 1 && now[0].job.epochs() >= 2;
    }));
    while_running = rows();  // what a server killed now would leave
    manager.shutdown(/*cancel_running=*/true);
  }
  ASSERT_EQ(while_running.size(), 1U);
  EXPECT_EQ(while_running[0].job.state(), v1::RUNNING);
  const uint32_t epochs = while_running[0].job.epochs();
  ASSERT_GE(epochs, 2U);
  // Saved at the end of an epoch: exactly its steps.
  EXPECT_EQ(while_running[0].job.steps(), epochs * kLongSpecStepsPerEpoch);
  JobManager restarted(JobManagerOptions{}, nullptr, nullptr);
  restarted.restore(std::move(while_running));
  auto job = restarted.get_job(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::FAILED);
  EXPECT_EQ(job->epochs(), epochs);  // how far it got before the kill
}

TEST_F(JobManagerStoreTest, RetentionAppliesToRestoredJobsAndDeletesTheirRows) {
  std::vector<std::string> ids;
  {
    JobManagerOptions options;
    options.max_finished_jobs = 10;
    JobManager manager(options, nullptr, store_.get());
    for (int i = 0; i < 4; ++i) {
      auto created = manager.create_job(spec(1), "", loader());
      ASSERT_TRUE(created.ok());
      ids.push_back(created->id());
      ASSERT_TRUE(manager.wait_idle(kTimeout));  // one by one: they end in creation order
    }
  }
  ASSERT_EQ(rows().size(), 4U);
  JobManagerOptions fewer;
  fewer.max_finished_jobs = 2;
  auto manager = restart(fewer);
  EXPECT_EQ(manager->get_job(ids[0]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager->get_job(ids[1]).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(manager->get_job(ids[2]).ok());
  EXPECT_TRUE(manager->get_job(ids[3]).ok());
  const auto left = rows();
  ASSERT_EQ(left.size(), 2U);
  EXPECT_EQ(left[0].job.id(), ids[2]);
  EXPECT_EQ(left[1].job.id(), ids[3]);
}

TEST_F(JobManagerStoreTest, CancelledAndShutDownJobsAreSavedWithTheirState) {
  std::string running_id;
  std::string queued_id;
  {
    JobManager manager(JobManagerOptions{}, nullptr, store_.get());
    auto running = manager.create_job(long_spec(), "", long_loader());
    auto queued = manager.create_job(long_spec(), "", long_loader());
    ASSERT_TRUE(running.ok() && queued.ok());
    running_id = running->id();
    queued_id = queued->id();
    ASSERT_TRUE(eventually([&] { return has_step_event(*manager.event_log(running_id)); }));
    ASSERT_TRUE(manager.cancel_job(queued_id).ok());
    // The row is written once cancel_job returns.
    bool saved_cancelled = false;
    for (const StoredJob& row : rows()) {
      if (row.job.id() == queued_id) saved_cancelled = row.job.state() == v1::CANCELLED;
    }
    EXPECT_TRUE(saved_cancelled);
    manager.shutdown(/*cancel_running=*/true);
  }
  auto manager = restart();
  auto running = manager->get_job(running_id);
  ASSERT_TRUE(running.ok());
  // As it was when the server shut down: the restored log's last step report.
  const uint64_t steps = last_reported_step(*manager->event_log(running_id));
  ASSERT_GE(steps, 1U);  // a step report was waited for
  expect_stopped_at(*running, steps, "cancelled: server is shutting down");
  auto queued = manager->get_job(queued_id);
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->state(), v1::CANCELLED);
  EXPECT_EQ(queued->reason(), "cancelled by request (before it started)");
}

TEST_F(JobManagerStoreTest, ConcurrentJobsAndCancelsLeaveRowsMatchingTheManager) {
  std::map<std::string, v1::Job> final_jobs;
  {
    JobManagerOptions options;
    options.max_concurrent_jobs = 2;
    options.threads_per_job = 1;
    JobManager manager(options, nullptr, store_.get());
    std::vector<std::thread> clients;
    std::mutex ids_mutex;
    std::vector<std::string> ids;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < 8; ++i) {
          auto created = manager.create_job(spec(1 + (i % 2)), "", loader());
          ASSERT_TRUE(created.ok()) << created.status().message();
          if ((i + c) % 3 == 0) (void)manager.cancel_job(created->id());  // queued or running
          std::lock_guard lock(ids_mutex);
          ids.push_back(created->id());
        }
      });
    }
    for (std::thread& t : clients) t.join();
    ASSERT_TRUE(manager.wait_idle(kTimeout));
    manager.shutdown(/*cancel_running=*/false);
    for (const std::string& id : ids) final_jobs[id] = *manager.get_job(id);
  }
  const auto stored = rows();
  ASSERT_EQ(stored.size(), final_jobs.size());
  for (const StoredJob& row : stored) {
    ASSERT_TRUE(final_jobs.contains(row.job.id())) << row.job.id();
    const v1::Job& job = final_jobs[row.job.id()];
    EXPECT_EQ(row.job.state(), job.state()) << row.job.id();
    EXPECT_EQ(row.job.reason(), job.reason()) << row.job.id();
    EXPECT_EQ(row.events.size(), job.last_sequence()) << row.job.id();
    EXPECT_EQ(row.model_size > 0, job.state() == v1::SUCCEEDED) << row.job.id();
  }
}

TEST_F(JobManagerStoreTest, RestoredJobsAreHeldNotCountedAsFinishedAgain) {
  {
    JobManager manager(JobManagerOptions{}, nullptr, store_.get());
    ASSERT_TRUE(manager.create_job(spec(1), "", loader()).ok());
    ASSERT_TRUE(manager.wait_idle(kTimeout));
  }
  StoredJob killed;  // a QUEUED row a killed server left
  killed.job.set_id("job-000000000009");
  killed.job.set_state(v1::QUEUED);
  ASSERT_TRUE(store_->insert_new(killed).ok());
  store_ = open_store();
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{}, metrics.get(), store_.get());
  manager.restore(rows());
  const auto samples = testing::parse_exposition(
      prometheus::TextSerializer().Serialize(metrics->registry().Collect()));
  EXPECT_EQ(testing::find_value(samples, "gradstream_jobs", {{"state", "succeeded"}}), 1.0);
  EXPECT_EQ(testing::find_value(samples, "gradstream_jobs", {{"state", "failed"}}), 1.0);
  EXPECT_EQ(testing::find_value(samples, "gradstream_jobs", {{"state", "queued"}}), 0.0);
  // A restart is not a burst of jobs ending.
  for (const char* state : {"succeeded", "failed"}) {
    EXPECT_EQ(testing::find_value(samples, "gradstream_jobs_finished_total", {{"state", state}}),
              0.0)
        << state;
  }
}

// A full disk when a job ends: nothing of its end is shown (GetJob says
// RUNNING, watchers see no done event) while the manager retries the save,
// counting each failure; once space returns the end is stored, then shown.
TEST_F(JobManagerStoreTest, AnEndTheFullStoreRefusesIsShownOnlyOnceStored) {
  v1::TrainingSpec wide = spec(2);
  // ~3k parameters: the model alone needs pages the frozen file does not have.
  wide.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(1024);
  ASSERT_GT(store_->set_max_page_count(1), 0U);
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{}, metrics.get(), store_.get());
  auto created = manager.create_job(wide, "", loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  const std::string id = created->id();
  std::shared_ptr<EventLog> log = manager.event_log(id);
  // Ended: the done report and final state are in the log, held.
  ASSERT_TRUE(eventually([&] { return log->size() > log->last_sequence(); }));
  auto errors = [&] {
    return testing::find_value(testing::parse_exposition(prometheus::TextSerializer().Serialize(
                                   metrics->registry().Collect())),
                               "gradstream_job_store_errors_total")
        .value_or(0.0);
  };
  // Two refusals from here on: the end's save and a retry at least.
  const double before = errors();
  ASSERT_TRUE(eventually([&] { return errors() >= before + 2.0; }));
  EXPECT_EQ(state_of(manager, id), v1::RUNNING);
  EXPECT_FALSE(log->closed());
  for (const v1::TrainingEvent& e : all_events(*log)) EXPECT_FALSE(e.has_done());
  EXPECT_FALSE(manager.model_bytes(id).ok());
  EXPECT_FALSE(manager.wait_idle(std::chrono::milliseconds(10)));  // its worker retries
  for (const StoredJob& row : rows()) EXPECT_NE(row.job.state(), v1::SUCCEEDED);

  ASSERT_GT(store_->set_max_page_count(1U << 30), 1000U);  // space again
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, id), v1::SUCCEEDED);
  expect_ending(*log, v1::DoneReport::SUCCEEDED, v1::SUCCEEDED);
  const std::vector<StoredJob> stored = rows();
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0].job.state(), v1::SUCCEEDED);
  auto stored_model = store_->model(id);
  ASSERT_TRUE(stored_model.ok());
  ASSERT_NE(*stored_model, nullptr);
  EXPECT_EQ(**stored_model, **manager.model_bytes(id));
  EXPECT_EQ(stored[0].events.size(), log->size());
}

// Any store error (here a trigger refusing every insert) is held the same way.
// A queued job whose row the full store refuses is not created: CreateJob
// answers the store's RESOURCE_EXHAUSTED, and no job, key or queue entry is
// left that a restart would lose. With space again the same key creates it.
TEST_F(JobManagerStoreTest, ACreateTheFullStoreRefusesLeavesNoJob) {
  // The key is stored in the row: 64 KiB needs pages the frozen file lacks.
  const std::string key(64 << 10, 'k');
  ASSERT_GT(store_->set_max_page_count(1), 0U);
  auto metrics = ServerMetrics::create(ServerMetricsOptions{});
  JobManager manager(JobManagerOptions{}, metrics.get(), store_.get());
  auto refused = manager.create_job(spec(1), key, loader());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("is full"), std::string::npos)
      << refused.status().message();
  EXPECT_TRUE(manager.list_jobs().empty());
  EXPECT_TRUE(manager.wait_idle(std::chrono::milliseconds(10)));
  EXPECT_TRUE(rows().empty());

  ASSERT_GT(store_->set_max_page_count(1U << 30), 1000U);  // space again
  auto created = manager.create_job(spec(1), key, loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, created->id()), v1::SUCCEEDED);
  ASSERT_EQ(manager.list_jobs().size(), 1U);
  ASSERT_EQ(rows().size(), 1U);
}

TEST_F(JobManagerStoreTest, ARefusedEndIsRetriedUntilTheStoreTakesIt) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / kJobStoreFile).c_str(), &db), SQLITE_OK);
  auto exec = [&](const char* sql) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  };
  // The queued row goes in (a refused one withdraws the job); every later
  // write of the row (an upsert) is refused.
  exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON jobs WHEN (SELECT count(*) FROM jobs) > 0 "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  JobManager manager(JobManagerOptions{}, nullptr, store_.get());
  auto created = manager.create_job(spec(2), "", loader());
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::shared_ptr<EventLog> log = manager.event_log(created->id());
  ASSERT_TRUE(eventually([&] { return log->size() > log->last_sequence(); }));
  EXPECT_FALSE(manager.wait_idle(std::chrono::milliseconds(1500)));  // a retry refused too
  EXPECT_EQ(state_of(manager, created->id()), v1::RUNNING);
  ASSERT_EQ(rows().size(), 1U);
  EXPECT_NE(rows()[0].job.state(), v1::SUCCEEDED);
  exec("DROP TRIGGER refuse;");
  sqlite3_close(db);
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, created->id()), v1::SUCCEEDED);
  ASSERT_EQ(rows().size(), 1U);
  EXPECT_EQ(rows()[0].job.state(), v1::SUCCEEDED);
}

// What a client was told is never taken back: when a watcher first sees a
// job's done event, or GetJob first says SUCCEEDED, the store already has the
// job SUCCEEDED with its model.
TEST_F(JobManagerStoreTest, AnEndIsStoredBeforeAnyClientHearsOfIt) {
  for (int trial = 0; trial < 5; ++trial) {
    JobManager manager(JobManagerOptions{}, nullptr, store_.get());
    auto created = manager.create_job(spec(2), "", loader());
    ASSERT_TRUE(created.ok()) << created.status().message();
    const std::string id = created->id();
    std::shared_ptr<EventLog> log = manager.event_log(id);
    bool saw_done = false;
    bool saw_succeeded = false;
    ASSERT_TRUE(eventually(
        [&] {
          if (!saw_done) {
            for (const v1::TrainingEvent& e : log->read(1, 100000)) saw_done |= e.has_done();
          }
          if (!saw_succeeded) saw_succeeded = manager.get_job(id)->state() == v1::SUCCEEDED;
          if (!saw_done && !saw_succeeded) return false;
          // Heard of the end: the store must have it already.
          for (const StoredJob& row : rows()) {
            if (row.job.id() != id) continue;
            EXPECT_EQ(row.job.state(), v1::SUCCEEDED) << "trial " << trial;
            EXPECT_GT(row.model_size, 0U);
            EXPECT_TRUE(row.events.back().has_state());
          }
          return true;
        },
        kTimeout));
    ASSERT_TRUE(manager.wait_idle(kTimeout));
  }
}

}  // namespace
}  // namespace gradstream::server

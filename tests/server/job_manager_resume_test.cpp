// JobManager resuming jobs: a shutdown that keeps jobs (ShutdownMode::
// kInterrupt) checkpoints the running one and keeps the queued one; a
// restarted manager resumes the first from its checkpoint and runs the
// second, and both end exactly as uninterrupted runs: the same model bytes,
// the same loss at every step, one event per sequence number. A job on
// server-side files resumes only while its files are unchanged.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/spec/spec_validator.hpp"
#include "server/job_manager.hpp"
#include "server/job_observer.hpp"
#include "server/job_store.hpp"
#include "tests/server/job_manager_test_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

// 256 samples / batch 8 = 32 steps per epoch, 12 epochs: long enough to be
// interrupted mid-run, short enough to finish in a second.
v1::TrainingSpec resumable_spec() { return spec(12, 8); }
JobManager::DataLoader resumable_loader() { return long_loader(); }

std::map<uint64_t, float> step_losses(const EventLog& log) {
  std::map<uint64_t, float> out;
  for (const v1::TrainingEvent& e : all_events(log)) {
    if (!e.has_step()) continue;
    EXPECT_FALSE(out.contains(e.step().step())) << "step " << e.step().step() << " twice";
    out[e.step().step()] = e.step().loss();
  }
  return out;
}

class JobManagerResumeTest : public ::testing::Test {
 protected:
  std::unique_ptr<JobStore> open_store() {
    auto store = JobStore::open(dir_.string());
    EXPECT_TRUE(store.ok()) << store.status().message();
    return std::move(store).value();
  }

  // An uninterrupted run of the same spec, without a store.
  void run_reference() {
    JobManager manager;
    auto created = manager.create_job(resumable_spec(), "", resumable_loader());
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(manager.wait_idle(kTimeout));
    reference_model_ = **manager.model_bytes(created->id());
    reference_losses_ = step_losses(*manager.event_log(created->id()));
    ASSERT_EQ(reference_losses_.size(), 12U * 32U);
  }

  test_support::TempDir scratch_{"job_manager_resume"};
  const fs::path dir_ = scratch_.path() / "data";
  std::string reference_model_;
  std::map<uint64_t, float> reference_losses_;
};

TEST_F(JobManagerResumeTest, AnInterruptedJobResumesAndEndsExactlyAsAnUninterruptedOne) {
  run_reference();
  std::string running_id;
  std::string queued_id;
  uint64_t interrupted_at = 0;
  {
    auto store = open_store();
    JobManager manager(JobManagerOptions{.checkpoint_every_seconds = 0}, nullptr, store.get());
    auto running = manager.create_job(resumable_spec(), "", resumable_loader());
    auto queued = manager.create_job(resumable_spec(), "", resumable_loader());
    ASSERT_TRUE(running.ok() && queued.ok());
    running_id = running->id();
    queued_id = queued->id();
    std::shared_ptr<EventLog> log = manager.event_log(running_id);
    ASSERT_TRUE(eventually([&] { return last_reported_step(*log) >= 40; }));
    manager.shutdown(ShutdownMode::kInterrupt);
    interrupted_at = last_reported_step(*log);
    EXPECT_LT(interrupted_at, 12U * 32U);
    EXPECT_TRUE(log->interrupted());
    EXPECT_FALSE(log->closed());
    EXPECT_EQ(state_of(manager, running_id), v1::RUNNING);
    EXPECT_EQ(state_of(manager, queued_id), v1::QUEUED);
    EXPECT_TRUE(manager.event_log(queued_id)->interrupted());
  }
  auto store = open_store();
  auto rows = store->load_all();
  ASSERT_TRUE(rows.ok());
  auto checkpoints = store->checkpoints(running_id);
  ASSERT_TRUE(checkpoints.ok());
  ASSERT_EQ(checkpoints->size(), 1U);  // the shutdown's
  EXPECT_EQ((*checkpoints)[0].step, interrupted_at);

  JobManager manager(JobManagerOptions{}, nullptr, store.get());
  manager.restore(std::move(rows).value(), [](const v1::TrainingSpec&) { return long_loader(); });
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  for (const std::string& id : {running_id, queued_id}) {
    auto job = manager.get_job(id);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->state(), v1::SUCCEEDED) << job->reason();
    EXPECT_EQ(**manager.model_bytes(id), reference_model_) << id;
    const EventLog& log = *manager.event_log(id);
    EXPECT_EQ(step_losses(log), reference_losses_) << id;
    const auto events = all_events(log);
    for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence(), i + 1);
    int running_events = 0;
    for (const auto& e : events) running_events += e.has_state() && e.state() == v1::RUNNING;
    EXPECT_EQ(running_events, 1) << id;
    expect_ending(log, v1::DoneReport::SUCCEEDED, v1::SUCCEEDED);
  }
  EXPECT_EQ(manager.get_job(running_id)->resumes(), 1U);
  EXPECT_EQ(manager.get_job(running_id)->resumed_from_step(), interrupted_at);
  EXPECT_EQ(manager.get_job(queued_id)->resumes(), 0U);
  // Finished: the store keeps no checkpoint of either.
  EXPECT_TRUE(store->checkpoints(running_id)->empty());
}

TEST_F(JobManagerResumeTest, ADamagedNewestCheckpointFallsBackToTheOneBefore) {
  run_reference();
  std::string id;
  {
    auto store = open_store();
    // Checkpoints every few milliseconds of training, then the shutdown's.
    JobManager manager(JobManagerOptions{.checkpoint_every_seconds = 0.002}, nullptr, store.get());
    auto running = manager.create_job(resumable_spec(), "", resumable_loader());
    ASSERT_TRUE(running.ok());
    id = running->id();
    // One checkpoint by time at least, so the shutdown's makes two.
    ASSERT_TRUE(eventually([&] {
      return last_reported_step(*manager.event_log(id)) >= 100 && !store->checkpoints(id)->empty();
    }));
    manager.shutdown(ShutdownMode::kInterrupt);
  }
  auto store = open_store();
  auto before = store->checkpoints(id);
  ASSERT_TRUE(before.ok());
  ASSERT_GE(before->size(), 2U);
  const uint64_t newest = (*before)[0].step;
  const uint64_t previous = (*before)[1].step;
  // Flip the newest checkpoint's bytes as a bad disk would.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / kJobStoreFile).c_str(), &db), SQLITE_OK);
    const std::string sql =
        "UPDATE checkpoints SET data = substr(data, 1, length(data) / 2) "
        "WHERE step = " +
        std::to_string(newest) + ";";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto rows = store->load_all();
  ASSERT_TRUE(rows.ok());
  JobManager manager(JobManagerOptions{}, nullptr, store.get());
  manager.restore(std::move(rows).value(), [](const v1::TrainingSpec&) { return long_loader(); });
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto job = manager.get_job(id);
  EXPECT_EQ(job->state(), v1::SUCCEEDED) << job->reason();
  EXPECT_EQ(job->resumed_from_step(), previous);
  EXPECT_EQ(**manager.model_bytes(id), reference_model_);
  EXPECT_EQ(step_losses(*manager.event_log(id)), reference_losses_);
}

// A store that refuses every write from some point on (a full disk): the
// job's later checkpoints fail and it trains on; its end is not stored, so it
// stays RUNNING; a shutdown then leaves it RUNNING in the store with its last
// good checkpoint, and the next server resumes it from there and ends it
// exactly as an uninterrupted run.
TEST_F(JobManagerResumeTest, AnEndUnstoredAtShutdownResumesFromTheLastGoodCheckpoint) {
  // Long enough (60 epochs of 32 steps) that the store fails well before the end.
  const v1::TrainingSpec long_run = spec(60, 8);
  std::string reference_model;
  std::map<uint64_t, float> reference_losses;
  {
    JobManager manager;
    auto created = manager.create_job(long_run, "", long_loader());
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(manager.wait_idle(kTimeout));
    reference_model = **manager.model_bytes(created->id());
    reference_losses = step_losses(*manager.event_log(created->id()));
  }
  std::string id;
  uint64_t good_step = 0;
  {
    auto store = open_store();
    JobManager manager(JobManagerOptions{.checkpoint_every_seconds = 0.002}, nullptr, store.get());
    auto created = manager.create_job(long_run, "", long_loader());
    ASSERT_TRUE(created.ok());
    id = created->id();
    ASSERT_TRUE(eventually([&] { return !store->checkpoints(id)->empty(); }));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / kJobStoreFile).c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);  // a checkpoint may be writing
    for (const char* table : {"checkpoints", "jobs"}) {
      const std::string sql = std::string("CREATE TRIGGER full_") + table + " BEFORE INSERT ON " +
                              table +
                              " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;";
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    good_step = (*store->checkpoints(id))[0].step;
    std::shared_ptr<EventLog> log = manager.event_log(id);
    // Trained on to its end, which is held.
    ASSERT_TRUE(eventually([&] { return log->size() > log->last_sequence(); }));
    EXPECT_EQ(last_reported_step(*log), 60U * 32U);
    EXPECT_LT(good_step, 60U * 32U);
    EXPECT_EQ((*store->checkpoints(id))[0].step, good_step);
    EXPECT_EQ(state_of(manager, id), v1::RUNNING);
    manager.shutdown(ShutdownMode::kInterrupt);
    EXPECT_TRUE(log->interrupted());
    EXPECT_FALSE(log->closed());
    EXPECT_EQ(state_of(manager, id), v1::RUNNING);
    ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER full_checkpoints; DROP TRIGGER full_jobs;", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_store();
  auto rows = store->load_all();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0].job.state(), v1::RUNNING);
  JobManager manager(JobManagerOptions{}, nullptr, store.get());
  manager.restore(std::move(rows).value(), [](const v1::TrainingSpec&) { return long_loader(); });
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto job = manager.get_job(id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::SUCCEEDED) << job->reason();
  EXPECT_EQ(job->resumed_from_step(), good_step);
  EXPECT_EQ(**manager.model_bytes(id), reference_model);
  EXPECT_EQ(step_losses(*manager.event_log(id)), reference_losses);
}

// sha256sum of kRowsText.
constexpr char kRowsText[] = "1,2,0\n3,4,1\n";
constexpr char kRowsSha256[] = "6881a9620ebca1596c154cfba1f23f84d0e9107eb0f20bb41e20b68e0dcf4f92";

// The scratch directory as the only --data-root.
JobManagerOptions rooted(JobManagerOptions options, const fs::path& root) {
  auto roots = DataRoots::create({root.string()});
  EXPECT_TRUE(roots.ok()) << roots.status().message();
  if (roots.ok()) options.data_roots = std::move(roots).value();
  return options;
}

// A long job on the CSV at `path` (fingerprinted by the manager; the loader serves the samples).
v1::TrainingSpec on_file(const std::string& path) {
  v1::TrainingSpec spec = job_manager_test::spec(kLongSpecEpochs, 8);
  spec.mutable_data()->mutable_files()->set_train_features(path);
  spec.mutable_data()->mutable_files()->set_label_column(-1);
  return spec;
}

TEST_F(JobManagerResumeTest, AJobOnFilesResumesOnlyWhileItsFilesAreUnchanged) {
  // Canonical paths, as CreateJob hands them to the manager.
  const std::string kept = fs::canonical(scratch_.write("kept.csv", kRowsText)).string();
  const std::string edited = fs::canonical(scratch_.write("edited.csv", kRowsText)).string();
  // Long jobs: both are still running when the manager is interrupted.
  std::string kept_id;
  std::string edited_id;
  {
    auto store = open_store();
    JobManager manager(
        rooted({.max_concurrent_jobs = 2, .checkpoint_every_seconds = 0}, scratch_.path()), nullptr,
        store.get());
    auto first = manager.create_job(on_file(kept), "", resumable_loader());
    auto second = manager.create_job(on_file(edited), "", resumable_loader());
    ASSERT_TRUE(first.ok() && second.ok());
    kept_id = first->id();
    edited_id = second->id();
    for (const std::string& id : {kept_id, edited_id}) {
      std::shared_ptr<EventLog> log = manager.event_log(id);
      ASSERT_TRUE(eventually([&] { return last_reported_step(*log) >= 40; }));
    }
    manager.shutdown(ShutdownMode::kInterrupt);
  }
  auto store = open_store();
  auto rows = store->load_all();
  ASSERT_TRUE(rows.ok());
  for (const StoredJob& row : *rows) {
    ASSERT_EQ(row.job.data_files_size(), 1) << row.job.id();
    const v1::DataFileFingerprint& file = row.job.data_files(0);
    EXPECT_EQ(file.role(), "train_features");
    EXPECT_EQ(file.path(), row.job.id() == kept_id ? kept : edited);
    EXPECT_EQ(file.size_bytes(), 12U);
    EXPECT_EQ(file.sha256(), kRowsSha256);
  }
  scratch_.write("edited.csv", "1,2,0\n3,4,0\n");  // same size, one label changed

  JobManager manager(rooted({.max_concurrent_jobs = 2}, scratch_.path()), nullptr, store.get());
  manager.restore(std::move(rows).value(), [](const v1::TrainingSpec&) { return long_loader(); });
  ASSERT_TRUE(eventually([&] { return manager.get_job(kept_id)->resumes() == 1; }));
  auto resumed = manager.get_job(kept_id);
  EXPECT_EQ(resumed->state(), v1::RUNNING) << resumed->reason();
  EXPECT_GT(resumed->resumed_from_step(), 0U);
  ASSERT_TRUE(manager.cancel_job(kept_id).ok());
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  EXPECT_EQ(state_of(manager, kept_id), v1::CANCELLED);
  auto failed = manager.get_job(edited_id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::FAILED);
  EXPECT_EQ(
      failed->reason().rfind("data.files.train_features: " + edited +
                                 " changed since the job started (sha256 " + kRowsSha256 + " -> ",
                             0),
      0U)
      << failed->reason();
  EXPECT_NE(failed->reason().find("size 12 -> 12 bytes"), std::string::npos) << failed->reason();
  expect_ending(*manager.event_log(edited_id), v1::DoneReport::FAILED, v1::FAILED);
}

TEST_F(JobManagerResumeTest, AJobOnFilesResumedWithoutItsRootFailsNamingFileAndFlag) {
  const std::string path = fs::canonical(scratch_.write("rows.csv", kRowsText)).string();
  std::string id;
  {
    auto store = open_store();
    JobManager manager(rooted({.checkpoint_every_seconds = 0}, scratch_.path()), nullptr,
                       store.get());
    auto created = manager.create_job(on_file(path), "", resumable_loader());
    ASSERT_TRUE(created.ok()) << created.status().message();
    id = created->id();
    std::shared_ptr<EventLog> log = manager.event_log(id);
    ASSERT_TRUE(eventually([&] { return last_reported_step(*log) >= 5; }));
    manager.shutdown(ShutdownMode::kInterrupt);
  }
  auto store = open_store();
  auto rows = store->load_all();
  ASSERT_TRUE(rows.ok());
  JobManager manager(JobManagerOptions{}, nullptr, store.get());  // restarted without --data-root
  manager.restore(std::move(rows).value(), [](const v1::TrainingSpec&) { return long_loader(); });
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto failed = manager.get_job(id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::FAILED);
  EXPECT_EQ(failed->reason(), "data.files.train_features: \"" + path +
                                  "\": server-side files are not allowed: start the server with "
                                  "--data-root DIR to allow a directory");
  expect_ending(*manager.event_log(id), v1::DoneReport::FAILED, v1::FAILED);
}

TEST_F(JobManagerResumeTest, AStoredJobWhoseSpecNoLongerValidatesFailsInsteadOfTraining) {
  // A row damaged into another spec (or one an older server accepted): the
  // layer's units are 0, which validate_spec refuses.
  v1::TrainingSpec damaged = resumable_spec();
  damaged.mutable_model()->mutable_layers(0)->mutable_dense()->set_units(0);
  ASSERT_FALSE(engine::validate_spec(damaged).ok());
  StoredJob stored;
  stored.job.set_id("job-damaged");
  stored.job.set_state(v1::QUEUED);
  *stored.job.mutable_spec() = damaged;
  stored.events.push_back(state_event(v1::QUEUED));
  std::vector<StoredJob> rows;
  rows.push_back(std::move(stored));
  JobManager manager;
  bool loader_asked = false;
  manager.restore(std::move(rows), [&](const v1::TrainingSpec&) {
    loader_asked = true;
    return long_loader();
  });
  ASSERT_TRUE(manager.wait_idle(kTimeout));
  auto failed = manager.get_job("job-damaged");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::FAILED);
  EXPECT_EQ(failed->reason().rfind("not resumed: its stored spec is not valid: model.layers[0]", 0),
            0U)
      << failed->reason();
  EXPECT_FALSE(loader_asked);
  expect_ending(*manager.event_log("job-damaged"), v1::DoneReport::FAILED, v1::FAILED);
}

}  // namespace
}  // namespace gradstream::server

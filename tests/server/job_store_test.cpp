// JobStore: rows round-trip (job, key, events, model) across reopening, the
// model read on its own (load_all gives only its size); a
// first insert never overwrites a saved row; saves keep creation order; a
// progress save touches only the Job message of an existing row; events are
// added once each and read in order; checkpoints keep the newest few and skip
// damaged ones; forget deletes everything of a job; a foreign SQLite file, a
// file that is not SQLite and a damaged row or event are refused with errors
// naming the file or the job; a write on a full store is resource_exhausted
// and changes nothing.
#include "server/job_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;

StoredJob stored_job(const std::string& id, v1::JobState state, int events,
                     const std::string& model = "") {
  StoredJob s;
  s.job.set_id(id);
  s.job.set_state(state);
  s.job.set_reason("reason of " + id);
  s.job.set_steps(100 + events);
  s.job.mutable_spec()->set_epochs(3);
  s.idempotency_key = "key-" + id;
  for (int i = 1; i <= events; ++i) {
    v1::TrainingEvent e;
    e.set_sequence(i);
    e.set_job_id(id);
    e.mutable_step()->set_step(i);
    e.mutable_step()->set_loss(1.0F / static_cast<float>(i));
    s.events.push_back(e);
  }
  if (!model.empty()) s.model = std::make_shared<const std::string>(model);
  return s;
}

class JobStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<JobStore> open() {
    auto store = JobStore::open(dir_.string());
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs SQL on the store's file directly, as a damaged disk or another tool would.
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / kJobStoreFile).c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  test_support::TempDir scratch_{"job_store"};
  const fs::path dir_ = scratch_.path() / "data";  // made by JobStore::open
};

TEST_F(JobStoreTest, RowsRoundTripAcrossReopening) {
  std::string model;  // every byte value, NUL included, many times over
  for (int i = 0; i < 300000; ++i) model.push_back(static_cast<char>(i % 256));
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(fs::exists(dir_ / "jobs.sqlite"));  // README: <data-dir>/jobs.sqlite
    ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 5, model + '\0' + "tail")).ok());
    ASSERT_TRUE(store->save(stored_job("job-b", v1::FAILED, 0)).ok());
  }
  auto store = open();
  ASSERT_TRUE(store);
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 2U);
  const StoredJob& a = (*loaded)[0];
  EXPECT_EQ(a.job.id(), "job-a");
  EXPECT_EQ(a.job.state(), v1::SUCCEEDED);
  EXPECT_EQ(a.job.reason(), "reason of job-a");
  EXPECT_EQ(a.job.steps(), 105U);
  EXPECT_EQ(a.job.spec().epochs(), 3U);
  EXPECT_EQ(a.idempotency_key, "key-job-a");
  ASSERT_EQ(a.events.size(), 5U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.events[i].sequence(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(a.events[i].step().step(), static_cast<uint64_t>(i + 1));
    EXPECT_FLOAT_EQ(a.events[i].step().loss(), 1.0F / static_cast<float>(i + 1));
  }
  EXPECT_FALSE(a.model);  // a restart reads no model
  EXPECT_EQ(a.model_size, 300000U + 5);
  auto a_model = store->model("job-a");
  ASSERT_TRUE(a_model.ok()) << a_model.status().message();
  ASSERT_TRUE(*a_model);
  EXPECT_EQ(**a_model, model + '\0' + "tail");
  const StoredJob& b = (*loaded)[1];
  EXPECT_EQ(b.job.id(), "job-b");
  EXPECT_TRUE(b.events.empty());
  EXPECT_FALSE(b.model);
  EXPECT_EQ(b.model_size, 0U);
  auto b_model = store->model("job-b");
  ASSERT_TRUE(b_model.ok()) << b_model.status().message();
  EXPECT_FALSE(*b_model);
}

TEST_F(JobStoreTest, ModelOfAnUnknownOrForgottenJobIsNotFound) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->model("job-x").status().code(), engine::StatusCode::kNotFound);
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 1, "weights")).ok());
  ASSERT_TRUE(store->forget("job-a").ok());
  auto forgotten = store->model("job-a");
  EXPECT_EQ(forgotten.status().code(), engine::StatusCode::kNotFound);
  EXPECT_EQ(forgotten.status().message(), "job \"job-a\" not found");
}

TEST_F(JobStoreTest, ASaveWithoutAModelKeepsTheStoredOne) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 2, "weights")).ok());
  // The manager saves again from a record that no longer holds the model.
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 3)).ok());
  auto model = store->model("job-a");
  ASSERT_TRUE(model.ok() && *model);
  EXPECT_EQ(**model, "weights");
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)[0].model_size, 7U);
  EXPECT_EQ((*loaded)[0].events.size(), 3U);
}

TEST_F(JobStoreTest, FirstInsertNeverOverwritesASavedRow) {
  auto store = open();
  ASSERT_TRUE(store);
  // The job ended (and was saved) before its creation's insert got through.
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 4, "weights")).ok());
  ASSERT_TRUE(store->insert_new(stored_job("job-a", v1::QUEUED, 1)).ok());
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1U);
  EXPECT_EQ((*loaded)[0].job.state(), v1::SUCCEEDED);
  EXPECT_EQ((*loaded)[0].events.size(), 4U);
}

TEST_F(JobStoreTest, SaveReplacesTheRowAndKeepsCreationOrder) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->insert_new(stored_job("job-first", v1::QUEUED, 1)).ok());
  ASSERT_TRUE(store->insert_new(stored_job("job-second", v1::QUEUED, 1)).ok());
  ASSERT_TRUE(store->save(stored_job("job-first", v1::CANCELLED, 3)).ok());
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2U);
  EXPECT_EQ((*loaded)[0].job.id(), "job-first");
  EXPECT_EQ((*loaded)[0].job.state(), v1::CANCELLED);
  EXPECT_EQ((*loaded)[0].events.size(), 3U);
  EXPECT_EQ((*loaded)[1].job.id(), "job-second");
  EXPECT_EQ((*loaded)[1].job.state(), v1::QUEUED);
}

TEST_F(JobStoreTest, SaveProgressReplacesOnlyTheJobAndNeverInserts) {
  auto store = open();
  ASSERT_TRUE(store);
  StoredJob running = stored_job("job-a", v1::RUNNING, 3);
  running.job.set_epochs(1);
  ASSERT_TRUE(store->insert_new(running).ok());
  running.job.set_epochs(4);
  ASSERT_TRUE(store->save_progress(running.job).ok());
  ASSERT_TRUE(store->save_progress(stored_job("job-unknown", v1::RUNNING, 0).job).ok());
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1U);  // no row for job-unknown
  EXPECT_EQ((*loaded)[0].job.epochs(), 4U);
  EXPECT_EQ((*loaded)[0].events.size(), 3U);  // the events as inserted
  EXPECT_EQ((*loaded)[0].idempotency_key, "key-job-a");
}

TEST_F(JobStoreTest, ForgetDeletesTheRow) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 1)).ok());
  ASSERT_TRUE(store->save(stored_job("job-b", v1::SUCCEEDED, 1)).ok());
  ASSERT_TRUE(store->forget("job-a").ok());
  ASSERT_TRUE(store->forget("job-unknown").ok());  // nothing to delete is not an error
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1U);
  EXPECT_EQ((*loaded)[0].job.id(), "job-b");
}

TEST_F(JobStoreTest, TheSpecDigestOfAnIdempotencyKeyIsKept) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    StoredJob a = stored_job("job-a", v1::QUEUED, 0);
    a.spec_digest = "0123456789abcdef";
    ASSERT_TRUE(store->insert_new(a).ok());
  }
  auto loaded = open()->load_all();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 1U);
  EXPECT_EQ((*loaded)[0].spec_digest, "0123456789abcdef");
}

TEST_F(JobStoreTest, AStoreWithoutSpecDigestsGainsTheColumnAndKeepsItsRows) {
  fs::create_directories(dir_);
  // The jobs table as stores wrote it before the spec digest was kept.
  exec(
      "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
      "idempotency_key TEXT NOT NULL, job BLOB NOT NULL, events BLOB NOT NULL, model BLOB);");
  v1::Job job;
  job.set_id("job-old");
  job.set_state(v1::SUCCEEDED);
  std::string hex;
  for (unsigned char c : job.SerializeAsString()) {
    static const char* kDigits = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  exec("INSERT INTO jobs (id, idempotency_key, job, events) VALUES ('job-old', 'old-key', x'" +
       hex + "', x'');");
  auto store = open();
  ASSERT_TRUE(store);
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 1U);
  EXPECT_EQ((*loaded)[0].job.id(), "job-old");
  EXPECT_EQ((*loaded)[0].idempotency_key, "old-key");
  EXPECT_EQ((*loaded)[0].spec_digest, "");  // unknown: the key matches any spec
  StoredJob next = stored_job("job-new", v1::QUEUED, 0);
  next.spec_digest = "fedcba9876543210";
  ASSERT_TRUE(store->insert_new(next).ok());
  loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2U);
  EXPECT_EQ((*loaded)[1].spec_digest, "fedcba9876543210");
}

TEST_F(JobStoreTest, AnotherApplicationsSqliteFileIsRefused) {
  fs::create_directories(dir_);
  exec("PRAGMA application_id = 12345; CREATE TABLE notes (text TEXT);");
  auto store = JobStore::open(dir_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().message(),
            "data_dir: " + (dir_ / "jobs.sqlite").string() +
                " is an SQLite file of another application, not a gradstream job store");
}

TEST_F(JobStoreTest, AFileThatIsNotSqliteIsRefused) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / kJobStoreFile) << std::string(8192, 'x');
  auto store = JobStore::open(dir_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), engine::StatusCode::kFailedPrecondition);
  // The rest of the message is SQLite's own wording, in parentheses.
  EXPECT_EQ(
      store.status().message().rfind(
          "data_dir: " + (dir_ / "jobs.sqlite").string() + " is not a gradstream job store (", 0),
      0u)
      << store.status().message();
}

TEST_F(JobStoreTest, ADamagedRowOrEventIsAnErrorNamingTheJob) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save(stored_job("job-good", v1::SUCCEEDED, 2)).ok());
    ASSERT_TRUE(store->save(stored_job("job-bad", v1::SUCCEEDED, 3)).ok());
  }
  // Cut an event short in the middle.
  exec(
      "UPDATE events SET event = substr(event, 1, length(event) - 3) "
      "WHERE job_id = 'job-bad' AND sequence = 2;");
  auto store = open();
  ASSERT_TRUE(store);
  auto loaded = store->load_all();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), engine::StatusCode::kFailedPrecondition);
  const std::string file = (dir_ / "jobs.sqlite").string();
  EXPECT_EQ(loaded.status().message(),
            "job store " + file +
                ": the events of job \"job-bad\" are damaged at sequence 2; move the file away "
                "to start afresh");
  // A hole in the sequence is damage too.
  exec("DELETE FROM events WHERE job_id = 'job-bad' AND sequence = 2;");
  loaded = store->load_all();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("damaged at sequence 3"), std::string::npos);

  exec("DELETE FROM events WHERE job_id = 'job-bad';");
  exec("UPDATE jobs SET job = X'0a0378797a' WHERE id = 'job-bad';");  // id "xyz"
  loaded = store->load_all();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), "job store " + file +
                                           ": the row of job \"job-bad\" is damaged; move the "
                                           "file away to start afresh");
}

TEST_F(JobStoreTest, EventsAreAddedOnceAndReadInOrder) {
  auto store = open();
  ASSERT_TRUE(store);
  StoredJob job = stored_job("job-a", v1::RUNNING, 5);
  const std::vector<v1::TrainingEvent> all = job.events;
  job.events.resize(1);
  ASSERT_TRUE(store->insert_new(job).ok());
  ASSERT_TRUE(store->append_events("job-a", {all[1], all[2]}).ok());
  // An append that repeats stored events keeps the stored ones.
  v1::TrainingEvent changed = all[2];
  changed.mutable_step()->set_loss(99.0F);
  ASSERT_TRUE(store->append_events("job-a", {changed, all[3], all[4]}).ok());
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 1U);
  ASSERT_EQ((*loaded)[0].events.size(), 5U);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*loaded)[0].events[i].SerializeAsString(), all[i].SerializeAsString()) << i;
  }
}

TEST_F(JobStoreTest, CheckpointsKeepTheNewestAndSkipDamagedOnes) {
  auto store = open();
  ASSERT_TRUE(store);
  const StoredJob job = stored_job("job-a", v1::RUNNING, 6);
  ASSERT_TRUE(store->insert_new(stored_job("job-a", v1::RUNNING, 1)).ok());
  for (uint64_t step = 1; step <= 5; ++step) {
    const StoredCheckpoint checkpoint{step * 10, step, "state at " + std::to_string(step * 10)};
    // Each checkpoint brings the events up to its own.
    ASSERT_TRUE(store->save_checkpoint("job-a", checkpoint, {job.events[step - 1]}).ok());
  }
  size_t damaged = 99;
  auto kept = store->checkpoints("job-a", &damaged);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(damaged, 0U);
  ASSERT_EQ(kept->size(), kKeptCheckpoints);
  EXPECT_EQ((*kept)[0].step, 50U);  // newest first
  EXPECT_EQ((*kept)[0].event_sequence, 5U);
  EXPECT_EQ((*kept)[0].bytes, "state at 50");
  EXPECT_EQ((*kept)[2].step, 30U);
  // A flipped byte in the newest: it is skipped for the one before it.
  exec("UPDATE checkpoints SET data = CAST('state at 5X' AS BLOB) WHERE step = 50;");
  kept = store->checkpoints("job-a", &damaged);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(damaged, 1U);
  ASSERT_EQ(kept->size(), 2U);
  EXPECT_EQ((*kept)[0].step, 40U);
  EXPECT_EQ((*kept)[0].bytes, "state at 40");
  // A truncated one (a write cut short) too: the oldest is what is left.
  exec("UPDATE checkpoints SET data = CAST('state a' AS BLOB) WHERE step = 40;");
  kept = store->checkpoints("job-a", &damaged);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(damaged, 2U);
  ASSERT_EQ(kept->size(), 1U);
  EXPECT_EQ((*kept)[0].step, 30U);
  EXPECT_EQ((*kept)[0].bytes, "state at 30");
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)[0].events.size(), 5U);

  // A final save drops the job's checkpoints; forget drops everything.
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 6)).ok());
  kept = store->checkpoints("job-a");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->empty());
  ASSERT_TRUE(store->save_checkpoint("job-a", {70, 6, "late"}, {}).ok());
  ASSERT_TRUE(store->forget("job-a").ok());
  kept = store->checkpoints("job-a");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->empty());
  loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->empty());
  ASSERT_TRUE(store->insert_new(stored_job("job-a", v1::QUEUED, 1)).ok());
  loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)[0].events.size(), 1U);  // no event of the forgotten job came back
}

// A full disk, simulated by capping the file at its size: every write that
// needs more space fails whole as resource_exhausted naming the data dir,
// and the store reads exactly as before it; once space returns, writes go on.
TEST_F(JobStoreTest, AWriteOnAFullStoreIsResourceExhaustedAndChangesNothing) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save(stored_job("job-a", v1::RUNNING, 3)).ok());
  ASSERT_TRUE(store->save_checkpoint("job-a", {30, 3, "state at 30"}, {}).ok());
  ASSERT_GT(store->set_max_page_count(1), 0U);  // frozen at its size

  const std::string model(1 << 20, 'm');  // needs 256 pages more than there are
  const std::vector<engine::Status> refused = {
      store->save(stored_job("job-a", v1::SUCCEEDED, 40, model)),
      store->save_checkpoint("job-a", {40, 3, std::string(1 << 20, 'c')}, {}),
      store->insert_new(stored_job("job-b", v1::QUEUED, 1, model))};
  for (const engine::Status& s : refused) {
    EXPECT_EQ(s.code(), engine::StatusCode::kResourceExhausted) << s.message();
    EXPECT_NE(s.message().find("data dir " + dir_.string() + " is full: job store "),
              std::string::npos)
        << s.message();
  }
  auto loaded = store->load_all();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 1U);
  EXPECT_EQ((*loaded)[0].job.state(), v1::RUNNING);
  EXPECT_EQ((*loaded)[0].events.size(), 3U);
  EXPECT_EQ((*loaded)[0].model, nullptr);
  auto kept = store->checkpoints("job-a");
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1U);  // the final save's drop of checkpoints was rolled back too
  EXPECT_EQ((*kept)[0].bytes, "state at 30");

  ASSERT_GT(store->set_max_page_count(1U << 30), 1000U);  // space again
  ASSERT_TRUE(store->save(stored_job("job-a", v1::SUCCEEDED, 40, model)).ok());
  loaded = store->load_all();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)[0].job.state(), v1::SUCCEEDED);
  EXPECT_EQ((*loaded)[0].events.size(), 40U);
  EXPECT_EQ((*loaded)[0].model_size, model.size());
  auto stored_model = store->model("job-a");
  ASSERT_TRUE(stored_model.ok());
  ASSERT_NE(*stored_model, nullptr);
  EXPECT_EQ(**stored_model, model);
}

}  // namespace
}  // namespace gradstream::server

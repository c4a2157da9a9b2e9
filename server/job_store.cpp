// JobStore on SQLite: one table, statements prepared per call (a job is saved
// twice in its life, so there is nothing to gain from caching them).
#include "server/job_store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "server/data_dir_space.hpp"
#include "server/job_row.hpp"
#include "server/sqlite_statement.hpp"

namespace gradstream::server {

namespace {

// Marks the file as ours ("GSJS"), so a different SQLite file given as the
// data directory's jobs.sqlite is refused rather than written into.
constexpr int kApplicationId = 0x47534a53;

constexpr const char* kSchema = R"(
  CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    job BLOB NOT NULL,     -- gradstream.v1.Job
    events BLOB NOT NULL,  -- a store's first version kept events here (length-delimited)
    model BLOB,            -- the engine model file of a SUCCEEDED job
    spec_digest TEXT NOT NULL DEFAULT ''  -- of the spec CreateJob was sent with its key
  );
  CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    event BLOB NOT NULL,   -- gradstream.v1.TrainingEvent
    PRIMARY KEY (job_id, sequence)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS checkpoints (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    event_sequence INTEGER NOT NULL,
    sha256 BLOB NOT NULL,  -- of data
    data BLOB NOT NULL,    -- gradstream.v1.TrainingCheckpoint
    PRIMARY KEY (job_id, step)
  ) WITHOUT ROWID;)";

// A store written before spec_digest existed gets the column (its rows an
// empty digest: their keys match any spec, as they did when written).
bool add_spec_digest_column(sqlite3* db) {
  Statement columns(db, "SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'spec_digest'");
  if (!columns.ok()) return false;
  const int rc = sqlite3_step(columns.get());
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) return false;
  return sqlite3_exec(db, "ALTER TABLE jobs ADD COLUMN spec_digest TEXT NOT NULL DEFAULT ''",
                      nullptr, nullptr, nullptr) == SQLITE_OK;
}

}  // namespace

engine::Result<std::unique_ptr<JobStore>> JobStore::open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = (std::filesystem::path(data_dir) / kJobStoreFile).string();
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return engine::failed_precondition("data_dir: cannot open job store " + path + ": " + why);
  }
  std::unique_ptr<JobStore> store(new JobStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  int application_id = 0;
  {
    Statement query(db, "PRAGMA application_id");
    if (!query.ok() || sqlite3_step(query.get()) != SQLITE_ROW) {
      return engine::failed_precondition("data_dir: " + path + " is not a gradstream job store (" +
                                         sqlite3_errmsg(db) + ")");
    }
    application_id = sqlite3_column_int(query.get(), 0);
  }
  if (application_id != 0 && application_id != kApplicationId) {
    return engine::failed_precondition("data_dir: " + path +
                                       " is an SQLite file of another application, not a "
                                       "gradstream job store");
  }
  // WAL: a save does not block readers; NORMAL: a power cut may lose the last
  // saves but never corrupts the file.
  const std::string setup =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
      "PRAGMA application_id=" +
      std::to_string(kApplicationId) + ";" + kSchema;
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
      !add_spec_digest_column(db)) {
    return store->error("setting up");
  }
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

engine::Status JobStore::error(const std::string& doing) const {
  // SQLite says SQLITE_FULL for ENOSPC on its own writes; a quota (EDQUOT)
  // comes through as an I/O error with the system's errno.
  if (sqlite3_errcode(db_) == SQLITE_FULL || is_out_of_space(sqlite3_system_errno(db_))) {
    return data_dir_full(std::filesystem::path(path_).parent_path(),
                         "job store " + path_ + ": " + doing);
  }
  return engine::failed_precondition("job store " + path_ + ": " + doing + ": " +
                                     sqlite3_errmsg(db_));
}

uint64_t JobStore::set_max_page_count(uint64_t pages) {
  std::lock_guard lock(mutex_);
  const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  Statement statement(db_, sql.c_str());
  if (!statement.ok() || sqlite3_step(statement.get()) != SQLITE_ROW) return 0;
  return static_cast<uint64_t>(sqlite3_column_int64(statement.get(), 0));
}

engine::Status JobStore::insert_new(const StoredJob& job) {
  std::lock_guard lock(mutex_);
  return transaction("saving job " + job.job.id(), [&] { return write(job, false); });
}

engine::Status JobStore::save(const StoredJob& job) {
  std::lock_guard lock(mutex_);
  return transaction("saving job " + job.job.id(), [&] {
    // The checkpoints go first: on a nearly full disk their pages take the
    // row and its model.
    const v1::JobState state = job.job.state();
    if (state == v1::SUCCEEDED || state == v1::FAILED || state == v1::CANCELLED) {
      if (engine::Status s = delete_rows("checkpoints", job.job.id()); !s.ok()) return s;
    }
    return write(job, true);
  });
}

engine::Status JobStore::write(const StoredJob& job, bool replace) {
  // A save without a model keeps the stored one: the manager drops a model
  // from memory once it is stored.
  const char* sql = replace
                        ? "INSERT INTO jobs (id, idempotency_key, job, events, model, spec_digest) "
                          "VALUES (?1, ?2, ?3, x'', ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                          "idempotency_key = ?2, job = ?3, model = COALESCE(?4, model), "
                          "spec_digest = ?5"
                        : "INSERT OR IGNORE INTO jobs (id, idempotency_key, job, events, model, "
                          "spec_digest) VALUES (?1, ?2, ?3, x'', ?4, ?5)";
  Statement statement(db_, sql);
  if (!statement.ok()) return error("preparing a save");
  const std::string job_bytes = job.job.SerializeAsString();
  sqlite3_bind_text(statement.get(), 1, job.job.id().c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_text(statement.get(), 2, job.idempotency_key.c_str(), -1, SQLITE_STATIC);
  statement.bind(3, job_bytes);
  if (job.model) {
    statement.bind(4, *job.model);
  } else {
    sqlite3_bind_null(statement.get(), 4);
  }
  sqlite3_bind_text(statement.get(), 5, job.spec_digest.c_str(), -1, SQLITE_STATIC);
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("saving job " + job.job.id());
  return insert_events(job.job.id(), job.events);
}

engine::Status JobStore::save_progress(const v1::Job& job) {
  std::lock_guard lock(mutex_);
  Statement statement(db_, "UPDATE jobs SET job = ?2 WHERE id = ?1");
  if (!statement.ok()) return error("preparing a progress save");
  const std::string job_bytes = job.SerializeAsString();
  sqlite3_bind_text(statement.get(), 1, job.id().c_str(), -1, SQLITE_STATIC);
  statement.bind(2, job_bytes);
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("saving job " + job.id());
  return engine::ok_status();
}

engine::Status JobStore::forget(const std::string& id) {
  std::lock_guard lock(mutex_);
  return transaction("deleting job " + id, [&] {
    for (const char* table : {"jobs", "events", "checkpoints"}) {
      if (engine::Status s = delete_rows(table, id); !s.ok()) return s;
    }
    return engine::ok_status();
  });
}

engine::Result<std::vector<StoredJob>> JobStore::load_all() const {
  std::lock_guard lock(mutex_);
  // length() of a blob reads its size from the row's header, not its pages.
  Statement statement(
      db_,
      "SELECT id, idempotency_key, job, events, length(model), spec_digest FROM jobs "
      "ORDER BY seq");
  if (!statement.ok()) return error("reading jobs");
  std::vector<StoredJob> out;
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    const std::string id = statement.column(0);
    StoredJob stored;
    stored.idempotency_key = statement.column(1);
    stored.spec_digest = statement.column(5);
    const std::string damaged = "job store " + path_ + ": the row of job \"" + id +
                                "\" is damaged; move the file away to start afresh";
    // A row of the store's first version holds its events itself.
    if (!decode_job_row(id, statement.column(2), statement.column(3), stored.job, stored.events)) {
      return engine::failed_precondition(damaged);
    }
    stored.model_size = static_cast<uint64_t>(sqlite3_column_int64(statement.get(), 4));
    if (stored.events.empty()) {
      auto events = stored_events(id);
      if (!events.ok()) return events.status();
      stored.events = std::move(events).value();
    }
    out.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return error("reading jobs");
  return out;
}

engine::Result<std::shared_ptr<const std::string>> JobStore::model(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const std::string doing = "reading the model of job " + id;
  sqlite3_int64 row = 0;
  sqlite3_int64 size = 0;
  {
    Statement query(db_, "SELECT seq, length(model) FROM jobs WHERE id = ?1");
    if (!query.ok()) return error(doing);
    sqlite3_bind_text(query.get(), 1, id.c_str(), -1, SQLITE_STATIC);
    const int rc = sqlite3_step(query.get());
    if (rc == SQLITE_DONE) return engine::not_found("job \"" + id + "\" not found");
    if (rc != SQLITE_ROW) return error(doing);
    if (sqlite3_column_type(query.get(), 1) == SQLITE_NULL) {
      return std::shared_ptr<const std::string>();
    }
    row = sqlite3_column_int64(query.get(), 0);
    size = sqlite3_column_int64(query.get(), 1);
  }
  // A model file is at most 4 x kMaxParameters bytes plus its spec, well
  // below the 2 GiB one blob read takes.
  sqlite3_blob* blob = nullptr;
  if (sqlite3_blob_open(db_, "main", "jobs", "model", row, /*flags=*/0, &blob) != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return error(doing);
  }
  auto bytes = std::make_shared<std::string>(static_cast<size_t>(size), '\0');
  const int rc = sqlite3_blob_read(blob, bytes->data(), static_cast<int>(size), 0);
  sqlite3_blob_close(blob);
  if (rc != SQLITE_OK) return error(doing);
  return std::shared_ptr<const std::string>(std::move(bytes));
}

}  // namespace gradstream::server

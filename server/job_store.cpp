// JobStore on SQLite: one table, statements prepared per call (a job is saved
// twice in its life, so there is nothing to gain from caching them).
#include "server/job_store.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <sqlite3.h>

#include <filesystem>
#include <system_error>
#include <utility>

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
    events BLOB NOT NULL,  -- length-delimited gradstream.v1.TrainingEvent
    model BLOB             -- the engine model file of a SUCCEEDED job
  );)";

// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() const { return stmt_; }
  // Binds bytes that outlive the statement's step (no copy).
  void bind(int index, const std::string& bytes) {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  }
  std::string column(int index) const {
    const void* data = sqlite3_column_blob(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

std::string serialize_events(const std::vector<v1::TrainingEvent>& events) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  for (const v1::TrainingEvent& event : events) {
    google::protobuf::util::SerializeDelimitedToZeroCopyStream(event, &stream);
  }
  return out;
}

bool parse_events(const std::string& bytes, std::vector<v1::TrainingEvent>* events) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  for (;;) {
    v1::TrainingEvent event;
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&event, &stream, &clean_eof)) {
      return clean_eof;
    }
    events->push_back(std::move(event));
  }
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
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return store->error("setting up");
  }
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

engine::Status JobStore::error(const std::string& doing) const {
  return engine::failed_precondition("job store " + path_ + ": " + doing + ": " +
                                     sqlite3_errmsg(db_));
}

engine::Status JobStore::insert_new(const StoredJob& job) { return write(job, false); }
engine::Status JobStore::save(const StoredJob& job) { return write(job, true); }

engine::Status JobStore::write(const StoredJob& job, bool replace) {
  const char* sql = replace
                        ? "INSERT INTO jobs (id, idempotency_key, job, events, model) "
                          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                          "idempotency_key = ?2, job = ?3, events = ?4, model = ?5"
                        : "INSERT OR IGNORE INTO jobs (id, idempotency_key, job, events, model) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)";
  Statement statement(db_, sql);
  if (!statement.ok()) return error("preparing a save");
  const std::string job_bytes = job.job.SerializeAsString();
  const std::string event_bytes = serialize_events(job.events);
  sqlite3_bind_text(statement.get(), 1, job.job.id().c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_text(statement.get(), 2, job.idempotency_key.c_str(), -1, SQLITE_STATIC);
  statement.bind(3, job_bytes);
  statement.bind(4, event_bytes);
  if (job.model) {
    statement.bind(5, *job.model);
  } else {
    sqlite3_bind_null(statement.get(), 5);
  }
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("saving job " + job.job.id());
  return engine::ok_status();
}

engine::Status JobStore::save_progress(const v1::Job& job) {
  Statement statement(db_, "UPDATE jobs SET job = ?2 WHERE id = ?1");
  if (!statement.ok()) return error("preparing a progress save");
  const std::string job_bytes = job.SerializeAsString();
  sqlite3_bind_text(statement.get(), 1, job.id().c_str(), -1, SQLITE_STATIC);
  statement.bind(2, job_bytes);
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("saving job " + job.id());
  return engine::ok_status();
}

engine::Status JobStore::forget(const std::string& id) {
  Statement statement(db_, "DELETE FROM jobs WHERE id = ?1");
  if (!statement.ok()) return error("preparing a delete");
  sqlite3_bind_text(statement.get(), 1, id.c_str(), -1, SQLITE_STATIC);
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("deleting job " + id);
  return engine::ok_status();
}

engine::Result<std::vector<StoredJob>> JobStore::load_all() const {
  Statement statement(db_, "SELECT id, idempotency_key, job, events, model FROM jobs ORDER BY seq");
  if (!statement.ok()) return error("reading jobs");
  std::vector<StoredJob> out;
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    const std::string id = statement.column(0);
    StoredJob stored;
    stored.idempotency_key = statement.column(1);
    if (!stored.job.ParseFromString(statement.column(2)) || stored.job.id() != id ||
        !parse_events(statement.column(3), &stored.events)) {
      return engine::failed_precondition("job store " + path_ + ": the row of job \"" + id +
                                         "\" is damaged; move the file away to start afresh");
    }
    if (sqlite3_column_type(statement.get(), 4) != SQLITE_NULL) {
      stored.model = std::make_shared<const std::string>(statement.column(4));
    }
    out.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return error("reading jobs");
  return out;
}

}  // namespace gradstream::server

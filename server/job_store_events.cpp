// JobStore: the events and checkpoints tables, and the transactions around
// every multi-statement write.
#include <sqlite3.h>

#include "server/dataset_files.hpp"
#include "server/job_row.hpp"
#include "server/job_store.hpp"
#include "server/sqlite_statement.hpp"

namespace gradstream::server {

namespace {

std::string sha256_of(const std::string& bytes) {
  dataset_files::EvpContext ctx = dataset_files::new_sha256();
  if (!ctx || EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1) return {};
  const dataset_files::Digest digest = dataset_files::finish_sha256(ctx.get());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

engine::Status JobStore::transaction(const std::string& doing,
                                     const std::function<engine::Status()>& body) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error(doing);
  }
  engine::Status s = body();
  if (s.ok() && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    s = error(doing);
  }
  if (!s.ok()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

engine::Status JobStore::insert_events(const std::string& job_id,
                                       const std::vector<v1::TrainingEvent>& events) {
  if (events.empty()) return engine::ok_status();
  Statement statement(db_,
                      "INSERT OR IGNORE INTO events (job_id, sequence, event) VALUES (?1, ?2, ?3)");
  if (!statement.ok()) return error("preparing an event write");
  for (const v1::TrainingEvent& event : events) {
    const std::string bytes = event.SerializeAsString();
    sqlite3_reset(statement.get());
    sqlite3_bind_text(statement.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement.get(), 2, static_cast<sqlite3_int64>(event.sequence()));
    statement.bind(3, bytes);
    if (sqlite3_step(statement.get()) != SQLITE_DONE) {
      return error("writing the events of job " + job_id);
    }
  }
  return engine::ok_status();
}

engine::Status JobStore::delete_rows(const char* table, const std::string& job_id) {
  const std::string column = std::string(table) == "jobs" ? "id" : "job_id";
  const std::string sql = "DELETE FROM " + std::string(table) + " WHERE " + column + " = ?1";
  Statement statement(db_, sql.c_str());
  if (!statement.ok()) return error("preparing a delete");
  sqlite3_bind_text(statement.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error("deleting job " + job_id);
  return engine::ok_status();
}

engine::Status JobStore::append_events(const std::string& job_id,
                                       const std::vector<v1::TrainingEvent>& events) {
  std::lock_guard lock(mutex_);
  return transaction("writing the events of job " + job_id,
                     [&] { return insert_events(job_id, events); });
}

engine::Status JobStore::save_checkpoint(const std::string& job_id,
                                         const StoredCheckpoint& checkpoint,
                                         const std::vector<v1::TrainingEvent>& events) {
  const std::string digest = sha256_of(checkpoint.bytes);
  if (digest.empty()) return engine::internal_error("job store: sha256 is unavailable");
  std::lock_guard lock(mutex_);
  return transaction("saving a checkpoint of job " + job_id, [&] {
    if (engine::Status s = insert_events(job_id, events); !s.ok()) return s;
    Statement insert(db_,
                     "INSERT OR REPLACE INTO checkpoints (job_id, step, event_sequence, sha256, "
                     "data) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return error("preparing a checkpoint write");
    sqlite3_bind_text(insert.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert.get(), 2, static_cast<sqlite3_int64>(checkpoint.step));
    sqlite3_bind_int64(insert.get(), 3, static_cast<sqlite3_int64>(checkpoint.event_sequence));
    insert.bind(4, digest);
    insert.bind(5, checkpoint.bytes);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      return error("saving a checkpoint of job " + job_id);
    }
    // Only the newest few stay.
    Statement prune(db_,
                    "DELETE FROM checkpoints WHERE job_id = ?1 AND step NOT IN (SELECT step FROM "
                    "checkpoints WHERE job_id = ?1 ORDER BY step DESC LIMIT ?2)");
    if (!prune.ok()) return error("preparing a checkpoint prune");
    sqlite3_bind_text(prune.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(prune.get(), 2, static_cast<sqlite3_int64>(kKeptCheckpoints));
    if (sqlite3_step(prune.get()) != SQLITE_DONE) {
      return error("pruning the checkpoints of job " + job_id);
    }
    return engine::ok_status();
  });
}

engine::Result<std::vector<StoredCheckpoint>> JobStore::checkpoints(const std::string& job_id,
                                                                    size_t* damaged) const {
  std::lock_guard lock(mutex_);
  Statement statement(db_,
                      "SELECT step, event_sequence, sha256, data FROM checkpoints WHERE job_id = "
                      "?1 ORDER BY step DESC");
  if (!statement.ok()) return error("reading checkpoints");
  sqlite3_bind_text(statement.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
  std::vector<StoredCheckpoint> out;
  size_t bad = 0;
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    StoredCheckpoint checkpoint;
    checkpoint.step = static_cast<uint64_t>(sqlite3_column_int64(statement.get(), 0));
    checkpoint.event_sequence = static_cast<uint64_t>(sqlite3_column_int64(statement.get(), 1));
    checkpoint.bytes = statement.column(3);
    if (sha256_of(checkpoint.bytes) != statement.column(2)) {
      ++bad;
      continue;
    }
    out.push_back(std::move(checkpoint));
  }
  if (rc != SQLITE_DONE) return error("reading checkpoints");
  if (damaged != nullptr) *damaged = bad;
  return out;
}

engine::Result<std::vector<v1::TrainingEvent>> JobStore::stored_events(
    const std::string& job_id) const {
  Statement statement(db_,
                      "SELECT sequence, event FROM events WHERE job_id = ?1 ORDER BY sequence");
  if (!statement.ok()) return error("reading events");
  sqlite3_bind_text(statement.get(), 1, job_id.c_str(), -1, SQLITE_STATIC);
  std::vector<v1::TrainingEvent> out;
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    v1::TrainingEvent event;
    const uint64_t sequence = static_cast<uint64_t>(sqlite3_column_int64(statement.get(), 0));
    if (!decode_event_row(sequence, out.size(), statement.column(1), event)) {
      return engine::failed_precondition("job store " + path_ + ": the events of job \"" + job_id +
                                         "\" are damaged at sequence " + std::to_string(sequence) +
                                         "; move the file away to start afresh");
    }
    out.push_back(std::move(event));
  }
  if (rc != SQLITE_DONE) return error("reading events");
  return out;
}

}  // namespace gradstream::server

// JobStore: the server's jobs on disk, so a restart (a new container, a
// rescheduled pod) keeps every finished job with its events and trained model.
// One SQLite database, <data_dir>/jobs.sqlite, one row per job: the Job
// message, its event log (length-delimited TrainingEvents) and the model file.
//
// The JobManager writes a row when a job is queued, its Job message after each
// epoch, the whole row again when the job ends, and deletes it when the job is
// forgotten. A row still QUEUED or RUNNING when the
// server starts belongs to a job the previous process never finished (it was
// killed): the manager restores it as FAILED, saying so.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"

struct sqlite3;

namespace gradstream::server {

inline constexpr const char* kJobStoreFile = "jobs.sqlite";

struct StoredJob {
  v1::Job job;  // as Get returns it: id, state, times, reason, spec, progress
  std::string idempotency_key;
  std::vector<v1::TrainingEvent> events;
  std::shared_ptr<const std::string> model;  // the model file; null unless SUCCEEDED
};

// Thread-safe: SQLite serialises the calls (the connection is opened in its
// serialized mode). Calls block on disk; callers make them without holding
// their own locks.
class JobStore {
 public:
  // Opens (creating it and data_dir if needed) <data_dir>/jobs.sqlite.
  // failed_precondition naming the file when it cannot be opened or is not a
  // gradstream job store.
  static engine::Result<std::unique_ptr<JobStore>> open(const std::string& data_dir);
  ~JobStore();

  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // The job's row for the first time; a row already there (the job may have
  // ended and been saved first) is left as it is.
  engine::Status insert_new(const StoredJob& job);
  // Writes the job's row, replacing what was there.
  engine::Status save(const StoredJob& job);
  // Replaces only the Job message of an existing row (a running job's
  // progress); nothing when the row is not there yet.
  engine::Status save_progress(const v1::Job& job);
  engine::Status forget(const std::string& id);
  // Every stored job, oldest first. A row that does not parse is an error
  // naming the job and the file: the store is not silently half-read.
  engine::Result<std::vector<StoredJob>> load_all() const;

  const std::string& path() const { return path_; }

 private:
  JobStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  engine::Status write(const StoredJob& job, bool replace);
  engine::Status error(const std::string& doing) const;

  sqlite3* db_;
  std::string path_;
};

}  // namespace gradstream::server

// JobStore: the server's jobs on disk, so a restart (a new container, a
// rescheduled pod, a kill -9) keeps every job: finished ones with their events
// and trained model, unfinished ones with their events so far and their
// checkpoints to resume from. One SQLite database, <data_dir>/jobs.sqlite:
//   jobs         one row per job: the Job message and the model file
//   events       every event of every job by (job, sequence), appended as the
//                job goes (with each checkpoint, and the rest when it ends)
//   checkpoints  a running job's newest kKeptCheckpoints checkpoints, each
//                with the sha256 of its bytes and the last event it covers
// Each write is one transaction, so a kill at any moment leaves the store as
// it was before the write or after it, and so does a write refused for lack of
// space: it fails whole (resource_exhausted naming the data dir, see
// data_dir_space.hpp) and the store reads as before it. The JobManager writes a row when a job
// is queued, its Job message after each epoch, checkpoints while it runs, the
// whole row when it ends, and deletes everything of a job it forgets; it reads
// every row (models aside) at start and a finished job's model when asked for it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"

struct sqlite3;

namespace gradstream::server {

inline constexpr const char* kJobStoreFile = "jobs.sqlite";

// Checkpoints kept per job: a damaged newest one falls back to the one before.
inline constexpr size_t kKeptCheckpoints = 3;

// A checkpoint as stored: the engine's TrainingCheckpoint bytes, its step, and
// the sequence of the last event of the job when it was taken (the resumed job
// continues numbering after it).
struct StoredCheckpoint {
  uint64_t step = 0;
  uint64_t event_sequence = 0;
  std::string bytes;
};

struct StoredJob {
  v1::Job job;  // as Get returns it: id, state, times, reason, spec, progress
  std::string idempotency_key;
  std::vector<v1::TrainingEvent> events;  // by sequence, from 1
  // The model file, to save; null unless SUCCEEDED. load_all leaves it null
  // (models are read one at a time, with model()) and gives its size below.
  std::shared_ptr<const std::string> model;
  uint64_t model_size = 0;  // load_all: bytes of the stored model file, 0 if none
  // With idempotency_key: a digest of the spec CreateJob was sent (see
  // JobManager::create_job); empty in rows stored before digests were kept.
  std::string spec_digest;
};

// Thread-safe: one call at a time (a mutex around each, since a transaction
// spans several SQLite calls). Calls block on disk; callers make them without
// holding their own locks.
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
  // Writes the job's row, replacing what was there, and adds the events the
  // store does not have yet. A job in a final state loses its checkpoints.
  engine::Status save(const StoredJob& job);
  // Adds the events the store does not have yet (by sequence).
  engine::Status append_events(const std::string& job_id,
                               const std::vector<v1::TrainingEvent>& events);
  // The checkpoint and the events up to it, in one transaction; then only the
  // newest kKeptCheckpoints of the job stay.
  engine::Status save_checkpoint(const std::string& job_id, const StoredCheckpoint& checkpoint,
                                 const std::vector<v1::TrainingEvent>& events);
  // The job's checkpoints whose sha256 still matches, newest first; `damaged`
  // (optional) receives how many did not (skipped, so the one before is used).
  engine::Result<std::vector<StoredCheckpoint>> checkpoints(const std::string& job_id,
                                                            size_t* damaged = nullptr) const;
  // Replaces only the Job message of an existing row (a running job's
  // progress); nothing when the row is not there yet.
  engine::Status save_progress(const v1::Job& job);
  // Deletes the job's row, events and checkpoints.
  engine::Status forget(const std::string& id);
  // Every stored job, oldest first, without the model files (their sizes
  // only): a restart reads no model. A row that does not parse is an error
  // naming the job and the file: the store is not silently half-read.
  engine::Result<std::vector<StoredJob>> load_all() const;
  // The model file of job `id`, read by SQLite's incremental blob I/O straight
  // into the returned string (no second copy in SQLite's memory); null when
  // its row has none; not_found when the store has no row for `id`.
  engine::Result<std::shared_ptr<const std::string>> model(const std::string& id) const;

  const std::string& path() const { return path_; }

  // Caps the database at `pages` pages (never below its current size, so 1
  // freezes it as it is): writes that need more fail as on a full disk
  // (SQLITE_FULL). For tests; returns the cap now in force, 0 on error.
  uint64_t set_max_page_count(uint64_t pages);

 private:
  JobStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  engine::Status write(const StoredJob& job, bool replace);
  engine::Status insert_events(const std::string& job_id,
                               const std::vector<v1::TrainingEvent>& events);
  engine::Status delete_rows(const char* table, const std::string& job_id);
  // Runs `body` between BEGIN and COMMIT (ROLLBACK when it fails); the caller
  // holds mutex_.
  engine::Status transaction(const std::string& doing, const std::function<engine::Status()>& body);
  engine::Result<std::vector<v1::TrainingEvent>> stored_events(const std::string& job_id) const;
  engine::Status error(const std::string& doing) const;

  sqlite3* db_;
  std::string path_;
  mutable std::mutex mutex_;
};

}  // namespace gradstream::server

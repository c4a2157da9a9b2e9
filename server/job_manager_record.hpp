// JobManager::JobRecord (what the manager keeps per job) and Ending. Private to
// the manager's source files (job_manager.cpp, job_manager_run.cpp,
// job_manager_store.cpp, job_manager_model.cpp).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"
#include "server/event_log.hpp"
#include "server/job_manager.hpp"
#include "server/job_observer.hpp"

namespace gradstream::server {

// A done report the manager writes itself (the engine could not, or never ran).
inline v1::DoneReport done_report(v1::DoneReport::Outcome outcome, const std::string& reason) {
  v1::DoneReport done;
  done.set_outcome(outcome);
  done.set_reason(reason);
  return done;
}

struct JobManager::JobRecord {
  v1::Job job;  // id, state, times, reason, spec; progress lives below
  // Called when the job starts: a queued job holds no data, so a long queue
  // costs memory per job of a spec, not of a data set.
  JobManager::DataLoader load;
  std::atomic<bool> cancel{false};
  std::string cancel_reason;  // set with `cancel`, under the manager's mutex
  // Raised by a shutdown that keeps the job: it checkpoints and stops.
  std::atomic<bool> interrupt{false};
  // Taken back from the store after it had started (a killed or shut-down
  // server): it resumes from the newest of `checkpoints` that restores
  // (newest first; none: from the start), its log going on after the event
  // the checkpoint covers (or after its RUNNING event).
  bool resuming = false;
  std::vector<StoredCheckpoint> checkpoints;
  uint64_t running_sequence = 0;
  // Times the job was handed to a worker: each attempt's number, the fencing
  // token its reports carry (RemoteRun).
  uint64_t attempts = 0;
  // Events the store has; touched only by the job's worker while it runs.
  uint64_t stored_events = 0;
  std::shared_ptr<JobProgress> progress = std::make_shared<JobProgress>();
  std::shared_ptr<EventLog> log;
  // The model file, once SUCCEEDED, until the store has it (without a store,
  // or when its write failed, for as long as the job is kept).
  std::shared_ptr<const std::string> model;
  std::string idempotency_key;  // empty if none; forgotten with the job
  std::string spec_digest;      // of the spec as sent (spec_digest()); empty if unknown
  // Why the store refused the row written when the job was queued (a full
  // disk); set by persist, read by create_job, which then withdraws the job.
  engine::Status row_refused = engine::ok_status();
  // Set while the row written when the job was queued is not yet in the store:
  // no worker takes the job before then, so a refused row withdraws a job
  // nothing has started.
  bool row_pending = false;
};

// How a run ended, as the engine (or the manager, when the engine could not
// say) reported it in the done report.
struct JobManager::Ending {
  v1::DoneReport::Outcome outcome = v1::DoneReport::FAILED;
  std::string reason;
  uint64_t steps = 0;
  uint32_t epochs = 0;
  std::shared_ptr<const std::string> model;  // the model file, when SUCCEEDED
  // The worker training it was lost: the job goes back to the queue.
  bool moved = false;
};

}  // namespace gradstream::server

// RemoteRun: one attempt of one job on a worker. The worker's ReportJob calls
// deliver its reports; the job manager's dispatcher thread takes them, in
// order, into the job's observer, as a local run's trainer would have called
// it. Between the two it is a mailbox, and the attempt's fencing token.
#pragma once

#include <google/protobuf/map.h>
#include <google/protobuf/repeated_ptr_field.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/worker.pb.h"

namespace gradstream::server {

class RemoteRun;

// The ranks of one attempt of a data-parallel job: their rendezvous keys
// (Gloo's store), and one fate: a rank lost is the attempt lost. Thread-safe.
class RunGroup {
 public:
  using Values = std::map<std::string, std::string>;
  // Sets `set` (a key already set is invalid_argument naming it: a rank's
  // address is written once per attempt) and returns those of `get` that are set.
  engine::Result<Values> rendezvous(const google::protobuf::Map<std::string, std::string>& set,
                                    const google::protobuf::RepeatedPtrField<std::string>& get);
  // Members in rank order; rank 0 first.
  void add(const std::shared_ptr<RemoteRun>& member);
  std::shared_ptr<RemoteRun> primary() const;
  void lose_all();

 private:
  mutable std::mutex mutex_;
  Values keys_;
  std::vector<std::weak_ptr<RemoteRun>> members_;
};

// Thread-safe.
class RemoteRun {
 public:
  // `cancel` and `interrupt` are the job's flags (JobRecord), read when the
  // worker asks what to do; they outlive the run. `group` (with `rank`):
  // the attempt's other ranks, for a data-parallel job.
  RemoteRun(std::string job_id, uint64_t attempt, std::string worker_id, std::string worker_name,
            const std::atomic<bool>* cancel, const std::atomic<bool>* interrupt, uint32_t rank = 0,
            std::shared_ptr<RunGroup> group = nullptr);

  const std::string& job_id() const { return job_id_; }
  uint64_t attempt() const { return attempt_; }
  const std::string& worker_id() const { return worker_id_; }
  const std::string& worker_name() const { return worker_name_; }
  uint32_t rank() const { return rank_; }
  RunGroup* group() const { return group_.get(); }
  bool cancel_requested() const { return cancel_->load(std::memory_order_relaxed); }
  bool interrupt_requested() const { return interrupt_->load(std::memory_order_relaxed); }

  // Takes reports[i] as the attempt's report first + i. Those it has already
  // (a retried call) are skipped; a gap is failed_precondition naming the
  // report expected next, and so is anything after the run was lost. The
  // end another rank reports goes to rank 0's mailbox too (JobFinished.rank
  // set; a failure's reason names the rank).
  engine::Status deliver(uint64_t first,
                         google::protobuf::RepeatedPtrField<v1::WorkerReport>* reports);

  // Waits for reports and moves them into `out`, oldest first. false once the
  // run is lost and every report delivered before that has been taken.
  bool take(std::vector<v1::WorkerReport>& out);

  // The worker is gone (or no longer owns the attempt): take() drains what
  // arrived and then returns false; later deliveries are refused. In a
  // group, every rank is lost with it.
  void lose();
  bool lost() const;

 private:
  friend class RunGroup;
  void lose_alone();
  // A report that did not come from this run's worker (another rank's failure).
  void inject(v1::WorkerReport report);

  const std::string job_id_;
  const uint64_t attempt_;
  const std::string worker_id_;
  const std::string worker_name_;
  const std::atomic<bool>* const cancel_;
  const std::atomic<bool>* const interrupt_;
  const uint32_t rank_;
  const std::shared_ptr<RunGroup> group_;

  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<v1::WorkerReport> inbox_;
  uint64_t received_ = 0;  // reports delivered so far
  bool lost_ = false;
};

}  // namespace gradstream::server

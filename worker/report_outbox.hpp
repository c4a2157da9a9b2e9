// ReportOutbox: one job attempt's reports on their way to the coordinator.
// The training thread pushes (never waiting on the network); a sender thread
// sends them, in order, in batches (ReportJob), retrying while the
// coordinator is unreachable, and raises the job's flags when an answer says
// to cancel or interrupt it. A refusal (the attempt is no longer this
// worker's) drops the job: training stops and nothing more is sent.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "gradstream/v1/worker.pb.h"

namespace gradstream::worker {

// Reports sent in one call at most, and the least time between two calls
// while training goes on: a step report every millisecond becomes one call
// per interval, not a thousand. A checkpoint or the end goes at once.
inline constexpr size_t kMaxReportsPerCall = 256;
inline constexpr std::chrono::milliseconds kReportInterval{50};
inline constexpr std::chrono::milliseconds kFirstRetry{100};
inline constexpr std::chrono::milliseconds kMostRetry{2000};

// Failures that pass: the coordinator restarting, a network blip, a call
// that lost its race with a deadline. Calls that fail so are made again.
bool transient(grpc::StatusCode code);

// The job's run control flags the coordinator's answers raise.
struct JobFlags {
  std::atomic<bool> cancel{false};
  std::atomic<bool> interrupt{false};
  // The attempt is not this worker's any more: stop, send nothing more.
  std::atomic<bool> dropped{false};
};

class ReportOutbox {
 public:
  // Sends one batch: the status of ReportJob(request) and its answer.
  using Send = std::function<grpc::Status(const v1::ReportJobRequest&, v1::ReportJobResponse*)>;

  ReportOutbox(Send send, std::string worker_id, std::string job_id, uint64_t attempt,
               JobFlags& flags);
  // Stops the sender (what is unsent stays unsent).
  ~ReportOutbox();
  ReportOutbox(const ReportOutbox&) = delete;
  ReportOutbox& operator=(const ReportOutbox&) = delete;

  void push(v1::WorkerReport report);
  // Blocks until every report pushed so far was taken by the coordinator, or
  // the job was dropped; true in the first case.
  bool drain();

 private:
  void send_loop();

  const Send send_;
  const std::string worker_id_;
  const std::string job_id_;
  const uint64_t attempt_;
  JobFlags& flags_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<v1::WorkerReport> pending_;
  uint64_t sent_ = 0;    // reports the coordinator took
  bool urgent_ = false;  // a checkpoint or the end is pending: no interval
  bool stopping_ = false;
  std::thread sender_;
};

}  // namespace gradstream::worker

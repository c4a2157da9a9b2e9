#include "worker/report_outbox.hpp"

#include <algorithm>
#include <utility>

namespace gradstream::worker {
bool transient(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::UNKNOWN;
}

ReportOutbox::ReportOutbox(Send send, std::string worker_id, std::string job_id, uint64_t attempt,
                           JobFlags& flags)
    : send_(std::move(send)),
      worker_id_(std::move(worker_id)),
      job_id_(std::move(job_id)),
      attempt_(attempt),
      flags_(flags) {
  sender_ = std::thread([this] { send_loop(); });
}

ReportOutbox::~ReportOutbox() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  sender_.join();
}

void ReportOutbox::push(v1::WorkerReport report) {
  {
    std::lock_guard lock(mutex_);
    if (report.has_checkpoint() || report.has_finished() || report.has_started()) urgent_ = true;
    pending_.push_back(std::move(report));
  }
  changed_.notify_all();
}

bool ReportOutbox::drain() {
  std::unique_lock lock(mutex_);
  urgent_ = true;
  changed_.notify_all();
  changed_.wait(lock, [&] { return pending_.empty() || flags_.dropped.load(); });
  return !flags_.dropped.load();
}

void ReportOutbox::send_loop() {
  auto retry = kFirstRetry;
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    // Let step reports gather unless something must go now.
    if (!urgent_) {
      changed_.wait_for(lock, kReportInterval, [&] { return stopping_ || urgent_; });
      if (stopping_) return;
    }
    v1::ReportJobRequest request;
    request.set_worker_id(worker_id_);
    request.set_job_id(job_id_);
    request.set_attempt(attempt_);
    request.set_first_report(sent_);
    const size_t count = std::min(pending_.size(), kMaxReportsPerCall);
    for (size_t i = 0; i < count; ++i) *request.add_reports() = pending_[i];
    lock.unlock();
    v1::ReportJobResponse response;
    const grpc::Status status = send_(request, &response);
    lock.lock();
    if (status.ok()) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
      sent_ += count;
      if (pending_.empty()) urgent_ = false;
      if (response.cancel()) flags_.cancel.store(true);
      if (response.interrupt()) flags_.interrupt.store(true);
      retry = kFirstRetry;
      changed_.notify_all();
      continue;
    }
    if (!transient(status.error_code())) {
      // Not this worker's job any more (moved, or the coordinator restarted),
      // or refused for good: nothing later could be taken either.
      flags_.dropped.store(true);
      flags_.cancel.store(true);
      pending_.clear();
      changed_.notify_all();
      return;
    }
    // Unreachable or overloaded: the same reports again, after a while.
    changed_.wait_for(lock, retry, [&] { return stopping_; });
    retry = std::min(retry * 2, kMostRetry);
  }
}

}  // namespace gradstream::worker

#include "server/remote_run.hpp"

#include <utility>

namespace gradstream::server {

RemoteRun::RemoteRun(std::string job_id, uint64_t attempt, std::string worker_id,
                     std::string worker_name, const std::atomic<bool>* cancel,
                     const std::atomic<bool>* interrupt)
    : job_id_(std::move(job_id)),
      attempt_(attempt),
      worker_id_(std::move(worker_id)),
      worker_name_(std::move(worker_name)),
      cancel_(cancel),
      interrupt_(interrupt) {}

engine::Status RemoteRun::deliver(uint64_t first,
                                  google::protobuf::RepeatedPtrField<v1::WorkerReport>* reports) {
  {
    std::lock_guard lock(mutex_);
    if (lost_) {
      return engine::failed_precondition("job \"" + job_id_ + "\" attempt " +
                                         std::to_string(attempt_) +
                                         " is no longer this worker's; drop it");
    }
    if (first > received_) {
      return engine::failed_precondition("first_report: " + std::to_string(first) +
                                         " leaves a gap; report " + std::to_string(received_) +
                                         " is the next expected");
    }
    const uint64_t skip = received_ - first;
    const auto count = static_cast<uint64_t>(reports->size());
    for (uint64_t i = skip; i < count; ++i) {
      inbox_.push_back(std::move(*reports->Mutable(static_cast<int>(i))));
    }
    if (count > skip) received_ += count - skip;
  }
  arrived_.notify_all();
  return engine::ok_status();
}

bool RemoteRun::take(std::vector<v1::WorkerReport>& out) {
  std::unique_lock lock(mutex_);
  arrived_.wait(lock, [&] { return lost_ || !inbox_.empty(); });
  if (inbox_.empty()) return false;
  while (!inbox_.empty()) {
    out.push_back(std::move(inbox_.front()));
    inbox_.pop_front();
  }
  return true;
}

void RemoteRun::lose() {
  {
    std::lock_guard lock(mutex_);
    lost_ = true;
  }
  arrived_.notify_all();
}

bool RemoteRun::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

}  // namespace gradstream::server

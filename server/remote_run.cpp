#include "server/remote_run.hpp"

#include <utility>

namespace gradstream::server {

engine::Result<RunGroup::Values> RunGroup::rendezvous(
    const google::protobuf::Map<std::string, std::string>& set,
    const google::protobuf::RepeatedPtrField<std::string>& get) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, value] : set) {
    if (keys_.contains(key)) {
      return engine::invalid_argument("set: key \"" + key + "\" is set already in this attempt");
    }
  }
  for (const auto& [key, value] : set) keys_.emplace(key, value);
  Values found;
  for (const std::string& key : get) {
    auto it = keys_.find(key);
    if (it != keys_.end()) found.emplace(key, it->second);
  }
  return found;
}

void RunGroup::add(const std::shared_ptr<RemoteRun>& member) {
  std::lock_guard lock(mutex_);
  members_.push_back(member);
}

std::shared_ptr<RemoteRun> RunGroup::primary() const {
  std::lock_guard lock(mutex_);
  return members_.empty() ? nullptr : members_.front().lock();
}

void RunGroup::lose_all() {
  std::vector<std::shared_ptr<RemoteRun>> members;
  {
    std::lock_guard lock(mutex_);
    for (const auto& member : members_) {
      if (auto run = member.lock()) members.push_back(std::move(run));
    }
  }
  for (const auto& run : members) run->lose_alone();
}

RemoteRun::RemoteRun(std::string job_id, uint64_t attempt, std::string worker_id,
                     std::string worker_name, const std::atomic<bool>* cancel,
                     const std::atomic<bool>* interrupt, uint32_t rank,
                     std::shared_ptr<RunGroup> group)
    : job_id_(std::move(job_id)),
      attempt_(attempt),
      worker_id_(std::move(worker_id)),
      worker_name_(std::move(worker_name)),
      cancel_(cancel),
      interrupt_(interrupt),
      rank_(rank),
      group_(std::move(group)) {}

engine::Status RemoteRun::deliver(uint64_t first,
                                  google::protobuf::RepeatedPtrField<v1::WorkerReport>* reports) {
  // Rank 0's dispatcher hears of every other rank's end, failures by name.
  if (group_ != nullptr && rank_ != 0) {
    for (const v1::WorkerReport& report : *reports) {
      if (!report.has_finished()) continue;
      if (auto primary = group_->primary()) {
        v1::WorkerReport end = report;
        end.mutable_finished()->set_rank(rank_);
        end.mutable_finished()->clear_model();
        v1::DoneReport* done = end.mutable_finished()->mutable_done();
        if (done->outcome() == v1::DoneReport::FAILED) {
          done->set_reason("rank " + std::to_string(rank_) + " (worker " + worker_name_ +
                           "): " + done->reason());
        }
        primary->inject(std::move(end));
      }
    }
  }
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

void RemoteRun::inject(v1::WorkerReport report) {
  {
    std::lock_guard lock(mutex_);
    if (lost_) return;
    inbox_.push_back(std::move(report));
  }
  arrived_.notify_all();
}

void RemoteRun::lose() {
  if (group_ != nullptr) {
    group_->lose_all();
  } else {
    lose_alone();
  }
}

void RemoteRun::lose_alone() {
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

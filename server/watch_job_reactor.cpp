// WatchJobReactor and WatchPump: replay, live follow, cancellation, lifetime.
#include "server/watch_job_reactor.hpp"

#include <algorithm>
#include <utility>

namespace gradstream::server {

WatchPump::WatchPump() : thread_([this] { run(); }) {}

WatchPump::~WatchPump() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WatchPump::park(WatchJobReactor* reactor) {
  {
    std::lock_guard lock(mutex_);
    parked_.push_back(reactor);
  }
  wake_.notify_one();
}

size_t WatchPump::parked() const {
  std::lock_guard lock(mutex_);
  return parked_.size();
}

void WatchPump::run() {
  std::vector<WatchJobReactor*> ready;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (parked_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !parked_.empty(); });
      continue;
    }
    wake_.wait_for(lock, kWatchPollInterval, [this] { return stopping_; });
    if (stopping_) break;
    // ready() only reads the log (its own short lock) and an atomic; a parked
    // reactor cannot be finished or deleted, so the pointers stay valid.
    auto split = std::stable_partition(parked_.begin(), parked_.end(),
                                       [](WatchJobReactor* r) { return !r->ready(); });
    ready.assign(split, parked_.end());
    parked_.erase(split, parked_.end());
    // resume() starts a write or a finish, which return at once; the lock is
    // released anyway so a resumed reactor that parks again cannot deadlock.
    lock.unlock();
    for (WatchJobReactor* r : ready) r->resume();
    ready.clear();
    lock.lock();
  }
}

WatchJobReactor::WatchJobReactor(std::shared_ptr<const EventLog> log,
                                 const v1::WatchJobRequest& request, WatchPump& pump)
    : log_(std::move(log)),
      pump_(&pump),
      step_every_(request.step_every()),
      next_sequence_(std::max<uint64_t>(1, request.from_sequence())) {
  advance();
}

void WatchJobReactor::OnWriteDone(bool ok) {
  if (!ok) {
    // The stream is broken (client gone or server shutting down).
    finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch stream ended"));
    return;
  }
  advance();
}

void WatchJobReactor::OnCancel() { cancelled_.store(true); }

void WatchJobReactor::OnDone() { delete this; }

bool WatchJobReactor::ready() const {
  return cancelled_.load() || log_->closed() || log_->interrupted() ||
         log_->last_sequence() >= next_sequence_;
}

void WatchJobReactor::resume() { advance(); }

void WatchJobReactor::advance() {
  if (cancelled_.load()) {
    finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
    return;
  }
  if (batch_.empty()) {
    // closed() is read before the log: when it was already closed, an empty
    // read means everything has been sent.
    const bool closed = log_->closed();
    const bool interrupted = log_->interrupted();
    std::vector<v1::TrainingEvent> events =
        log_->read(next_sequence_, kWatchBatchEvents, step_every_, &next_sequence_);
    for (v1::TrainingEvent& e : events) batch_.push_back(std::move(e));
    if (batch_.empty()) {
      if (closed) {
        finish(grpc::Status::OK);
      } else if (interrupted) {
        // The job goes on after the restart, numbering its events on.
        finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "server shutting down; reconnect with from_sequence " +
                                std::to_string(next_sequence_)));
      } else {
        pump_->park(this);  // the pump owns us now; touch nothing after this
      }
      return;
    }
  }
  current_ = std::move(batch_.front());
  batch_.pop_front();
  StartWrite(&current_);
}

void WatchJobReactor::finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  batch_.clear();
  Finish(status);
}

}  // namespace gradstream::server

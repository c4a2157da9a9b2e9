// WatchJobReactor and WatchPump: replay, live follow, cancellation, stall
// cut-off, lifetime.
#include "server/watch_job_reactor.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

namespace gradstream::server {

namespace {

// Linux keeps a nice value per thread (setpriority on a tid); raising it needs
// no privilege. Called only on the pump, which starts no threads.
void lower_this_thread_priority() {
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kStreamingThreadNice);
}

}  // namespace

WatchPump::WatchPump(WatchOptions options)
    : options_(std::move(options)), thread_([this] { run(); }) {}

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

void WatchPump::send_soon(WatchJobReactor* reactor) {
  {
    std::lock_guard lock(mutex_);
    sending_.push_back(reactor);
  }
  wake_.notify_one();
}

void WatchPump::track(WatchJobReactor* reactor) {
  {
    std::lock_guard lock(mutex_);
    tracked_.push_back(reactor);
  }
  wake_.notify_one();
}

void WatchPump::untrack(WatchJobReactor* reactor) {
  std::lock_guard lock(mutex_);
  tracked_.erase(std::find(tracked_.begin(), tracked_.end(), reactor));
}

size_t WatchPump::parked() const {
  std::lock_guard lock(mutex_);
  return parked_.size();
}

uint64_t WatchPump::cut_off() const {
  std::lock_guard lock(mutex_);
  return cut_off_;
}

void WatchPump::run() {
  lower_this_thread_priority();
  std::vector<WatchJobReactor*> ready;
  auto next_poll = WatchJobReactor::Clock::now() + kWatchPollInterval;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (tracked_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !tracked_.empty(); });
      continue;
    }
    wake_.wait_until(lock, next_poll, [this] { return stopping_ || !sending_.empty(); });
    if (stopping_) break;
    ready.swap(sending_);
    if (WatchJobReactor::Clock::now() >= next_poll) {
      next_poll = WatchJobReactor::Clock::now() + kWatchPollInterval;
      cut_stalled();
      // ready() only reads the log (its own short lock) and an atomic; a
      // parked reactor cannot be finished or deleted, so the pointers stay valid.
      auto split = std::stable_partition(parked_.begin(), parked_.end(),
                                         [](WatchJobReactor* r) { return !r->ready(); });
      ready.insert(ready.end(), split, parked_.end());
      parked_.erase(split, parked_.end());
    }
    // resume() starts a write or a finish, which return at once; the lock is
    // released so that a reactor parking or handed over again cannot deadlock.
    lock.unlock();
    for (WatchJobReactor* r : ready) r->resume();
    ready.clear();
    lock.lock();
  }
}

void WatchPump::cut_stalled() {
  const auto deadline = WatchJobReactor::Clock::now() - options_.stall_limit;
  for (WatchJobReactor* r : tracked_) {
    // TryCancel runs no reaction of ours inline (a write reactor's OnWriteDone
    // and OnDone are scheduled elsewhere, OnCancel only sets a flag), so
    // holding mutex_ here cannot deadlock with untrack().
    if (!r->cut_if_stalled(deadline)) continue;
    ++cut_off_;
    if (options_.on_cut) options_.on_cut();
  }
}

WatchJobReactor::WatchJobReactor(std::shared_ptr<const EventLog> log,
                                 const v1::WatchJobRequest& request,
                                 grpc::CallbackServerContext* context, WatchPump& pump)
    : log_(std::move(log)),
      context_(context),
      pump_(&pump),
      step_every_(request.step_every()),
      next_sequence_(std::max<uint64_t>(1, request.from_sequence())) {
  pump_->track(this);
  try {
    advance();
  } catch (...) {
    pump_->untrack(this);  // the handler rejects the call; this object is gone
    throw;
  }
}

void WatchJobReactor::OnWriteDone(bool ok) {
  write_started_.store(0);
  if (!ok) {
    // The stream is broken (client gone, cut off, or server shutting down).
    finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch stream ended"));
    return;
  }
  pump_->send_soon(this);  // the pump owns us now; touch nothing after this
}

void WatchJobReactor::OnCancel() { cancelled_.store(true); }

void WatchJobReactor::OnDone() {
  pump_->untrack(this);
  delete this;
}

bool WatchJobReactor::ready() const {
  return cancelled_.load() || log_->closed() || log_->interrupted() ||
         log_->last_sequence() >= next_sequence_;
}

void WatchJobReactor::resume() { advance(); }

bool WatchJobReactor::cut_if_stalled(Clock::time_point deadline) {
  const Clock::rep started = write_started_.load();
  if (cut_ || started == 0 || Clock::time_point(Clock::duration(started)) > deadline) return false;
  cut_ = true;
  context_->TryCancel();
  return true;
}

void WatchJobReactor::advance() {
  if (cancelled_.load()) {
    finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
    return;
  }
  if (batch_next_ == batch_.size()) {
    // closed() is read before the log: when it was already closed, an empty
    // read means everything has been sent.
    const bool closed = log_->closed();
    const bool interrupted = log_->interrupted();
    batch_ = log_->read_serialized(next_sequence_, kWatchBatchEvents, step_every_, &next_sequence_);
    batch_next_ = 0;
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
  // The ByteBuffer refers to the log's slice: no copy. No buffer hint: a
  // hinted write completes only once a later write flushes it, and the next
  // write starts only after this one completes.
  grpc::ByteBuffer next(&batch_[batch_next_], 1);
  current_.Swap(&next);
  batch_[batch_next_] = grpc::Slice();  // the buffer holds its own reference
  ++batch_next_;
  write_started_.store(Clock::now().time_since_epoch().count());
  StartWrite(&current_);
}

void WatchJobReactor::finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  batch_.clear();
  Finish(status);
}

}  // namespace gradstream::server

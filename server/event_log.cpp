// EventLog: append (serializing once), replay, wait and close under one mutex
// held only for pushes and reference copies.
#include "server/event_log.hpp"

#include <grpc/slice.h>

#include <algorithm>
#include <utility>

namespace gradstream::server {

namespace {

void set_now(google::protobuf::Timestamp& time) {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  time.set_seconds(seconds.count());
  time.set_nanos(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
}

// One allocation: the message is serialized straight into the slice's block.
grpc::Slice serialize(const v1::TrainingEvent& event) {
  grpc_slice slice = grpc_slice_malloc(event.ByteSizeLong());
  event.SerializeWithCachedSizesToArray(GRPC_SLICE_START_PTR(slice));
  return grpc::Slice(slice, grpc::Slice::STEAL_REF);
}

std::vector<v1::TrainingEvent> parse_all(const std::vector<grpc::Slice>& slices) {
  std::vector<v1::TrainingEvent> out(slices.size());
  // The log wrote these bytes itself, so parsing cannot fail.
  for (size_t i = 0; i < slices.size(); ++i) {
    out[i].ParseFromArray(slices[i].begin(), static_cast<int>(slices[i].size()));
  }
  return out;
}

}  // namespace

EventLog::EventLog(std::string job_id, size_t max_events)
    : job_id_(std::move(job_id)), max_events_(max_events) {}

uint64_t EventLog::append(v1::TrainingEvent event) {
  // Everything that does not need the lock happens before taking it; only the
  // sequence (and so the serialization) waits for it.
  event.set_job_id(job_id_);
  if (!event.has_time()) set_now(*event.mutable_time());
  const bool is_step = event.has_step();
  const uint64_t step = is_step ? event.step().step() : 0;
  uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return 0;
    // next_ - 1 events were sent so far by this run's count, which a resumed
    // run repeats: it drops the same steps the first run dropped.
    if (is_step && next_ - 1 >= max_events_) {
      ++dropped_steps_;
      return 0;
    }
    sequence = next_++;
    if (sequence <= events_.size()) return sequence;  // stored before a resume
    event.set_sequence(sequence);
    events_.push_back(StoredEvent{serialize(event), is_step, step});
  }
  // Notifying after unlocking: a woken waiter does not immediately block on
  // the mutex the producer still holds.
  changed_.notify_all();
  return sequence;
}

std::vector<grpc::Slice> EventLog::read_serialized(uint64_t from_sequence, size_t max_count,
                                                   uint32_t step_every,
                                                   uint64_t* next_sequence) const {
  std::vector<grpc::Slice> out;
  const uint64_t first = std::max<uint64_t>(from_sequence, 1);
  uint64_t index = first - 1;
  {
    std::lock_guard lock(mutex_);
    // Sequence n is events_[n - 1]: numbering has no gaps and nothing is evicted.
    const size_t shown = std::min(events_.size(), visible_);
    for (; index < shown && out.size() < max_count; ++index) {
      const StoredEvent& event = events_[index];
      const bool thinned_out = step_every > 1 && event.is_step && event.step % step_every != 0;
      if (!thinned_out) out.push_back(event.bytes);  // a reference, not a copy
    }
  }
  if (next_sequence != nullptr) *next_sequence = std::max(first, index + 1);
  return out;
}

std::vector<v1::TrainingEvent> EventLog::read(uint64_t from_sequence, size_t max_count,
                                              uint32_t step_every, uint64_t* next_sequence) const {
  return parse_all(read_serialized(from_sequence, max_count, step_every, next_sequence));
}

EventLog::WaitResult EventLog::wait_for_events_after(uint64_t sequence,
                                                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  const auto shown = [&] { return std::min(events_.size(), visible_); };
  changed_.wait_for(lock, timeout, [&] { return shown() > sequence || closed_; });
  if (shown() > sequence) return WaitResult::kNewEvents;
  return closed_ ? WaitResult::kClosed : WaitResult::kTimeout;
}

void EventLog::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

void EventLog::interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  changed_.notify_all();
}

bool EventLog::interrupted() const {
  std::lock_guard lock(mutex_);
  return interrupted_;
}

void EventLog::resume_after(uint64_t sequence) {
  std::lock_guard lock(mutex_);
  next_ = std::min<uint64_t>(sequence, events_.size()) + 1;
  interrupted_ = false;
}

bool EventLog::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

uint64_t EventLog::last_sequence() const {
  std::lock_guard lock(mutex_);
  return std::min(events_.size(), visible_);
}

uint64_t EventLog::sent() const {
  std::lock_guard lock(mutex_);
  return next_ - 1;
}

void EventLog::hold() {
  std::lock_guard lock(mutex_);
  visible_ = std::min(visible_, events_.size());
}

void EventLog::release_and_close() {
  {
    std::lock_guard lock(mutex_);
    visible_ = SIZE_MAX;
    closed_ = true;
  }
  changed_.notify_all();
}

std::vector<v1::TrainingEvent> EventLog::read_all() const {
  std::vector<grpc::Slice> slices;
  {
    std::lock_guard lock(mutex_);
    slices.reserve(events_.size());
    for (const StoredEvent& event : events_) slices.push_back(event.bytes);
  }
  return parse_all(slices);
}

size_t EventLog::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

uint64_t EventLog::dropped_steps() const {
  std::lock_guard lock(mutex_);
  return dropped_steps_;
}

}  // namespace gradstream::server

// EventLog: one job's append-only, numbered list of TrainingEvents, each kept
// serialized. The trainer thread appends; any number of watchers replay from a
// sequence number, then follow live by waiting for newer events.
#pragma once

#include <grpcpp/support/slice.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::server {

// Events a log holds before it starts dropping new step events. A stored step
// event takes ~150 bytes (~70 serialized, the slice's refcounted block and the
// deque entry), so a full log is ~150 MB; a 60k-sample epoch at batch 64 is
// ~940 steps, so only runs of ~1000 epochs ever reach it.
inline constexpr size_t kDefaultMaxEvents = 1'000'000;

// Each event is serialized once, when appended, into a refcounted grpc::Slice:
// every watcher writes those same bytes (read_serialized hands out references,
// not copies), so 200 watchers cost one serialization per event, not 200. The
// rare readers that need messages (the store, tests) parse them back.
//
// Watchers never hold the lock while they write to the network: reads take
// references or parse and return, so a slow or vanished watcher cannot stall
// append(), which only waits for other threads' short reads. All methods are
// thread-safe.
//
// Memory bound: once the log holds max_events events, further STEP events are
// dropped (counted by dropped_steps()); every other kind (state, epoch,
// gradients, activations, warning, done) is always kept, because a watcher
// cannot reconstruct those and they are few. A dropped step is never given a
// sequence number, so the numbers stay 1, 2, 3, ... without gaps and
// sequence n is always the n-th stored event.
class EventLog {
 public:
  enum class WaitResult { kNewEvents, kClosed, kTimeout };

  explicit EventLog(std::string job_id, size_t max_events = kDefaultMaxEvents);

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Stamps the event with the next sequence number and this log's job id (and
  // the current time when the event has none), stores it and wakes waiters.
  // Returns the sequence, or 0 when the event was not stored: the log is
  // closed, or it is full and the event is a step.
  uint64_t append(v1::TrainingEvent event);

  // Up to max_count events with sequence >= from_sequence (0 and 1 both mean
  // the start), oldest first. With step_every > 1, step events whose step is
  // not a multiple of step_every are skipped; other kinds are never skipped.
  //
  // next_sequence (optional) receives where the next read should start: one
  // past the last event examined, including skipped steps. Resume from it, not
  // from the last returned sequence + 1, or a tail of skipped steps makes
  // wait_for_events_after return kNewEvents forever.
  std::vector<v1::TrainingEvent> read(uint64_t from_sequence, size_t max_count,
                                      uint32_t step_every = 0,
                                      uint64_t* next_sequence = nullptr) const;
  // The same events as read(), as the bytes stored at append (references to
  // the log's own slices: nothing is copied or serialized again).
  std::vector<grpc::Slice> read_serialized(uint64_t from_sequence, size_t max_count,
                                           uint32_t step_every = 0,
                                           uint64_t* next_sequence = nullptr) const;

  // Blocks until an event newer than `sequence` exists (kNewEvents), the log is
  // closed with nothing newer (kClosed), or the timeout passes (kTimeout).
  // Newer events win over closed, so a watcher drains the log before it ends.
  WaitResult wait_for_events_after(uint64_t sequence, std::chrono::milliseconds timeout) const;

  // The job ended: later appends are ignored and every waiter wakes. Idempotent.
  void close();

  // From the next append on, events are stored but not shown (read, waits and
  // last_sequence stop before them) until release_and_close: a job's end is
  // written to the store before any watcher hears of it. Idempotent.
  void hold();
  // Shows the held events and closes the log.
  void release_and_close();
  // Every event, held ones included (for the store).
  std::vector<v1::TrainingEvent> read_all() const;

  // The server is shutting down while the job has not ended: it resumes
  // after the restart, so the log is not closed, but watchers end (with a
  // status that tells them to reconnect) once they have read everything.
  void interrupt();
  bool interrupted() const;

  // For a job resumed from a checkpoint: the log holds the events stored
  // before (1..size()), and the resumed run sends again what it sent after
  // `sequence`. Appends are numbered from sequence + 1 again; one whose number
  // is already stored is not stored twice (the stored event is what watchers
  // may have seen). sequence <= size().
  void resume_after(uint64_t sequence);

  bool closed() const;
  uint64_t last_sequence() const;  // 0 while empty
  // The sequence of the newest event this run sent (after resume_after, the
  // resumed run's count, which may be below the events stored before).
  uint64_t sent() const;
  size_t size() const;             // events stored
  uint64_t dropped_steps() const;  // step events refused because the log was full
  const std::string& job_id() const { return job_id_; }
  size_t max_events() const { return max_events_; }

 private:
  // An appended event as stored: its bytes, and what step thinning needs
  // without parsing them.
  struct StoredEvent {
    grpc::Slice bytes;  // the TrainingEvent with sequence and job id
    bool is_step = false;
    uint64_t step = 0;
  };

  const std::string job_id_;
  const size_t max_events_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  // A deque grows without moving stored events, so an append never copies the
  // whole log under the lock the way a vector's reallocation would.
  std::deque<StoredEvent> events_;  // events_[i] holds sequence i + 1
  uint64_t next_ = 1;               // the number the next append gets
  size_t visible_ = SIZE_MAX;       // events shown (all unless held)
  uint64_t dropped_steps_ = 0;
  bool closed_ = false;
  bool interrupted_ = false;
};

}  // namespace gradstream::server

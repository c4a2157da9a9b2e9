// WatchJobReactor: one WatchJob stream. Replays a job's EventLog from a
// sequence number, then follows it live until the log is closed and fully sent.
// WatchPump: the one thread that wakes watchers which have caught up, so no
// gRPC callback thread ever blocks waiting for a trainer.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gradstream/v1/trainer.pb.h"
#include "server/event_log.hpp"

namespace gradstream::server {

// Events copied out of the log per read: bounds a watcher's memory.
inline constexpr size_t kWatchBatchEvents = 256;
// How often the pump looks at parked (caught-up) watchers: the extra latency a
// live event may see, and the latency of noticing a cancelled idle stream.
inline constexpr std::chrono::milliseconds kWatchPollInterval{20};

class WatchJobReactor;

// Holds watchers that have sent everything there is; every poll interval it
// hands back (resumes) those with new events, a closed log, or a cancelled
// call. One thread for all watchers. Thread-safe. Must outlive every reactor
// parked in it: the server is shut down (which finishes every stream, parked
// ones included, through this thread) before the pump is destroyed.
class WatchPump {
 public:
  WatchPump();
  ~WatchPump();

  WatchPump(const WatchPump&) = delete;
  WatchPump& operator=(const WatchPump&) = delete;

  // Takes the reactor until it is ready; then calls its resume() once.
  void park(WatchJobReactor* reactor);

  size_t parked() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<WatchJobReactor*> parked_;
  bool stopping_ = false;
  std::thread thread_;
};

// Lifetime: created by the WatchJob handler with `new`; deletes itself in
// OnDone, the only place, after its one Finish has completed.
//
// Who may act on the stream at any moment is exactly one of: the constructor,
// OnWriteDone (one write in flight), or the pump (parked). Each hands off to
// the next, so the send path needs no lock. OnCancel only sets a flag that the
// current owner sees, and never calls Finish itself, so Finish runs once and
// never while the pump still holds the reactor.
class WatchJobReactor final : public grpc::ServerWriteReactor<v1::TrainingEvent> {
 public:
  // Streams `log` from request.from_sequence() (0: the start) with
  // request.step_every() thinning.
  WatchJobReactor(std::shared_ptr<const EventLog> log, const v1::WatchJobRequest& request,
                  WatchPump& pump);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  friend class WatchPump;

  // Pump side: whether a parked reactor has something to do, and hand-back.
  bool ready() const;
  void resume();

  // Sends the next event, finishes, or parks. Called by the current owner only.
  void advance();
  void finish(const grpc::Status& status);

  std::shared_ptr<const EventLog> log_;
  WatchPump* pump_ = nullptr;
  uint32_t step_every_ = 0;
  uint64_t next_sequence_ = 1;  // where the next read of the log starts
  std::deque<v1::TrainingEvent> batch_;
  v1::TrainingEvent current_;  // the event being written; kept until OnWriteDone
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
};

}  // namespace gradstream::server

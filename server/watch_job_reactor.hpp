// WatchJobReactor: one WatchJob stream. Replays a job's EventLog from a
// sequence number, then follows it live until the log is closed and fully sent.
// It writes the log's serialized events as they are (a raw ByteBuffer stream),
// so every watcher sends the same bytes and none serializes again.
// WatchPump: the one thread that sends events (at a low priority, so
// streaming never takes a job's cores), wakes watchers which have caught up,
// so no gRPC callback thread ever blocks waiting for a trainer, and cuts off
// watchers whose client stopped reading.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gradstream/v1/trainer.pb.h"
#include "server/event_log.hpp"

namespace gradstream::server {

// Events taken from the log per read: a watcher holds at most this many
// references to the log's events (plus what gRPC's flow-control window holds).
inline constexpr size_t kWatchBatchEvents = 256;
// How often the pump looks at parked (caught-up) watchers: the extra latency a
// live event may see, and the latency of noticing a cancelled idle stream.
inline constexpr std::chrono::milliseconds kWatchPollInterval{20};
// A write that has not completed for this long means the client stopped
// reading (its flow-control window is full): the stream is cancelled and the
// client reconnects with from_sequence. It never slows the job or others.
inline constexpr std::chrono::seconds kDefaultWatchStallLimit{30};
// Nice value of the pump, the one thread that sends events: streaming yields
// the cores to the jobs' threads (nice 0), so 200 watchers at every step do
// not slow a job that uses every core. gRPC's own threads keep the server's
// priority, so health checks and unary RPCs answer however busy the cores are;
// a watcher falls behind instead, and catches up when the cores are free.
inline constexpr int kStreamingThreadNice = 19;

struct WatchOptions {
  std::chrono::milliseconds stall_limit = kDefaultWatchStallLimit;
  // Called (on the pump thread) for each watcher cut off; may be empty.
  std::function<void()> on_cut;
};

class WatchJobReactor;

// Sends each watcher's next event as soon as its last write completed; holds
// watchers that have sent everything there is, and every poll interval
// resumes those with new events, a closed log, or a cancelled call, and
// cancels those whose write has stalled past the limit. One thread
// for all watchers. Thread-safe. Must outlive every reactor: the server is
// shut down (which finishes every stream, parked ones included, through this
// thread) before the pump is destroyed.
class WatchPump {
 public:
  explicit WatchPump(WatchOptions options = {});
  ~WatchPump();

  WatchPump(const WatchPump&) = delete;
  WatchPump& operator=(const WatchPump&) = delete;

  // Takes the reactor until it is ready; then calls its resume() once.
  void park(WatchJobReactor* reactor);
  // Takes a reactor whose write has completed and calls its resume() at once.
  // Every event is sent from the pump's thread: gRPC's threads, which answer
  // every other RPC too, only hand completed writes over.
  void send_soon(WatchJobReactor* reactor);
  // A reactor is tracked from its construction until its OnDone, so that the
  // stall check never touches one that is gone.
  void track(WatchJobReactor* reactor);
  void untrack(WatchJobReactor* reactor);

  size_t parked() const;
  uint64_t cut_off() const;  // watchers cancelled for a stalled write

 private:
  void run();
  // Cancels tracked reactors whose write is older than the stall limit.
  // Called with mutex_ held: that is what keeps them from being deleted.
  void cut_stalled();

  const WatchOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<WatchJobReactor*> parked_;
  std::vector<WatchJobReactor*> sending_;  // handed over by send_soon
  std::vector<WatchJobReactor*> tracked_;
  uint64_t cut_off_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// Lifetime: created by the WatchJob handler with `new`; deletes itself in
// OnDone, the only place, after its one Finish has completed (and after
// untracking itself, under the pump's lock, so a stall check in progress ends
// first).
//
// Who may act on the stream at any moment is exactly one of: the constructor,
// OnWriteDone (one write in flight), or the pump (parked or handed over by
// OnWriteDone). Each hands off to the next, so the send path needs no lock. OnCancel only sets a
// flag that the current owner sees, and never calls Finish itself, so Finish runs once and never
// while the pump still holds the reactor. The pump's stall check only calls TryCancel, which is
// safe from any thread while the call is alive: the stalled write then completes with ok = false
// and OnWriteDone finishes.
class WatchJobReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Streams `log` from request.from_sequence() (0: the start) with
  // request.step_every() thinning.
  WatchJobReactor(std::shared_ptr<const EventLog> log, const v1::WatchJobRequest& request,
                  grpc::CallbackServerContext* context, WatchPump& pump);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  friend class WatchPump;
  using Clock = std::chrono::steady_clock;

  // Pump side: whether a parked reactor has something to do, and hand-back.
  bool ready() const;
  void resume();
  // Pump side, under its lock: cancels the call once when its write has been
  // in flight since before `deadline`. Returns whether it did.
  bool cut_if_stalled(Clock::time_point deadline);

  // Sends the next event, finishes, or parks. Called by the current owner only.
  void advance();
  void finish(const grpc::Status& status);

  std::shared_ptr<const EventLog> log_;
  grpc::CallbackServerContext* context_ = nullptr;
  WatchPump* pump_ = nullptr;
  uint32_t step_every_ = 0;
  uint64_t next_sequence_ = 1;      // where the next read of the log starts
  std::vector<grpc::Slice> batch_;  // references to the log's serialized events
  size_t batch_next_ = 0;           // batch_[batch_next_] is written next
  grpc::ByteBuffer current_;        // the event being written; kept until OnWriteDone
  // When the write in flight started (Clock ticks), 0 while none is.
  std::atomic<Clock::rep> write_started_{0};
  std::atomic<bool> cancelled_{false};
  bool cut_ = false;  // pump side, under its lock
  bool finished_ = false;
};

}  // namespace gradstream::server

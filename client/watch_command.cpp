// watch: follows a job's event stream until its done event.
#include <algorithm>
#include <chrono>
#include <thread>

#include "client/commands.hpp"
#include "client/event_printer.hpp"
#include "client/exit_codes.hpp"
#include "client/status_report.hpp"

namespace gradstream::client {

namespace {

// Between attempts to reach a server that went away.
constexpr std::chrono::milliseconds kReconnectPause{200};

// The job's epoch count, for "epoch 3/15"; 0 when it cannot be had (the
// stream then reports the real error, e.g. NOT_FOUND).
uint32_t total_epochs(Connection& connection, const std::string& job_id) {
  gradstream::v1::GetJobRequest request;
  request.set_job_id(job_id);
  gradstream::v1::Job job;
  const grpc::Status status =
      connection.stub().GetJob(connection.unary_context().get(), request, &job);
  return status.ok() ? job.spec().epochs() : 0;
}

EventFormat choose_format(bool json, bool tty) {
  if (json) return EventFormat::kJson;
  return tty ? EventFormat::kLive : EventFormat::kLines;
}

}  // namespace

int run_watch(Connection& connection, const WatchOptions& options, Terminal& terminal) {
  const EventFormat format = choose_format(options.json, terminal.out_is_tty);
  EventPrinter printer(format, terminal.out,
                       format == EventFormat::kJson ? 0 : total_epochs(connection, options.job_id));

  gradstream::v1::WatchJobRequest request;
  request.set_job_id(options.job_id);
  request.set_step_every(options.step_every);
  // A server that goes away mid-stream (UNAVAILABLE: a restart, a reschedule,
  // a shutdown) is waited for and the stream picks up at the next sequence
  // number, so every event is printed exactly once; other errors end it.
  uint64_t next_sequence = options.from_sequence;
  auto last_event = std::chrono::steady_clock::now();
  const auto patience = std::chrono::seconds(options.reconnect_seconds);
  grpc::Status status;
  for (;;) {
    request.set_from_sequence(next_sequence);
    auto context = connection.stream_context();
    auto reader = connection.stub().WatchJob(context.get(), request);
    gradstream::v1::TrainingEvent event;
    // The server ends the stream after the job's last event (the done report
    // and the final state), so read to the end rather than stopping at done.
    while (reader->Read(&event)) {
      printer.print(event);
      next_sequence = event.sequence() + 1;
      last_event = std::chrono::steady_clock::now();
    }
    status = reader->Finish();
    if (status.ok() || printer.saw_done()) break;
    const auto waited = std::chrono::steady_clock::now() - last_event;
    // UNAVAILABLE: no server, or one shutting down; CANCELLED: a stream a
    // stopping server cut (this client never cancels its own).
    const bool server_went_away = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                  status.error_code() == grpc::StatusCode::CANCELLED;
    if (!server_went_away || waited >= patience) break;
    // A handshake that failed before any event is a configuration error
    // (plaintext against TLS, a wrong CA): waiting would not mend it.
    if (next_sequence == options.from_sequence &&
        connection.explain(status).error_message() != status.error_message()) {
      break;
    }
    terminal.err << "gradstream: " << options.job_id << ": " << status.error_message()
                 << "; reconnecting from sequence " << std::max<uint64_t>(next_sequence, 1) << "\n";
    terminal.err.flush();
    const auto deadline =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(patience - waited);
    // A refused attempt returns at once: pace them.
    std::this_thread::sleep_for(kReconnectPause);
    if (!connection.wait_for_server(deadline)) break;
  }
  printer.finish();

  if (!status.ok() && !printer.saw_done()) {
    return report_failure(connection.explain(status), terminal.err);
  }
  if (!printer.saw_done()) {
    return report_failure(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       "the event stream ended before the job finished"),
                          terminal.err);
  }
  const auto& done = printer.done();
  if (done.outcome() == gradstream::v1::DoneReport::SUCCEEDED) return kExitOk;
  if (format == EventFormat::kJson) {
    // The reason is inside the JSON on stdout; say it to a person too.
    terminal.err << "gradstream: " << options.job_id << " "
                 << gradstream::v1::DoneReport::Outcome_Name(done.outcome()) << ": "
                 << done.reason() << "\n";
  }
  return kExitJobNotSucceeded;
}

}  // namespace gradstream::client

// Prints a job's TrainingEvents as they stream in: NDJSON, a live one-line
// progress display (TTY), or plain lines (pipes, logs).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "gradstream/v1/trainer.pb.h"

namespace gradstream::client {

enum class EventFormat {
  kJson,   // one protobuf JSON object per event per line
  kLive,   // step progress rewritten in place with '\r'; epochs, warnings, done as lines
  kLines,  // epochs, warnings, state changes and done as lines; no '\r'
};

class EventPrinter {
 public:
  // `total_epochs` (0 if unknown) is shown as "epoch 3/15".
  EventPrinter(EventFormat format, std::ostream& out, uint32_t total_epochs);

  void print(const gradstream::v1::TrainingEvent& event);
  // Ends a pending live line so whatever follows starts on a fresh line.
  void finish();

  bool saw_done() const { return saw_done_; }
  const gradstream::v1::DoneReport& done() const { return done_; }

 private:
  void print_step(const gradstream::v1::StepReport& step);
  void print_epoch(const gradstream::v1::EpochReport& epoch);
  void print_warning(const gradstream::v1::Warning& warning);
  void print_state(gradstream::v1::JobState state);
  void print_done(const std::string& job_id, const gradstream::v1::DoneReport& done);
  // Writes a full line, first clearing a live progress line if one is shown.
  void print_line(const std::string& line);
  std::string epoch_text(uint32_t epoch) const;

  EventFormat format_;
  std::ostream& out_;
  uint32_t total_epochs_;
  bool live_line_shown_ = false;
  bool has_accuracy_ = false;
  float last_accuracy_ = 0.0f;
  bool saw_done_ = false;
  gradstream::v1::DoneReport done_;
};

}  // namespace gradstream::client

// Event rendering for `gradstream watch`.
#include "client/event_printer.hpp"

#include <cstdio>

#include "client/job_format.hpp"
#include "client/printf_text.hpp"

namespace gradstream::client {

namespace {

// ANSI "erase to end of line": a shorter live line must not leave old text behind.
constexpr const char* kEraseLine = "\x1b[K";

std::string outcome_name(gradstream::v1::DoneReport::Outcome outcome) {
  return gradstream::v1::DoneReport::Outcome_Name(outcome);
}

}  // namespace

EventPrinter::EventPrinter(EventFormat format, std::ostream& out, uint32_t total_epochs)
    : format_(format), out_(out), total_epochs_(total_epochs) {}

void EventPrinter::print(const gradstream::v1::TrainingEvent& event) {
  using gradstream::v1::TrainingEvent;
  if (event.event_case() == TrainingEvent::kDone) {
    saw_done_ = true;
    done_ = event.done();
  }
  if (format_ == EventFormat::kJson) {
    out_ << to_json_line(event) << "\n";
    out_.flush();
    return;
  }
  switch (event.event_case()) {
    case TrainingEvent::kState:
      print_state(event.state());
      break;
    case TrainingEvent::kStep:
      print_step(event.step());
      break;
    case TrainingEvent::kEpoch:
      print_epoch(event.epoch());
      break;
    case TrainingEvent::kWarning:
      print_warning(event.warning());
      break;
    case TrainingEvent::kDone:
      print_done(event.job_id(), event.done());
      break;
    default:
      break;  // gradient and activation reports are for --json consumers and dashboards
  }
}

void EventPrinter::finish() {
  if (live_line_shown_) {
    out_ << "\n";
    out_.flush();
    live_line_shown_ = false;
  }
}

std::string EventPrinter::epoch_text(uint32_t epoch) const {
  if (total_epochs_ == 0) return "epoch " + std::to_string(epoch);
  return "epoch " + std::to_string(epoch) + "/" + std::to_string(total_epochs_);
}

void EventPrinter::print_step(const gradstream::v1::StepReport& step) {
  if (format_ != EventFormat::kLive) return;  // per-step lines would flood a log
  const std::string accuracy = has_accuracy_ ? printf_text("%.4f", last_accuracy_) : "-";
  out_ << "\r" << epoch_text(step.epoch())
       << printf_text("  step %llu  loss %.4f  acc %s  %.0f samples/s",
                      static_cast<unsigned long long>(step.step()), step.loss(), accuracy.c_str(),
                      step.samples_per_second())
       << kEraseLine;
  out_.flush();
  live_line_shown_ = true;
}

void EventPrinter::print_epoch(const gradstream::v1::EpochReport& epoch) {
  has_accuracy_ = true;
  last_accuracy_ = epoch.train_accuracy();
  std::string line =
      epoch_text(epoch.epoch()) +
      printf_text(": train loss %.4f acc %.4f", epoch.train_loss(), epoch.train_accuracy());
  if (epoch.has_validation()) {
    line += printf_text(" | val loss %.4f acc %.4f", epoch.validation_loss(),
                        epoch.validation_accuracy());
  }
  if (epoch.has_test()) {
    line += printf_text(" | test loss %.4f acc %.4f", epoch.test_loss(), epoch.test_accuracy());
  }
  line += printf_text(" | %.1f s, %.0f samples/s", epoch.seconds(), epoch.samples_per_second());
  print_line(line);
}

void EventPrinter::print_warning(const gradstream::v1::Warning& warning) {
  std::string line = "warning: " + warning.kind();
  if (!warning.layer().empty()) line += " in " + warning.layer();
  line += printf_text(" at step %llu", static_cast<unsigned long long>(warning.step()));
  if (!warning.message().empty()) line += ": " + warning.message();
  print_line(line);
}

void EventPrinter::print_state(gradstream::v1::JobState state) {
  // The live display shows progress instead; the done line already gave the end state.
  if (format_ != EventFormat::kLines || saw_done_) return;
  print_line("state: " + job_state_name(state));
}

void EventPrinter::print_done(const std::string& job_id, const gradstream::v1::DoneReport& done) {
  std::string line = job_id + " " + outcome_name(done.outcome());
  if (!done.reason().empty()) line += ": " + done.reason();
  line += printf_text(" after %u epochs, %llu steps, %.1f s", done.epochs(),
                      static_cast<unsigned long long>(done.steps()), done.seconds());
  // A failed or cancelled run reports no final metrics.
  if (done.outcome() == gradstream::v1::DoneReport::SUCCEEDED) {
    line += printf_text("; final train loss %.4f", done.final_train_loss());
    if (done.has_test()) line += printf_text(", test accuracy %.4f", done.final_test_accuracy());
  }
  print_line(line);
}

void EventPrinter::print_line(const std::string& line) {
  if (live_line_shown_) {
    out_ << "\r" << kEraseLine;
    live_line_shown_ = false;
  }
  out_ << line << "\n";
  out_.flush();
}

}  // namespace gradstream::client

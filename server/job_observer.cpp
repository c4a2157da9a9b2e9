// JobObserver: engine reports in, TrainingEvents and progress counters out.
#include "server/job_observer.hpp"

#include <utility>

#include "engine/train/diagnostics.hpp"

namespace gradstream::server {

v1::TrainingEvent state_event(v1::JobState state) {
  v1::TrainingEvent event;
  event.set_state(state);
  return event;
}

bool is_final(v1::JobState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::CANCELLED;
}

JobObserver::JobObserver(std::shared_ptr<EventLog> log, std::shared_ptr<JobProgress> progress,
                         std::shared_ptr<JobSeries> series, std::function<void()> after_epoch,
                         std::optional<v1::RunRecord> run,
                         std::function<void(const v1::TrainingCheckpoint&)> on_checkpoint)
    : log_(std::move(log)),
      progress_(std::move(progress)),
      series_(std::move(series)),
      after_epoch_(std::move(after_epoch)),
      run_(std::move(run)),
      on_checkpoint_(std::move(on_checkpoint)) {}

// The log stamps sequence, job id and time; only the payload is set here.
void JobObserver::on_step(const v1::StepReport& report) {
  progress_->steps.store(report.step(), std::memory_order_relaxed);
  if (series_) series_->on_step(report);
  v1::TrainingEvent event;
  *event.mutable_step() = report;
  log_->append(std::move(event));
}

void JobObserver::on_epoch(const v1::EpochReport& report) {
  // The test accuracy is stored before the epoch count so a reader that sees
  // epoch N also sees epoch N's accuracy.
  if (report.has_test()) {
    progress_->final_test_accuracy.store(report.test_accuracy(), std::memory_order_relaxed);
    progress_->has_test.store(true, std::memory_order_relaxed);
  }
  progress_->epochs.store(report.epoch(), std::memory_order_release);
  if (series_) series_->on_epoch(report);
  v1::TrainingEvent event;
  *event.mutable_epoch() = report;
  log_->append(std::move(event));
  if (after_epoch_) after_epoch_();
}

void JobObserver::on_gradients(const v1::GradientReport& report) {
  if (series_) series_->on_gradients(report);
  v1::TrainingEvent event;
  *event.mutable_gradients() = report;
  log_->append(std::move(event));
}

void JobObserver::on_activations(const v1::ActivationReport& report) {
  if (series_) series_->on_activations(report);
  v1::TrainingEvent event;
  *event.mutable_activations() = report;
  log_->append(std::move(event));
}

void JobObserver::on_warning(const v1::Warning& warning) {
  if (warning.kind() == engine::kNonFinite) {
    progress_->non_finite_loss.store(true, std::memory_order_relaxed);
  }
  if (series_) series_->on_warning(warning);
  v1::TrainingEvent event;
  *event.mutable_warning() = warning;
  log_->append(std::move(event));
}

void JobObserver::on_checkpoint(const v1::TrainingCheckpoint& checkpoint) {
  if (on_checkpoint_) on_checkpoint_(checkpoint);
}

void JobObserver::on_done(const v1::DoneReport& report) {
  // An interrupted run has not ended: it goes on after the restart, and its
  // log goes on with the events it sends then.
  if (report.outcome() == v1::DoneReport::INTERRUPTED) return;
  // Step reports may be thinned (reporting.step_every), so the done report's
  // step count is the exact one. Its epoch count is not taken: on cancellation
  // it names the epoch in progress, while Job.epochs counts completed ones.
  progress_->steps.store(report.steps(), std::memory_order_relaxed);
  if (series_) series_->on_done(report);
  v1::TrainingEvent event;
  *event.mutable_done() = report;
  if (run_ && !report.has_run()) *event.mutable_done()->mutable_run() = *run_;
  // The end is shown only once the store has it (JobManager::persist).
  log_->hold();
  log_->append(std::move(event));
}

}  // namespace gradstream::server

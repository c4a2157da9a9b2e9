#include "worker/job_runner.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "dataset_format/uploaded_splits.hpp"
#include "engine/core/run_record.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/model/model_file.hpp"
#include "engine/spec/spec_validator.hpp"
#include "engine/train/run_control.hpp"
#include "engine/train/trainer.hpp"
#include "engine/train/training_observer.hpp"

namespace gradstream::worker {
namespace {

// Every report the trainer makes, queued for the coordinator in order. The
// done report is held back: JobFinished carries it with the model file.
class ForwardingObserver final : public engine::TrainingObserver {
 public:
  explicit ForwardingObserver(ReportOutbox& outbox) : outbox_(outbox) {}

  void on_step(const v1::StepReport& report) override { *next().mutable_step() = report; }
  void on_epoch(const v1::EpochReport& report) override { *next().mutable_epoch() = report; }
  void on_gradients(const v1::GradientReport& report) override {
    *next().mutable_gradients() = report;
  }
  void on_activations(const v1::ActivationReport& report) override {
    *next().mutable_activations() = report;
  }
  void on_warning(const v1::Warning& warning) override { *next().mutable_warning() = warning; }
  void on_checkpoint(const v1::TrainingCheckpoint& checkpoint) override {
    *next().mutable_checkpoint() = checkpoint;
  }
  void on_done(const v1::DoneReport& report) override { done_ = report; }

  const v1::DoneReport& done() const { return done_; }

 private:
  // A report to fill; pushed when the next one is asked for or on flush.
  v1::WorkerReport& next() {
    flush();
    has_pending_ = true;
    return pending_;
  }

 public:
  void flush() {
    if (!has_pending_) return;
    outbox_.push(std::move(pending_));
    pending_.Clear();
    has_pending_ = false;
  }

 private:
  ReportOutbox& outbox_;
  v1::WorkerReport pending_;
  bool has_pending_ = false;
  v1::DoneReport done_;
};

v1::WorkerReport finished(v1::DoneReport done, std::string model = {}) {
  v1::WorkerReport report;
  *report.mutable_finished()->mutable_done() = std::move(done);
  report.mutable_finished()->set_model(std::move(model));
  return report;
}

v1::DoneReport failed(const std::string& reason) {
  v1::DoneReport done;
  done.set_outcome(v1::DoneReport::FAILED);
  done.set_reason(reason);
  return done;
}

// A data loader's answer for data.builtin and data.files; an uploaded
// dataset fetched from the coordinator, split as the server splits it.
engine::Result<engine::DataSplits> load_job_data(const v1::JobAssignment& assignment,
                                                 const v1::TrainingSpec& spec,
                                                 const DatasetFetch& fetch, const JobFlags& flags) {
  if (spec.data().source_case() != v1::DataSpec::kDatasetId)
    return engine::load_data(spec.data(), spec.seed());
  auto fetched = fetch(assignment, flags);
  if (!fetched.ok()) return fetched.status();
  return dataset_format::uploaded_splits(std::move(fetched->data), spec.data(), spec.seed(),
                                         fetched->num_classes);
}

// How a job that could not start ends: a fetch stopped by the coordinator's
// cancel or interrupt as they say, anything else FAILED with the reason.
v1::DoneReport not_started(const engine::Status& status, const JobFlags& flags) {
  v1::DoneReport done = failed(status.message());
  if (status.code() == engine::StatusCode::kCancelled) {
    if (flags.interrupt.load()) done.set_outcome(v1::DoneReport::INTERRUPTED);
    if (flags.cancel.load()) done.set_outcome(v1::DoneReport::CANCELLED);
  }
  return done;
}

// The trainer for the assignment, resumed from the first checkpoint that
// restores: `started` says which (-1: none) and how many training samples.
engine::Result<std::unique_ptr<engine::Trainer>> build_trainer(const v1::JobAssignment& assignment,
                                                               const v1::TrainingSpec& spec,
                                                               const CollectiveFactory& connect,
                                                               const DatasetFetch& fetch,
                                                               const JobFlags& flags,
                                                               v1::JobStarted& started) {
  // The coordinator validated it; checked again (cheaply) before anything is built.
  if (engine::Status s = engine::validate_spec(spec); !s.ok()) return s;
  auto data = load_job_data(assignment, spec, fetch, flags);
  if (!data.ok()) return data.status();
  started.set_train_samples(data->train.count);
  std::shared_ptr<engine::Collective> collective;
  if (assignment.world_size() > 1) {
    // After loading: the ranks wait for each other here, not for each one's data.
    auto connected = connect(assignment);
    if (!connected.ok()) return connected.status();
    collective = std::move(connected).value();
  }
  auto trainer = engine::Trainer::create(spec, std::move(data).value(), std::move(collective));
  if (!trainer.ok()) return trainer.status();
  started.set_resumed_checkpoint(-1);
  for (int i = 0; i < assignment.checkpoints_size(); ++i) {
    v1::TrainingCheckpoint checkpoint;
    if (checkpoint.ParseFromString(assignment.checkpoints(i)) &&
        (*trainer)->resume_from(checkpoint).ok()) {
      started.set_resumed_checkpoint(i);
      break;
    }
  }
  return trainer;
}

}  // namespace

v1::TrainingSpec budgeted_spec(const v1::TrainingSpec& spec, const JobBudget& budget) {
  v1::TrainingSpec budgeted = spec;
  budgeted.set_threads(std::max<uint32_t>(1, std::min(spec.threads(), budget.threads)));
  // A prefetch thread only on a spare core of this job's own share.
  if (budgeted.threads() >= budget.core_share) budgeted.mutable_data()->set_no_prefetch(true);
  return budgeted;
}

void run_assignment(const v1::JobAssignment& assignment, const JobBudget& budget,
                    ReportOutbox& outbox, JobFlags& flags, const CollectiveFactory& connect,
                    const DatasetFetch& fetch) {
  const v1::TrainingSpec spec = budgeted_spec(assignment.spec(), budget);
  v1::WorkerReport last;
  try {
    v1::WorkerReport started;
    auto trainer =
        build_trainer(assignment, spec, connect, fetch, flags, *started.mutable_started());
    if (!trainer.ok()) {
      last = finished(not_started(trainer.status(), flags));
    } else {
      *started.mutable_started()->mutable_run() = engine::describe_run(spec.threads(), spec.seed());
      outbox.push(std::move(started));
      ForwardingObserver observer(outbox);
      engine::RunControl control;
      control.cancel = &flags.cancel;
      control.interrupt = &flags.interrupt;
      control.checkpoint_every_seconds = assignment.checkpoint_every_seconds();
      (*trainer)->run(observer, control);
      observer.flush();
      v1::DoneReport done = observer.done();
      std::string model;
      // Every rank holds the same model: rank 0's alone is sent.
      if (done.outcome() == v1::DoneReport::SUCCEEDED && assignment.rank() == 0) {
        auto bytes = engine::serialize_model((*trainer)->spec(), (*trainer)->model(),
                                             (*trainer)->preprocessing());
        if (bytes.ok()) {
          model = std::move(bytes).value();
        } else {
          done = failed(bytes.status().message());
        }
      }
      last = finished(std::move(done), std::move(model));
    }
  } catch (const std::exception& e) {
    last = finished(failed(std::string("internal error on the worker: ") + e.what()));
  } catch (...) {
    last = finished(failed("internal error on the worker: unknown exception"));
  }
  if (flags.dropped.load()) return;
  outbox.push(std::move(last));
  outbox.drain();
}

}  // namespace gradstream::worker

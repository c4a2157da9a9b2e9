// Trainer: building the training pipelines, the epoch and step loop, and
// evaluation at each epoch's end. Reports are trainer_reports.cpp, checkpoints
// trainer_checkpoint.cpp, the data-parallel parts trainer_data_parallel.cpp.
#include "engine/train/trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/base/parallel.hpp"
#include "engine/data/batcher.hpp"
#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/spec/label_fit.hpp"
#include "engine/spec/spec_defaults.hpp"

namespace gradstream::engine {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status check_data_fits_model(const v1::TrainingSpec& spec, const DataSplits& data,
                             int64_t input_features, int64_t output_units) {
  if (data.train.count == 0) return invalid_argument("data: the training set is empty");
  if (data.train.sample_size() != input_features) {
    return invalid_argument("model.input_shape: describes " + std::to_string(input_features) +
                            " features but the data's samples have " +
                            std::to_string(data.train.sample_size()));
  }
  return check_classes_fit(spec, data.num_classes, output_units);
}

}  // namespace

Trainer::Trainer(v1::TrainingSpec spec, DataSplits data)
    : spec_(std::move(spec)),
      data_(std::move(data)),
      eng_(dnnl::engine::kind::cpu, 0),
      stream_(eng_) {}

Trainer::~Trainer() = default;

Result<std::unique_ptr<Trainer>> Trainer::create(const v1::TrainingSpec& user_spec,
                                                 DataSplits data) {
  return create(user_spec, std::move(data), nullptr);
}

Result<std::unique_ptr<Trainer>> Trainer::create(const v1::TrainingSpec& user_spec, DataSplits data,
                                                 std::shared_ptr<Collective> collective) {
  v1::TrainingSpec spec = with_defaults(user_spec);
  if (Status s = check_collective(spec, collective.get()); !s.ok()) return s;
  omp_set_num_threads(static_cast<int>(spec.threads()));
  std::unique_ptr<Trainer> trainer(new Trainer(std::move(spec), std::move(data)));
  const v1::TrainingSpec& s = trainer->spec_;
  // A 1-rank collective changes nothing: the one-process path, bit for bit.
  if (collective && collective->size() > 1) {
    trainer->reports_ = collective->rank() == 0;
    trainer->collective_ = std::move(collective);
  }
  try {
    const int64_t batch = std::min<int64_t>(s.batch_size(), trainer->data_.train.count);
    // Parameters take the layouts the training batch's primitives prefer.
    Result<std::unique_ptr<Model>> model =
        Model::build(s, trainer->eng_, LayoutHint{std::max<int64_t>(batch, 1), true});
    if (!model.ok()) return model.status();
    trainer->model_ = std::move(model).value();
    Status fits = check_data_fits_model(s, trainer->data_, trainer->model_->input_features(),
                                        trainer->model_->output_units());
    if (!fits.ok()) return fits;
    trainer->parameters_ = trainer->model_->parameters();
    auto optimizer = make_optimizer(s.optimizer(), trainer->parameters_);
    if (!optimizer.ok()) return optimizer.status();
    trainer->optimizer_ = std::move(optimizer).value();
    if (trainer->collective_) {
      trainer->reduction_ =
          std::make_unique<StepReduction>(trainer->collective_, trainer->parameters_);
    }
    trainer->batch_size_ = batch;
    trainer->batches_per_epoch_ = (trainer->data_.train.count + batch - 1) / batch;
    const auto steps_per_epoch = static_cast<uint64_t>(trainer->batches_per_epoch_);
    trainer->schedule_ =
        std::make_unique<LrSchedule>(s.optimizer().schedule(), s.optimizer().learning_rate(),
                                     steps_per_epoch * s.epochs(), steps_per_epoch);
    // A prefetch thread only pays where a core is left over: on a core that an
    // OpenMP thread of this job also uses, it stalls the team at its barriers
    // (2 threads on 2 cores: 85-96k samples/s with it, 109-110k gathering on
    // the team; on a machine busy with other work, 1.4k against 42k).
    trainer->prefetch_thread_ =
        !s.data().no_prefetch() && static_cast<int>(s.threads()) < usable_cores();
    trainer->evaluator_ = std::make_unique<Evaluator>(*trainer->model_, s.loss(), trainer->eng_);
    // Build every training shape now so the step loop never builds a primitive.
    trainer->instance_for(batch);
    if (const int64_t rest = trainer->data_.train.count % batch; rest != 0) {
      trainer->instance_for(rest);
    }
    for (const Parameter* p : trainer->parameters_) {
      trainer->previous_values_.emplace_back(static_cast<size_t>(p->size()));
    }
    if (!s.reporting().no_diagnostics()) trainer->diagnostics_ = std::make_unique<Diagnostics>();
  } catch (const dnnl::error& e) {
    return internal_error(std::string("oneDNN could not build the network: ") + e.what());
  }
  return trainer;
}

Trainer::TrainInstance& Trainer::instance_for(int64_t batch) {
  auto it = instances_.find(batch);
  if (it == instances_.end()) {
    // One process: all of the batch. Data parallel: this rank's slice, its
    // loss gradient divided by the global batch.
    const RowSlice rows = row_slice(batch, rank(), ranks());
    TrainInstance instance{rows, nullptr, nullptr, {}};
    if (rows.count == 0) return instances_.emplace(batch, std::move(instance)).first->second;
    instance.pipeline =
        std::make_unique<Pipeline>(*model_, rows.count, /*training=*/true, eng_,
                                   /*input_gradient=*/false, rows.first, synced_statistics());
    instance.loss = make_loss(spec_.loss(), rows.count, model_->output_units(), batch);
    if (!spec_.reporting().no_diagnostics()) {
      for (const auto& layer : instance.pipeline->layers()) {
        const ActivationInfo* info = layer->activation();
        if (info != nullptr && can_die(*info)) instance.dead_unit_probes.emplace_back(*layer, eng_);
      }
    }
    it = instances_.emplace(batch, std::move(instance)).first;
  }
  return it->second;
}

bool Trainer::report_due(uint32_t every, uint64_t step, bool last_of_epoch) const {
  return every == 0 ? last_of_epoch : step % every == 0;
}

v1::DoneReport Trainer::run(TrainingObserver& observer, const std::atomic<bool>& cancel) {
  RunControl control;
  control.cancel = &cancel;
  return run(observer, control);
}

v1::DoneReport Trainer::run(TrainingObserver& observer, const RunControl& control) {
  omp_set_num_threads(static_cast<int>(spec_.threads()));
  const auto run_start = Clock::now();
  auto run_seconds = [&] { return progress_.run_seconds + seconds_since(run_start); };
  // NaN and negative intervals mean none; a huge one must not overflow the clock.
  const double every_seconds =
      control.checkpoint_every_seconds > 0
          ? std::min(control.checkpoint_every_seconds, kMaxCheckpointEverySeconds)
          : 0.0;
  const auto every =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(every_seconds));
  auto next_checkpoint = run_start + every;
  Batcher batcher(data_.train, batch_size_, !spec_.data().no_shuffle(), spec_.seed(),
                  prefetch_thread_);
  v1::DoneReport done;
  const bool by_time = every.count() > 0;
  float last_train_loss = 0.0F;
  auto finish = [&](v1::DoneReport report, uint32_t epochs) {
    report.set_steps(progress_.step);
    report.set_epochs(epochs);
    progress_.run_seconds = run_seconds();  // a later run() goes on counting
    report.set_seconds(progress_.run_seconds);
    observer.on_done(report);
    return report;
  };
  if (collective_) {  // the ranks agree on the flags before the first step
    if (Status s = agree_flags(local_flags(control, next_checkpoint, by_time)); !s.ok()) {
      return finish(fail_collective(s), progress_.epoch);
    }
  }
  try {
    for (; progress_.epoch <= spec_.epochs(); progress_.next_epoch()) {
      // A run resumed mid-epoch starts at its next batch, with the diagnostics
      // of the epoch so far restored.
      batcher.start_epoch(progress_.epoch, progress_.batch);
      if (diagnostics_ && progress_.batch == 0) diagnostics_->start_epoch();
      StepTiming timing{Clock::now(), Clock::now(), 0};
      while (progress_.batch < batches_per_epoch_) {
        // Data parallel: what every rank agreed in the last allreduce, so
        // all stop or checkpoint before the same step.
        const RunFlags flags =
            collective_ ? agreed_ : local_flags(control, next_checkpoint, by_time);
        if (flags.cancel) {
          v1::DoneReport cancelled;
          cancelled.set_outcome(v1::DoneReport::CANCELLED);
          cancelled.set_reason("cancelled at step " + std::to_string(progress_.step));
          return finish(cancelled, progress_.epoch);
        }
        const bool interrupted = flags.interrupt;
        if (interrupted || flags.checkpoint) {
          // Checkpoints are not training: keep them out of the epoch's timing.
          progress_.train_seconds += seconds_since(timing.loop_start);
          // Every rank holds the same state: rank 0's checkpoint resumes any.
          if (reports_) observer.on_checkpoint(make_checkpoint(run_seconds()));
          agreed_.checkpoint = false;
          if (interrupted) {
            v1::DoneReport report;
            report.set_outcome(v1::DoneReport::INTERRUPTED);
            report.set_reason("interrupted at step " + std::to_string(progress_.step));
            return finish(report, progress_.epoch);
          }
          timing.loop_start = Clock::now();
          next_checkpoint = timing.loop_start + every;
        }
        const RunFlags step_flags =
            collective_ ? local_flags(control, next_checkpoint, by_time) : RunFlags{};
        if (auto failed = train_step(observer, *batcher.next(), timing, step_flags)) {
          return finish(*failed, progress_.epoch);
        }
      }
      last_train_loss = end_epoch(observer, done, timing);
    }
  } catch (const dnnl::error& e) {
    done.set_outcome(v1::DoneReport::FAILED);
    done.set_reason(std::string("oneDNN failed at step ") + std::to_string(progress_.step) + ": " +
                    e.what());
    return finish(done, progress_.epoch);
  }
  done.set_outcome(v1::DoneReport::SUCCEEDED);
  done.set_final_train_loss(last_train_loss);
  return finish(done, spec_.epochs());
}

std::optional<v1::DoneReport> Trainer::train_step(TrainingObserver& observer, const BatchView& view,
                                                  StepTiming& timing, const RunFlags& flags) {
  const v1::ReportingSpec& reporting = spec_.reporting();
  const uint64_t step = ++progress_.step;
  const uint32_t epoch = progress_.epoch;
  TrainInstance& instance = instance_for(view.size);
  const Pipeline* pipeline = instance.pipeline.get();
  double loss = 0.0;
  Result<StepFigures> figures = compute_step(instance, view, flags, loss);
  if (!figures.ok()) return fail_collective(figures.status());
  if (!std::isfinite(loss)) return fail_non_finite(observer, pipeline, loss, step);
  progress_.correct += figures.value().correct;
  progress_.loss_sum += figures.value().loss_sum;
  progress_.seen += figures.value().seen;
  timing.window_samples += figures.value().seen;
  if (!reports_) {  // another rank reports; this one only trains
    optimizer_->step(schedule_->at(step - 1));
    ++progress_.batch;
    return std::nullopt;
  }
  const bool last = progress_.batch + 1 == batches_per_epoch_;
  const bool gradients_due = report_due(reporting.gradient_every(), step, last);
  if (gradients_due) {  // keep the values before the update for update ratios
    for (size_t i = 0; i < parameters_.size(); ++i) {
      std::memcpy(previous_values_[i].data(), parameters_[i]->plain_value(),
                  sizeof(float) * previous_values_[i].size());
    }
  }
  const float lr = schedule_->at(step - 1);
  optimizer_->step(lr);
  if (step % reporting.step_every() == 0 || last) {
    const double window = seconds_since(timing.window_start);
    v1::StepReport report;
    report.set_step(step);
    report.set_epoch(epoch);
    report.set_loss(static_cast<float>(loss));
    report.set_learning_rate(lr);
    report.set_samples_per_second(window > 0 ? timing.window_samples / window : 0.0);
    if (collective_) add_allreduce_figures(report);
    observer.on_step(report);
    timing.window_start = Clock::now();
    timing.window_samples = 0;
  }
  const bool activations_due = report_due(reporting.activation_every(), step, last);
  if (gradients_due || activations_due) {
    // Reports are not training: keep them out of the epoch's timing.
    progress_.train_seconds += seconds_since(timing.loop_start);
    // Diagnostics read a full report when there is one (for free).
    if (gradients_due) {
      const v1::GradientReport g = report_gradients(observer, step, epoch);
      if (diagnostics_) send_warnings(observer, diagnostics_->on_gradients(g));
    }
    if (activations_due) {
      const v1::ActivationReport a = report_activations(observer, *pipeline, step, epoch);
      if (diagnostics_) send_warnings(observer, diagnostics_->on_activations(a));
    }
    timing.loop_start = Clock::now();
  }
  // Diagnostics are part of training: their cost stays in the epoch's timing.
  if (diagnostics_ && (step % reporting.diagnostics_every() == 0 || last)) {
    if (!gradients_due) diagnose_gradients(observer, step, epoch);
    if (!activations_due) diagnose_activations(observer, *pipeline, step, epoch);
  }
  ++progress_.batch;
  return std::nullopt;
}

float Trainer::end_epoch(TrainingObserver& observer, v1::DoneReport& done,
                         const StepTiming& timing) {
  if (diagnostics_ && reports_) send_warnings(observer, diagnostics_->end_epoch(progress_.step));
  progress_.train_seconds += seconds_since(timing.loop_start);
  const double seconds = progress_.train_seconds;
  const auto seen = static_cast<double>(progress_.seen);
  const auto train_loss = static_cast<float>(progress_.loss_sum / seen);
  if (!reports_) return train_loss;  // rank 0 evaluates and reports
  v1::EpochReport report;
  report.set_epoch(progress_.epoch);
  report.set_train_loss(train_loss);
  report.set_train_accuracy(static_cast<float>(progress_.correct) / static_cast<float>(seen));
  report.set_seconds(seconds);
  report.set_samples_per_second(seconds > 0 ? seen / seconds : 0.0);
  if (data_.has_validation) {
    const Evaluation v = evaluator_->evaluate(data_.validation, stream_);
    report.set_has_validation(true);
    report.set_validation_loss(static_cast<float>(v.loss));
    report.set_validation_accuracy(static_cast<float>(v.accuracy));
  }
  if (data_.has_test) {
    const Evaluation t = evaluator_->evaluate(data_.test, stream_);
    report.set_has_test(true);
    report.set_test_loss(static_cast<float>(t.loss));
    report.set_test_accuracy(static_cast<float>(t.accuracy));
    done.set_has_test(true);
    done.set_final_test_accuracy(static_cast<float>(t.accuracy));
  }
  observer.on_epoch(report);
  return train_loss;
}

}  // namespace gradstream::engine

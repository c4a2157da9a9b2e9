// Trainer, the parts a data-parallel run adds: the collective checked against
// the spec, a step's forward and backward on this rank's rows followed by the
// step's one allreduce (StepReduction), the run flags the ranks agree on, and
// the allreduce figures in step reports. Without a collective the step is the
// one-process step, unchanged.
#include <cmath>
#include <cstring>

#include "engine/train/trainer.hpp"

namespace gradstream::engine {

namespace {

bool raised(const std::atomic<bool>* flag) {
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

}  // namespace

Status Trainer::check_collective(const v1::TrainingSpec& spec, const Collective* collective) {
  const uint32_t workers = spec.distributed().workers();
  const int ranks = collective != nullptr ? collective->size() : 1;
  if (static_cast<uint32_t>(ranks) == workers) return ok_status();
  if (collective == nullptr) {
    return failed_precondition("distributed.workers: " + std::to_string(workers) +
                               " workers need a collective joining them (a data-parallel "
                               "worker); this trainer was given none");
  }
  return failed_precondition("distributed.workers: " + std::to_string(workers) +
                             " workers, but the collective joins " + std::to_string(ranks) +
                             " ranks");
}

Collective* Trainer::synced_statistics() const {
  return spec_.distributed().sync_batch_norm() ? collective_.get() : nullptr;
}

RunFlags Trainer::local_flags(const RunControl& control, Clock::time_point next_checkpoint,
                              bool by_time) const {
  RunFlags flags;
  flags.cancel = raised(control.cancel);
  flags.interrupt = raised(control.interrupt);
  flags.checkpoint = by_time && Clock::now() >= next_checkpoint;
  return flags;
}

Status Trainer::agree_flags(const RunFlags& local) {
  Result<RunFlags> agreed = reduction_->agree(local);
  if (!agreed.ok()) return agreed.status();
  agreed_ = agreed.value();
  return ok_status();
}

Result<StepFigures> Trainer::compute_step(TrainInstance& instance, const BatchView& view,
                                          const RunFlags& flags, double& loss) {
  StepFigures figures;
  if (Pipeline* pipeline = instance.pipeline.get()) {
    const int64_t first = instance.rows.first;
    pipeline->set_input(view.features + first * data_.train.sample_size());
    pipeline->forward(stream_);
    loss = instance.loss->compute(pipeline->output(), view.labels + first,
                                  pipeline->diff_output_data(), stream_);
    // One process stops here; a rank goes on to the allreduce, which carries
    // the non-finite loss to every rank so all of them stop at this step.
    if (!collective_ && !std::isfinite(loss)) return figures;
    if (diagnostics_ && reports_) observe_dead_units(instance);
    figures.correct = instance.loss->count_correct(pipeline->output(), view.labels + first);
    figures.loss_sum = loss * static_cast<double>(instance.rows.count);
    figures.seen = instance.rows.count;
    pipeline->backward(stream_);
  } else {  // no rows in this step: this rank adds nothing to the sums
    for (Parameter* p : parameters_) {
      std::memset(p->stored_grad(), 0, sizeof(float) * static_cast<size_t>(p->stored()));
    }
    // ... yet makes the calls its peers' synchronised batch norms make.
    if (Collective* synced = synced_statistics()) {
      const auto& nodes = model_->nodes();
      for (const auto& node : nodes) node->sync_without_rows(*synced, /*backward=*/false);
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
        (*it)->sync_without_rows(*synced, /*backward=*/true);
      }
    }
  }
  if (!collective_) return figures;
  figures.flags = flags;
  Result<StepFigures> global = reduction_->reduce(figures);
  if (!global.ok()) return global.status();
  agreed_ = global.value().flags;
  loss = global.value().loss_sum / static_cast<double>(global.value().seen);
  return global;
}

v1::DoneReport Trainer::fail_collective(const Status& status) const {
  v1::DoneReport done;
  done.set_outcome(v1::DoneReport::FAILED);
  done.set_reason(status.message() + " (at step " + std::to_string(progress_.step) + ")");
  return done;
}

void Trainer::add_allreduce_figures(v1::StepReport& report) {
  const AllreduceWindow window = reduction_->take_window();
  report.set_allreduce_seconds(window.seconds);
  report.set_allreduce_bytes(window.bytes);
  report.set_straggler_seconds(window.straggler_seconds);
}

}  // namespace gradstream::engine

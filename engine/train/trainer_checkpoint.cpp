// Trainer: checkpoints (everything the next step depends on, checkpoint.proto)
// and resuming from one. resume_from checks the whole checkpoint before it
// changes anything, so a refused one leaves the trainer as it was.
#include <oneapi/dnnl/dnnl.h>

#include <cmath>
#include <map>
#include <string>

#include "engine/core/run_record.hpp"
#include "engine/core/tensor_message.hpp"
#include "engine/train/checkpoint_fingerprint.hpp"
#include "engine/train/trainer.hpp"

namespace gradstream::engine {

namespace {

constexpr const char* kPrefix = "checkpoint: ";

Status prefixed(const Status& status) {
  return status.ok() ? status : Status(status.code(), kPrefix + status.message());
}

Status out_of_range(const std::string& field, const std::string& value, const std::string& range) {
  return invalid_argument(kPrefix + field + ": " + value + " is out of range " + range);
}

bool finite_non_negative(double value) { return std::isfinite(value) && value >= 0.0; }

}  // namespace

v1::TrainingCheckpoint Trainer::checkpoint() const {
  return make_checkpoint(progress_.run_seconds);
}

v1::TrainingCheckpoint Trainer::make_checkpoint(double run_seconds) const {
  v1::TrainingCheckpoint checkpoint;
  checkpoint.set_step(progress_.step);
  checkpoint.set_epoch(progress_.epoch);
  checkpoint.set_batch(static_cast<uint64_t>(progress_.batch));
  *checkpoint.mutable_fingerprint() = checkpoint_fingerprint(spec_, data_.train);
  for (const Parameter* p : model_->tensors()) write_tensor_message(*p, checkpoint.add_tensors());
  *checkpoint.mutable_optimizer() = optimizer_->state();
  v1::EpochProgress& epoch = *checkpoint.mutable_epoch_progress();
  epoch.set_loss_sum(progress_.loss_sum);
  epoch.set_correct(progress_.correct);
  epoch.set_seen(progress_.seen);
  epoch.set_train_seconds(progress_.train_seconds);
  for (const auto& [batch, instance] : instances_) {
    *checkpoint.add_pipelines() = instance.pipeline->counters_state();
  }
  if (diagnostics_) *checkpoint.mutable_diagnostics() = diagnostics_->state();
  checkpoint.set_run_seconds(run_seconds);
  checkpoint.set_threads(spec_.threads());
  checkpoint.set_isa(onednn_isa_name(dnnl_get_effective_cpu_isa()));
  checkpoint.set_digest(checkpoint_digest(checkpoint));
  return checkpoint;
}

Status Trainer::resume_from(const v1::TrainingCheckpoint& checkpoint) {
  if (Status s = check_checkpoint(checkpoint); !s.ok()) return s;
  try {  // the reorders into blocked layouts are oneDNN's
    const std::vector<Parameter*> tensors = model_->tensors();
    for (size_t i = 0; i < tensors.size(); ++i) {
      tensors[i]->write_value(checkpoint.tensors(static_cast<int>(i)).values().data());
    }
    optimizer_->restore_state(checkpoint.optimizer());
  } catch (const dnnl::error& e) {
    return internal_error(std::string("checkpoint: oneDNN failed restoring the tensors (the "
                                      "trainer is partly restored; create another): ") +
                          e.what());
  }
  int pipeline = 0;
  for (auto& [batch, instance] : instances_) {
    instance.pipeline->restore_counters_state(checkpoint.pipelines(pipeline++));
  }
  if (diagnostics_) diagnostics_->restore_state(checkpoint.diagnostics());
  const v1::EpochProgress& epoch = checkpoint.epoch_progress();
  progress_ = Progress{
      checkpoint.step(),     checkpoint.epoch(),      static_cast<int64_t>(checkpoint.batch()),
      epoch.loss_sum(),      epoch.correct(),         epoch.seen(),
      epoch.train_seconds(), checkpoint.run_seconds()};
  return ok_status();
}

Status Trainer::check_checkpoint(const v1::TrainingCheckpoint& checkpoint) const {
  // What it belongs to first (another spec or data: failed_precondition),
  // then whether it holds together (invalid_argument).
  const std::vector<Parameter*> tensors = model_->tensors();
  if (checkpoint.tensors_size() != static_cast<int>(tensors.size())) {
    return failed_precondition(kPrefix + std::string("tensors: ") +
                               std::to_string(checkpoint.tensors_size()) +
                               ", the spec's model has " + std::to_string(tensors.size()));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (auto mismatch =
            tensor_identity_mismatch(checkpoint.tensors(static_cast<int>(i)), *tensors[i],
                                     "tensors[" + std::to_string(i) + "]")) {
      return failed_precondition(kPrefix + *mismatch);
    }
  }
  const v1::CheckpointFingerprint expected = checkpoint_fingerprint(spec_, data_.train);
  if (Status s = check_fingerprint(checkpoint.fingerprint(), expected); !s.ok()) return s;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (auto mismatch =
            tensor_size_mismatch(checkpoint.tensors(static_cast<int>(i)), *tensors[i])) {
      return invalid_argument(kPrefix + *mismatch);
    }
  }
  if (Status s = check_position(checkpoint); !s.ok()) return s;
  if (Status s = prefixed(optimizer_->check_state(checkpoint.optimizer())); !s.ok()) return s;
  if (checkpoint.optimizer().steps() != checkpoint.step()) {
    return invalid_argument(kPrefix + std::string("optimizer.steps: ") +
                            std::to_string(checkpoint.optimizer().steps()) +
                            ", one update a step makes " + std::to_string(checkpoint.step()));
  }
  if (Status s = check_pipelines(checkpoint); !s.ok()) return s;
  if (Status s = check_diagnostics(checkpoint); !s.ok()) return s;
  // Last: the checks above name a field that does not fit; this catches
  // whatever damage still fits (a cut-off tail, a changed value).
  return check_digest(checkpoint);
}

Status Trainer::check_position(const v1::TrainingCheckpoint& checkpoint) const {
  const uint32_t epoch = checkpoint.epoch();
  if (epoch < 1 || epoch > spec_.epochs()) {
    return out_of_range("epoch", std::to_string(epoch),
                        "[1, " + std::to_string(spec_.epochs()) + "] (epochs)");
  }
  const auto batches = static_cast<uint64_t>(batches_per_epoch_);
  const uint64_t batch = checkpoint.batch();
  if (batch >= batches) {
    return out_of_range("batch", std::to_string(batch),
                        "[0, " + std::to_string(batches) + ") (batches an epoch)");
  }
  const uint64_t step = (epoch - 1) * batches + batch;
  if (checkpoint.step() != step) {
    return invalid_argument(kPrefix + std::string("step: ") + std::to_string(checkpoint.step()) +
                            ", epoch " + std::to_string(epoch) + " after " + std::to_string(batch) +
                            " batches is step " + std::to_string(step) + " with " +
                            std::to_string(batches) + " batches an epoch");
  }
  const v1::EpochProgress& progress = checkpoint.epoch_progress();
  // Only an epoch's last batch is partial, and it is never behind a checkpoint.
  const int64_t seen = static_cast<int64_t>(batch) * batch_size_;
  if (progress.seen() != seen) {
    return invalid_argument(kPrefix + std::string("epoch_progress.seen: ") +
                            std::to_string(progress.seen()) + ", " + std::to_string(batch) +
                            " batches of " + std::to_string(batch_size_) + " make " +
                            std::to_string(seen));
  }
  if (progress.correct() < 0 || progress.correct() > seen) {
    return out_of_range("epoch_progress.correct", std::to_string(progress.correct()),
                        "[0, " + std::to_string(seen) + "]");
  }
  if (!std::isfinite(progress.loss_sum())) {
    return invalid_argument(kPrefix + std::string("epoch_progress.loss_sum: not finite"));
  }
  if (!finite_non_negative(progress.train_seconds()) ||
      !finite_non_negative(checkpoint.run_seconds())) {
    return invalid_argument(kPrefix +
                            std::string("epoch_progress.train_seconds and run_seconds: must be "
                                        "finite and >= 0"));
  }
  return ok_status();
}

Status Trainer::check_pipelines(const v1::TrainingCheckpoint& checkpoint) const {
  if (checkpoint.pipelines_size() != static_cast<int>(instances_.size())) {
    return invalid_argument(kPrefix + std::string("pipelines: ") +
                            std::to_string(checkpoint.pipelines_size()) + ", this trainer has " +
                            std::to_string(instances_.size()) + " (one per batch size)");
  }
  int i = 0;
  for (const auto& [batch, instance] : instances_) {
    const std::string path = "pipelines[" + std::to_string(i) + "]";
    if (Status s =
            prefixed(instance.pipeline->check_counters_state(checkpoint.pipelines(i++), path));
        !s.ok()) {
      return s;
    }
  }
  return ok_status();
}

Status Trainer::check_diagnostics(const v1::TrainingCheckpoint& checkpoint) const {
  if (!diagnostics_) {
    if (!checkpoint.has_diagnostics()) return ok_status();
    return invalid_argument(kPrefix + std::string("diagnostics: present, but this spec turns "
                                                  "them off (reporting.no_diagnostics)"));
  }
  if (!checkpoint.has_diagnostics()) {
    return invalid_argument(kPrefix + std::string("diagnostics: missing, this spec runs them"));
  }
  std::map<std::string, int64_t> relu_channels;
  for (const auto& [batch, instance] : instances_) {
    for (const ChannelMaxima& probe : instance.dead_unit_probes) {
      relu_channels[probe.layer_name()] = probe.channels();
    }
  }
  return prefixed(Diagnostics::check_state(checkpoint.diagnostics(), relu_channels));
}

}  // namespace gradstream::engine

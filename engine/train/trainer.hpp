// Trainer: runs one training spec to completion, failure or cancellation on the
// calling thread, with exactly the spec's thread budget, reporting through a
// TrainingObserver. Same spec + seed + threads on the same oneDNN ISA gives the
// same losses, bit for bit. With a Collective it is one rank of a data-parallel
// run (spec.distributed, README "Data-parallel jobs").
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/collective.hpp"
#include "engine/data/batcher.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/losses/loss.hpp"
#include "engine/model/model.hpp"
#include "engine/model/pipeline.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/train/channel_maxima.hpp"
#include "engine/train/diagnostics.hpp"
#include "engine/train/evaluator.hpp"
#include "engine/train/row_slice.hpp"
#include "engine/train/run_control.hpp"
#include "engine/train/step_reduction.hpp"
#include "engine/train/training_observer.hpp"
#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class Trainer {
 public:
  // Checks the spec against the data, builds the model, its training pipelines
  // and the optimizer. The spec must have passed validate_spec. Call create and
  // run on the same thread: the OpenMP thread budget is set per thread.
  static Result<std::unique_ptr<Trainer>> create(const v1::TrainingSpec& spec, DataSplits data);
  // The same as rank collective->rank() of a data-parallel run of
  // spec.distributed.workers ranks (collective->size() must be that; a null
  // or 1-rank collective is the one-process trainer above, unchanged). Every
  // rank is given the same spec and data: the same seed gives every rank the
  // same initial weights and batch order. Each rank trains on its row_slice of
  // every global batch of batch_size rows; before each optimizer step one
  // allreduce sums the gradients (each rank's loss gradient is divided by the
  // global batch, so the sum is the global batch's mean gradient), the step's
  // loss, counts and run flags, so every rank takes the same step and stops
  // at the same one. Rank 0 alone sends reports, evaluations and checkpoints;
  // every rank sends its done report. A collective failure (a peer gone, a
  // timeout) ends the run FAILED naming the rank and the step.
  static Result<std::unique_ptr<Trainer>> create(const v1::TrainingSpec& spec, DataSplits data,
                                                 std::shared_ptr<Collective> collective);
  ~Trainer();

  // Trains from where the trainer is (the start, the checkpoint given to
  // resume_from, or where an interrupted run stopped) to the end of the last
  // epoch, unless `control` stops it first (run_control.hpp). The returned
  // report is also passed to observer.on_done; its seconds count the run's
  // wall time, a resumed run's earlier part included.
  v1::DoneReport run(TrainingObserver& observer, const RunControl& control);
  // The same with cancellation only.
  v1::DoneReport run(TrainingObserver& observer, const std::atomic<bool>& cancel);

  // Everything the next step depends on (checkpoint.proto), tensors row-major.
  // Call between steps: before or after run, or from on_checkpoint (which run
  // calls with this). Allocates; copies every tensor and optimizer slot.
  v1::TrainingCheckpoint checkpoint() const;

  // Restores a checkpoint taken from a trainer of the same spec and data, so
  // that run continues with its next step exactly as the interrupted run
  // would have. Call after create, before run. Checks everything first and
  // changes nothing unless all of it fits: failed_precondition when it belongs
  // to another spec or data (names and shapes of the tensors, then the
  // fingerprint: seed, training set size, spec hash), invalid_argument when it
  // does not hold together (a value count, the position, the optimizer's
  // slots, the pipelines' counters, the diagnostics, and last the digest: cut
  // short or changed in storage), naming the field.
  Status resume_from(const v1::TrainingCheckpoint& checkpoint);

  Model& model() { return *model_; }
  const v1::TrainingSpec& spec() const { return spec_; }
  // What the data's preprocessing did to the inputs (model files keep it).
  const InputPreprocessing& preprocessing() const { return data_.preprocessing; }
  // Whether batches are gathered on a thread of their own (only with a spare core).
  bool prefetch_thread() const { return prefetch_thread_; }
  // This trainer's rank and the run's ranks (0 and 1 without a collective).
  int rank() const { return collective_ ? collective_->rank() : 0; }
  int ranks() const { return collective_ ? collective_->size() : 1; }

 private:
  // Where the run is, between steps, and what its epoch in progress summed.
  struct Progress {
    uint64_t step = 0;   // steps done
    uint32_t epoch = 1;  // the epoch the next step belongs to
    int64_t batch = 0;   // that epoch's batches done
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t seen = 0;
    double train_seconds = 0.0;
    double run_seconds = 0.0;  // wall time of the run before the current run() call

    void next_epoch() { *this = Progress{step, epoch + 1, 0, 0.0, 0, 0, 0.0, run_seconds}; }
  };

  using Clock = std::chrono::steady_clock;
  // run()'s wall-clock bookkeeping in an epoch; none of it changes training.
  struct StepTiming {
    Clock::time_point loop_start;    // training time since then is not yet in train_seconds
    Clock::time_point window_start;  // the next step report's samples_per_second ...
    int64_t window_samples = 0;      // ... over the samples since then
  };

  struct TrainInstance {
    RowSlice rows;                       // this rank's rows of the global batch
    std::unique_ptr<Pipeline> pipeline;  // null when they are none
    std::unique_ptr<Loss> loss;
    std::vector<ChannelMaxima> dead_unit_probes;  // one per layer that can die
  };

  Trainer(v1::TrainingSpec spec, DataSplits data);
  TrainInstance& instance_for(int64_t batch);
  // The collective batch norms sum their statistics through
  // (distributed.sync_batch_norm), else null.
  Collective* synced_statistics() const;
  bool report_due(uint32_t every, uint64_t step, bool last_of_epoch) const;
  v1::GradientReport report_gradients(TrainingObserver& observer, uint64_t step, uint32_t epoch);
  v1::ActivationReport report_activations(TrainingObserver& observer, const Pipeline& pipeline,
                                          uint64_t step, uint32_t epoch);
  // Diagnostics on every step: dead ReLU units (each channel's maximum).
  void observe_dead_units(TrainInstance& instance);
  // Diagnostics on diagnostics_every steps without a full report of the kind.
  void diagnose_gradients(TrainingObserver& observer, uint64_t step, uint32_t epoch);
  void diagnose_activations(TrainingObserver& observer, const Pipeline& pipeline, uint64_t step,
                            uint32_t epoch);
  // `pipeline` may be null (a rank without rows in the step).
  v1::DoneReport fail_non_finite(TrainingObserver& observer, const Pipeline* pipeline, double loss,
                                 uint64_t step);
  // One step on the epoch's next batch, its reports and diagnostics; a done
  // report when the run must end (a non-finite loss, a collective failure).
  // `flags`: this rank's run flags, for the data-parallel step's allreduce.
  std::optional<v1::DoneReport> train_step(TrainingObserver& observer, const BatchView& view,
                                           StepTiming& timing, const RunFlags& flags);
  // trainer_data_parallel.cpp: spec.distributed.workers against the collective.
  static Status check_collective(const v1::TrainingSpec& spec, const Collective* collective);
  // The flags as this rank sees them now; ...
  RunFlags local_flags(const RunControl& control, Clock::time_point next_checkpoint,
                       bool by_time) const;
  // ... the flags a run acts on before a step: its own, or the ones the
  // ranks agreed in the last allreduce (agree_flags before a run's first step).
  Status agree_flags(const RunFlags& local);
  // The forward and backward part of a step on this rank's rows, then (data
  // parallel) the step's allreduce: the step's figures over every rank.
  Result<StepFigures> compute_step(TrainInstance& instance, const BatchView& view,
                                   const RunFlags& flags, double& loss);
  v1::DoneReport fail_collective(const Status& status) const;
  void add_allreduce_figures(v1::StepReport& report);
  // Ends the epoch: diagnostics, evaluation, the epoch report (its test
  // accuracy also into `done`). Returns the epoch's training loss.
  float end_epoch(TrainingObserver& observer, v1::DoneReport& done, const StepTiming& timing);
  static void send_warnings(TrainingObserver& observer, const std::vector<v1::Warning>& warnings);
  // checkpoint() with the run's wall time so far.
  v1::TrainingCheckpoint make_checkpoint(double run_seconds) const;
  // resume_from's checks, in its order; nothing changes.
  Status check_checkpoint(const v1::TrainingCheckpoint& checkpoint) const;
  Status check_position(const v1::TrainingCheckpoint& checkpoint) const;
  Status check_pipelines(const v1::TrainingCheckpoint& checkpoint) const;
  Status check_diagnostics(const v1::TrainingCheckpoint& checkpoint) const;

  v1::TrainingSpec spec_;
  DataSplits data_;
  std::shared_ptr<Collective> collective_;    // null: one process
  std::unique_ptr<StepReduction> reduction_;  // with collective_
  RunFlags agreed_;                           // with collective_: the last allreduce's flags
  bool reports_ = true;                       // rank 0 (or one process) sends reports
  dnnl::engine eng_;
  dnnl::stream stream_;
  std::unique_ptr<Model> model_;
  std::vector<Parameter*> parameters_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<Evaluator> evaluator_;
  std::map<int64_t, TrainInstance> instances_;       // full batch and the last partial one
  std::vector<std::vector<float>> previous_values_;  // for update ratios on report steps
  std::unique_ptr<Diagnostics> diagnostics_;         // null with reporting.no_diagnostics
  bool prefetch_thread_ = false;
  int64_t batch_size_ = 0;         // the full batch (the spec's, at most the training set)
  int64_t batches_per_epoch_ = 0;  // the last one partial when batch_size_ does not divide it
  Progress progress_;
};

}  // namespace gradstream::engine

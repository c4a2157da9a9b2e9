// Trainer: runs one training spec to completion, failure or cancellation on the
// calling thread, with exactly the spec's thread budget, reporting through a
// TrainingObserver. Same spec + seed + threads on the same oneDNN ISA gives the
// same losses, bit for bit.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/data/data_loader.hpp"
#include "engine/losses/loss.hpp"
#include "engine/model/model.hpp"
#include "engine/model/pipeline.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/train/channel_maxima.hpp"
#include "engine/train/diagnostics.hpp"
#include "engine/train/evaluator.hpp"
#include "engine/train/training_observer.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class Trainer {
 public:
  // Checks the spec against the data, builds the model, its training pipelines
  // and the optimizer. The spec must have passed validate_spec. Call create and
  // run on the same thread: the OpenMP thread budget is set per thread.
  static Result<std::unique_ptr<Trainer>> create(const v1::TrainingSpec& spec, DataSplits data);
  ~Trainer();

  // Trains every epoch. Cancellation is checked between steps. The returned
  // report is also passed to observer.on_done.
  v1::DoneReport run(TrainingObserver& observer, const std::atomic<bool>& cancel);

  Model& model() { return *model_; }
  const v1::TrainingSpec& spec() const { return spec_; }
  // Whether batches are gathered on a thread of their own (only with a spare core).
  bool prefetch_thread() const { return prefetch_thread_; }

 private:
  struct TrainInstance {
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<Loss> loss;
    std::vector<ChannelMaxima> dead_unit_probes;  // one per layer that can die
  };

  Trainer(v1::TrainingSpec spec, DataSplits data);
  TrainInstance& instance_for(int64_t batch);
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
  v1::DoneReport fail_non_finite(TrainingObserver& observer, const Pipeline& pipeline, double loss,
                                 uint64_t step);

  v1::TrainingSpec spec_;
  DataSplits data_;
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
};

}  // namespace gradstream::engine

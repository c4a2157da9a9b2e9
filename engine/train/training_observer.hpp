// TrainingObserver: how a training run reports. The trainer calls these on its
// own thread, in order; an observer that is slow slows training, so observers
// that ship reports elsewhere (the server's event log) only copy and return.
#pragma once

#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/report.pb.h"

namespace gradstream::engine {

class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_step(const v1::StepReport& /*report*/) {}
  virtual void on_epoch(const v1::EpochReport& /*report*/) {}
  virtual void on_gradients(const v1::GradientReport& /*report*/) {}
  virtual void on_activations(const v1::ActivationReport& /*report*/) {}
  virtual void on_warning(const v1::Warning& /*warning*/) {}
  virtual void on_done(const v1::DoneReport& /*report*/) {}
  // A checkpoint, between steps, when RunControl asked for one (by time or on
  // interrupt): copy it (or serialize it) and return; it is not kept.
  virtual void on_checkpoint(const v1::TrainingCheckpoint& /*checkpoint*/) {}
};

}  // namespace gradstream::engine

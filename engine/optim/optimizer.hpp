// The optimizer interface (with the slots every optimizer keeps per parameter,
// and their checkpoint state) and the factory that builds one from an
// OptimizerSpec. Each optimizer lives in its own file pair (sgd_, adam_,
// rmsprop_optimizer); the factory in optimizer.cpp validates the spec and picks
// the class from one table.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/core/parameter.hpp"
#include "gradstream/v1/checkpoint.pb.h"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter in place from its grad. The learning rate comes from
  // the caller (LrSchedule) so schedules stay out of the optimizers. Large
  // parameters are split across the calling thread's OpenMP team, which the
  // trainer sized to the job's thread budget (see parallel.hpp). Element-wise,
  // so the result does not depend on the split, and it runs on the parameters'
  // stored floats in whatever layout they have: padding of a blocked layout
  // has value 0 and gradient 0 and stays 0 under every rule here (decay
  // scales it, moments of a 0 gradient stay 0). Never allocates.
  void step(float learning_rate) {
    ++steps_;
    update(learning_rate);
  }
  // Updates made so far (step() calls, and those of a restored state).
  uint64_t steps() const { return steps_; }

  // Checkpoints: everything the next step depends on (the update count and
  // every slot, row-major per parameter whatever its layout). Allocates; call
  // between steps.
  v1::OptimizerState state() const;
  // OK when `state` fits this optimizer (kind, slot names, parameter names,
  // shapes and value counts), else invalid_argument naming the first field
  // that does not, as "optimizer.slots[1].tensors[0]: ...".
  Status check_state(const v1::OptimizerState& state) const;
  // Restores a state check_state accepted.
  void restore_state(const v1::OptimizerState& state);

 protected:
  // `kind` is OptimizerSpec's oneof field name ("adam"); `params` are borrowed.
  Optimizer(std::string kind, std::vector<Parameter*> params);
  // One buffer per parameter, laid out like its stored value and zeroed, kept
  // under `name` in checkpoints. Call from the constructor; the reference
  // stays valid for the optimizer's life.
  std::vector<std::vector<float>>& add_slot(std::string name);

  std::vector<Parameter*> params_;

 private:
  // One step on every parameter; steps() already counts it.
  virtual void update(float learning_rate) = 0;

  struct Slot {
    std::string name;
    std::vector<std::vector<float>> buffers;  // one per parameter
  };
  std::string kind_;
  std::deque<Slot> slots_;  // a deque: add_slot's references stay valid
  uint64_t steps_ = 0;
};

// Validates the optimizer fields of `spec` and builds the optimizer it names; an
// unset oneof means Adam with its defaults. The parameters are borrowed: they must
// outlive the optimizer. Out-of-range values give invalid_argument naming the field,
// e.g. "optimizer.adam.beta1: 1.5 is out of range [0, 1)".
// The learning rates PyTorch and Keras users expect for each optimizer.
inline constexpr float kDefaultAdamLearningRate = 0.001f;  // Adam and AdamW
inline constexpr float kDefaultSgdLearningRate = 0.01f;
inline constexpr float kDefaultRmspropLearningRate = 0.01f;

// The learning rate used when optimizer.learning_rate is 0; an unset kind is Adam.
float default_learning_rate(v1::OptimizerSpec::KindCase kind);

Result<std::unique_ptr<Optimizer>> make_optimizer(const v1::OptimizerSpec& spec,
                                                  std::vector<Parameter*> params);

}  // namespace gradstream::engine

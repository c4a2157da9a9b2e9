// The Optimizer base (slots and their checkpoint state), the optimizer registry
// (one line per OptimizerKind, each defined in its optimizer's file pair) and
// the factory: validate_optimizer first, then the kind's builder.
#include "engine/optim/optimizer.hpp"

#include <array>
#include <string>
#include <utility>

#include "engine/core/tensor_message.hpp"
#include "engine/optim/adam_optimizer.hpp"
#include "engine/optim/optimizer_kind.hpp"
#include "engine/optim/optimizer_validator.hpp"
#include "engine/optim/rmsprop_optimizer.hpp"
#include "engine/optim/sgd_optimizer.hpp"

namespace gradstream::engine {

namespace {

// One line per optimizer, in the oneof's order.
// clang-format off
const std::array kKinds = {
    &sgd_optimizer_kind(),
    &adam_optimizer_kind(),
    &adamw_optimizer_kind(),
    &rmsprop_optimizer_kind(),
};
// clang-format on

}  // namespace

Optimizer::Optimizer(std::string kind, std::vector<Parameter*> params)
    : params_(std::move(params)), kind_(std::move(kind)) {}

std::vector<std::vector<float>>& Optimizer::add_slot(std::string name) {
  Slot& slot = slots_.emplace_back(Slot{std::move(name), {}});
  slot.buffers.reserve(params_.size());
  for (const Parameter* p : params_) slot.buffers.emplace_back(static_cast<size_t>(p->stored()));
  return slot.buffers;
}

v1::OptimizerState Optimizer::state() const {
  v1::OptimizerState state;
  state.set_kind(kind_);
  state.set_steps(steps_);
  for (const Slot& slot : slots_) {
    v1::OptimizerSlot* out = state.add_slots();
    out->set_name(slot.name);
    for (size_t i = 0; i < params_.size(); ++i) {
      write_tensor_message(*params_[i], slot.buffers[i].data(), out->add_tensors());
    }
  }
  return state;
}

Status Optimizer::check_state(const v1::OptimizerState& state) const {
  if (state.kind() != kind_) {
    return invalid_argument("optimizer.kind: \"" + state.kind() + "\", this trainer's is \"" +
                            kind_ + "\"");
  }
  if (state.slots_size() != static_cast<int>(slots_.size())) {
    return invalid_argument("optimizer.slots: " + std::to_string(state.slots_size()) + " slots, " +
                            kind_ + " here keeps " + std::to_string(slots_.size()));
  }
  for (size_t s = 0; s < slots_.size(); ++s) {
    const v1::OptimizerSlot& slot = state.slots(static_cast<int>(s));
    const std::string path = "optimizer.slots[" + std::to_string(s) + "]";
    if (slot.name() != slots_[s].name) {
      return invalid_argument(path + ".name: \"" + slot.name() + "\", expected \"" +
                              slots_[s].name + "\"");
    }
    if (slot.tensors_size() != static_cast<int>(params_.size())) {
      return invalid_argument(path + ".tensors: " + std::to_string(slot.tensors_size()) +
                              " tensors, the model trains " + std::to_string(params_.size()) +
                              " parameters");
    }
    for (size_t i = 0; i < params_.size(); ++i) {
      const v1::Tensor& tensor = slot.tensors(static_cast<int>(i));
      std::optional<std::string> mismatch =
          tensor_identity_mismatch(tensor, *params_[i], "tensors[" + std::to_string(i) + "]");
      if (!mismatch) mismatch = tensor_size_mismatch(tensor, *params_[i]);
      if (mismatch) return invalid_argument(path + ": " + *mismatch);
    }
  }
  return ok_status();
}

void Optimizer::restore_state(const v1::OptimizerState& state) {
  steps_ = state.steps();
  for (size_t s = 0; s < slots_.size(); ++s) {
    const v1::OptimizerSlot& slot = state.slots(static_cast<int>(s));
    for (size_t i = 0; i < params_.size(); ++i) {
      params_[i]->write_like_value(slot.tensors(static_cast<int>(i)).values().data(),
                                   slots_[s].buffers[i].data());
    }
  }
}

const OptimizerKind* find_optimizer_kind(v1::OptimizerSpec::KindCase kind) {
  if (kind == v1::OptimizerSpec::KIND_NOT_SET) return &adam_optimizer_kind();
  for (const OptimizerKind* entry : kKinds) {
    if (entry->kind == kind) return entry;
  }
  return nullptr;
}

float default_learning_rate(v1::OptimizerSpec::KindCase kind) {
  const OptimizerKind* entry = find_optimizer_kind(kind);
  // A kind this build does not know is rejected by validation.
  return entry != nullptr ? entry->default_learning_rate : kDefaultAdamLearningRate;
}

Result<std::unique_ptr<Optimizer>> make_optimizer(const v1::OptimizerSpec& spec,
                                                  std::vector<Parameter*> params) {
  if (Status s = validate_optimizer(spec); !s.ok()) return s;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i] == nullptr) {
      return invalid_argument("optimizer parameter " + std::to_string(i) + " is null");
    }
  }
  const OptimizerKind* entry = find_optimizer_kind(spec.kind_case());
  if (entry == nullptr) {
    return invalid_argument("optimizer.kind: unknown optimizer (oneof case " +
                            std::to_string(static_cast<int>(spec.kind_case())) + ")");
  }
  return entry->build(spec, std::move(params));
}

}  // namespace gradstream::engine

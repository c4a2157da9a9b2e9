// The optimizer registry (one line per OptimizerKind, each defined in its
// optimizer's file pair) and the factory: validate_optimizer first, then the
// kind's builder.
#include "engine/optim/optimizer.hpp"

#include <array>
#include <string>
#include <utility>

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

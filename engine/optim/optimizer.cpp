// The optimizer factory: validate_optimizer (optimizer_validator, the one owner of
// the field checks) first, then one table from the spec's oneof case to a builder
// that reads that kind's fields, filling defaults for unset optional ones, and
// constructs its class. Adding an optimizer adds one builder and one table row
// here, its checks in optimizer_validator, and its own file pair.
#include "engine/optim/optimizer.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "engine/optim/adam_optimizer.hpp"
#include "engine/optim/rmsprop_optimizer.hpp"
#include "engine/optim/sgd_optimizer.hpp"
#include "engine/optim/optimizer_validator.hpp"

namespace gradstream::engine {

namespace {

constexpr std::string_view kPathPrefix = "optimizer.";

using Built = Result<std::unique_ptr<Optimizer>>;

Built build_sgd(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  const v1::SgdSpec& sgd = spec.sgd();
  SgdOptions options;
  options.momentum = sgd.momentum();
  options.nesterov = sgd.nesterov();
  options.weight_decay = spec.weight_decay();
  return std::unique_ptr<Optimizer>(std::make_unique<SgdOptimizer>(options, std::move(params)));
}

// Adam and AdamW read the same AdamSpec from different oneof members.
Built build_adam_from(const v1::AdamSpec& adam, bool decoupled, float weight_decay,
                      std::vector<Parameter*> params) {
  AdamOptions options;
  if (adam.has_beta1()) options.beta1 = adam.beta1();
  if (adam.has_beta2()) options.beta2 = adam.beta2();
  if (adam.has_epsilon()) options.epsilon = adam.epsilon();
  options.weight_decay = weight_decay;
  options.decoupled = decoupled;
  return std::unique_ptr<Optimizer>(std::make_unique<AdamOptimizer>(options, std::move(params)));
}

Built build_adam(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  // spec.adam() is the default instance when the oneof is unset: all defaults.
  return build_adam_from(spec.adam(), false, spec.weight_decay(), std::move(params));
}

Built build_adamw(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  return build_adam_from(spec.adamw(), true, spec.weight_decay(), std::move(params));
}

Built build_rmsprop(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  const v1::RmspropSpec& rms = spec.rmsprop();
  RmspropOptions options;
  if (rms.has_rho()) options.rho = rms.rho();
  if (rms.has_epsilon()) options.epsilon = rms.epsilon();
  options.momentum = rms.momentum();
  options.weight_decay = spec.weight_decay();
  return std::unique_ptr<Optimizer>(std::make_unique<RmspropOptimizer>(options, std::move(params)));
}

struct OptimizerEntry {
  v1::OptimizerSpec::KindCase kind;
  Built (*build)(const v1::OptimizerSpec&, std::vector<Parameter*>);
  float default_learning_rate;
};

// One row per optimizer, kept one per line.
// clang-format off
constexpr OptimizerEntry kOptimizers[] = {
    {v1::OptimizerSpec::KIND_NOT_SET, build_adam,    kDefaultAdamLearningRate},  // the default
    {v1::OptimizerSpec::kSgd,         build_sgd,     kDefaultSgdLearningRate},
    {v1::OptimizerSpec::kAdam,        build_adam,    kDefaultAdamLearningRate},
    {v1::OptimizerSpec::kAdamw,       build_adamw,   kDefaultAdamLearningRate},
    {v1::OptimizerSpec::kRmsprop,     build_rmsprop, kDefaultRmspropLearningRate},
};
// clang-format on

}  // namespace

float default_learning_rate(v1::OptimizerSpec::KindCase kind) {
  for (const OptimizerEntry& entry : kOptimizers) {
    if (entry.kind == kind) return entry.default_learning_rate;
  }
  return kDefaultAdamLearningRate;  // a kind this build does not know: rejected by validation
}

Result<std::unique_ptr<Optimizer>> make_optimizer(const v1::OptimizerSpec& spec,
                                                  std::vector<Parameter*> params) {
  if (Status s = validate_optimizer(spec); !s.ok()) return s;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i] == nullptr) {
      return invalid_argument("optimizer parameter " + std::to_string(i) + " is null");
    }
  }
  for (const OptimizerEntry& entry : kOptimizers) {
    if (entry.kind == spec.kind_case()) return entry.build(spec, std::move(params));
  }
  return invalid_argument(std::string(kPathPrefix) + "kind: unknown optimizer (oneof case " +
                          std::to_string(static_cast<int>(spec.kind_case())) + ")");
}

}  // namespace gradstream::engine

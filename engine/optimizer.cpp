// The optimizer factory: one table from the spec's oneof case to a builder that
// checks that kind's fields and constructs its class. Adding an optimizer adds
// one builder and one table row here, and its own file pair.
#include "engine/optimizer.hpp"

#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "engine/adam_optimizer.hpp"
#include "engine/rmsprop_optimizer.hpp"
#include "engine/sgd_optimizer.hpp"

namespace gradstream::engine {

namespace {

// An interval with each end open or closed, printed the way messages show it.
struct Range {
  float lo;
  float hi;
  bool lo_open;
  bool hi_open;
};

// Decay factors and momenta: 1 would never forget, so it is excluded.
constexpr Range kFactorRange{0.0f, 1.0f, false, true};  // [0, 1)
// Epsilon guards a division, so it must be positive.
constexpr Range kEpsilonRange{0.0f, 1.0f, true, false};      // (0, 1]
constexpr Range kWeightDecayRange{0.0f, 1.0f, false, true};  // [0, 1)

constexpr std::string_view kPathPrefix = "optimizer.";

bool contains(const Range& r, float x) {
  // Written so NaN fails both comparisons and is rejected.
  const bool above_lo = r.lo_open ? x > r.lo : x >= r.lo;
  const bool below_hi = r.hi_open ? x < r.hi : x <= r.hi;
  return above_lo && below_hi;
}

// "optimizer.adam.beta1: 1.5 is out of range [0, 1)", or OK.
Status check_range(std::string_view field, float x, const Range& r) {
  if (contains(r, x)) return ok_status();
  std::ostringstream msg;
  msg << kPathPrefix << field << ": " << x << " is out of range " << (r.lo_open ? '(' : '[') << r.lo
      << ", " << r.hi << (r.hi_open ? ')' : ']');
  return invalid_argument(msg.str());
}

// Returns the first failing Status among the checks, or OK.
Status first_error(std::initializer_list<Status> checks) {
  for (const Status& s : checks) {
    if (!s.ok()) return s;
  }
  return ok_status();
}

using Built = Result<std::unique_ptr<Optimizer>>;

Built build_sgd(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  const v1::SgdSpec& sgd = spec.sgd();
  if (Status s = check_range("sgd.momentum", sgd.momentum(), kFactorRange); !s.ok()) return s;
  // PyTorch rejects this too: Nesterov without momentum is silently plain SGD.
  if (sgd.nesterov() && sgd.momentum() <= 0.0f) {
    return invalid_argument(std::string(kPathPrefix) + "sgd.nesterov: requires momentum > 0");
  }
  SgdOptions options;
  options.momentum = sgd.momentum();
  options.nesterov = sgd.nesterov();
  options.weight_decay = spec.weight_decay();
  return std::unique_ptr<Optimizer>(std::make_unique<SgdOptimizer>(options, std::move(params)));
}

// Adam and AdamW read the same AdamSpec from different oneof members; the field
// path in messages names the member the user wrote.
Built build_adam_from(const v1::AdamSpec& adam, std::string_view kind, bool decoupled,
                      float weight_decay, std::vector<Parameter*> params) {
  AdamOptions options;
  if (adam.has_beta1()) options.beta1 = adam.beta1();
  if (adam.has_beta2()) options.beta2 = adam.beta2();
  if (adam.has_epsilon()) options.epsilon = adam.epsilon();
  const std::string k(kind);
  if (Status s = first_error({check_range(k + ".beta1", options.beta1, kFactorRange),
                              check_range(k + ".beta2", options.beta2, kFactorRange),
                              check_range(k + ".epsilon", options.epsilon, kEpsilonRange)});
      !s.ok()) {
    return s;
  }
  options.weight_decay = weight_decay;
  options.decoupled = decoupled;
  return std::unique_ptr<Optimizer>(std::make_unique<AdamOptimizer>(options, std::move(params)));
}

Built build_adam(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  // spec.adam() is the default instance when the oneof is unset: all defaults.
  return build_adam_from(spec.adam(), "adam", false, spec.weight_decay(), std::move(params));
}

Built build_adamw(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  return build_adam_from(spec.adamw(), "adamw", true, spec.weight_decay(), std::move(params));
}

Built build_rmsprop(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  const v1::RmspropSpec& rms = spec.rmsprop();
  RmspropOptions options;
  if (rms.has_rho()) options.rho = rms.rho();
  if (rms.has_epsilon()) options.epsilon = rms.epsilon();
  options.momentum = rms.momentum();
  if (Status s = first_error({check_range("rmsprop.rho", options.rho, kFactorRange),
                              check_range("rmsprop.epsilon", options.epsilon, kEpsilonRange),
                              check_range("rmsprop.momentum", options.momentum, kFactorRange)});
      !s.ok()) {
    return s;
  }
  options.weight_decay = spec.weight_decay();
  return std::unique_ptr<Optimizer>(std::make_unique<RmspropOptimizer>(options, std::move(params)));
}

struct OptimizerEntry {
  v1::OptimizerSpec::KindCase kind;
  Built (*build)(const v1::OptimizerSpec&, std::vector<Parameter*>);
};

// One row per optimizer, kept one per line.
// clang-format off
constexpr OptimizerEntry kOptimizers[] = {
    {v1::OptimizerSpec::KIND_NOT_SET, build_adam},  // the documented default
    {v1::OptimizerSpec::kSgd,         build_sgd},
    {v1::OptimizerSpec::kAdam,        build_adam},
    {v1::OptimizerSpec::kAdamw,       build_adamw},
    {v1::OptimizerSpec::kRmsprop,     build_rmsprop},
};
// clang-format on

}  // namespace

Result<std::unique_ptr<Optimizer>> make_optimizer(const v1::OptimizerSpec& spec,
                                                  std::vector<Parameter*> params) {
  if (Status s = check_range("weight_decay", spec.weight_decay(), kWeightDecayRange); !s.ok()) {
    return s;
  }
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

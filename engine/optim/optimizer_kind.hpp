// OptimizerKind: everything the engine knows about one kind of optimizer in
// OptimizerSpec's oneof, in one place: its checks, its defaults and how to
// build it. Each optimizer's file pair defines its entry; optimizer.cpp lists
// them in one table, so adding an optimizer is its file pair plus one line.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "engine/base/field_checks.hpp"
#include "engine/base/status.hpp"
#include "engine/core/parameter.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

class Optimizer;

// Decay factors and momenta: 1 would never forget, so it is excluded.
inline constexpr Range kFactorRange{0.0f, 1.0f, false, true};  // [0, 1)
// Epsilon guards a division, so it must be positive.
inline constexpr Range kEpsilonRange{0.0f, 1.0f, true, false};  // (0, 1]

struct OptimizerKind {
  v1::OptimizerSpec::KindCase kind;
  float default_learning_rate;
  // Checks the kind's own fields; errors name "optimizer.<kind>.<field>".
  Status (*validate)(const v1::OptimizerSpec& spec);
  // Makes its unset optional fields explicit (with_defaults).
  void (*fill_defaults)(v1::OptimizerSpec& spec);
  // Builds it over `params` from a validated spec (unset fields: defaults).
  std::unique_ptr<Optimizer> (*build)(const v1::OptimizerSpec& spec,
                                      std::vector<Parameter*> params);
};

// The entry for `kind`; KIND_NOT_SET is Adam, the default. nullptr for a kind
// this build does not know.
const OptimizerKind* find_optimizer_kind(v1::OptimizerSpec::KindCase kind);

}  // namespace gradstream::engine

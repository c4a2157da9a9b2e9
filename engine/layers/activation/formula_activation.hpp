// Activations written as formulas (ActivationSpec.expression): checking the
// spec's fields, compiling the formula with its constants and learnable
// parameters, and the names a formula goes by in reports and layer names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/formula/formula.hpp"
#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {

inline constexpr int kMaxFormulaConstants = 16;
inline constexpr int kMaxFormulaParameters = 16;
inline constexpr size_t kMaxFormulaNameLength = 32;
// A formula without a name is shown as its text, spaces removed, up to this
// long ("x*sigmoid(x)"); a longer one as "formula".
inline constexpr size_t kMaxShownFormulaLength = 48;

bool is_formula(const v1::ActivationSpec& spec);

// Checks name, constants, parameters and the expression (which must compile
// and be finite on the probe grid); `path` prefixes messages, e.g.
// "model.layers[1].activation.expression: unknown function 'coss' at column 14".
Status validate_formula_activation(const v1::ActivationSpec& spec, const std::string& path);

// The learnable parameters' names and initial values, in name order (the
// order of the layer's parameters and of the formula's inputs 1, 2, ...).
std::vector<std::pair<std::string, float>> formula_parameters(const v1::ActivationSpec& spec);

// The compiled formula of a validated spec.
Result<std::shared_ptr<const formula::Formula>> compile_formula_activation(
    const v1::ActivationSpec& spec);

// What reports call it: its name, else its text when short, else "formula".
std::string formula_display_name(const v1::ActivationSpec& spec);
// What layer names are made of: its name, else "formula".
std::string formula_name_stem(const v1::ActivationSpec& spec);

}  // namespace gradstream::engine

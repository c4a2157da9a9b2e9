// Formula activations: spec checks, compiling, names.
#include "engine/layers/activation/formula_activation.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

namespace {

bool is_report_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxFormulaNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

formula::FormulaNames names_of(const v1::ActivationSpec& spec) {
  formula::FormulaNames names;
  for (const auto& [name, value] : spec.constants()) names.constants.emplace_back(name, value);
  for (const auto& [name, value] : formula_parameters(spec)) names.parameters.push_back(name);
  return names;
}

std::vector<float> initial_values(const v1::ActivationSpec& spec) {
  std::vector<float> values;
  for (const auto& [name, value] : formula_parameters(spec)) values.push_back(value);
  return values;
}

// Shown in messages: a name as the user wrote it, cut short if it is long.
std::string quoted(const std::string& name) {
  constexpr size_t kShown = 40;
  return "'" + (name.size() > kShown ? name.substr(0, kShown) + "..." : name) + "'";
}

// One map of declared names (field "constants" or "parameters"): its size,
// each name usable and each value finite.
template <class Map>
Status check_declared(const Map& declared, const std::string& field, int max) {
  if (static_cast<int>(declared.size()) > max) {
    return invalid_argument(field + ": " + std::to_string(declared.size()) + " given, at most " +
                            std::to_string(max));
  }
  for (const auto& [name, value] : declared) {
    if (!formula::is_free_name(name)) {
      return invalid_argument(field + ": " + quoted(name) +
                              " is not a usable name (letters, digits and '_', not starting "
                              "with a digit, at most 32, not x, pi or a function)");
    }
    if (!std::isfinite(value)) {
      return invalid_argument(field + "." + name + ": " + std::to_string(value) +
                              " is not finite");
    }
  }
  return ok_status();
}

Status check_declared_names(const v1::ActivationSpec& spec, const std::string& path) {
  if (Status s = check_declared(spec.constants(), path + ".constants", kMaxFormulaConstants);
      !s.ok()) {
    return s;
  }
  if (Status s = check_declared(spec.parameters(), path + ".parameters", kMaxFormulaParameters);
      !s.ok()) {
    return s;
  }
  for (const auto& [name, value] : spec.constants()) {
    if (spec.parameters().contains(name)) {
      return invalid_argument(path + ".constants." + name +
                              ": declared as a constant and as a parameter");
    }
  }
  return ok_status();
}

std::string compact(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

}  // namespace

bool is_formula(const v1::ActivationSpec& spec) { return !spec.expression().empty(); }

std::vector<std::pair<std::string, float>> formula_parameters(const v1::ActivationSpec& spec) {
  std::vector<std::pair<std::string, float>> out(spec.parameters().begin(),
                                                 spec.parameters().end());
  std::sort(out.begin(), out.end());
  return out;
}

Status validate_formula_activation(const v1::ActivationSpec& spec, const std::string& path) {
  if (spec.has_alpha() || spec.has_beta()) {
    return invalid_argument(path + (spec.has_alpha() ? ".alpha" : ".beta") +
                            ": a formula takes no alpha or beta; declare constants or "
                            "parameters and use them in the expression");
  }
  if (!spec.name().empty()) {
    if (!is_report_name(spec.name())) {
      return invalid_argument(path + ".name: " + quoted(spec.name()) +
                              " must be letters, digits, '_', '-' or '.', at most " +
                              std::to_string(kMaxFormulaNameLength));
    }
    if (find_activation(spec.name()) != nullptr) {
      return invalid_argument(path + ".name: '" + spec.name() +
                              "' is a catalog activation; name the formula otherwise");
    }
  }
  if (Status s = check_declared_names(spec, path); !s.ok()) return s;
  Result<std::shared_ptr<const formula::Formula>> compiled = compile_formula_activation(spec);
  if (!compiled.ok()) return invalid_argument(path + ".expression: " + compiled.status().message());
  const formula::Formula& f = **compiled;
  const std::vector<std::pair<std::string, float>> params = formula_parameters(spec);
  for (size_t k = 0; k < params.size(); ++k) {
    if (!f.graph().depends_on(f.value(), static_cast<int32_t>(k + 1))) {
      return invalid_argument(path + ".parameters." + params[k].first +
                              ": not used in the expression (it would never learn)");
    }
  }
  return ok_status();
}

Result<std::shared_ptr<const formula::Formula>> compile_formula_activation(
    const v1::ActivationSpec& spec) {
  return formula::Formula::compile(spec.expression(), names_of(spec), initial_values(spec));
}

std::string formula_display_name(const v1::ActivationSpec& spec) {
  if (!spec.name().empty()) return spec.name();
  std::string text = compact(spec.expression());
  return text.size() <= kMaxShownFormulaLength ? text : "formula";
}

std::string formula_name_stem(const v1::ActivationSpec& spec) {
  return spec.name().empty() ? "formula" : spec.name();
}

}  // namespace gradstream::engine

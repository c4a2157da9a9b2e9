// The formula language (README, "Activations as formulas"):
//   numbers, x, pi, named constants and learnable parameters;
//   + - * / and unary minus; a ^ c with c a constant expression;
//   exp log log1p sqrt abs sin cos tanh sigmoid relu softplus erf (one
//   argument), min max (two), clip(a, low, high), where(a < b, then, else)
//   with < <= > >= == != allowed only as where's condition.
// Parsing builds the expression graph directly; errors give the 1-based
// column where the problem starts.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/status.hpp"
#include "engine/formula/expression.hpp"

namespace gradstream::engine::formula {

// Bounds that keep a formula small enough to check and compile in microseconds.
inline constexpr size_t kMaxFormulaLength = 1024;  // characters
inline constexpr int kMaxFormulaTerms = 256;       // numbers, names, operators and calls
inline constexpr int kMaxFormulaDepth = 32;        // nested parentheses, calls and operators
inline constexpr size_t kMaxNameLength = 32;

// What the names in a formula mean besides x and pi.
struct FormulaNames {
  std::vector<std::pair<std::string, double>> constants;
  // Learnable parameters, in order: parameter i is input i + 1 (x is input 0).
  std::vector<std::string> parameters;
};

// The root node of `text` in `graph`, or invalid_argument with a message such
// as "unknown function 'coss' at column 14" (callers prefix the field path).
Result<NodeId> parse_formula(std::string_view text, const FormulaNames& names, Expression& graph);

// Whether `name` may name a constant or parameter: an identifier of at most
// kMaxNameLength characters that is not x, pi or a function.
bool is_free_name(std::string_view name);

}  // namespace gradstream::engine::formula

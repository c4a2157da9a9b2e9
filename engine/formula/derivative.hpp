// Symbolic differentiation on the expression graph. The derivative is built
// with Expression::make, so it is simplified and shares nodes with the
// function (tanh' reuses tanh(u), sigmoid' reuses sigmoid(u)).
//
// Where a function is not differentiable the derivative takes a fixed value
// (the README lists them): relu'(0) = 0 (as oneDNN's and PyTorch's relu),
// abs'(0) = 0, min/max split the gradient in half on a tie (as PyTorch's
// minimum/maximum), clip passes it at both bounds (as PyTorch's clamp), and
// where() passes the chosen branch's.
#pragma once

#include "engine/formula/expression.hpp"

namespace gradstream::engine::formula {

// d root / d input(variable).
NodeId differentiate(Expression& graph, NodeId root, int32_t variable);

}  // namespace gradstream::engine::formula

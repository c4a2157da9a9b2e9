// Formula: an activation written as a formula, ready to run. Compiling parses
// the text, differentiates it symbolically in x and in each learnable
// parameter, flattens the function and its derivatives into three programs,
// and checks that the function and every derivative are finite on the probe
// grid (kProbeGrid, with the parameters at their initial values), running
// the same kernels training will.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "engine/formula/expression.hpp"
#include "engine/formula/kernel.hpp"
#include "engine/formula/parser.hpp"
#include "engine/formula/program.hpp"

namespace gradstream::engine::formula {

// Where a formula must be finite: 0, tiny, moderate and large inputs of
// both signs (to +-1e4), and a fine grid over [-8, 8].
std::span<const float> probe_grid();

class Formula {
 public:
  // parameter_values: the learnable parameters' initial values, in the order
  // of names.parameters. Errors are invalid_argument messages without a field
  // path ("unknown function 'coss' at column 14", "is infinite at x = 0").
  static Result<std::shared_ptr<const Formula>> compile(std::string_view text,
                                                        const FormulaNames& names,
                                                        std::span<const float> parameter_values,
                                                        KernelIsa isa = kernel_isa_for_cpu());

  const std::string& text() const { return text_; }
  int parameter_count() const { return parameters_; }
  const Expression& graph() const { return graph_; }
  NodeId value() const { return value_; }
  // d value / d input: input 0 is x, input k the k-th parameter.
  NodeId derivative(int input) const { return derivatives_[static_cast<size_t>(input)]; }
  BlockKernel kernel() const { return kernel_; }

  // inputs x, parameters; output f.
  const Program& forward() const { return forward_; }
  // inputs x, parameters, diff_dst; outputs diff_dst * df/dx, then
  // diff_dst * df/dp for each parameter (summed by the caller's runner).
  const Program& backward() const { return backward_; }
  // inputs x, parameters; outputs df/dx, then df/dp for each parameter.
  const Program& slopes() const { return slopes_; }

 private:
  Formula() = default;
  Status check_probe_grid(std::span<const float> parameter_values, const FormulaNames& names) const;

  std::string text_;
  Expression graph_;
  int parameters_ = 0;
  NodeId value_ = -1;
  std::vector<NodeId> derivatives_;
  BlockKernel kernel_ = nullptr;
  Program forward_;
  Program backward_;
  Program slopes_;
};

}  // namespace gradstream::engine::formula

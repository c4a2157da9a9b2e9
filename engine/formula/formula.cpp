// Formula: compile and the probe-grid check.
#include "engine/formula/formula.hpp"

#include <cmath>
#include <sstream>
#include <vector>

#include "engine/formula/derivative.hpp"
#include "engine/formula/program_runner.hpp"

namespace gradstream::engine::formula {

namespace {

// Bounds the derivative's growth too: a formula within the parser's limits
// stays far below this, so only pathological nesting reaches it.
constexpr size_t kMaxInstructions = 4096;

std::vector<float> make_probe_grid() {
  std::vector<float> grid = {0.0F,    1e-6F,   -1e-6F,   1e-3F, -1e-3F, 0.1F,
                             -0.1F,   20.0F,   -20.0F,   50.0F, -50.0F, 100.0F,
                             -100.0F, 1000.0F, -1000.0F, 1e4F,  -1e4F};
  constexpr int kSteps = 128;  // [-8, 8] in steps of 1/8
  for (int i = 0; i <= kSteps; ++i) grid.push_back(-8.0F + 16.0F * static_cast<float>(i) / kSteps);
  return grid;
}

std::string describe(float v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+infinite" : "-infinite";
}

std::string number(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

std::span<const float> probe_grid() {
  static const std::vector<float> grid = make_probe_grid();
  return grid;
}

Result<std::shared_ptr<const Formula>> Formula::compile(std::string_view text,
                                                        const FormulaNames& names,
                                                        std::span<const float> parameter_values,
                                                        KernelIsa isa) {
  std::shared_ptr<Formula> f(new Formula());
  Result<NodeId> root = parse_formula(text, names, f->graph_);
  if (!root.ok()) return root.status();
  f->text_ = std::string(text);
  f->value_ = *root;
  f->parameters_ = static_cast<int>(names.parameters.size());
  const int variables = f->parameters_ + 1;
  for (int v = 0; v < variables; ++v) {
    f->derivatives_.push_back(differentiate(f->graph_, f->value_, v));
  }
  std::vector<NodeId> outputs = {f->value_};
  f->forward_ = compile_program(f->graph_, outputs, variables);
  // Backward multiplies by diff_dst (input `variables`) inside the program,
  // so it is one pass: read x and diff_dst, write diff_src.
  const NodeId diff_dst = f->graph_.input(variables);
  outputs.clear();
  for (NodeId d : f->derivatives_) outputs.push_back(f->graph_.make(Op::kMul, diff_dst, d));
  f->backward_ = compile_program(f->graph_, outputs, variables + 1);
  f->slopes_ = compile_program(f->graph_, f->derivatives_, variables);
  if (f->backward_.code.size() > kMaxInstructions) {
    return invalid_argument("its derivative takes " + std::to_string(f->backward_.code.size()) +
                            " operations, at most " + std::to_string(kMaxInstructions) +
                            " are allowed (at column 1)");
  }
  f->kernel_ = block_kernel(isa);
  if (Status s = f->check_probe_grid(parameter_values, names); !s.ok()) return s;
  return std::shared_ptr<const Formula>(std::move(f));
}

Status Formula::check_probe_grid(std::span<const float> parameter_values,
                                 const FormulaNames& names) const {
  const std::span<const float> grid = probe_grid();
  const int64_t n = static_cast<int64_t>(grid.size());
  std::vector<InputBinding> inputs(static_cast<size_t>(parameters_ + 1));
  inputs[0].values = grid.data();
  for (int k = 0; k < parameters_; ++k)
    inputs[static_cast<size_t>(k + 1)].scalar = parameter_values[k];
  const size_t outputs = static_cast<size_t>(parameters_ + 1);
  std::vector<std::vector<float>> values(outputs + 1, std::vector<float>(grid.size()));
  std::vector<float*> pointers;
  for (auto& v : values) pointers.push_back(v.data());
  ProgramRunner(forward_, kernel_, n, 1).run(n, inputs, std::span(pointers).first(1), nullptr);
  ProgramRunner(slopes_, kernel_, n, 1).run(n, inputs, std::span(pointers).subspan(1), nullptr);
  for (size_t o = 0; o <= outputs; ++o) {
    for (size_t i = 0; i < grid.size(); ++i) {
      const float v = values[o][i];
      if (std::isfinite(v)) continue;
      std::string what = o == 0 ? "is "
                         : o == 1
                             ? "has a derivative that is "
                             : "has a derivative in '" + names.parameters[o - 2] + "' that is ";
      return invalid_argument(what + describe(v) + " at x = " + number(grid[i]) +
                              " (formulas must be finite with finite derivatives on the probe "
                              "grid, which spans +-1e4)");
    }
  }
  return ok_status();
}

}  // namespace gradstream::engine::formula

// An activation written as a formula, on tensors of any rank: forward runs the
// formula's compiled program over src in one pass (read src, write dst);
// backward runs its derivative program in one pass (read src and diff_dst,
// write diff_src) and sums diff_dst * df/dp for each learnable parameter.
// The programs see only the stored floats, so a blocked layout with padding
// (where f(0) != 0 would leave non-zero padding) is first reordered to the
// plain one; an unpadded layout is used as it is.
#pragma once

#include <memory>
#include <vector>

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/formula/formula.hpp"
#include "engine/formula/program_runner.hpp"
#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

// Whether the formula layer can work in `md` as it is (no padding).
bool formula_runs_in(const dnnl::memory::desc& md);

// How much of a formula layer's input sits where its derivative is ~0.
struct DerivativeFlatness {
  float flat_outputs = 0.0F;  // share of values with |f'(x)| < kFlatDerivative
  float flat_units = 0.0F;    // share of units (channels) flat for every sample and position
};

// Below this |f'| a value passes (almost) no gradient: the same order as a
// sigmoid output within 1% of a bound (sigmoid' = 0.0099 there).
inline constexpr float kFlatDerivative = 0.01F;

class FormulaActivationLayer : public Layer {
 public:
  FormulaActivationLayer(std::string name, const Tensor& src, const ActivationInfo& info,
                         std::shared_ptr<const formula::Formula> formula,
                         std::vector<Parameter*> parameters, const LayerOptions& options,
                         const dnnl::engine& eng);

  const ActivationInfo* activation() const override { return &info_; }
  const std::string& expression() const { return formula_->text(); }
  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

  // Reads the current batch's input (diagnostics; its buffers are made on the
  // first call, none after).
  DerivativeFlatness flatness(const dnnl::stream& stream) const;

 private:
  void bind_parameters(std::vector<formula::InputBinding>& inputs) const;

  dnnl::engine eng_;
  LayoutConversion src_;  // src in the layout the programs run in
  const ActivationInfo& info_;
  std::shared_ptr<const formula::Formula> formula_;
  std::vector<Parameter*> parameters_;
  int64_t stored_ = 0;
  formula::ProgramRunner forward_;
  std::vector<formula::InputBinding> forward_inputs_;
  LayoutConversion diff_dst_;
  Tensor diff_src_;
  formula::ProgramRunner backward_;
  std::vector<formula::InputBinding> backward_inputs_;
  std::vector<float*> backward_outputs_;
  std::vector<double> sums_;
  bool backward_bound_ = false;
  // Diagnostics only, made on first use.
  mutable LayoutConversion plain_src_;
  mutable formula::ProgramRunner slopes_;
  mutable std::vector<float> slope_values_;
  mutable std::vector<formula::InputBinding> slope_inputs_;
  mutable std::vector<float*> slope_outputs_;
  mutable std::vector<double> slope_sums_;
  mutable std::vector<bool> live_units_;
};

}  // namespace gradstream::engine

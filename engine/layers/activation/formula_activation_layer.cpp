// FormulaActivationLayer: the formula's programs over the layer's tensors.
#include "engine/layers/activation/formula_activation_layer.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

namespace gradstream::engine {

namespace {

// Scratch for as many threads as a job may be given: the pipeline may be built
// before the job's thread budget is set, and runs use the team of the moment.
int team_limit() { return std::max(omp_get_max_threads(), omp_get_num_procs()); }

}  // namespace

bool formula_runs_in(const dnnl::memory::desc& md) {
  const dnnl::memory::dims dims = md.dims();
  return stored_floats(md) == element_count(Shape(dims.begin(), dims.end()));
}

FormulaActivationLayer::FormulaActivationLayer(std::string name, const Tensor& src,
                                               const ActivationInfo& info,
                                               std::shared_ptr<const formula::Formula> formula,
                                               std::vector<Parameter*> parameters,
                                               const LayerOptions& /*options*/,
                                               const dnnl::engine& eng)
    : Layer(std::move(name)),
      eng_(eng),
      info_(info),
      formula_(std::move(formula)),
      parameters_(std::move(parameters)) {
  const dnnl::memory::desc md = formula_runs_in(src.desc()) ? src.desc() : plain_desc(src.shape());
  src_ = LayoutConversion(src, md, eng);
  dst_ = Tensor::allocate(md, eng);
  stored_ = dst_.stored();
  forward_ = formula::ProgramRunner(formula_->forward(), formula_->kernel(), stored_, team_limit());
  forward_inputs_.resize(static_cast<size_t>(formula_->forward().inputs));
}

void FormulaActivationLayer::bind_parameters(std::vector<formula::InputBinding>& inputs) const {
  for (size_t k = 0; k < parameters_.size(); ++k) {
    inputs[k + 1].scalar = parameters_[k]->stored_value()[0];
  }
}

void FormulaActivationLayer::forward(const dnnl::stream& stream) {
  src_.run(stream);  // the CPU engine runs primitives synchronously
  forward_inputs_[0].values = src_.tensor().data();
  bind_parameters(forward_inputs_);
  float* const outputs[] = {dst_.data()};
  forward_.run(stored_, forward_inputs_, outputs, nullptr);
}

Tensor FormulaActivationLayer::bind_backward(const Tensor& diff_dst, bool needs_diff_src) {
  if (!needs_diff_src && parameters_.empty()) return {};
  const dnnl::memory::desc md = dst_.desc();
  diff_dst_ = LayoutConversion(diff_dst, md, eng_);
  diff_src_ = Tensor::allocate(md, eng_);
  const formula::Program& program = formula_->backward();
  backward_ = formula::ProgramRunner(program, formula_->kernel(), stored_, team_limit());
  backward_inputs_.resize(static_cast<size_t>(program.inputs));
  backward_outputs_.assign(program.outputs.size(), nullptr);  // parameters: summed
  backward_outputs_[0] = diff_src_.data();
  sums_.assign(program.outputs.size(), 0.0);
  backward_bound_ = true;
  return needs_diff_src ? diff_src_ : Tensor{};
}

void FormulaActivationLayer::backward(const dnnl::stream& stream) {
  if (!backward_bound_) return;
  diff_dst_.run(stream);
  backward_inputs_[0].values = src_.tensor().data();
  bind_parameters(backward_inputs_);
  backward_inputs_.back().values = diff_dst_.tensor().data();
  backward_outputs_[0] = diff_src_.data();
  backward_.run(stored_, backward_inputs_, backward_outputs_, sums_.data());
  for (size_t k = 0; k < parameters_.size(); ++k) {
    parameters_[k]->stored_grad()[0] = static_cast<float>(sums_[k + 1]);
  }
}

DerivativeFlatness FormulaActivationLayer::flatness(const dnnl::stream& stream) const {
  const Tensor& src = src_.tensor();
  const int64_t count = src.elements();
  if (!plain_src_.tensor()) {
    plain_src_ = LayoutConversion(src, plain_desc(src.shape()), eng_);
    slopes_ = formula::ProgramRunner(formula_->slopes(), formula_->kernel(), count, 1);
    slope_values_.resize(static_cast<size_t>(count));
    slope_inputs_.resize(static_cast<size_t>(formula_->slopes().inputs));
    slope_outputs_.assign(formula_->slopes().outputs.size(), nullptr);  // df/dp: summed
    slope_sums_.resize(slope_outputs_.size());
    live_units_.resize(static_cast<size_t>(src.channels()));
  }
  plain_src_.run(stream);
  slope_inputs_[0].values = plain_src_.tensor().data();
  bind_parameters(slope_inputs_);
  slope_outputs_[0] = slope_values_.data();
  slopes_.run(count, slope_inputs_, slope_outputs_, slope_sums_.data());

  const int64_t batch = src.batch();
  const int64_t units = src.channels();
  const int64_t positions = src.positions();
  std::vector<bool>& live = live_units_;
  std::fill(live.begin(), live.end(), false);
  int64_t flat = 0;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t u = 0; u < units; ++u) {
      const float* plane = slope_values_.data() + (n * units + u) * positions;
      for (int64_t p = 0; p < positions; ++p) {
        if (std::fabs(plane[p]) < kFlatDerivative) {
          ++flat;
        } else {
          live[static_cast<size_t>(u)] = true;
        }
      }
    }
  }
  DerivativeFlatness out;
  out.flat_outputs = count > 0 ? static_cast<float>(static_cast<double>(flat) / count) : 0.0F;
  const auto dead = std::count(live.begin(), live.end(), false);
  out.flat_units = units > 0 ? static_cast<float>(dead) / static_cast<float>(units) : 0.0F;
  return out;
}

}  // namespace gradstream::engine

// Activations in the model: one node class per primitive the catalog names
// (eltwise, prelu, softmax), and the activation layer kind.
#include "engine/layers/activation/activation_kind.hpp"

#include <algorithm>

#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/layers/activation/eltwise_activation_layer.hpp"
#include "engine/layers/activation/formula_activation.hpp"
#include "engine/layers/activation/formula_activation_layer.hpp"
#include "engine/layers/activation/prelu_layer.hpp"
#include "engine/layers/activation/softmax_layer.hpp"

namespace gradstream::engine {

namespace {

class EltwiseNode : public LayerNode {
 public:
  EltwiseNode(std::string name, Shape shape, const ActivationInfo& info, EltwiseArgs args)
      : LayerNode(std::move(name), shape, shape), info_(info), args_(args) {}

  const ActivationInfo* activation() const override { return &info_; }
  std::optional<PostOp> as_post_op(bool training) const override {
    if (!EltwiseActivationLayer::can_fuse(info_, training)) return std::nullopt;
    return PostOp{info_.forward_algorithm, args_.alpha, args_.beta};
  }
  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<EltwiseActivationLayer>(name(), src, info_, args_, options, eng);
  }

 private:
  const ActivationInfo& info_;
  EltwiseArgs args_;
};

class PreluNode : public LayerNode {
 public:
  PreluNode(std::string name, Shape shape, const ActivationInfo& info, Parameter& slope)
      : LayerNode(std::move(name), shape, shape), info_(info), slope_(slope) {}

  std::vector<Parameter*> parameters() const override { return {&slope_}; }
  const ActivationInfo* activation() const override { return &info_; }
  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<PreluLayer>(name(), src, info_, slope_, options, eng);
  }

 private:
  const ActivationInfo& info_;
  Parameter& slope_;
};

class SoftmaxNode : public LayerNode {
 public:
  SoftmaxNode(std::string name, Shape shape, const ActivationInfo& info)
      : LayerNode(std::move(name), shape, shape), info_(info) {}

  const ActivationInfo* activation() const override { return &info_; }
  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<SoftmaxLayer>(name(), src, info_, options, eng);
  }

 private:
  const ActivationInfo& info_;
};

class FormulaNode : public LayerNode {
 public:
  FormulaNode(std::string name, Shape shape, std::string shown,
              std::shared_ptr<const formula::Formula> formula, std::vector<Parameter*> parameters)
      : LayerNode(std::move(name), shape, shape),
        shown_(std::move(shown)),
        formula_(std::move(formula)),
        parameters_(std::move(parameters)),
        info_{shown_,
              ActivationPrimitive::kFormula,
              dnnl::algorithm::undef,
              dnnl::algorithm::undef,
              std::nullopt,
              0.0F,
              0.0F,
              1.0F,
              ActivationFamily::kFormula,
              "formula"} {}

  std::vector<Parameter*> parameters() const override { return parameters_; }
  const ActivationInfo* activation() const override { return &info_; }
  dnnl::memory::desc plan_layouts(const dnnl::memory::desc& src, bool /*training*/,
                                  const dnnl::engine& /*eng*/) override {
    if (formula_runs_in(src)) return src;
    const dnnl::memory::dims dims = src.dims();
    return plain_desc(Shape(dims.begin(), dims.end()));
  }
  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<FormulaActivationLayer>(name(), src, info_, formula_, parameters_,
                                                    options, eng);
  }

 private:
  std::string shown_;  // info_.name views it
  std::shared_ptr<const formula::Formula> formula_;
  std::vector<Parameter*> parameters_;
  ActivationInfo info_;
};

Status add_formula(LayerBuildContext& ctx, const v1::ActivationSpec& spec, const std::string& name,
                   const Shape& shape) {
  Result<std::shared_ptr<const formula::Formula>> compiled = compile_formula_activation(spec);
  if (!compiled.ok()) return compiled.status();
  std::vector<Parameter*> parameters;
  for (const auto& [param, initial] : formula_parameters(spec)) {
    Parameter& p = ctx.add_parameter(name, param, Shape{1}, false);
    p.write_value(&initial);
    parameters.push_back(&p);
  }
  ctx.add_node(std::make_unique<FormulaNode>(name, shape, formula_display_name(spec),
                                             std::move(*compiled), std::move(parameters)));
  return ok_status();
}

Result<Shape> validate(const LayerSpecContext& ctx) {
  if (Status s =
          validate_layer_activation(ctx.spec.activation(), ctx.path + ".activation", ctx.last);
      !s.ok()) {
    return s;
  }
  return ctx.input;
}

int64_t count_parameters(const v1::LayerSpec& spec, const Shape& input) {
  return activation_parameter_count(spec.activation(), input);
}

Status build(LayerBuildContext& ctx) {
  return add_activation(ctx, ctx.spec.activation(), ctx.name, ctx.input);
}

std::string default_name_stem(const v1::LayerSpec& spec) {
  return activation_name_stem(spec.activation());
}

}  // namespace

const LayerKind& activation_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kActivation, "activation", validate,
                              count_parameters,           build,        default_name_stem};
  return kind;
}

std::string activation_name_stem(const v1::ActivationSpec& spec) {
  return is_formula(spec) ? formula_name_stem(spec) : spec.name();
}

Status validate_layer_activation(const v1::ActivationSpec& spec, const std::string& path,
                                 bool ends_network) {
  if (is_formula(spec)) return validate_formula_activation(spec, path);
  if (spec.constants_size() > 0 || spec.parameters_size() > 0) {
    return invalid_argument(path + (spec.constants_size() > 0 ? ".constants" : ".parameters") +
                            ": only a formula (expression) takes constants or parameters");
  }
  if (Status s = validate_activation(spec, path); !s.ok()) return s;
  const ActivationInfo* info = find_activation(spec.name());
  if (info->family == ActivationFamily::kOutput && !ends_network) {
    return invalid_argument(path + ".name: " + spec.name() +
                            " is an output activation: only the last layer may use it");
  }
  return ok_status();
}

int64_t activation_parameter_count(const v1::ActivationSpec& spec, const Shape& input) {
  if (is_formula(spec)) return spec.parameters_size();  // one scalar each
  const ActivationInfo* info = find_activation(spec.name());
  if (info == nullptr || info->primitive != ActivationPrimitive::kPrelu) return 0;
  return element_count(prelu_slope_shape(input));  // one learned slope per channel
}

Status add_activation(LayerBuildContext& ctx, const v1::ActivationSpec& spec,
                      const std::string& name, const Shape& shape) {
  if (is_formula(spec)) return add_formula(ctx, spec, name, shape);
  const ActivationInfo& info = *find_activation(spec.name());
  const EltwiseArgs args = resolve_eltwise_args(info, spec);
  switch (info.primitive) {
    case ActivationPrimitive::kPrelu: {
      Parameter& slope = ctx.add_parameter(name, "slope", prelu_slope_shape(shape), false);
      const std::vector<float> initial(static_cast<size_t>(slope.size()), args.alpha);
      slope.write_value(initial.data());
      ctx.add_node(std::make_unique<PreluNode>(name, shape, info, slope));
      break;
    }
    case ActivationPrimitive::kSoftmax:
    case ActivationPrimitive::kLogSoftmax:
      ctx.add_node(std::make_unique<SoftmaxNode>(name, shape, info));
      break;
    case ActivationPrimitive::kEltwise:
      ctx.add_node(std::make_unique<EltwiseNode>(name, shape, info, args));
      break;
    case ActivationPrimitive::kFormula:
      break;  // never a catalog entry
  }
  return ok_status();
}

}  // namespace gradstream::engine

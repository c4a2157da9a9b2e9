// Activations as ONNX operators: one table for the catalog, one function for
// formulas.
#include "engine/onnx/onnx_activation.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "engine/formula/formula.hpp"
#include "engine/layers/activation/activation_catalog.hpp"
#include "engine/layers/activation/activation_kind.hpp"
#include "engine/layers/activation/formula_activation.hpp"
#include "engine/layers/activation/prelu_layer.hpp"

namespace gradstream::engine::onnx_export {

namespace {

// What a catalog entry needs: the graph, its input, oneDNN's alpha and beta
// for it (resolve_eltwise_args) and the entry (SELU's output scale).
using CatalogExporter = std::string (*)(OnnxGraph& g, const std::string& x, const EltwiseArgs& args,
                                        const ActivationInfo& info);

struct CatalogExport {
  std::string_view name;
  CatalogExporter add;
};

std::string op(OnnxGraph& g, const char* type, const std::string& x) {
  return g.add(type, {x}).output();
}

// x * sigmoid(beta * x): swish (beta = alpha in oneDNN's slot) and silu (1).
std::string swish(OnnxGraph& g, const std::string& x, const EltwiseArgs& args,
                  const ActivationInfo&) {
  const std::string scaled = g.add("Mul", {x, g.scalar(args.alpha)}).output();
  return g.add("Mul", {x, op(g, "Sigmoid", scaled)}).output();
}

// x / 2 * (1 + erf(x / sqrt(2)))
std::string gelu_erf(OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                     const ActivationInfo&) {
  const std::string scaled = g.add("Mul", {x, g.scalar(float(std::numbers::sqrt2 / 2))}).output();
  const std::string one_plus = g.add("Add", {g.scalar(1.0F), op(g, "Erf", scaled)}).output();
  const std::string half_x = g.add("Mul", {x, g.scalar(0.5F)}).output();
  return g.add("Mul", {half_x, one_plus}).output();
}

// x / 2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
std::string gelu_tanh(OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                      const ActivationInfo&) {
  constexpr float kCubic = 0.044715F;
  const float sqrt_2_over_pi = float(std::sqrt(2.0 / std::numbers::pi));
  const std::string x2 = g.add("Mul", {x, x}).output();
  const std::string poly =
      g.add("Add", {g.scalar(1.0F), g.add("Mul", {x2, g.scalar(kCubic)}).output()}).output();
  const std::string inner = g.add("Mul", {x, poly}).output();
  const std::string t = op(g, "Tanh", g.add("Mul", {inner, g.scalar(sqrt_2_over_pi)}).output());
  const std::string one_plus = g.add("Add", {g.scalar(1.0F), t}).output();
  const std::string half_x = g.add("Mul", {x, g.scalar(0.5F)}).output();
  return g.add("Mul", {half_x, one_plus}).output();
}

const std::array kCatalogExports = {
    CatalogExport{"identity", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                                 const ActivationInfo&) { return op(g, "Identity", x); }},
    CatalogExport{"sigmoid", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                                const ActivationInfo&) { return op(g, "Sigmoid", x); }},
    CatalogExport{"tanh", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                             const ActivationInfo&) { return op(g, "Tanh", x); }},
    CatalogExport{"relu", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                             const ActivationInfo&) { return op(g, "Relu", x); }},
    CatalogExport{
        "leaky_relu",
        [](OnnxGraph& g, const std::string& x, const EltwiseArgs& args, const ActivationInfo&) {
          return g.add("LeakyRelu", {x}).attribute("alpha", args.alpha).output();
        }},
    CatalogExport{
        "elu",
        [](OnnxGraph& g, const std::string& x, const EltwiseArgs& args, const ActivationInfo&) {
          return g.add("Elu", {x}).attribute("alpha", args.alpha).output();
        }},
    CatalogExport{"selu",
                  [](OnnxGraph& g, const std::string& x, const EltwiseArgs& args,
                     const ActivationInfo& info) {
                    return g.add("Selu", {x})
                        .attribute("alpha", args.alpha)
                        .attribute("gamma", info.output_scale)
                        .output();
                  }},
    CatalogExport{"swish", swish},
    CatalogExport{"silu", swish},
    CatalogExport{
        "mish",
        [](OnnxGraph& g, const std::string& x, const EltwiseArgs&, const ActivationInfo&) {
          return g.add("Mul", {x, op(g, "Tanh", op(g, "Softplus", x))}).output();
        }},
    CatalogExport{"gelu_erf", gelu_erf},
    CatalogExport{"gelu_tanh", gelu_tanh},
    CatalogExport{"softplus", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                                 const ActivationInfo&) { return op(g, "Softplus", x); }},
    CatalogExport{"hardswish", [](OnnxGraph& g, const std::string& x, const EltwiseArgs&,
                                  const ActivationInfo&) { return op(g, "HardSwish", x); }},
    // prelu: its slopes are tensors (add_prelu).
    CatalogExport{"prelu", nullptr},
    CatalogExport{
        "softmax",
        [](OnnxGraph& g, const std::string& x, const EltwiseArgs&, const ActivationInfo&) {
          return g.add("Softmax", {x}).attribute("axis", int64_t{1}).output();
        }},
    CatalogExport{
        "log_softmax",
        [](OnnxGraph& g, const std::string& x, const EltwiseArgs&, const ActivationInfo&) {
          return g.add("LogSoftmax", {x}).attribute("axis", int64_t{1}).output();
        }},
};

const std::array<std::string_view, kCatalogExports.size()> kExportedNames = [] {
  std::array<std::string_view, kCatalogExports.size()> names{};
  for (size_t i = 0; i < names.size(); ++i) names[i] = kCatalogExports[i].name;
  return names;
}();

// PReLU: one learned slope per channel, [1, C, 1, ...] as the engine keeps
// it, which broadcasts against [N, C, ...].
Result<std::string> add_prelu(OnnxGraph& g, const std::string& x, const Shape& sample,
                              ModelTensors& tensors) {
  const Shape slope_shape = prelu_slope_shape(sample);
  auto slope = tensors.take("slope", element_count(slope_shape));
  if (!slope.ok()) return slope.status();
  const std::string slope_name =
      g.floats("slope", std::vector<int64_t>(slope_shape.begin(), slope_shape.end()), *slope);
  return g.add("PRelu", {x, slope_name}).output();
}

// One node of a formula's expression graph, its arguments already added.
Result<std::string> add_formula_node(OnnxGraph& g, const formula::Node& node,
                                     const std::vector<std::string>& args) {
  using formula::Op;
  auto unary = [&](const char* type) { return g.add(type, {args[0]}).output(); };
  auto binary = [&](const char* type) { return g.add(type, {args[0], args[1]}).output(); };
  auto as_float = [&](const std::string& flag) {
    return g.add("Cast", {flag}).attribute("to", int64_t{onnx::TensorProto::FLOAT}).output();
  };
  switch (node.op) {
    case Op::kNeg:
      return unary("Neg");
    case Op::kExp:
      return unary("Exp");
    case Op::kLog:
      return unary("Log");
    case Op::kLog1p:
      return g.add("Log", {g.add("Add", {g.scalar(1.0F), args[0]}).output()}).output();
    case Op::kSqrt:
      return unary("Sqrt");
    case Op::kAbs:
      return unary("Abs");
    case Op::kSin:
      return unary("Sin");
    case Op::kCos:
      return unary("Cos");
    case Op::kTanh:
      return unary("Tanh");
    case Op::kSigmoid:
      return unary("Sigmoid");
    case Op::kRelu:
      return unary("Relu");
    case Op::kSoftplus:
      return unary("Softplus");
    case Op::kErf:
      return unary("Erf");
    case Op::kSign:
      return unary("Sign");
    case Op::kCopy:
      return unary("Identity");
    case Op::kPower:
      return g.add("Pow", {args[0], g.scalar(static_cast<float>(node.value))}).output();
    case Op::kAdd:
      return binary("Add");
    case Op::kSub:
      return binary("Sub");
    case Op::kMul:
      return binary("Mul");
    case Op::kDiv:
      return binary("Div");
    case Op::kMin:
      return binary("Min");
    case Op::kMax:
      return binary("Max");
    case Op::kLess:
      return as_float(binary("Less"));
    case Op::kLessEqual:
      return as_float(binary("LessOrEqual"));
    case Op::kGreater:
      return as_float(binary("Greater"));
    case Op::kGreaterEqual:
      return as_float(binary("GreaterOrEqual"));
    case Op::kEqual:
      return as_float(binary("Equal"));
    case Op::kNotEqual:
      return as_float(g.add("Not", {binary("Equal")}).output());
    case Op::kWhere: {
      const std::string zero = g.add("Equal", {args[0], g.scalar(0.0F)}).output();
      return g.add("Where", {g.add("Not", {zero}).output(), args[1], args[2]}).output();
    }
    case Op::kClip:
      return g.add("Min", {g.add("Max", {args[0], args[1]}).output(), args[2]}).output();
    case Op::kConstant:
    case Op::kInput:
      break;
  }
  return internal_error("ONNX export: formula operation " + std::string(formula::op_name(node.op)) +
                        " has no ONNX form");
}

// A formula activation: every node its value depends on, in the graph's
// order (arguments are made before the nodes using them), each once.
Result<std::string> add_formula(OnnxGraph& g, const v1::ActivationSpec& spec, const std::string& x,
                                ModelTensors& tensors) {
  auto compiled = compile_formula_activation(spec);
  if (!compiled.ok()) return compiled.status();
  const formula::Formula& f = **compiled;
  const formula::Expression& graph = f.graph();
  // Inputs: 0 is x, then the learned parameters in formula_parameters order.
  std::vector<std::string> inputs = {x};
  for (const auto& [name, initial] : formula_parameters(spec)) {
    auto value = tensors.take(name, 1);
    if (!value.ok()) return value.status();
    inputs.push_back(g.floats(name, {}, *value));
  }
  const auto root = static_cast<size_t>(f.value());
  // What the value needs (the graph also holds the derivatives' nodes).
  std::vector<bool> needed(root + 1, false);
  needed[root] = true;
  for (size_t id = root + 1; id-- > 0;) {
    if (!needed[id]) continue;
    const formula::Node& node = graph.node(static_cast<formula::NodeId>(id));
    for (int a = 0; a < formula::arity(node.op); ++a)
      needed[static_cast<size_t>(node.args[static_cast<size_t>(a)])] = true;
  }
  std::vector<std::string> names(root + 1);
  for (size_t id = 0; id <= root; ++id) {
    if (!needed[id]) continue;
    const formula::Node& node = graph.node(static_cast<formula::NodeId>(id));
    if (node.op == formula::Op::kConstant) {
      names[id] = g.scalar(static_cast<float>(node.value));
      continue;
    }
    if (node.op == formula::Op::kInput) {
      names[id] = inputs.at(static_cast<size_t>(node.index));
      continue;
    }
    std::vector<std::string> args;
    for (int a = 0; a < formula::arity(node.op); ++a)
      args.push_back(names[static_cast<size_t>(node.args[static_cast<size_t>(a)])]);
    auto made = add_formula_node(g, node, args);
    if (!made.ok()) return made.status();
    names[id] = *made;
  }
  // A formula that does not depend on x still gives one value per input.
  if (!graph.depends_on(f.value(), 0)) {
    const std::string zeros = g.add("Mul", {x, g.scalar(0.0F)}).output();
    return g.add("Add", {zeros, names[root]}).output();
  }
  return names[root];
}

}  // namespace

std::span<const std::string_view> exported_catalog_names() { return kExportedNames; }

Result<std::string> add_activation(OnnxGraph& graph, const v1::ActivationSpec& spec,
                                   const std::string& x, const Shape& sample, ModelTensors& tensors,
                                   bool fused_into_loss) {
  if (is_formula(spec)) return add_formula(graph, spec, x, tensors);
  const ActivationInfo* info = find_activation(spec.name());
  if (info == nullptr) return data_loss("model file: unknown activation \"" + spec.name() + "\"");
  if (info->family == ActivationFamily::kOutput && fused_into_loss) return x;
  if (info->primitive == ActivationPrimitive::kPrelu) return add_prelu(graph, x, sample, tensors);
  for (const CatalogExport& entry : kCatalogExports) {
    if (entry.name == info->name && entry.add != nullptr)
      return entry.add(graph, x, resolve_eltwise_args(*info, spec), *info);
  }
  return internal_error("ONNX export: activation " + spec.name() + " has no ONNX form");
}

}  // namespace gradstream::engine::onnx_export

// The activation catalog's entries and lookups.
#include "engine/layers/activation/activation_catalog.hpp"

#include <array>
#include <sstream>

namespace gradstream::engine {

namespace {

using alg = dnnl::algorithm;
using P = ActivationPrimitive;
using F = ActivationFamily;

// SELU constants from Klambauer et al. (2017), "Self-Normalizing Neural Networks".
constexpr float kSeluAlpha = 1.6732632423543772F;
constexpr float kSeluScale = 1.0507009873554805F;

const std::array kCatalog = {
    ActivationInfo{"identity", P::kEltwise, alg::eltwise_linear, alg::eltwise_linear, std::nullopt,
                   1.0F, 0.0F, 1.0F, F::kLinear, "f(x) = x"},
    ActivationInfo{"sigmoid", P::kEltwise, alg::eltwise_logistic,
                   alg::eltwise_logistic_use_dst_for_bwd, std::nullopt, 0.0F, 0.0F, 1.0F,
                   F::kSaturating, "f(x) = 1 / (1 + e^-x)", false, 0.0F},
    ActivationInfo{"tanh", P::kEltwise, alg::eltwise_tanh, alg::eltwise_tanh_use_dst_for_bwd,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kSaturating, "f(x) = tanh(x)"},
    ActivationInfo{"relu", P::kEltwise, alg::eltwise_relu, alg::eltwise_relu_use_dst_for_bwd,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kReluFamily, "f(x) = max(0, x)", true},
    ActivationInfo{"leaky_relu", P::kEltwise, alg::eltwise_relu, alg::eltwise_relu_use_dst_for_bwd,
                   ActivationParameter{"alpha", 0.01F, 0.0F, 1.0F, DnnlSlot::kAlpha}, 0.0F, 0.0F,
                   1.0F, F::kReluFamily, "f(x) = x if x > 0 else alpha * x"},
    ActivationInfo{"elu", P::kEltwise, alg::eltwise_elu, alg::eltwise_elu_use_dst_for_bwd,
                   ActivationParameter{"alpha", 1.0F, 0.0F, 10.0F, DnnlSlot::kAlpha}, 0.0F, 0.0F,
                   1.0F, F::kReluFamily, "f(x) = x if x > 0 else alpha * (e^x - 1)"},
    ActivationInfo{"selu", P::kEltwise, alg::eltwise_elu, alg::eltwise_elu_use_dst_for_bwd,
                   std::nullopt, kSeluAlpha, 0.0F, kSeluScale, F::kReluFamily,
                   "f(x) = lambda * (x if x > 0 else alpha * (e^x - 1))"},
    ActivationInfo{"swish", P::kEltwise, alg::eltwise_swish, alg::eltwise_swish,
                   ActivationParameter{"beta", 1.0F, 0.01F, 10.0F, DnnlSlot::kAlpha}, 0.0F, 0.0F,
                   1.0F, F::kSmooth, "f(x) = x * sigmoid(beta * x)"},
    ActivationInfo{"silu", P::kEltwise, alg::eltwise_swish, alg::eltwise_swish, std::nullopt, 1.0F,
                   0.0F, 1.0F, F::kSmooth, "f(x) = x * sigmoid(x)"},
    ActivationInfo{"mish", P::kEltwise, alg::eltwise_mish, alg::eltwise_mish, std::nullopt, 0.0F,
                   0.0F, 1.0F, F::kSmooth, "f(x) = x * tanh(softplus(x))"},
    ActivationInfo{"gelu_erf", P::kEltwise, alg::eltwise_gelu_erf, alg::eltwise_gelu_erf,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kSmooth,
                   "f(x) = x / 2 * (1 + erf(x / sqrt(2)))"},
    ActivationInfo{"gelu_tanh", P::kEltwise, alg::eltwise_gelu_tanh, alg::eltwise_gelu_tanh,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kSmooth,
                   "f(x) = x / 2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))"},
    ActivationInfo{"softplus", P::kEltwise, alg::eltwise_soft_relu, alg::eltwise_soft_relu,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kSmooth, "f(x) = log(1 + e^x)"},
    ActivationInfo{"hardswish", P::kEltwise, alg::eltwise_hardswish, alg::eltwise_hardswish,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kSmooth,
                   "f(x) = x * min(max(x + 3, 0), 6) / 6"},
    ActivationInfo{"prelu", P::kPrelu, alg::undef, alg::undef,
                   ActivationParameter{"alpha", 0.25F, 0.0F, 1.0F, DnnlSlot::kAlpha}, 0.0F, 0.0F,
                   1.0F, F::kReluFamily,
                   "f(x) = x if x > 0 else a_c * x, a_c learned per unit (alpha = initial a)"},
    ActivationInfo{"softmax", P::kSoftmax, alg::softmax_accurate, alg::softmax_accurate,
                   std::nullopt, 0.0F, 0.0F, 1.0F, F::kOutput,
                   "f(x)_i = e^x_i / sum_j e^x_j (output layer)"},
    ActivationInfo{"log_softmax", P::kLogSoftmax, alg::softmax_log, alg::softmax_log, std::nullopt,
                   0.0F, 0.0F, 1.0F, F::kOutput, "f(x)_i = x_i - log sum_j e^x_j (output layer)"},
};

std::string known_names() {
  std::ostringstream out;
  for (size_t i = 0; i < kCatalog.size(); ++i) out << (i ? ", " : "") << kCatalog[i].name;
  return out.str();
}

Status check_value(const std::string& path, std::string_view name, float value, float min,
                   float max) {
  if (!(value >= min && value <= max)) {  // also rejects NaN
    std::ostringstream out;
    out << path << "." << name << ": " << value << " is out of range [" << min << ", " << max
        << "]";
    return invalid_argument(out.str());
  }
  return ok_status();
}

}  // namespace

bool ActivationInfo::backward_uses_dst() const {
  switch (backward_algorithm) {
    case alg::eltwise_relu_use_dst_for_bwd:
    case alg::eltwise_tanh_use_dst_for_bwd:
    case alg::eltwise_elu_use_dst_for_bwd:
    case alg::eltwise_logistic_use_dst_for_bwd:
      return true;
    default:
      // softmax backward always reads dst; eltwise forms without _use_dst read src.
      return primitive == P::kSoftmax || primitive == P::kLogSoftmax;
  }
}

std::span<const ActivationInfo> activation_catalog() { return kCatalog; }

const ActivationInfo* find_activation(std::string_view name) {
  for (const auto& info : kCatalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

Status validate_activation(const v1::ActivationSpec& spec, const std::string& path) {
  const ActivationInfo* info = find_activation(spec.name());
  if (info == nullptr) {
    if (spec.name().empty())
      return invalid_argument(path + ".name: must be set (one of " + known_names() +
                              "), or give an expression");
    return invalid_argument(path + ".name: unknown activation \"" + spec.name() +
                            "\" (known: " + known_names() + ")");
  }
  const std::optional<ActivationParameter>& param = info->parameter;
  for (auto [name, has, value] : {std::tuple{"alpha", spec.has_alpha(), spec.alpha()},
                                  std::tuple{"beta", spec.has_beta(), spec.beta()}}) {
    if (!has) continue;
    if (!param || param->name != name) {
      return invalid_argument(path + "." + name + ": " + std::string(info->name) + " takes no " +
                              name + " parameter");
    }
    Status s = check_value(path, name, value, param->min, param->max);
    if (!s.ok()) return s;
  }
  return ok_status();
}

EltwiseArgs resolve_eltwise_args(const ActivationInfo& info, const v1::ActivationSpec& spec) {
  EltwiseArgs args{info.fixed_alpha, info.fixed_beta};
  if (info.parameter) {
    const ActivationParameter& p = *info.parameter;
    float value = p.default_value;
    if (p.name == "alpha" && spec.has_alpha()) value = spec.alpha();
    if (p.name == "beta" && spec.has_beta()) value = spec.beta();
    (p.slot == DnnlSlot::kAlpha ? args.alpha : args.beta) = value;
  }
  return args;
}

}  // namespace gradstream::engine

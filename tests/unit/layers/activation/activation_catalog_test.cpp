// The activation catalog: its names and lookups, how a spec is validated (the
// messages name the field and the allowed range), and which oneDNN alpha/beta a
// spec resolves to.
#include "engine/layers/activation/activation_catalog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gradstream::engine {
namespace {

// README.md's activation catalog, in its order.
const std::vector<std::string> kExpectedNames = {
    "identity", "sigmoid",   "tanh",  "relu",    "leaky_relu", "elu",
    "selu",     "swish",     "silu",  "mish",    "gelu_erf",   "gelu_tanh",
    "softplus", "hardswish", "prelu", "softmax", "log_softmax"};

constexpr const char* kPath = "model.layers[0].activation";
constexpr const char* kKnownNames =
    "identity, sigmoid, tanh, relu, leaky_relu, elu, selu, swish, silu, mish, gelu_erf, "
    "gelu_tanh, softplus, hardswish, prelu, softmax, log_softmax";

// A parameter as README.md's catalog documents it: "parameter (default, range)".
struct DocumentedParameter {
  const char* activation;
  const char* name;
  float default_value;
  float min;          // inclusive
  float max;          // inclusive
  const char* range;  // as messages print it
};

const DocumentedParameter kDocumentedParameters[] = {
    {"leaky_relu", "alpha", 0.01F, 0.0F, 1.0F, "[0, 1]"},
    {"elu", "alpha", 1.0F, 0.0F, 10.0F, "[0, 10]"},
    {"swish", "beta", 1.0F, 0.01F, 10.0F, "[0.01, 10]"},
    {"prelu", "alpha", 0.25F, 0.0F, 1.0F, "[0, 1]"},
};

v1::ActivationSpec with_parameter(const DocumentedParameter& p, float value) {
  v1::ActivationSpec spec;
  spec.set_name(p.activation);
  if (std::string(p.name) == "alpha") {
    spec.set_alpha(value);
  } else {
    spec.set_beta(value);
  }
  return spec;
}

v1::ActivationSpec spec_named(const std::string& name) {
  v1::ActivationSpec spec;
  spec.set_name(name);
  return spec;
}

TEST(ActivationCatalogTest, HoldsExactlyTheDocumentedActivations) {
  std::vector<std::string> names;
  for (const ActivationInfo& info : activation_catalog()) names.emplace_back(info.name);
  EXPECT_EQ(names, kExpectedNames);
}

TEST(ActivationCatalogTest, NamesAreUnique) {
  std::set<std::string_view> seen;
  for (const ActivationInfo& info : activation_catalog()) {
    EXPECT_TRUE(seen.insert(info.name).second) << "duplicate: " << info.name;
  }
}

TEST(ActivationCatalogTest, FindActivationReturnsTheEntryForEveryName) {
  for (const std::string& name : kExpectedNames) {
    SCOPED_TRACE(name);
    const ActivationInfo* info = find_activation(name);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->name, name);
    // The pointer is into the catalog itself (layers keep references to it).
    EXPECT_GE(info, activation_catalog().data());
    EXPECT_LT(info, activation_catalog().data() + activation_catalog().size());
  }
}

TEST(ActivationCatalogTest, FindActivationReturnsNullForUnknownNames) {
  EXPECT_EQ(find_activation("gelu"), nullptr);
  EXPECT_EQ(find_activation("ReLU"), nullptr);  // names are case sensitive
  EXPECT_EQ(find_activation(""), nullptr);
  EXPECT_EQ(find_activation("relu "), nullptr);
}

TEST(ActivationCatalogTest, PrimitiveKindsMatchTheActivation) {
  EXPECT_EQ(find_activation("prelu")->primitive, ActivationPrimitive::kPrelu);
  EXPECT_EQ(find_activation("softmax")->primitive, ActivationPrimitive::kSoftmax);
  EXPECT_EQ(find_activation("log_softmax")->primitive, ActivationPrimitive::kLogSoftmax);
  for (const ActivationInfo& info : activation_catalog()) {
    if (info.name == "prelu" || info.name == "softmax" || info.name == "log_softmax") continue;
    EXPECT_EQ(info.primitive, ActivationPrimitive::kEltwise) << info.name;
  }
}

TEST(ActivationCatalogTest, BackwardUsesDstExactlyWhereOneDnnHasTheDstForm) {
  const std::set<std::string_view> dst_based = {"sigmoid", "tanh", "relu",    "leaky_relu",
                                                "elu",     "selu", "softmax", "log_softmax"};
  for (const ActivationInfo& info : activation_catalog()) {
    EXPECT_EQ(info.backward_uses_dst(), dst_based.count(info.name) == 1) << info.name;
  }
}

TEST(ActivationCatalogTest, SaturatingEntriesKnowTheLowEndOfTheirRange) {
  // 1 / (1 + e^-x) -> 0 and tanh(x) -> -1 as x -> -inf; both -> 1 as x -> +inf.
  EXPECT_EQ(find_activation("sigmoid")->saturation_low, 0.0F);
  EXPECT_EQ(find_activation("tanh")->saturation_low, -1.0F);
  for (const ActivationInfo& info : activation_catalog()) {
    if (info.family != ActivationFamily::kSaturating) continue;
    EXPECT_TRUE(info.name == "sigmoid" || info.name == "tanh") << info.name;
  }
}

TEST(ActivationCatalogTest, OnlyParameterisedEntriesDeclareAParameter) {
  const std::set<std::string_view> with_alpha = {"leaky_relu", "elu", "prelu"};
  for (const ActivationInfo& info : activation_catalog()) {
    SCOPED_TRACE(std::string(info.name));
    if (with_alpha.count(info.name) == 1) {
      ASSERT_TRUE(info.parameter.has_value());
      EXPECT_EQ(info.parameter->name, "alpha");
    } else if (info.name == "swish") {
      ASSERT_TRUE(info.parameter.has_value());
      EXPECT_EQ(info.parameter->name, "beta");
    } else {
      EXPECT_FALSE(info.parameter.has_value());
    }
  }
}

TEST(ActivationCatalogTest, ParametersHaveTheDocumentedDefaultsAndRanges) {
  for (const DocumentedParameter& p : kDocumentedParameters) {
    SCOPED_TRACE(p.activation);
    const ActivationInfo* info = find_activation(p.activation);
    ASSERT_NE(info, nullptr);
    ASSERT_TRUE(info->parameter.has_value());
    EXPECT_EQ(info->parameter->name, p.name);
    EXPECT_EQ(info->parameter->default_value, p.default_value);
    EXPECT_EQ(info->parameter->min, p.min);
    EXPECT_EQ(info->parameter->max, p.max);
  }
}

TEST(ActivationCatalogTest, ValidateAcceptsBothEndsOfEachDocumentedRange) {
  for (const DocumentedParameter& p : kDocumentedParameters) {
    for (float value : {p.min, p.default_value, p.max}) {
      const Status s = validate_activation(with_parameter(p, value), kPath);
      EXPECT_TRUE(s.ok()) << p.activation << " " << p.name << " " << value << ": " << s.message();
    }
  }
}

TEST(ActivationCatalogTest, ValidateRejectsJustOutsideEachDocumentedRange) {
  for (const DocumentedParameter& p : kDocumentedParameters) {
    // Below the low end by 0.005 and above the high end by 0.5, printed as
    // messages print floats (6 significant digits).
    const std::pair<float, std::string> outside[] = {
        {p.min - 0.005F, p.min == 0.0F ? "-0.005" : "0.005"},
        {p.max + 0.5F, p.max == 1.0F ? "1.5" : "10.5"},
    };
    for (const auto& [value, printed] : outside) {
      const Status s = validate_activation(with_parameter(p, value), kPath);
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << p.activation << " " << value;
      EXPECT_EQ(s.message(),
                std::string(kPath) + "." + p.name + ": " + printed + " is out of range " + p.range);
    }
  }
}

TEST(ActivationCatalogTest, ValidateAcceptsEveryNameWithoutParameters) {
  for (const std::string& name : kExpectedNames) {
    const Status s = validate_activation(spec_named(name), kPath);
    EXPECT_TRUE(s.ok()) << name << ": " << s.message();
  }
}

TEST(ActivationCatalogTest, ValidateAcceptsParametersInsideTheirRangeInclusive) {
  for (float alpha : {0.0F, 0.2F, 1.0F}) {
    v1::ActivationSpec spec = spec_named("leaky_relu");
    spec.set_alpha(alpha);
    EXPECT_TRUE(validate_activation(spec, kPath).ok()) << alpha;
  }
  for (float alpha : {0.0F, 0.5F, 10.0F}) {
    v1::ActivationSpec spec = spec_named("elu");
    spec.set_alpha(alpha);
    EXPECT_TRUE(validate_activation(spec, kPath).ok()) << alpha;
  }
  for (float beta : {0.01F, 2.0F, 10.0F}) {
    v1::ActivationSpec spec = spec_named("swish");
    spec.set_beta(beta);
    EXPECT_TRUE(validate_activation(spec, kPath).ok()) << beta;
  }
}

TEST(ActivationCatalogTest, ValidateRejectsOutOfRangeAlphaNamingFieldAndRange) {
  v1::ActivationSpec spec = spec_named("leaky_relu");
  spec.set_alpha(3.5F);

  const Status s = validate_activation(spec, kPath);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model.layers[0].activation.alpha: 3.5 is out of range [0, 1]");
}

TEST(ActivationCatalogTest, ValidateRejectsOutOfRangeBetaAndNegativeAlpha) {
  v1::ActivationSpec swish = spec_named("swish");
  swish.set_beta(0.0F);
  const Status s1 = validate_activation(swish, kPath);
  EXPECT_EQ(s1.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s1.message(), "model.layers[0].activation.beta: 0 is out of range [0.01, 10]");

  v1::ActivationSpec elu = spec_named("elu");
  elu.set_alpha(-0.5F);
  const Status s2 = validate_activation(elu, kPath);
  EXPECT_EQ(s2.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s2.message(), "model.layers[0].activation.alpha: -0.5 is out of range [0, 10]");
}

TEST(ActivationCatalogTest, ValidateRejectsNaN) {
  v1::ActivationSpec spec = spec_named("elu");
  spec.set_alpha(std::numeric_limits<float>::quiet_NaN());

  const Status s = validate_activation(spec, kPath);

  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model.layers[0].activation.alpha: nan is out of range [0, 10]");
}

TEST(ActivationCatalogTest, ValidateRejectsInfinity) {
  v1::ActivationSpec spec = spec_named("swish");
  spec.set_beta(std::numeric_limits<float>::infinity());
  const Status s = validate_activation(spec, kPath);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model.layers[0].activation.beta: inf is out of range [0.01, 10]");
}

TEST(ActivationCatalogTest, ValidateRejectsAParameterTheActivationDoesNotTake) {
  v1::ActivationSpec relu = spec_named("relu");
  relu.set_alpha(0.1F);
  const Status s1 = validate_activation(relu, kPath);
  EXPECT_EQ(s1.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s1.message(), "model.layers[0].activation.alpha: relu takes no alpha parameter");

  // swish's parameter is beta, so alpha is foreign to it (and vice versa for elu).
  v1::ActivationSpec swish = spec_named("swish");
  swish.set_alpha(1.0F);
  EXPECT_EQ(validate_activation(swish, kPath).message(),
            "model.layers[0].activation.alpha: swish takes no alpha parameter");
  v1::ActivationSpec elu = spec_named("elu");
  elu.set_beta(1.0F);
  EXPECT_EQ(validate_activation(elu, kPath).message(),
            "model.layers[0].activation.beta: elu takes no beta parameter");
}

TEST(ActivationCatalogTest, ValidateRejectsUnknownAndMissingNames) {
  const Status unknown = validate_activation(spec_named("gelu"), kPath);
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            std::string("model.layers[0].activation.name: unknown activation \"gelu\" (known: ") +
                kKnownNames + ")");

  const Status missing = validate_activation(spec_named(""), kPath);
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      missing.message(),
      std::string("model.layers[0].activation.name: must be set (one of ") + kKnownNames + "), or give an expression");
}

TEST(ActivationCatalogTest, ResolveFillsDefaults) {
  const auto resolve = [](const std::string& name) {
    return resolve_eltwise_args(*find_activation(name), spec_named(name));
  };
  EXPECT_FLOAT_EQ(resolve("leaky_relu").alpha, 0.01F);
  EXPECT_FLOAT_EQ(resolve("elu").alpha, 1.0F);
  EXPECT_FLOAT_EQ(resolve("swish").alpha, 1.0F);
  EXPECT_FLOAT_EQ(resolve("silu").alpha, 1.0F);
  EXPECT_FLOAT_EQ(resolve("prelu").alpha, 0.25F);
  // SELU's alpha (Klambauer et al. 2017) goes to oneDNN's elu.
  EXPECT_FLOAT_EQ(resolve("selu").alpha, 1.6732632423543772F);
  EXPECT_FLOAT_EQ(find_activation("selu")->output_scale, 1.0507009873554805F);
  // identity is eltwise_linear with alpha 1 (scale), beta 0 (shift).
  EXPECT_FLOAT_EQ(resolve("identity").alpha, 1.0F);
  EXPECT_FLOAT_EQ(resolve("identity").beta, 0.0F);
  EXPECT_FLOAT_EQ(resolve("relu").alpha, 0.0F);
  for (const ActivationInfo& info : activation_catalog()) {
    EXPECT_FLOAT_EQ(resolve(std::string(info.name)).beta, 0.0F) << info.name;
  }
}

TEST(ActivationCatalogTest, ResolveAppliesOverrides) {
  v1::ActivationSpec leaky = spec_named("leaky_relu");
  leaky.set_alpha(0.2F);
  EXPECT_FLOAT_EQ(resolve_eltwise_args(*find_activation("leaky_relu"), leaky).alpha, 0.2F);

  v1::ActivationSpec elu = spec_named("elu");
  elu.set_alpha(0.5F);
  EXPECT_FLOAT_EQ(resolve_eltwise_args(*find_activation("elu"), elu).alpha, 0.5F);
}

TEST(ActivationCatalogTest, ResolveSendsSwishBetaToOneDnnAlpha) {
  // oneDNN's eltwise_swish is x / (1 + e^(-alpha x)): the user's beta is its alpha.
  v1::ActivationSpec swish = spec_named("swish");
  swish.set_beta(2.0F);

  const EltwiseArgs args = resolve_eltwise_args(*find_activation("swish"), swish);

  EXPECT_FLOAT_EQ(args.alpha, 2.0F);
  EXPECT_FLOAT_EQ(args.beta, 0.0F);
}

}  // namespace
}  // namespace gradstream::engine

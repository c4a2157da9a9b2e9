// Formula activations in the spec: a corpus of bad ones, each answered
// INVALID_ARGUMENT naming the field and the place; names and parameters.
#include "engine/layers/activation/formula_activation.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "engine/layers/activation/activation_kind.hpp"

namespace gradstream::engine {
namespace {

v1::ActivationSpec activation(const std::string& json) {
  v1::ActivationSpec spec;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &spec);
  EXPECT_TRUE(status.ok()) << json << ": " << status.ToString();
  return spec;
}

v1::ActivationSpec formula(const std::string& text) {
  v1::ActivationSpec spec;
  spec.set_expression(text);
  return spec;
}

// x+x+...+x: 401 terms.
std::string long_sum() {
  std::string text = "x";
  for (int i = 0; i < 200; ++i) text += "+x";
  return text;
}

const std::string kPath = "model.layers[1].activation";

std::string error_of(const v1::ActivationSpec& spec) {
  const Status s = validate_layer_activation(spec, kPath, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << spec.DebugString();
  return s.message();
}

TEST(FormulaActivationSpec, BadFormulasAreInvalidArgumentWithFieldAndPlace) {
  const std::pair<v1::ActivationSpec, std::string> cases[] = {
      {formula("relu(x) + 0.1 * coss(x)"),
       kPath + ".expression: unknown function 'coss' at column 17"},
      {formula("relu(x) + y"), kPath + ".expression: unknown name 'y'"},
      {formula("sigmoid((x)"), kPath + ".expression: missing ')' to close the call of sigmoid"},
      {formula("x)"), kPath + ".expression: unexpected ')' without a matching '(' at column 2"},
      {formula(std::string(40, '(') + "x" + std::string(40, ')')),
       kPath + ".expression: nests deeper than 32 levels at column 33"},
      {formula(long_sum()), kPath + ".expression: has more than 256 terms"},
      {formula("1 / x"), kPath + ".expression: is +infinite at x = 0"},
      {formula("x / (x - x)"), kPath + ".expression: is NaN at x = 0"},
      {formula("x ^ x"), kPath + ".expression: the exponent of '^' must be a constant"},
      {formula("   "), kPath + ".expression: is empty at column 1"},
      {formula(std::string(1 << 20, 'x')),
       kPath +
           ".expression: is 1048576 characters long, at most 1024 are allowed (at column 1025)"},
      {activation(R"j({"expression": "x * sigmoid(b * x)"})j"),
       kPath + ".expression: unknown name 'b'"},
      {activation(R"j({"expression": "x", "parameters": {"b": 1}})j"),
       kPath + ".parameters.b: not used in the expression"},
      {activation(R"j({"expression": "x", "alpha": 0.1})j"),
       kPath + ".alpha: a formula takes no alpha"},
      {activation(R"j({"expression": "x", "name": "relu"})j"),
       kPath + ".name: 'relu' is a catalog activation"},
      {activation(R"j({"expression": "x", "name": "my formula"})j"),
       kPath + ".name: 'my formula' must be letters, digits"},
      {activation(R"j({"expression": "k * x", "constants": {"exp": 1}})j"),
       kPath + ".constants: 'exp' is not a usable name"},
      {activation(R"j({"expression": "k * x", "constants": {"k": 1}, "parameters": {"k": 1}})j"),
       kPath + ".constants.k: declared as a constant and as a parameter"},
      {activation(R"j({"expression": "b * x", "parameters": {"b": "NaN"}})j"),
       kPath + ".parameters.b: nan is not finite"},
      {activation(R"j({"expression": "x * sqrt(b)", "parameters": {"b": 0}})j"),
       kPath + ".expression: has a derivative in 'b' that is NaN at x = 0"},
      {activation(R"j({"name": "relu", "constants": {"k": 1}})j"),
       kPath + ".constants: only a formula (expression) takes constants or parameters"},
      {activation(R"j({})j"), kPath + ".name: must be set"},
  };
  for (const auto& [spec, expected] : cases) {
    const std::string message = error_of(spec);
    EXPECT_EQ(message.rfind(expected, 0), 0U) << "got: " << message.substr(0, 200);
  }
}

TEST(FormulaActivationSpec, NamesAndParameters) {
  const v1::ActivationSpec swish =
      activation(R"j({"expression": "x * sigmoid(b * x) + a", "parameters": {"b": 1, "a": 0}})j");
  EXPECT_TRUE(validate_layer_activation(swish, kPath, false).ok());
  EXPECT_EQ(formula_display_name(swish), "x*sigmoid(b*x)+a");
  EXPECT_EQ(formula_name_stem(swish), "formula");
  EXPECT_EQ(activation_name_stem(swish), "formula");
  const auto params = formula_parameters(swish);
  ASSERT_EQ(params.size(), 2U);
  EXPECT_EQ(params[0].first, "a");  // name order, whatever the JSON's
  EXPECT_EQ(params[1].first, "b");
  EXPECT_EQ(activation_parameter_count(swish, {10}), 2);
  const v1::ActivationSpec named = activation(R"j({"expression": "x", "name": "plain-x.v2"})j");
  EXPECT_EQ(formula_display_name(named), "plain-x.v2");
  EXPECT_EQ(activation_name_stem(named), "plain-x.v2");
  const v1::ActivationSpec long_text = formula(std::string(30, '(') + "x" + std::string(30, ')'));
  EXPECT_EQ(formula_display_name(long_text), "formula");
  // A formula may end the network, softmax-like or not: it is element-wise.
  EXPECT_TRUE(validate_layer_activation(formula("sigmoid(x)"), kPath, true).ok());
}

// A random well-formed formula over every function and operator, up to
// `depth` levels, using x, the constant k and the parameter b.
std::string random_formula(std::mt19937& rng, int depth) {
  static const char* unary[] = {"exp",  "log",     "log1p", "sqrt",     "abs", "sin", "cos",
                                "tanh", "sigmoid", "relu",  "softplus", "erf", "-"};
  static const char* binary[] = {"+", "-", "*", "/", "min", "max", "^"};
  static const char* leaves[] = {"x", "x", "k", "b", "0", "1", "0.5", "2", "1e-3", "pi"};
  static const char* comparisons[] = {"<", "<=", ">", ">=", "==", "!="};
  const auto pick = [&](auto& options) { return std::string(options[rng() % std::size(options)]); };
  if (depth == 0 || rng() % 4 == 0) return pick(leaves);
  switch (rng() % 4) {
    case 0: {
      const std::string op = pick(unary);
      return op == "-" ? "-(" + random_formula(rng, depth - 1) + ")"
                       : op + "(" + random_formula(rng, depth - 1) + ")";
    }
    case 1: {
      const std::string op = pick(binary);
      const std::string a = random_formula(rng, depth - 1);
      if (op == "^") return "(" + a + ") ^ " + std::to_string(static_cast<int>(rng() % 5) - 2);
      const std::string b = random_formula(rng, depth - 1);
      if (op == "min" || op == "max") return op + "(" + a + ", " + b + ")";
      return "(" + a + " " + op + " " + b + ")";
    }
    case 2:
      return "where(" + random_formula(rng, depth - 1) + " " + pick(comparisons) + " " +
             random_formula(rng, depth - 1) + ", " + random_formula(rng, depth - 1) + ", " +
             random_formula(rng, depth - 1) + ")";
    default:
      return "clip(" + random_formula(rng, depth - 1) + ", " + random_formula(rng, depth - 1) +
             ", " + random_formula(rng, depth - 1) + ")";
  }
}

// Random formulas through the whole validation (parse, derivatives, programs,
// the probe grid): every one is accepted or INVALID_ARGUMENT with the field,
// and the accepted ones are finite on the grid, as promised.
TEST(FormulaActivationSpec, SeededFuzzThroughTheValidatorNeverCrashes) {
  std::mt19937 rng(1201);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    v1::ActivationSpec spec = formula(random_formula(rng, 1 + i % 6));
    (*spec.mutable_constants())["k"] = 0.25;
    (*spec.mutable_parameters())["b"] = 1.5F;
    const Status s = validate_layer_activation(spec, kPath, false);
    if (s.ok()) {
      ++accepted;
      auto compiled = compile_formula_activation(spec);
      ASSERT_TRUE(compiled.ok()) << spec.expression();
      continue;
    }
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << spec.expression();
    EXPECT_EQ(s.message().rfind(kPath + ".", 0), 0U) << s.message();
  }
  // Most are rejected (b unused, log of a negative on the grid, ...); enough pass.
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace gradstream::engine

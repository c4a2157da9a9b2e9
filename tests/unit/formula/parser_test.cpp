// parse_formula: the language, its limits, and an error with a column for
// every kind of bad formula; a seeded fuzz never crashes it.
#include "engine/formula/parser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>

namespace gradstream::engine::formula {
namespace {

FormulaNames names_with_b() { return FormulaNames{{{"k", 0.5}}, {"b"}}; }

double eval(const std::string& text, double x, double b = 0.0) {
  Expression g;
  Result<NodeId> root = parse_formula(text, names_with_b(), g);
  EXPECT_TRUE(root.ok()) << text << ": " << root.status().message();
  if (!root.ok()) return std::nan("");
  const double inputs[] = {x, b};
  return g.evaluate(*root, inputs);
}

std::string error_of(const std::string& text) {
  Expression g;
  Result<NodeId> root = parse_formula(text, names_with_b(), g);
  EXPECT_FALSE(root.ok()) << text;
  return root.ok() ? "" : root.status().message();
}

TEST(FormulaParser, PrecedenceAndAssociativity) {
  EXPECT_DOUBLE_EQ(eval("1 + 2 * 3", 0), 7.0);
  EXPECT_DOUBLE_EQ(eval("(1 + 2) * 3", 0), 9.0);
  EXPECT_DOUBLE_EQ(eval("8 / 4 / 2", 0), 1.0);
  EXPECT_DOUBLE_EQ(eval("8 - 4 - 2", 0), 2.0);
  EXPECT_DOUBLE_EQ(eval("-x^2", 3), -9.0);    // -(x^2)
  EXPECT_DOUBLE_EQ(eval("2^3^2", 0), 512.0);  // 2^(3^2)
  EXPECT_DOUBLE_EQ(eval("x^-1", 4), 0.25);
  EXPECT_DOUBLE_EQ(eval("--x", 5), 5.0);
  EXPECT_DOUBLE_EQ(eval("+x", 5), 5.0);
  EXPECT_DOUBLE_EQ(eval("x ^ (1 + 1)", -3), 9.0);
  EXPECT_DOUBLE_EQ(eval("x ^ (2 * k)", 7), 7.0);  // constants fold into the exponent
}

TEST(FormulaParser, NumbersNamesAndFunctions) {
  EXPECT_DOUBLE_EQ(eval("1.5e2 + .5 + 2E-1", 0), 150.7);
  EXPECT_DOUBLE_EQ(eval("pi", 0), std::numbers::pi);
  EXPECT_DOUBLE_EQ(eval("k * x", 4), 2.0);
  EXPECT_DOUBLE_EQ(eval("b * x", 4, 3.0), 12.0);
  const double x = 0.7;
  EXPECT_DOUBLE_EQ(eval("exp(x)", x), std::exp(x));
  EXPECT_DOUBLE_EQ(eval("log(x)", x), std::log(x));
  EXPECT_DOUBLE_EQ(eval("log1p(x)", x), std::log1p(x));
  EXPECT_DOUBLE_EQ(eval("sqrt(x)", x), std::sqrt(x));
  EXPECT_DOUBLE_EQ(eval("abs(-x)", x), x);
  EXPECT_DOUBLE_EQ(eval("sin(x) + cos(x)", x), std::sin(x) + std::cos(x));
  EXPECT_DOUBLE_EQ(eval("tanh(x)", x), std::tanh(x));
  EXPECT_DOUBLE_EQ(eval("sigmoid(x)", x), 1.0 / (1.0 + std::exp(-x)));
  EXPECT_DOUBLE_EQ(eval("relu(x) + relu(-x)", x), x);
  EXPECT_DOUBLE_EQ(eval("softplus(x)", x), std::log(1.0 + std::exp(x)));
  EXPECT_DOUBLE_EQ(eval("erf(x)", x), std::erf(x));
  EXPECT_DOUBLE_EQ(eval("min(x, 0.5)", x), 0.5);
  EXPECT_DOUBLE_EQ(eval("max(x, 0.5)", x), x);
  EXPECT_DOUBLE_EQ(eval("clip(x, -0.25, 0.25)", x), 0.25);
  EXPECT_DOUBLE_EQ(eval("clip(x, -0.25, 0.25)", -x), -0.25);
  EXPECT_DOUBLE_EQ(eval("where(x > 0, x, 0.1 * x)", -2), -0.2);
  EXPECT_DOUBLE_EQ(eval("where(x <= 1, 1, 2) + where(x != 3, 10, 20)", 1), 11.0);
  EXPECT_DOUBLE_EQ(eval("where(x == 3, 1, 2) + where(x >= 3, 10, 20) + where(x < 3, 100, 200)", 3),
                   211.0);
}

TEST(FormulaParser, CommonSubexpressionsAreOneNode) {
  Expression g;
  Result<NodeId> once = parse_formula("sigmoid(x)", {}, g);
  const size_t size = g.size();
  Result<NodeId> twice = parse_formula("sigmoid(x)", {}, g);
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(*once, *twice);
  EXPECT_EQ(g.size(), size);
  Result<NodeId> folded = parse_formula("x * (2 - 1) + 0 * exp(x)", {}, g);
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(g.node(*folded).op, Op::kInput);  // x * 1 + 0 is x
}

TEST(FormulaParser, BadFormulasNameTheProblemAndTheColumn) {
  const std::pair<std::string, std::string> cases[] = {
      {"relu(x) + 0.1 * coss(x)", "unknown function 'coss' at column 17"},
      {"y + 1", "unknown name 'y'"},
      {"(x + 1", "missing ')' to close the '(' at column 1 at column 7"},
      {"x + 1)", "unexpected ')' without a matching '(' at column 6"},
      {"sin(x", "missing ')' to close the call of sin at column 1 at column 6"},
      {"x ^ x",
       "the exponent of '^' must be a constant (x and learnable parameters are not) at column 5"},
      {"x ^ b", "must be a constant"},
      {"", "is empty at column 1"},
      {"   ", "is empty at column 1"},
      {"x +", "expected a number, a name or '(' but the formula ends at column 4"},
      {"x * * 2", "unexpected '*': expected a number, a name or '(' at column 5"},
      {"sin(x, x)", "sin takes 1 argument, got more at column 8"},
      {"max(x)", "max takes 2 arguments, got 1 at column 1"},
      {"where(x, 1, 2)", "where's first argument must be a comparison"},
      {"x > 0", "comparison '>' outside where()"},
      {"max(x > 0, 1)", "comparison '>' outside where()"},
      {"where(0 < x < 1, 1, 2)", "comparisons do not chain"},
      {"sin + 1", "function 'sin' needs its arguments in parentheses at column 1"},
      {"1e999", "number '1e999' is out of range at column 1"},
      {"1.2.3", "malformed number '1.2.3'"},
      {"2x", "a number must not run into a name at column 2"},
      {"x # 1", "unexpected '#' at column 3"},
      {"x + \x01", "unexpected character (code 1) at column 5"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = error_of(text);
    EXPECT_NE(message.find(expected), std::string::npos) << text << " gave: " << message;
  }
}

TEST(FormulaParser, LimitsOnLengthTermsAndDepth) {
  EXPECT_NE(error_of(std::string(1 << 20, 'x')).find("is 1048576 characters long, at most 1024"),
            std::string::npos);
  std::string long_sum = "x";
  for (int i = 0; i < 200; ++i) long_sum += "+x";  // 401 terms in 401 characters
  EXPECT_NE(error_of(long_sum).find("has more than 256 terms"), std::string::npos);
  std::string deep = "x";
  for (int i = 0; i < 40; ++i) deep = "(" + deep + ")";
  EXPECT_NE(error_of(deep).find("nests deeper than 32 levels at column 33"), std::string::npos);
  std::string nested_calls = "x";
  for (int i = 0; i < 40; ++i) nested_calls = "sin(" + nested_calls + ")";
  EXPECT_NE(error_of(nested_calls).find("nests deeper than 32 levels"), std::string::npos);
  std::string negations(100, '-');
  EXPECT_NE(error_of(negations + "x").find("nests deeper than 32 levels"), std::string::npos);
}

TEST(FormulaParser, FreeNames) {
  EXPECT_TRUE(is_free_name("beta"));
  EXPECT_TRUE(is_free_name("_k2"));
  EXPECT_FALSE(is_free_name("x"));
  EXPECT_FALSE(is_free_name("pi"));
  EXPECT_FALSE(is_free_name("exp"));
  EXPECT_FALSE(is_free_name("2b"));
  EXPECT_FALSE(is_free_name("a-b"));
  EXPECT_FALSE(is_free_name(""));
  EXPECT_FALSE(is_free_name(std::string(33, 'a')));
}

// Random strings over the language's alphabet, and random well-formed
// formulas: parsing answers ok or invalid_argument, never crashes or hangs.
TEST(FormulaParser, SeededFuzzNeverCrashes) {
  std::mt19937 rng(20261201);
  const std::string alphabet = "x+-*/^(),.<>=!0123456789e pisnexptanhrelusigmoidwhereclipminmax";
  const char* words[] = {"x",     "b",      "k",     "pi",   "1",    "0.5",   "1e3", "exp(", "log(",
                         "sqrt(", "where(", "clip(", "min(", "max(", "relu(", ")",   ",",    "+",
                         "-",     "*",      "/",     "^",    "<",    ">=",    "==",  "(",    " "};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int length = static_cast<int>(rng() % 40);
    for (int j = 0; j < length; ++j) {
      if (i % 2 == 0) {
        text += alphabet[rng() % alphabet.size()];
      } else {
        text += words[rng() % std::size(words)];
      }
    }
    Expression g;
    Result<NodeId> root = parse_formula(text, names_with_b(), g);
    if (root.ok()) {
      ++parsed;
      EXPECT_LT(static_cast<size_t>(*root), g.size());
    } else {
      EXPECT_EQ(root.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(root.status().message().find("at column "), std::string::npos) << text;
    }
  }
  EXPECT_GT(parsed, 100);  // the fuzz reaches past the first error too
}

}  // namespace
}  // namespace gradstream::engine::formula

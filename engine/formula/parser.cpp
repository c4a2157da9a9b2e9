// A recursive-descent parser for formulas, one function per precedence level:
//   sum      := product (('+' | '-') product)*
//   product  := unary (('*' | '/') unary)*
//   unary    := ('-' | '+') unary | power
//   power    := primary ('^' unary)?          (so -x^2 is -(x^2), x^-1 works)
//   primary  := number | name | name '(' arguments ')' | '(' sum ')'
//   where's first argument is sum compare sum.
#include "engine/formula/parser.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>
#include <optional>

namespace gradstream::engine::formula {

namespace {

struct Function {
  std::string_view name;
  Op op;
  int arguments;
};

constexpr std::array kFunctions = {
    Function{"exp", Op::kExp, 1},           Function{"log", Op::kLog, 1},
    Function{"log1p", Op::kLog1p, 1},       Function{"sqrt", Op::kSqrt, 1},
    Function{"abs", Op::kAbs, 1},           Function{"sin", Op::kSin, 1},
    Function{"cos", Op::kCos, 1},           Function{"tanh", Op::kTanh, 1},
    Function{"sigmoid", Op::kSigmoid, 1},   Function{"relu", Op::kRelu, 1},
    Function{"softplus", Op::kSoftplus, 1}, Function{"erf", Op::kErf, 1},
    Function{"min", Op::kMin, 2},           Function{"max", Op::kMax, 2},
    Function{"clip", Op::kClip, 3},         Function{"where", Op::kWhere, 3},
};

const Function* find_function(std::string_view name) {
  for (const Function& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Thrown inside the parser only; parse_formula turns it into a Status.
struct ParseFailure {
  std::string message;
};

class Parser {
 public:
  Parser(std::string_view text, const FormulaNames& names, Expression& graph)
      : text_(text), names_(names), graph_(graph) {}

  NodeId parse() {
    skip_space();
    if (at_end()) fail("is empty", 0);
    const NodeId root = sum();
    skip_space();
    if (!at_end()) {
      if (comparison_ahead()) fail_comparison();
      if (peek() == ')') fail("unexpected ')' without a matching '('", pos_);
      fail("unexpected '" + std::string(1, peek()) + "'", pos_);
    }
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what, size_t pos) const {
    throw ParseFailure{what + " at column " + std::to_string(pos + 1)};
  }
  [[noreturn]] void fail_comparison() const {
    fail("comparison '" + std::string(comparison_text()) +
             "' outside where(): comparisons may only be where's condition",
         pos_);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void skip_space() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const std::string& what) {
    skip_space();
    if (peek() == c) {
      ++pos_;
      return;
    }
    if (at_end()) fail("expected " + what + " but the formula ends", pos_);
    fail("expected " + what + ", found '" + std::string(1, peek()) + "'", pos_);
  }

  // Counts one term against kMaxFormulaTerms.
  void count_term(size_t pos) {
    if (++terms_ > kMaxFormulaTerms) {
      fail("has more than " + std::to_string(kMaxFormulaTerms) +
               " terms (numbers, names, operators and calls)",
           pos);
    }
  }

  struct Depth {
    Parser& parser;
    Depth(Parser& p, size_t pos) : parser(p) {
      if (++parser.depth_ > kMaxFormulaDepth) {
        parser.fail("nests deeper than " + std::to_string(kMaxFormulaDepth) + " levels", pos);
      }
    }
    ~Depth() { --parser.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
  };

  NodeId sum() {
    NodeId left = product();
    for (;;) {
      skip_space();
      const char c = peek();
      if (c != '+' && c != '-') return left;
      count_term(pos_++);
      left = graph_.make(c == '+' ? Op::kAdd : Op::kSub, left, product());
    }
  }

  NodeId product() {
    NodeId left = unary();
    for (;;) {
      skip_space();
      const char c = peek();
      if (c != '*' && c != '/') return left;
      count_term(pos_++);
      left = graph_.make(c == '*' ? Op::kMul : Op::kDiv, left, unary());
    }
  }

  NodeId unary() {
    skip_space();
    const char c = peek();
    if (c == '-' || c == '+') {
      const Depth depth(*this, pos_);
      count_term(pos_++);
      const NodeId operand = unary();
      return c == '-' ? graph_.make(Op::kNeg, operand) : operand;
    }
    return power();
  }

  NodeId power() {
    const NodeId base = primary();
    skip_space();
    if (peek() != '^') return base;
    const size_t caret = pos_;
    count_term(pos_++);
    const Depth depth(*this, caret);
    skip_space();
    const size_t exponent_pos = pos_;
    const NodeId exponent = unary();
    if (!graph_.is_constant(exponent)) {
      fail("the exponent of '^' must be a constant (x and learnable parameters are not)",
           exponent_pos);
    }
    const double value = graph_.node(exponent).value;
    if (!std::isfinite(value)) fail("the exponent of '^' is not finite", exponent_pos);
    return graph_.make(Op::kPower, base, -1, -1, value);
  }

  NodeId primary() {
    skip_space();
    const size_t start = pos_;
    if (at_end()) fail("expected a number, a name or '(' but the formula ends", pos_);
    const char c = peek();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (is_name_start(c)) return name();
    if (c == '(') {
      const Depth depth(*this, start);
      ++pos_;
      const NodeId inside = sum();
      skip_space();
      if (comparison_ahead()) fail_comparison();
      if (at_end())
        fail("missing ')' to close the '(' at column " + std::to_string(start + 1), pos_);
      expect(')', "')' to close the '(' at column " + std::to_string(start + 1));
      return inside;
    }
    if (c == ')') fail("unexpected ')': expected a number, a name or '('", pos_);
    if (std::isprint(static_cast<unsigned char>(c))) {
      fail("unexpected '" + std::string(1, c) + "': expected a number, a name or '('", pos_);
    }
    fail("unexpected character (code " + std::to_string(static_cast<unsigned char>(c)) + ")", pos_);
  }

  NodeId number() {
    const size_t start = pos_;
    count_term(start);
    while (std::isdigit(static_cast<unsigned char>(peek())) || peek() == '.') ++pos_;
    if ((peek() == 'e' || peek() == 'E') && (std::isdigit(static_cast<unsigned char>(peek(1))) ||
                                             ((peek(1) == '+' || peek(1) == '-') &&
                                              std::isdigit(static_cast<unsigned char>(peek(2)))))) {
      pos_ += 2;
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    }
    const std::string_view digits = text_.substr(start, pos_ - start);
    double value = 0.0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error == std::errc::result_out_of_range ||
        (error == std::errc() && !std::isfinite(value))) {
      fail("number '" + std::string(digits) + "' is out of range", start);
    }
    if (error != std::errc() || end != digits.data() + digits.size()) {
      fail("malformed number '" + std::string(digits) + "'", start);
    }
    if (is_name_char(peek())) fail("a number must not run into a name", pos_);
    return graph_.constant(value);
  }

  NodeId name() {
    const size_t start = pos_;
    count_term(start);
    while (is_name_char(peek())) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    skip_space();
    if (peek() == '(') return call(word, start);
    if (find_function(word) != nullptr) {
      fail("function '" + std::string(word) + "' needs its arguments in parentheses", start);
    }
    if (word == "x") return graph_.input(0);
    if (word == "pi") return graph_.constant(std::numbers::pi);
    for (const auto& [name, value] : names_.constants) {
      if (name == word) return graph_.constant(value);
    }
    for (size_t i = 0; i < names_.parameters.size(); ++i) {
      if (names_.parameters[i] == word) return graph_.input(static_cast<int32_t>(i + 1));
    }
    fail("unknown name '" + std::string(word) +
             "' (known: x, pi, and the constants and parameters the activation declares)",
         start);
  }

  NodeId call(std::string_view word, size_t start) {
    const Function* f = find_function(word);
    if (f == nullptr) fail("unknown function '" + std::string(word) + "'", start);
    const Depth depth(*this, start);
    expect('(', "'('");
    std::array<NodeId, 3> args{-1, -1, -1};
    int count = 0;
    skip_space();
    if (peek() != ')') {
      do {
        skip_space();
        if (count == f->arguments) {
          fail(std::string(word) + " takes " + std::to_string(f->arguments) + " argument" +
                   (f->arguments == 1 ? "" : "s") + ", got more",
               pos_);
        }
        args[static_cast<size_t>(count)] =
            f->op == Op::kWhere && count == 0 ? condition() : argument();
        ++count;
      } while (accept(','));
    }
    skip_space();
    if (at_end()) {
      fail("missing ')' to close the call of " + std::string(word) + " at column " +
               std::to_string(start + 1),
           pos_);
    }
    expect(')', "',' or ')' in the call of " + std::string(word));
    if (count != f->arguments) {
      fail(std::string(word) + " takes " + std::to_string(f->arguments) + " argument" +
               (f->arguments == 1 ? "" : "s") + ", got " + std::to_string(count),
           start);
    }
    return graph_.make(f->op, args[0], args[1], args[2]);
  }

  NodeId argument() {
    const NodeId value = sum();
    skip_space();
    if (comparison_ahead()) fail_comparison();
    return value;
  }

  NodeId condition() {
    skip_space();
    const size_t start = pos_;
    const NodeId left = sum();
    skip_space();
    const std::string_view op = comparison_text();
    if (op.empty()) fail("where's first argument must be a comparison (< <= > >= == !=)", start);
    count_term(pos_);
    pos_ += op.size();
    const NodeId right = sum();
    skip_space();
    if (comparison_ahead()) fail("comparisons do not chain: use where() twice", pos_);
    return graph_.make(comparison_op(op), left, right);
  }

  std::string_view comparison_text() const {
    const char a = peek();
    const char b = peek(1);
    if ((a == '<' || a == '>' || a == '=' || a == '!') && b == '=') return text_.substr(pos_, 2);
    if (a == '<' || a == '>') return text_.substr(pos_, 1);
    return {};
  }
  bool comparison_ahead() const { return !comparison_text().empty(); }
  static Op comparison_op(std::string_view op) {
    if (op == "<") return Op::kLess;
    if (op == "<=") return Op::kLessEqual;
    if (op == ">") return Op::kGreater;
    if (op == ">=") return Op::kGreaterEqual;
    if (op == "==") return Op::kEqual;
    return Op::kNotEqual;
  }

  std::string_view text_;
  const FormulaNames& names_;
  Expression& graph_;
  size_t pos_ = 0;
  int terms_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<NodeId> parse_formula(std::string_view text, const FormulaNames& names, Expression& graph) {
  if (text.size() > kMaxFormulaLength) {
    return invalid_argument("is " + std::to_string(text.size()) + " characters long, at most " +
                            std::to_string(kMaxFormulaLength) + " are allowed (at column " +
                            std::to_string(kMaxFormulaLength + 1) + ")");
  }
  try {
    return Parser(text, names, graph).parse();
  } catch (const ParseFailure& failure) {
    return invalid_argument(failure.message);
  }
}

bool is_free_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !is_name_start(name[0])) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return name != "x" && name != "pi" && find_function(name) == nullptr;
}

}  // namespace gradstream::engine::formula

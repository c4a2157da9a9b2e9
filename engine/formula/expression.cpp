// Expression: node interning, simplification and the double-precision reference.
#include "engine/formula/expression.hpp"

#include <bit>
#include <cmath>
#include <utility>

namespace gradstream::engine::formula {

namespace {

bool commutes(Op op) {
  return op == Op::kAdd || op == Op::kMul || op == Op::kMin || op == Op::kMax || op == Op::kEqual ||
         op == Op::kNotEqual;
}

double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

}  // namespace

std::string_view op_name(Op op) {
  switch (op) {
    case Op::kConstant:
      return "constant";
    case Op::kInput:
      return "input";
    case Op::kNeg:
      return "-";
    case Op::kExp:
      return "exp";
    case Op::kLog:
      return "log";
    case Op::kLog1p:
      return "log1p";
    case Op::kSqrt:
      return "sqrt";
    case Op::kAbs:
      return "abs";
    case Op::kSin:
      return "sin";
    case Op::kCos:
      return "cos";
    case Op::kTanh:
      return "tanh";
    case Op::kSigmoid:
      return "sigmoid";
    case Op::kRelu:
      return "relu";
    case Op::kSoftplus:
      return "softplus";
    case Op::kErf:
      return "erf";
    case Op::kSign:
      return "sign";
    case Op::kCopy:
      return "copy";
    case Op::kPower:
      return "^";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMin:
      return "min";
    case Op::kMax:
      return "max";
    case Op::kLess:
      return "<";
    case Op::kLessEqual:
      return "<=";
    case Op::kGreater:
      return ">";
    case Op::kGreaterEqual:
      return ">=";
    case Op::kEqual:
      return "==";
    case Op::kNotEqual:
      return "!=";
    case Op::kWhere:
      return "where";
    case Op::kClip:
      return "clip";
  }
  return "?";
}

double apply(Op op, double exponent, double a, double b, double c) {
  switch (op) {
    case Op::kConstant:
    case Op::kInput:
      return a;
    case Op::kNeg:
      return -a;
    case Op::kExp:
      return std::exp(a);
    case Op::kLog:
      return std::log(a);
    case Op::kLog1p:
      return std::log1p(a);
    case Op::kSqrt:
      return std::sqrt(a);
    case Op::kAbs:
      return std::fabs(a);
    case Op::kSin:
      return std::sin(a);
    case Op::kCos:
      return std::cos(a);
    case Op::kTanh:
      return std::tanh(a);
    case Op::kSigmoid:
      return sigmoid(a);
    case Op::kRelu:
      return a < 0 ? 0.0 : a;  // NaN passes through
    case Op::kSoftplus:
      return std::max(a, 0.0) + std::log1p(std::exp(-std::fabs(a)));
    case Op::kErf:
      return std::erf(a);
    case Op::kSign:
      return static_cast<double>((a > 0) - (a < 0));
    case Op::kCopy:
      return a;
    case Op::kPower:
      return std::pow(a, exponent);
    case Op::kAdd:
      return a + b;
    case Op::kSub:
      return a - b;
    case Op::kMul:
      return a * b;
    case Op::kDiv:
      return a / b;
    case Op::kMin:
      return a < b ? a : b;
    case Op::kMax:
      return a > b ? a : b;
    case Op::kLess:
      return a < b ? 1.0 : 0.0;
    case Op::kLessEqual:
      return a <= b ? 1.0 : 0.0;
    case Op::kGreater:
      return a > b ? 1.0 : 0.0;
    case Op::kGreaterEqual:
      return a >= b ? 1.0 : 0.0;
    case Op::kEqual:
      return a == b ? 1.0 : 0.0;
    case Op::kNotEqual:
      return a != b ? 1.0 : 0.0;
    case Op::kWhere:
      return a != 0 ? b : c;
    case Op::kClip: {
      const double low = a > b ? a : b;
      return low < c ? low : c;
    }
  }
  return std::nan("");
}

size_t Expression::KeyHash::operator()(const Key& k) const {
  size_t h = static_cast<size_t>(k.op);
  for (NodeId a : k.args) h = h * 1000003U ^ static_cast<size_t>(a + 1);
  h = h * 1000003U ^ static_cast<size_t>(k.bits);
  return h * 1000003U ^ static_cast<size_t>(k.index);
}

NodeId Expression::intern(const Node& n) {
  Key key{n.op, n.args, std::bit_cast<uint64_t>(n.value), n.index};
  auto [it, added] = index_.try_emplace(key, static_cast<NodeId>(nodes_.size()));
  if (added) nodes_.push_back(n);
  return it->second;
}

NodeId Expression::constant(double value) {
  if (value == 0.0) value = 0.0;  // -0 and +0 are one constant
  return intern(Node{Op::kConstant, {-1, -1, -1}, value, 0});
}

NodeId Expression::input(int32_t index) {
  return intern(Node{Op::kInput, {-1, -1, -1}, 0.0, index});
}

NodeId Expression::make(Op op, NodeId a, NodeId b, NodeId c, double value) {
  if (commutes(op) && b < a) std::swap(a, b);
  return simplify(op, a, b, c, value);
}

NodeId Expression::simplify(Op op, NodeId a, NodeId b, NodeId c, double value) {
  const int n = arity(op);
  const bool all_constant =
      is_constant(a) && (n < 2 || is_constant(b)) && (n < 3 || is_constant(c));
  if (all_constant) {
    return constant(apply(op, value, node(a).value, n >= 2 ? node(b).value : 0.0,
                          n >= 3 ? node(c).value : 0.0));
  }
  const auto negated = [&](NodeId id) -> NodeId {
    return node(id).op == Op::kNeg ? node(id).args[0] : -1;
  };
  switch (op) {
    case Op::kNeg:
      if (negated(a) >= 0) return negated(a);
      break;
    case Op::kAdd:
      if (is_constant(a, 0)) return b;
      if (is_constant(b, 0)) return a;
      if (negated(b) >= 0) return make(Op::kSub, a, negated(b));
      if (negated(a) >= 0) return make(Op::kSub, b, negated(a));
      break;
    case Op::kSub:
      if (is_constant(b, 0)) return a;
      if (is_constant(a, 0)) return make(Op::kNeg, b);
      if (a == b) return constant(0.0);
      if (negated(b) >= 0) return make(Op::kAdd, a, negated(b));
      break;
    case Op::kMul:
      if (is_constant(a, 0) || is_constant(b, 0)) return constant(0.0);
      if (is_constant(a, 1)) return b;
      if (is_constant(b, 1)) return a;
      if (is_constant(a, -1)) return make(Op::kNeg, b);
      if (is_constant(b, -1)) return make(Op::kNeg, a);
      break;
    case Op::kDiv:
      if (is_constant(b, 1)) return a;
      if (is_constant(a, 0)) return constant(0.0);
      break;
    case Op::kPower:
      if (value == 1.0) return a;
      if (value == 0.0) return constant(1.0);
      break;
    case Op::kMin:
    case Op::kMax:
      if (a == b) return a;
      break;
    case Op::kWhere:
      if (is_constant(a)) return node(a).value != 0 ? b : c;
      if (b == c) return b;
      break;
    default:
      break;
  }
  return intern(Node{op, {a, b, c}, op == Op::kPower ? value : 0.0, 0});
}

bool Expression::depends_on(NodeId root, int32_t index) const {
  std::vector<bool> needed(static_cast<size_t>(root) + 1, false);
  needed[static_cast<size_t>(root)] = true;
  for (NodeId id = root; id >= 0; --id) {
    if (!needed[static_cast<size_t>(id)]) continue;
    const Node& n = node(id);
    if (n.op == Op::kInput && n.index == index) return true;
    for (int i = 0; i < arity(n.op); ++i) needed[static_cast<size_t>(n.args[i])] = true;
  }
  return false;
}

double Expression::evaluate(NodeId root, std::span<const double> inputs) const {
  std::vector<double> values(static_cast<size_t>(root) + 1);
  for (NodeId id = 0; id <= root; ++id) {
    const Node& n = node(id);
    const auto arg = [&](int i) { return n.args[i] >= 0 ? values[n.args[i]] : 0.0; };
    double v = 0.0;
    if (n.op == Op::kConstant) {
      v = n.value;
    } else if (n.op == Op::kInput) {
      v = static_cast<size_t>(n.index) < inputs.size() ? inputs[n.index] : 0.0;
    } else {
      v = apply(n.op, n.value, arg(0), arg(1), arg(2));
    }
    values[static_cast<size_t>(id)] = v;
  }
  return values[static_cast<size_t>(root)];
}

}  // namespace gradstream::engine::formula

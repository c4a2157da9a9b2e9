// differentiate: one rule per operation, applied to the nodes `root` depends
// on in creation order (arguments before the nodes that use them).
#include "engine/formula/derivative.hpp"

#include <cmath>
#include <numbers>
#include <vector>

namespace gradstream::engine::formula {

namespace {

class Differentiator {
 public:
  Differentiator(Expression& graph, int32_t variable) : g_(graph), variable_(variable) {}

  NodeId run(NodeId root) {
    std::vector<bool> needed(static_cast<size_t>(root) + 1, false);
    needed[static_cast<size_t>(root)] = true;
    for (NodeId id = root; id >= 0; --id) {
      if (!needed[static_cast<size_t>(id)]) continue;
      const Node& n = g_.node(id);
      for (int i = 0; i < arity(n.op); ++i) needed[static_cast<size_t>(n.args[i])] = true;
    }
    d_.assign(static_cast<size_t>(root) + 1, -1);
    for (NodeId id = 0; id <= root; ++id) {
      if (needed[static_cast<size_t>(id)]) d_[static_cast<size_t>(id)] = rule(id);
    }
    return d_[static_cast<size_t>(root)];
  }

 private:
  NodeId c(double v) { return g_.constant(v); }
  NodeId add(NodeId a, NodeId b) { return g_.make(Op::kAdd, a, b); }
  NodeId sub(NodeId a, NodeId b) { return g_.make(Op::kSub, a, b); }
  NodeId mul(NodeId a, NodeId b) { return g_.make(Op::kMul, a, b); }
  NodeId div(NodeId a, NodeId b) { return g_.make(Op::kDiv, a, b); }
  NodeId neg(NodeId a) { return g_.make(Op::kNeg, a); }
  NodeId where(NodeId cond, NodeId a, NodeId b) { return g_.make(Op::kWhere, cond, a, b); }
  NodeId d(NodeId id) const { return d_[static_cast<size_t>(id)]; }

  // The derivative of a tie-splitting min/max whose first argument wins
  // where `first_wins` holds and loses where `first_loses` holds.
  NodeId split(NodeId first_wins, NodeId first_loses, NodeId da, NodeId db) {
    if (da == db) return da;
    return where(first_wins, da, where(first_loses, db, mul(c(0.5), add(da, db))));
  }

  NodeId rule(NodeId id) {
    const Node n = g_.node(id);  // a copy: make() may grow the node vector
    const NodeId a = n.args[0];
    const NodeId b = n.args[1];
    const NodeId z = n.args[2];
    switch (n.op) {
      case Op::kConstant:
        return c(0.0);
      case Op::kInput:
        return c(n.index == variable_ ? 1.0 : 0.0);
      case Op::kNeg:
        return neg(d(a));
      case Op::kCopy:
        return d(a);
      case Op::kExp:
        return mul(id, d(a));
      case Op::kLog:
        return div(d(a), a);
      case Op::kLog1p:
        return div(d(a), add(c(1.0), a));
      case Op::kSqrt:
        return div(mul(c(0.5), d(a)), id);
      case Op::kAbs:
        return mul(g_.make(Op::kSign, a), d(a));
      case Op::kSin:
        return mul(g_.make(Op::kCos, a), d(a));
      case Op::kCos:
        return neg(mul(g_.make(Op::kSin, a), d(a)));
      case Op::kTanh:
        return mul(sub(c(1.0), mul(id, id)), d(a));
      case Op::kSigmoid:
        return mul(mul(id, sub(c(1.0), id)), d(a));
      case Op::kRelu:
        return mul(g_.make(Op::kGreater, a, c(0.0)), d(a));
      case Op::kSoftplus:
        return mul(g_.make(Op::kSigmoid, a), d(a));
      case Op::kErf: {
        const NodeId bell = g_.make(Op::kExp, neg(mul(a, a)));
        return mul(mul(c(2.0 / std::sqrt(std::numbers::pi)), bell), d(a));
      }
      case Op::kSign:
        return c(0.0);
      case Op::kPower: {
        const NodeId lower = g_.make(Op::kPower, a, -1, -1, n.value - 1.0);
        return mul(mul(c(n.value), lower), d(a));
      }
      case Op::kAdd:
        return add(d(a), d(b));
      case Op::kSub:
        return sub(d(a), d(b));
      case Op::kMul:
        return add(mul(d(a), b), mul(a, d(b)));
      case Op::kDiv:
        // (a / b)' = (a' - (a / b) b') / b, reusing the quotient itself.
        return div(sub(d(a), mul(id, d(b))), b);
      case Op::kMin:
        return split(g_.make(Op::kLess, a, b), g_.make(Op::kGreater, a, b), d(a), d(b));
      case Op::kMax:
        return split(g_.make(Op::kGreater, a, b), g_.make(Op::kLess, a, b), d(a), d(b));
      case Op::kLess:
      case Op::kLessEqual:
      case Op::kGreater:
      case Op::kGreaterEqual:
      case Op::kEqual:
      case Op::kNotEqual:
        return c(0.0);
      case Op::kWhere:
        return where(a, d(b), d(z));
      case Op::kClip:
        return where(g_.make(Op::kLess, a, b), d(b),
                     where(g_.make(Op::kGreater, a, z), d(z), d(a)));
    }
    return c(0.0);
  }

  Expression& g_;
  int32_t variable_;
  std::vector<NodeId> d_;
};

}  // namespace

NodeId differentiate(Expression& graph, NodeId root, int32_t variable) {
  return Differentiator(graph, variable).run(root);
}

}  // namespace gradstream::engine::formula

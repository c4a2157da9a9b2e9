// Expression: a formula of x as a graph of nodes, each node made once
// (hash-consed: a subexpression written twice, or produced twice by the
// derivative, is one node) and simplified as it is made (constants folded,
// x + 0, x * 1, x * 0, where(c, a, a) and the like removed). Nodes are
// numbered in creation order, so a node's arguments always come before it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/formula/op.hpp"

namespace gradstream::engine::formula {

// The name functions and operators have in formulas ("exp", "+", "where").
std::string_view op_name(Op op);

using NodeId = int32_t;

struct Node {
  Op op;
  std::array<NodeId, 3> args{-1, -1, -1};
  double value = 0.0;  // kConstant: the constant; kPower: the exponent
  int32_t index = 0;   // kInput: which input
};

// The value of `op` on scalars, in double precision: constant folding and the
// reference the tests hold the compiled kernels to. Conventions at the edges
// are the kernels' own: relu(0) = 0, sign(0) = 0, comparisons give 1 or 0.
double apply(Op op, double exponent, double a, double b = 0.0, double c = 0.0);

class Expression {
 public:
  NodeId constant(double value);
  NodeId input(int32_t index);
  // Makes (or finds) the node, simplified; `value` is kPower's exponent.
  NodeId make(Op op, NodeId a, NodeId b = -1, NodeId c = -1, double value = 0.0);

  const Node& node(NodeId id) const { return nodes_[static_cast<size_t>(id)]; }
  size_t size() const { return nodes_.size(); }
  bool is_constant(NodeId id) const { return node(id).op == Op::kConstant; }
  bool is_constant(NodeId id, double value) const {
    return is_constant(id) && node(id).value == value;
  }

  // Whether `root` reads input(index), directly or through other nodes.
  bool depends_on(NodeId root, int32_t index) const;

  // The value of `root` for the given inputs (x first), in double precision,
  // by walking the graph: the reference, not the fast path.
  double evaluate(NodeId root, std::span<const double> inputs) const;

 private:
  struct Key {
    Op op;
    std::array<NodeId, 3> args;
    uint64_t bits;
    int32_t index;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };

  NodeId intern(const Node& n);
  NodeId simplify(Op op, NodeId a, NodeId b, NodeId c, double value);

  std::vector<Node> nodes_;
  std::unordered_map<Key, NodeId, KeyHash> index_;
};

}  // namespace gradstream::engine::formula

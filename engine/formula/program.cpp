// compile_program: needed nodes in creation order (arguments first), registers
// allocated by last use.
#include "engine/formula/program.hpp"

#include <algorithm>

namespace gradstream::engine::formula {

Program compile_program(const Expression& graph, std::span<const NodeId> outputs, int inputs) {
  Program program;
  program.inputs = inputs;
  const NodeId top = outputs.empty() ? -1 : *std::max_element(outputs.begin(), outputs.end());
  const size_t count = static_cast<size_t>(top + 1);
  std::vector<bool> needed(count, false);
  for (NodeId out : outputs) needed[static_cast<size_t>(out)] = true;
  for (NodeId id = top; id >= 0; --id) {
    if (!needed[static_cast<size_t>(id)]) continue;
    const Node& n = graph.node(id);
    for (int i = 0; i < arity(n.op); ++i) needed[static_cast<size_t>(n.args[i])] = true;
  }
  // The last node (in creation order) reading each node.
  std::vector<NodeId> last_use(count, -1);
  for (NodeId id = 0; id <= top; ++id) {
    if (!needed[static_cast<size_t>(id)]) continue;
    const Node& n = graph.node(id);
    for (int i = 0; i < arity(n.op); ++i) last_use[static_cast<size_t>(n.args[i])] = id;
  }
  std::vector<bool> is_output(count, false);
  for (NodeId out : outputs) is_output[static_cast<size_t>(out)] = true;

  std::vector<int> reg(count, -1);
  int next = inputs;
  for (NodeId id = 0; id <= top; ++id) {
    const Node& n = graph.node(id);
    if (!needed[static_cast<size_t>(id)]) continue;
    if (n.op == Op::kInput) reg[static_cast<size_t>(id)] = n.index;
    if (n.op == Op::kConstant) {
      reg[static_cast<size_t>(id)] = next;
      program.constants.emplace_back(static_cast<uint16_t>(next++), static_cast<float>(n.value));
    }
  }
  std::vector<int> free_registers;
  std::vector<int> output_register(count, -1);
  const auto take = [&]() {
    if (free_registers.empty()) return next++;
    const int r = free_registers.back();
    free_registers.pop_back();
    return r;
  };
  for (NodeId id = 0; id <= top; ++id) {
    const Node& n = graph.node(id);
    if (!needed[static_cast<size_t>(id)] || arity(n.op) == 0) continue;
    Instruction in{n.op, 0, 0, 0, 0, static_cast<float>(n.value)};
    uint16_t* args[3] = {&in.a, &in.b, &in.c};
    for (int i = 0; i < arity(n.op); ++i) *args[i] = static_cast<uint16_t>(reg[n.args[i]]);
    // Arguments whose last reader is this node free their registers first:
    // an element-wise instruction may write where it reads.
    for (int i = 0; i < arity(n.op); ++i) {
      const NodeId arg = n.args[i];
      const Node& a = graph.node(arg);
      const bool temporary = arity(a.op) > 0 && !is_output[static_cast<size_t>(arg)];
      if (temporary && last_use[static_cast<size_t>(arg)] == id &&
          std::find(free_registers.begin(), free_registers.end(), reg[arg]) ==
              free_registers.end()) {
        free_registers.push_back(reg[static_cast<size_t>(arg)]);
      }
    }
    const int dst = is_output[static_cast<size_t>(id)] ? next++ : take();
    reg[static_cast<size_t>(id)] = dst;
    if (is_output[static_cast<size_t>(id)]) output_register[static_cast<size_t>(id)] = dst;
    in.dst = static_cast<uint16_t>(dst);
    program.code.push_back(in);
  }
  // Each output gets a register of its own: one that is an input, a constant
  // or another output's node is copied.
  std::vector<bool> claimed(count, false);
  for (NodeId out : outputs) {
    const size_t o = static_cast<size_t>(out);
    if (output_register[o] >= 0 && !claimed[o]) {
      claimed[o] = true;
      program.outputs.push_back(static_cast<uint16_t>(output_register[o]));
      continue;
    }
    const int dst = next++;
    program.code.push_back(Instruction{Op::kCopy, static_cast<uint16_t>(dst),
                                       static_cast<uint16_t>(reg[o]), 0, 0, 0.0F});
    program.outputs.push_back(static_cast<uint16_t>(dst));
  }
  program.registers = next;
  return program;
}

}  // namespace gradstream::engine::formula

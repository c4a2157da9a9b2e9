// Program: the nodes a set of outputs needs, flattened into instructions over
// numbered registers (registers [0, inputs) are the inputs, then one per
// constant, then temporaries reused once their value is dead, then one per
// output). Compiled once when a layer is built; the kernels run it.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/formula/expression.hpp"
#include "engine/formula/kernel.hpp"

namespace gradstream::engine::formula {

struct Program {
  int inputs = 0;
  std::vector<std::pair<uint16_t, float>> constants;  // register, value
  std::vector<Instruction> code;
  std::vector<uint16_t> outputs;  // a register per output, in order
  int registers = 0;
};

// `inputs`: how many input registers (input nodes of the graph must be below).
Program compile_program(const Expression& graph, std::span<const NodeId> outputs, int inputs);

}  // namespace gradstream::engine::formula

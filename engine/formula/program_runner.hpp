// ProgramRunner: runs a program over arrays of n values in blocks of
// kBlockFloats, blocks shared out over the caller's OpenMP team. Each input
// register is either streamed (a value per element) or a scalar broadcast to
// every element; each output is either written (a value per element) or summed
// (one double: a learnable parameter's gradient). A sum adds each block's
// values in a fixed order, then the blocks in order, so it does not depend on
// how many threads ran. Buffers are allocated once, for the team size and the
// element count given at construction: a run allocates nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/formula/kernel.hpp"
#include "engine/formula/program.hpp"

namespace gradstream::engine::formula {

struct InputBinding {
  const float* values = nullptr;  // streamed when set ...
  float scalar = 0.0F;            // ... else this value everywhere
};

class ProgramRunner {
 public:
  ProgramRunner() = default;
  // max_elements: the largest n run will see; threads: the largest team.
  ProgramRunner(const Program& program, BlockKernel kernel, int64_t max_elements, int threads);

  // inputs: one per program input; outputs: one per program output, nullptr
  // to sum that output into sums[i] instead.
  void run(int64_t n, std::span<const InputBinding> inputs, std::span<float* const> outputs,
           double* sums);

 private:
  void run_blocks(int thread, int64_t first, int64_t last, int64_t n,
                  std::span<const InputBinding> inputs, std::span<float* const> outputs);

  const Program* program_ = nullptr;
  BlockKernel kernel_ = nullptr;
  int threads_ = 1;
  std::vector<float> scratch_;      // threads x registers x kBlockFloats
  std::vector<float*> pointers_;    // threads x registers
  std::vector<double> block_sums_;  // blocks x outputs
};

}  // namespace gradstream::engine::formula

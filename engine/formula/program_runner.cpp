// ProgramRunner: blocks, tails, broadcast scalars and ordered sums.
#include "engine/formula/program_runner.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

namespace gradstream::engine::formula {

namespace {

// Below this many blocks one thread is faster than waking the team.
constexpr int64_t kParallelMinBlocks = 32;

int64_t round_up(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

// One block's values summed in 16 float lanes (a fixed order the compiler
// vectorizes), the lanes then in double.
double block_sum(const float* values, int64_t count) {
  float lanes[kKernelGranule] = {};
  for (int64_t i = 0; i < count; i += kKernelGranule) {
    for (int64_t l = 0; l < kKernelGranule; ++l) lanes[l] += values[i + l];
  }
  double sum = 0.0;
  for (float lane : lanes) sum += lane;
  return sum;
}

}  // namespace

ProgramRunner::ProgramRunner(const Program& program, BlockKernel kernel, int64_t max_elements,
                             int threads)
    : program_(&program), kernel_(kernel), threads_(std::max(1, threads)) {
  const size_t registers = static_cast<size_t>(program.registers);
  scratch_.assign(static_cast<size_t>(threads_) * registers * kBlockFloats, 0.0F);
  pointers_.assign(static_cast<size_t>(threads_) * registers, nullptr);
  const int64_t blocks = (max_elements + kBlockFloats - 1) / kBlockFloats;
  block_sums_.assign(static_cast<size_t>(blocks) * program.outputs.size(), 0.0);
}

void ProgramRunner::run(int64_t n, std::span<const InputBinding> inputs,
                        std::span<float* const> outputs, double* sums) {
  const int64_t blocks = (n + kBlockFloats - 1) / kBlockFloats;
  // The caller's team (the job's thread budget), within the scratch made.
  const int threads = std::min(threads_, omp_get_max_threads());
  if (blocks >= kParallelMinBlocks && threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t team = omp_get_num_threads();
      const int64_t t = omp_get_thread_num();
      const int64_t per = (blocks + team - 1) / team;
      run_blocks(static_cast<int>(t), std::min(blocks, t * per), std::min(blocks, (t + 1) * per), n,
                 inputs, outputs);
    }
  } else {
    run_blocks(0, 0, blocks, n, inputs, outputs);
  }
  const size_t count = program_->outputs.size();
  for (size_t o = 0; o < count; ++o) {
    if (outputs[o] != nullptr) continue;
    double sum = 0.0;
    for (int64_t b = 0; b < blocks; ++b) sum += block_sums_[static_cast<size_t>(b) * count + o];
    sums[o] = sum;
  }
}

void ProgramRunner::run_blocks(int thread, int64_t first, int64_t last, int64_t n,
                               std::span<const InputBinding> inputs,
                               std::span<float* const> outputs) {
  if (first >= last) return;
  const Program& p = *program_;
  const size_t registers = static_cast<size_t>(p.registers);
  float* scratch = scratch_.data() + static_cast<size_t>(thread) * registers * kBlockFloats;
  float** r = pointers_.data() + static_cast<size_t>(thread) * registers;
  for (size_t i = 0; i < registers; ++i) r[i] = scratch + i * kBlockFloats;
  const auto fill = [&](uint16_t reg, float value) {
    std::fill_n(scratch + reg * kBlockFloats, kBlockFloats, value);
  };
  for (int i = 0; i < p.inputs; ++i) {
    if (inputs[static_cast<size_t>(i)].values == nullptr) {
      fill(static_cast<uint16_t>(i), inputs[static_cast<size_t>(i)].scalar);
    }
  }
  for (const auto& [reg, value] : p.constants) fill(reg, value);
  const size_t outs = p.outputs.size();
  for (int64_t b = first; b < last; ++b) {
    const int64_t begin = b * kBlockFloats;
    const int64_t count = std::min(kBlockFloats, n - begin);
    const bool whole = count == kBlockFloats;
    // A whole block reads and writes the arrays in place; the tail goes
    // through the scratch registers, zero-padded to the kernel's granule.
    for (int i = 0; i < p.inputs; ++i) {
      const float* values = inputs[static_cast<size_t>(i)].values;
      if (values == nullptr) continue;
      float* own = scratch + static_cast<size_t>(i) * kBlockFloats;
      if (whole) {
        r[i] = const_cast<float*>(values + begin);
      } else {
        r[i] = own;
        std::memcpy(own, values + begin, static_cast<size_t>(count) * sizeof(float));
        std::fill(own + count, own + round_up(count, kKernelGranule), 0.0F);
      }
    }
    for (size_t o = 0; o < outs; ++o) {
      const uint16_t reg = p.outputs[o];
      r[reg] = whole && outputs[o] != nullptr ? outputs[o] + begin : scratch + reg * kBlockFloats;
    }
    kernel_(p.code.data(), static_cast<int64_t>(p.code.size()), r, round_up(count, kKernelGranule));
    for (size_t o = 0; o < outs; ++o) {
      const float* values = r[p.outputs[o]];
      if (outputs[o] == nullptr) {
        // The padded lanes of a tail are no element's: sum only `count`.
        float tail[kBlockFloats];
        const float* summed = values;
        if (!whole) {
          std::memcpy(tail, values, static_cast<size_t>(count) * sizeof(float));
          std::fill(tail + count, tail + round_up(count, kKernelGranule), 0.0F);
          summed = tail;
        }
        block_sums_[static_cast<size_t>(b) * outs + o] =
            block_sum(summed, round_up(count, kKernelGranule));
      } else if (!whole) {
        std::memcpy(outputs[o] + begin, values, static_cast<size_t>(count) * sizeof(float));
      }
    }
  }
}

}  // namespace gradstream::engine::formula

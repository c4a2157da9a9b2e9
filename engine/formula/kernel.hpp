// The block kernel: runs a compiled program over one block of values, one
// instruction at a time over the whole block, each a vector loop (libmvec's
// vector exp, log, sin, ... for the transcendental ones). Registers are blocks
// of kBlockFloats floats; the caller points each register at its buffer.
// One kernel is compiled per instruction set (kernels/*.cpp) and the one
// matching oneDNN's ISA runs, so a job's numbers depend on the same ISA as
// the rest of its run.
#pragma once

#include <cstdint>

#include "engine/formula/op.hpp"

namespace gradstream::engine::formula {

// Values per block: 16 registers of a block stay in a 32 KiB L1 cache.
inline constexpr int64_t kBlockFloats = 256;
// Counts passed to a kernel are multiples of this (the widest vector).
inline constexpr int64_t kKernelGranule = 16;

struct Instruction {
  Op op;
  uint16_t dst;
  uint16_t a;
  uint16_t b;
  uint16_t c;
  float exponent;  // kPower
};

// count: values per register to compute, a multiple of kKernelGranule and at
// most kBlockFloats.
using BlockKernel = void (*)(const Instruction* code, int64_t size, float* const* registers,
                             int64_t count);

enum class KernelIsa { kSse2, kAvx2, kAvx512 };

BlockKernel block_kernel(KernelIsa isa);
// The widest kernel oneDNN's effective ISA allows (ONEDNN_MAX_CPU_ISA caps it).
KernelIsa kernel_isa_for_cpu();
const char* kernel_isa_name(KernelIsa isa);

// Defined in kernels/, one per ISA.
void run_block_sse2(const Instruction* code, int64_t size, float* const* registers, int64_t count);
void run_block_avx2(const Instruction* code, int64_t size, float* const* registers, int64_t count);
void run_block_avx512(const Instruction* code, int64_t size, float* const* registers,
                      int64_t count);

}  // namespace gradstream::engine::formula

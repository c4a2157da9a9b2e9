// Choosing the block kernel for this CPU.
#include "engine/formula/kernel.hpp"

#include <oneapi/dnnl/dnnl.hpp>

namespace gradstream::engine::formula {

BlockKernel block_kernel(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx512:
      return run_block_avx512;
    case KernelIsa::kAvx2:
      return run_block_avx2;
    case KernelIsa::kSse2:
      return run_block_sse2;
  }
  return run_block_sse2;
}

KernelIsa kernel_isa_for_cpu() {
  using dnnl::cpu_isa;
  const cpu_isa isa = dnnl::get_effective_cpu_isa();
  switch (isa) {
    case cpu_isa::avx512_core:
    case cpu_isa::avx512_core_vnni:
    case cpu_isa::avx512_core_bf16:
    case cpu_isa::avx512_core_amx:
      return KernelIsa::kAvx512;
    case cpu_isa::avx2:
    case cpu_isa::avx2_vnni:
      return KernelIsa::kAvx2;
    default:
      return KernelIsa::kSse2;
  }
}

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx512:
      return "avx512";
    case KernelIsa::kAvx2:
      return "avx2";
    case KernelIsa::kSse2:
      return "sse2";
  }
  return "?";
}

}  // namespace gradstream::engine::formula

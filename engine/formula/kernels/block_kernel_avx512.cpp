// The block kernel for AVX-512 (compiled with -mavx512f; libmvec's 'e' forms).
#define GS_WIDTH 16
#define GS_MVEC(name) _ZGVeN16v_##name
#define GS_KERNEL run_block_avx512
#include "engine/formula/kernels/block_kernel.inc"

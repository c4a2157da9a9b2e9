// The block kernel for AVX2 (compiled with -mavx2 -mfma; libmvec's 'd' forms).
#define GS_WIDTH 8
#define GS_MVEC(name) _ZGVdN8v_##name
#define GS_KERNEL run_block_avx2
#include "engine/formula/kernels/block_kernel.inc"

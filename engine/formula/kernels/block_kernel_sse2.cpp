// The block kernel for any x86-64 CPU (SSE2; libmvec's 'b' forms).
#define GS_WIDTH 4
#define GS_MVEC(name) _ZGVbN4v_##name
#define GS_KERNEL run_block_sse2
#include "engine/formula/kernels/block_kernel.inc"

// GRADSTREAM_CPU_CLONES: a function compiled for AVX2 and for the x86-64
// baseline, the copy chosen once at load time by an ifunc resolver (same IEEE
// operations in both, so the same bits).
//
// Under ThreadSanitizer the resolver, which the compiler instruments like any
// function, runs while the dynamic loader relocates the program, before TSan's
// runtime exists, and crashes it; a TSan build (GRADSTREAM_NO_CPU_CLONES, set
// by engine/CMakeLists.txt for the files that use this) compiles the baseline
// copy only.
#pragma once

#ifdef GRADSTREAM_NO_CPU_CLONES
#define GRADSTREAM_CPU_CLONES
#else
#define GRADSTREAM_CPU_CLONES __attribute__((target_clones("avx2", "default")))
#endif

// Element-wise loops over parameters and batches (optimizer updates, batch
// gathers) run on the caller's OpenMP team: the trainer sets that team to the
// job's thread budget, so these regions use exactly the cores the job owns.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace gradstream::engine {

// Below this many elements the fork/join costs more than the loop.
inline constexpr int64_t kParallelMinElements = 1 << 15;
// Chunk starts are multiples of this, so each chunk's vector loop starts aligned.
inline constexpr int64_t kChunkAlignment = 16;

// Calls body(begin, end) on contiguous chunks covering [0, n), one per thread of
// the caller's team. Element-wise bodies give the same result for any split.
template <class Body>
void parallel_chunks(int64_t n, Body&& body) {
  if (n < kParallelMinElements) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads();
    const int64_t chunk =
        (n / threads + kChunkAlignment - 1) / kChunkAlignment * kChunkAlignment;
    const int64_t begin = std::min(n, omp_get_thread_num() * chunk);
    const int64_t end = omp_get_thread_num() == threads - 1 ? n : std::min(n, begin + chunk);
    if (begin < end) body(begin, end);
  }
}

// Cores this process may run on (its CPU affinity mask), at least 1.
int usable_cores();

}  // namespace gradstream::engine

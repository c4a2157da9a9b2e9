// Element-wise loops over parameters (optimizer updates) run on the caller's
// OpenMP team: the trainer sets that team to the job's thread budget, so these
// regions use exactly the cores the job owns, never more. Below this size the
// fork/join costs more than the loop.
#pragma once

#include <cstdint>

namespace gradstream::engine {

inline constexpr int64_t kParallelMinElements = 1 << 15;

// Cores this process may run on (its CPU affinity mask), at least 1.
int usable_cores();

}  // namespace gradstream::engine

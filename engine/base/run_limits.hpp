// The limits on a run that several parts of the engine check or rely on: the
// spec validator rejects specs beyond them, the optimizer's schedule checks
// read kMaxEpochs, and the server sizes its admission checks from them.
#pragma once

#include <cstdint>

namespace gradstream::engine {

inline constexpr uint32_t kMaxEpochs = 10000;
inline constexpr uint32_t kMaxBatchSize = 65536;
inline constexpr uint32_t kMaxThreads = 256;
// Ranks of a data-parallel job (distributed.workers).
inline constexpr uint32_t kMaxWorkers = 64;

}  // namespace gradstream::engine

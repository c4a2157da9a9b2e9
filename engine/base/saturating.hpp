// Integer arithmetic that saturates at INT64_MAX instead of overflowing: sizes
// computed from what a user sent (a spec's dims and units) may be absurd, and
// must then compare as too large rather than wrap around.
#pragma once

#include <cstdint>
#include <limits>

namespace gradstream::engine {

inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_add_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

inline int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

}  // namespace gradstream::engine

// RowSlice: a data-parallel rank's share of a global batch. The ranks split
// every batch into contiguous slices in rank order, as evenly as possible:
// the first rows % ranks ranks take one row more (100 rows over 3 ranks:
// 34, 33, 33). A rank of a batch smaller than the rank count may get none.
#pragma once

#include <algorithm>
#include <cstdint>

namespace gradstream::engine {

struct RowSlice {
  int64_t first = 0;  // the slice's first row in the global batch
  int64_t count = 0;

  bool operator==(const RowSlice& other) const {
    return first == other.first && count == other.count;
  }
};

inline RowSlice row_slice(int64_t rows, int rank, int ranks) {
  const int64_t share = rows / ranks;
  const int64_t extra = rows % ranks;
  return {rank * share + std::min<int64_t>(rank, extra), share + (rank < extra ? 1 : 0)};
}

}  // namespace gradstream::engine

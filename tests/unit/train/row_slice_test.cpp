// row_slice: contiguous slices in rank order that cover every row once, the
// first rows % ranks ranks one row longer; ranks past the rows get none.
#include "engine/train/row_slice.hpp"

#include <gtest/gtest.h>

namespace gradstream::engine {
namespace {

TEST(RowSliceTest, UnevenSplitGivesTheFirstRanksOneMore) {
  EXPECT_EQ(row_slice(100, 0, 3), (RowSlice{0, 34}));
  EXPECT_EQ(row_slice(100, 1, 3), (RowSlice{34, 33}));
  EXPECT_EQ(row_slice(100, 2, 3), (RowSlice{67, 33}));
  EXPECT_EQ(row_slice(7, 0, 4), (RowSlice{0, 2}));
  EXPECT_EQ(row_slice(7, 2, 4), (RowSlice{4, 2}));
  EXPECT_EQ(row_slice(7, 3, 4), (RowSlice{6, 1}));
}

TEST(RowSliceTest, OneRankTakesEverything) { EXPECT_EQ(row_slice(128, 0, 1), (RowSlice{0, 128})); }

TEST(RowSliceTest, RanksPastTheRowsGetNone) {
  EXPECT_EQ(row_slice(2, 0, 3), (RowSlice{0, 1}));
  EXPECT_EQ(row_slice(2, 1, 3), (RowSlice{1, 1}));
  EXPECT_EQ(row_slice(2, 2, 3).count, 0);
}

TEST(RowSliceTest, SlicesCoverEveryRowOnceInRankOrder) {
  for (int64_t rows = 1; rows <= 70; ++rows) {
    for (int ranks = 1; ranks <= 9; ++ranks) {
      int64_t next = 0;
      int64_t longest = 0;
      int64_t shortest = rows;
      for (int r = 0; r < ranks; ++r) {
        const RowSlice s = row_slice(rows, r, ranks);
        ASSERT_EQ(s.first, next) << rows << " rows, rank " << r << " of " << ranks;
        next += s.count;
        longest = std::max(longest, s.count);
        shortest = std::min(shortest, s.count);
      }
      EXPECT_EQ(next, rows);
      EXPECT_LE(longest - shortest, 1);
    }
  }
}

}  // namespace
}  // namespace gradstream::engine

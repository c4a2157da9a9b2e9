// The worker's job budget: threads lowered to its share, prefetching only on
// a spare core of the job's own.
#include "worker/job_runner.hpp"

#include <gtest/gtest.h>

namespace gradstream::worker {
namespace {

TEST(BudgetedSpecTest, ThreadsAreLoweredToTheBudget) {
  v1::TrainingSpec spec;
  spec.set_threads(8);
  const v1::TrainingSpec budgeted = budgeted_spec(spec, JobBudget{2, 4});
  EXPECT_EQ(budgeted.threads(), 2U);
  EXPECT_FALSE(budgeted.data().no_prefetch());  // 2 threads leave 2 of the 4 cores
}

TEST(BudgetedSpecTest, ThreadsFillingTheShareTurnPrefetchOff) {
  v1::TrainingSpec spec;
  spec.set_threads(1);
  const v1::TrainingSpec budgeted = budgeted_spec(spec, JobBudget{1, 1});
  EXPECT_EQ(budgeted.threads(), 1U);
  EXPECT_TRUE(budgeted.data().no_prefetch());
}

TEST(BudgetedSpecTest, FewerThreadsThanTheBudgetAreKept) {
  v1::TrainingSpec spec;
  spec.set_threads(1);
  spec.set_epochs(5);
  const v1::TrainingSpec budgeted = budgeted_spec(spec, JobBudget{4, 4});
  EXPECT_EQ(budgeted.threads(), 1U);
  EXPECT_EQ(budgeted.epochs(), 5U);
  EXPECT_FALSE(budgeted.data().no_prefetch());
}

}  // namespace
}  // namespace gradstream::worker

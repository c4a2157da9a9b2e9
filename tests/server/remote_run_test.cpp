// RemoteRun: reports in order, retried calls taken once, gaps refused, and a
// lost run drained before it says so.
#include "server/remote_run.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

namespace gradstream::server {
namespace {

// `count` step reports numbered from `first_step`.
google::protobuf::RepeatedPtrField<v1::WorkerReport> steps(uint64_t first_step, int count) {
  google::protobuf::RepeatedPtrField<v1::WorkerReport> reports;
  for (int i = 0; i < count; ++i) reports.Add()->mutable_step()->set_step(first_step + i);
  return reports;
}

std::vector<uint64_t> taken_steps(RemoteRun& run) {
  std::vector<v1::WorkerReport> out;
  EXPECT_TRUE(run.take(out));
  std::vector<uint64_t> numbers;
  for (const auto& report : out) numbers.push_back(report.step().step());
  return numbers;
}

struct RemoteRunTest : ::testing::Test {
  std::atomic<bool> cancel{false};
  std::atomic<bool> interrupt{false};
  RemoteRun run{"job-1", 3, "w-x-1", "w1", &cancel, &interrupt};
};

TEST_F(RemoteRunTest, TakesReportsInOrder) {
  auto first = steps(1, 3);
  ASSERT_TRUE(run.deliver(0, &first).ok());
  auto second = steps(4, 2);
  ASSERT_TRUE(run.deliver(3, &second).ok());
  EXPECT_EQ(taken_steps(run), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(RemoteRunTest, RetriedCallIsTakenOnce) {
  auto first = steps(1, 3);
  ASSERT_TRUE(run.deliver(0, &first).ok());
  // The call was taken but its answer lost: the worker sends reports 1..4 again.
  auto retried = steps(2, 4);
  ASSERT_TRUE(run.deliver(1, &retried).ok());
  EXPECT_EQ(taken_steps(run), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(RemoteRunTest, GapIsRefusedNamingTheNextReport) {
  auto first = steps(1, 2);
  ASSERT_TRUE(run.deliver(0, &first).ok());
  auto ahead = steps(5, 1);
  const engine::Status refused = run.deliver(4, &ahead);
  EXPECT_EQ(refused.code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("report 2 is the next expected"), std::string::npos)
      << refused.message();
  EXPECT_EQ(taken_steps(run), (std::vector<uint64_t>{1, 2}));
}

TEST_F(RemoteRunTest, LostRunIsDrainedThenEnds) {
  auto first = steps(1, 2);
  ASSERT_TRUE(run.deliver(0, &first).ok());
  run.lose();
  EXPECT_TRUE(run.lost());
  EXPECT_EQ(taken_steps(run), (std::vector<uint64_t>{1, 2}));
  std::vector<v1::WorkerReport> out;
  EXPECT_FALSE(run.take(out));
  EXPECT_TRUE(out.empty());
  auto late = steps(3, 1);
  const engine::Status refused = run.deliver(2, &late);
  EXPECT_EQ(refused.code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("drop it"), std::string::npos) << refused.message();
}

TEST_F(RemoteRunTest, TakeWaitsForADeliveryOrTheLoss) {
  auto waiting = std::async(std::launch::async, [&] {
    std::vector<v1::WorkerReport> out;
    const bool more = run.take(out);
    return std::make_pair(more, out.size());
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  auto one = steps(1, 1);
  ASSERT_TRUE(run.deliver(0, &one).ok());
  const auto [more, count] = waiting.get();
  EXPECT_TRUE(more);
  EXPECT_EQ(count, 1U);
  auto ending = std::async(std::launch::async, [&] {
    std::vector<v1::WorkerReport> out;
    return run.take(out);
  });
  EXPECT_EQ(ending.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  run.lose();
  EXPECT_FALSE(ending.get());
}

TEST_F(RemoteRunTest, FlagsAreTheJobs) {
  EXPECT_FALSE(run.cancel_requested());
  cancel = true;
  EXPECT_TRUE(run.cancel_requested());
  interrupt = true;
  EXPECT_TRUE(run.interrupt_requested());
  EXPECT_EQ(run.attempt(), 3U);
  EXPECT_EQ(run.worker_name(), "w1");
}

}  // namespace
}  // namespace gradstream::server

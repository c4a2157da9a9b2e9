// ReportOutbox: reports reach the coordinator in order and once, through
// failures that pass; a refusal drops the job; answers raise its flags.
#include "worker/report_outbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace gradstream::worker {
namespace {

// A coordinator that answers each call with the next scripted status (OK
// once the script is used up) and keeps what it took.
struct FakeCoordinator {
  std::mutex mutex;
  std::vector<grpc::Status> script;
  std::vector<uint64_t> firsts;  // first_report of every call
  std::vector<uint64_t> taken;   // step numbers taken, in order
  bool answer_cancel = false;

  grpc::Status send(const v1::ReportJobRequest& request, v1::ReportJobResponse* response) {
    std::lock_guard lock(mutex);
    firsts.push_back(request.first_report());
    EXPECT_EQ(request.job_id(), "job-1");
    EXPECT_EQ(request.attempt(), 2U);
    if (!script.empty()) {
      grpc::Status status = script.front();
      script.erase(script.begin());
      if (!status.ok()) return status;
    }
    // Takes only what it has not taken yet, as RemoteRun does.
    for (int i = static_cast<int>(taken.size() - request.first_report());
         i < request.reports_size(); ++i) {
      taken.push_back(request.reports(i).step().step());
    }
    response->set_cancel(answer_cancel);
    return grpc::Status::OK;
  }
};

v1::WorkerReport step(uint64_t n) {
  v1::WorkerReport report;
  report.mutable_step()->set_step(n);
  return report;
}

ReportOutbox::Send sender(FakeCoordinator& fake) {
  return [&fake](const v1::ReportJobRequest& request, v1::ReportJobResponse* response) {
    return fake.send(request, response);
  };
}

TEST(ReportOutboxTest, EveryReportArrivesInOrderOnce) {
  FakeCoordinator fake;
  JobFlags flags;
  ReportOutbox outbox(sender(fake), "w-1", "job-1", 2, flags);
  for (uint64_t n = 1; n <= 600; ++n) outbox.push(step(n));
  ASSERT_TRUE(outbox.drain());
  std::lock_guard lock(fake.mutex);
  ASSERT_EQ(fake.taken.size(), 600U);
  for (uint64_t n = 1; n <= 600; ++n) EXPECT_EQ(fake.taken[n - 1], n);
  // Batched: at most kMaxReportsPerCall per call, so at least three calls, far fewer than 600.
  EXPECT_GE(fake.firsts.size(), 3U);
  EXPECT_LT(fake.firsts.size(), 20U);
}

TEST(ReportOutboxTest, UnavailableIsRetriedWithTheSameReports) {
  FakeCoordinator fake;
  fake.script = {grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting"),
                 grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow")};
  JobFlags flags;
  ReportOutbox outbox(sender(fake), "w-1", "job-1", 2, flags);
  outbox.push(step(1));
  outbox.push(step(2));
  ASSERT_TRUE(outbox.drain());
  std::lock_guard lock(fake.mutex);
  EXPECT_EQ(fake.taken, (std::vector<uint64_t>{1, 2}));
  ASSERT_EQ(fake.firsts.size(), 3U);
  EXPECT_EQ(fake.firsts, (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_FALSE(flags.dropped.load());
}

TEST(ReportOutboxTest, RefusalDropsTheJob) {
  FakeCoordinator fake;
  fake.script = {grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not this worker's")};
  JobFlags flags;
  ReportOutbox outbox(sender(fake), "w-1", "job-1", 2, flags);
  outbox.push(step(1));
  EXPECT_FALSE(outbox.drain());
  EXPECT_TRUE(flags.dropped.load());
  EXPECT_TRUE(flags.cancel.load());  // training stops too
  std::lock_guard lock(fake.mutex);
  EXPECT_TRUE(fake.taken.empty());
}

TEST(ReportOutboxTest, AnswersRaiseTheJobsFlags) {
  FakeCoordinator fake;
  fake.answer_cancel = true;
  JobFlags flags;
  ReportOutbox outbox(sender(fake), "w-1", "job-1", 2, flags);
  outbox.push(step(1));
  ASSERT_TRUE(outbox.drain());
  EXPECT_TRUE(flags.cancel.load());
  EXPECT_FALSE(flags.interrupt.load());
  EXPECT_FALSE(flags.dropped.load());
}

TEST(ReportOutboxTest, StepReportsGatherForAnInterval) {
  FakeCoordinator fake;
  JobFlags flags;
  ReportOutbox outbox(sender(fake), "w-1", "job-1", 2, flags);
  // Ten reports pushed within a few microseconds go in one call (or two, if
  // the pushing thread was descheduled for a whole interval), not ten.
  for (uint64_t n = 1; n <= 10; ++n) outbox.push(step(n));
  std::this_thread::sleep_for(kReportInterval * 4);
  std::lock_guard lock(fake.mutex);
  EXPECT_EQ(fake.taken.size(), 10U);
  EXPECT_LE(fake.firsts.size(), 2U);
}

}  // namespace
}  // namespace gradstream::worker

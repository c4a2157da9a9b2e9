// WorkerRegistry: joining, heartbeats that hand out jobs and commands, reports
// fenced by attempt, and workers declared lost when they go quiet.
#include "server/worker_registry.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "tests/server/worker_join.hpp"
namespace gradstream::server {
namespace {

using std::chrono::milliseconds;

using worker_test::join_request;

v1::HeartbeatRequest beat(const std::string& worker_id) {
  v1::HeartbeatRequest request;
  request.set_worker_id(worker_id);
  return request;
}

v1::JobAssignment assignment(const std::string& job_id, uint64_t attempt) {
  v1::JobAssignment a;
  a.set_job_id(job_id);
  a.set_attempt(attempt);
  a.mutable_spec()->set_epochs(3);
  return a;
}

struct WorkerRegistryTest : ::testing::Test {
  std::atomic<bool> cancel{false};
  std::atomic<bool> interrupt{false};
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};

  std::string join(const std::string& name, uint32_t max_jobs = 1) {
    auto joined = registry.join(join_request(name, max_jobs));
    EXPECT_TRUE(joined.ok()) << joined.status().message();
    return joined.ok() ? joined->worker_id() : std::string();
  }
};

TEST_F(WorkerRegistryTest, JoinChecksTheInfoNamingTheField) {
  auto unnamed = registry.join(join_request(""));
  EXPECT_EQ(unnamed.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_NE(unnamed.status().message().find("info.name"), std::string::npos);
  auto no_slots = registry.join(join_request("w1", 0));
  EXPECT_EQ(no_slots.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_NE(no_slots.status().message().find("info.max_jobs"), std::string::npos);
  auto bad_name = registry.join(join_request("w 1"));
  EXPECT_EQ(bad_name.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.workers(), 0U);
}

TEST_F(WorkerRegistryTest, JoinAnswersTheTimingAndDropsWhatTheWorkerStillTrains) {
  v1::JoinRequest request = join_request("w1");
  v1::WorkerJob* old = request.add_running();
  old->set_job_id("job-9");
  old->set_attempt(2);
  auto joined = registry.join(request);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->heartbeat_seconds(), 0.05);
  EXPECT_EQ(joined->lost_after_seconds(), 10.0);
  ASSERT_EQ(joined->drop_size(), 1);
  EXPECT_EQ(joined->drop(0).job_id(), "job-9");
  EXPECT_EQ(joined->drop(0).attempt(), 2U);
  EXPECT_EQ(registry.workers(), 1U);
}

TEST_F(WorkerRegistryTest, UnknownWorkerIsToldToJoinAgain) {
  auto answer = registry.heartbeat(beat("w-nope-1"));
  EXPECT_EQ(answer.status().code(), engine::StatusCode::kNotFound);
  EXPECT_NE(answer.status().message().find("join again"), std::string::npos);
}

TEST_F(WorkerRegistryTest, ReservedJobIsHandedAtTheNextHeartbeat) {
  EXPECT_FALSE(registry.has_room());
  EXPECT_EQ(registry.reserve("job-1", 1, &cancel, &interrupt), nullptr);
  const std::string id = join("w1");
  EXPECT_TRUE(registry.has_room());
  auto run = registry.reserve("job-1", 1, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->worker_name(), "w1");
  EXPECT_FALSE(registry.has_room());  // one slot, reserved
  EXPECT_EQ(registry.reserve("job-2", 1, &cancel, &interrupt), nullptr);
  registry.assign(run, assignment("job-1", 1));
  auto answer = registry.heartbeat(beat(id));
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->start_size(), 1);
  EXPECT_EQ(answer->start(0).job_id(), "job-1");
  EXPECT_EQ(answer->start(0).spec().epochs(), 3U);
  // Handed once.
  auto next = registry.heartbeat(beat(id));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->start_size(), 0);
}

TEST_F(WorkerRegistryTest, JobsSpreadOverTheWorkersWithMostRoom) {
  join("w1", 2);
  join("w2", 2);
  auto a = registry.reserve("job-1", 1, &cancel, &interrupt);
  auto b = registry.reserve("job-2", 1, &cancel, &interrupt);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->worker_name(), b->worker_name());
}

TEST_F(WorkerRegistryTest, ReleaseFreesTheSlotAndWakesTheListener) {
  int woken = 0;
  registry.on_room([&] { ++woken; });
  join("w1");
  EXPECT_EQ(woken, 1);  // joining brings room
  auto run = registry.reserve("job-1", 1, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  EXPECT_FALSE(registry.has_room());
  registry.release(*run);
  EXPECT_EQ(woken, 2);
  EXPECT_TRUE(registry.has_room());
}

TEST_F(WorkerRegistryTest, ReportsAreFencedByWorkerAndAttempt) {
  const std::string id = join("w1");
  auto run = registry.reserve("job-1", 4, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  v1::ReportJobRequest stale;
  stale.set_worker_id(id);
  stale.set_job_id("job-1");
  stale.set_attempt(3);
  stale.add_reports()->mutable_step()->set_step(1);
  auto refused = registry.report(stale);
  EXPECT_EQ(refused.status().code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("attempt 3"), std::string::npos);
  v1::ReportJobRequest current = stale;
  current.set_attempt(4);
  cancel = true;
  auto taken = registry.report(current);
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  EXPECT_TRUE(taken->cancel());
  EXPECT_FALSE(taken->interrupt());
  std::vector<v1::WorkerReport> out;
  ASSERT_TRUE(run->take(out));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].step().step(), 1U);
  v1::ReportJobRequest stranger = current;
  stranger.set_worker_id("w-other-1");
  EXPECT_EQ(registry.report(stranger).status().code(), engine::StatusCode::kNotFound);
}

TEST_F(WorkerRegistryTest, HeartbeatCarriesCancelInterruptAndDrop) {
  const std::string id = join("w1", 2);
  auto run = registry.reserve("job-1", 1, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  cancel = true;
  interrupt = true;
  v1::HeartbeatRequest request = beat(id);
  v1::WorkerJob* mine = request.add_running();
  mine->set_job_id("job-1");
  mine->set_attempt(1);
  v1::WorkerJob* moved = request.add_running();
  moved->set_job_id("job-5");
  moved->set_attempt(1);
  auto answer = registry.heartbeat(request);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->cancel_size(), 1);
  EXPECT_EQ(answer->cancel(0).job_id(), "job-1");
  ASSERT_EQ(answer->interrupt_size(), 1);
  ASSERT_EQ(answer->drop_size(), 1);
  EXPECT_EQ(answer->drop(0).job_id(), "job-5");
}

TEST_F(WorkerRegistryTest, JoiningAgainUnderTheSameNameLosesTheOldMembership) {
  const std::string first = join("w1");
  auto run = registry.reserve("job-1", 1, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  const std::string second = join("w1");
  EXPECT_NE(first, second);
  EXPECT_TRUE(run->lost());
  EXPECT_EQ(registry.workers(), 1U);
  EXPECT_EQ(registry.heartbeat(beat(first)).status().code(), engine::StatusCode::kNotFound);
}

TEST_F(WorkerRegistryTest, DataParallelRanksGoToDistinctWorkers) {
  join("w1", 2);
  EXPECT_FALSE(registry.has_room(2));
  EXPECT_TRUE(registry.reserve_group("job-1", 1, 2, &cancel, &interrupt).empty());
  join("w2", 2);
  EXPECT_TRUE(registry.has_room(2));
  EXPECT_FALSE(registry.has_room(3));
  auto ranks = registry.reserve_group("job-1", 1, 2, &cancel, &interrupt);
  ASSERT_EQ(ranks.size(), 2U);
  EXPECT_EQ(ranks[0]->rank(), 0U);
  EXPECT_EQ(ranks[1]->rank(), 1U);
  EXPECT_NE(ranks[0]->worker_name(), ranks[1]->worker_name());
  ASSERT_NE(ranks[0]->group(), nullptr);
  EXPECT_EQ(ranks[0]->group(), ranks[1]->group());
  // Losing one rank loses the attempt.
  ranks[1]->lose();
  EXPECT_TRUE(ranks[0]->lost());
}

TEST_F(WorkerRegistryTest, RendezvousKeysAreTheAttemptsOwn) {
  const std::string w1 = join("w1");
  const std::string w2 = join("w2");
  auto ranks = registry.reserve_group("job-1", 7, 2, &cancel, &interrupt);
  ASSERT_EQ(ranks.size(), 2U);
  const std::string rank0_worker = ranks[0]->worker_name() == "w1" ? w1 : w2;
  const std::string rank1_worker = rank0_worker == w1 ? w2 : w1;
  v1::RendezvousRequest set;
  set.set_worker_id(rank0_worker);
  set.set_job_id("job-1");
  set.set_attempt(7);
  (*set.mutable_set())["0"] = "address-of-rank-0";
  ASSERT_TRUE(registry.rendezvous(set).ok());
  v1::RendezvousRequest get;
  get.set_worker_id(rank1_worker);
  get.set_job_id("job-1");
  get.set_attempt(7);
  get.add_get("0");
  get.add_get("1");
  auto values = registry.rendezvous(get);
  ASSERT_TRUE(values.ok()) << values.status().message();
  ASSERT_EQ(values->values().size(), 1U);
  EXPECT_EQ(values->values().at("0"), "address-of-rank-0");
  // Set once per attempt.
  auto again = registry.rendezvous(set);
  EXPECT_EQ(again.status().code(), engine::StatusCode::kInvalidArgument);
  EXPECT_NE(again.status().message().find("\"0\""), std::string::npos);
  // Another attempt, or a worker not in it, is fenced off.
  v1::RendezvousRequest stale = get;
  stale.set_attempt(6);
  EXPECT_EQ(registry.rendezvous(stale).status().code(), engine::StatusCode::kFailedPrecondition);
}

TEST_F(WorkerRegistryTest, RendezvousOfAOneWorkerJobIsRefused) {
  const std::string id = join("w1");
  ASSERT_NE(registry.reserve("job-1", 1, &cancel, &interrupt), nullptr);
  v1::RendezvousRequest request;
  request.set_worker_id(id);
  request.set_job_id("job-1");
  request.set_attempt(1);
  request.add_get("0");
  auto refused = registry.rendezvous(request);
  EXPECT_EQ(refused.status().code(), engine::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("not data-parallel"), std::string::npos);
}

TEST(WorkerRegistryLossTest, QuietWorkerIsLostWithItsRuns) {
  std::atomic<bool> cancel{false};
  std::atomic<bool> interrupt{false};
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 0.3}};
  auto joined = registry.join(join_request("w1"));
  ASSERT_TRUE(joined.ok());
  auto run = registry.reserve("job-1", 1, &cancel, &interrupt);
  ASSERT_NE(run, nullptr);
  // Heartbeats keep it: 0.6 s of beats every 50 ms.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(registry.heartbeat(beat(joined->worker_id())).ok());
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_FALSE(run->lost());
  const auto quiet = std::chrono::steady_clock::now();
  std::vector<v1::WorkerReport> out;
  EXPECT_FALSE(run->take(out));  // wakes when the worker is lost
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - quiet).count();
  EXPECT_GE(waited, 0.25);
  EXPECT_LT(waited, 2.0);
  EXPECT_EQ(registry.workers(), 0U);
  EXPECT_EQ(registry.heartbeat(beat(joined->worker_id())).status().code(),
            engine::StatusCode::kNotFound);
}

TEST(WorkerRegistryOptionsTest, FlagsAreChecked) {
  EXPECT_TRUE(validate_worker_options({1.0, 10.0}).ok());
  const engine::Status fast = validate_worker_options({0.001, 10.0});
  EXPECT_NE(fast.message().find("heartbeat_seconds"), std::string::npos);
  const engine::Status tight = validate_worker_options({1.0, 1.5});
  EXPECT_NE(tight.message().find("worker_lost_seconds"), std::string::npos);
  EXPECT_FALSE(validate_worker_options({1.0, std::nan("")}).ok());
}

TEST(WorkerRegistryStopTest, StopLosesEveryRunAndRefusesJoins) {
  std::atomic<bool> flag{false};
  WorkerRegistry registry{WorkerRegistryOptions{}};
  ASSERT_TRUE(registry.join(join_request("w1")).ok());
  auto run = registry.reserve("job-1", 1, &flag, &flag);
  ASSERT_NE(run, nullptr);
  registry.stop();
  EXPECT_TRUE(run->lost());
  EXPECT_EQ(registry.join(join_request("w2")).status().code(), engine::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gradstream::server

// JobManager with workers: jobs handed to a worker through the registry, its
// reports taken into the job as a local run's, a lost worker's job moved to
// another with a new attempt (the old one fenced off), cancel passed on, and
// jobs on uploaded datasets handed to workers too. The workers here are the
// test itself, calling the registry as the Coordinator service would.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "server/job_manager.hpp"
#include "server/worker_registry.hpp"
#include "tests/server/job_manager_test_support.hpp"
#include "tests/server/worker_join.hpp"

namespace gradstream::server {
namespace {

using engine::StatusCode;
using namespace job_manager_test;  // NOLINT: the shared helpers of these tests

v1::TrainingSpec builtin_spec() {
  v1::TrainingSpec s = spec(2);
  s.mutable_data()->set_builtin("fashion-mnist");
  s.mutable_model()->clear_input_shape();
  s.mutable_model()->add_input_shape(784);
  return s;
}

v1::TrainingSpec two_worker_spec() {
  v1::TrainingSpec s = builtin_spec();
  s.mutable_distributed()->set_workers(2);
  return s;
}

// A worker played by the test.
class FakeWorker {
 public:
  FakeWorker(WorkerRegistry& registry, const std::string& name) : registry_(registry) {
    auto joined = registry_.join(worker_test::join_request(name));
    EXPECT_TRUE(joined.ok()) << joined.status().message();
    if (joined.ok()) id_ = joined->worker_id();
  }

  // Heartbeats until an answer hands it a job.
  v1::JobAssignment next_job() {
    v1::JobAssignment job;
    EXPECT_TRUE(eventually([&] {
      auto answer = registry_.heartbeat(beat());
      if (!answer.ok() || answer->start_size() == 0) return false;
      job = answer->start(0);
      return true;
    }));
    return job;
  }

  const std::string& id() const { return id_; }

  v1::HeartbeatResponse heartbeat() {
    auto answer = registry_.heartbeat(beat());
    EXPECT_TRUE(answer.ok()) << answer.status().message();
    return answer.ok() ? *answer : v1::HeartbeatResponse();
  }

  // Sends `reports` as the job's next ones.
  engine::Status report(const v1::JobAssignment& job, std::vector<v1::WorkerReport> reports) {
    v1::ReportJobRequest request;
    request.set_worker_id(id_);
    request.set_job_id(job.job_id());
    request.set_attempt(job.attempt());
    request.set_first_report(sent_);
    for (auto& r : reports) *request.add_reports() = std::move(r);
    auto answer = registry_.report(request);
    if (answer.ok()) sent_ += static_cast<uint64_t>(request.reports_size());
    return answer.status();
  }

  static v1::WorkerReport started(uint64_t seed) {
    v1::WorkerReport r;
    r.mutable_started()->mutable_run()->set_cpu_model("fake CPU");
    r.mutable_started()->mutable_run()->set_isa("avx2");
    r.mutable_started()->mutable_run()->set_threads(1);
    r.mutable_started()->mutable_run()->set_seed(seed);
    r.mutable_started()->set_train_samples(60000);
    r.mutable_started()->set_resumed_checkpoint(-1);
    return r;
  }
  static v1::WorkerReport step(uint64_t n) {
    v1::WorkerReport r;
    r.mutable_step()->set_step(n);
    r.mutable_step()->set_loss(1.0F / static_cast<float>(n));
    return r;
  }
  static v1::WorkerReport finished(v1::DoneReport::Outcome outcome, std::string model = {}) {
    v1::WorkerReport r;
    r.mutable_finished()->mutable_done()->set_outcome(outcome);
    r.mutable_finished()->mutable_done()->set_steps(2);
    r.mutable_finished()->mutable_done()->set_epochs(2);
    r.mutable_finished()->set_model(std::move(model));
    return r;
  }

 private:
  v1::HeartbeatRequest beat() const {
    v1::HeartbeatRequest request;
    request.set_worker_id(id_);
    return request;
  }

  WorkerRegistry& registry_;
  std::string id_;
  uint64_t sent_ = 0;
};

JobManagerOptions coordinator_options(WorkerRegistry& registry) {
  JobManagerOptions options;
  options.workers = &registry;
  options.train_locally = false;
  options.max_remote_jobs = 4;
  return options;
}

TEST(JobManagerRemoteTest, WorkersReportsBecomeTheJobsEventsAndModel) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(builtin_spec(), "", nullptr);
  ASSERT_TRUE(created.ok()) << created.status().message();
  FakeWorker worker(registry, "w1");
  const v1::JobAssignment job = worker.next_job();
  EXPECT_EQ(job.job_id(), created->id());
  EXPECT_EQ(job.attempt(), 1U);
  EXPECT_EQ(job.spec().epochs(), 2U);
  EXPECT_EQ(job.checkpoints_size(), 0);
  ASSERT_TRUE(worker.report(job, {FakeWorker::started(3), FakeWorker::step(1)}).ok());
  ASSERT_TRUE(worker
                  .report(job, {FakeWorker::step(2),
                                FakeWorker::finished(v1::DoneReport::SUCCEEDED, "model")})
                  .ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, job.job_id()) == v1::SUCCEEDED; }));
  auto done = manager.get_job(job.job_id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->worker(), "w1");
  EXPECT_EQ(done->run().cpu_model(), "fake CPU");
  EXPECT_EQ(done->steps(), 2U);
  auto model = manager.model_bytes(job.job_id());
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(**model, "model");
  auto log = manager.event_log(job.job_id());
  ASSERT_NE(log, nullptr);
  const auto events = all_events(*log);
  // QUEUED, RUNNING, two steps, done, SUCCEEDED: numbered 1.. without gaps.
  ASSERT_EQ(events.size(), 6U);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence(), i + 1);
  EXPECT_EQ(events[2].step().step(), 1U);
  EXPECT_EQ(events[3].step().step(), 2U);
  EXPECT_EQ(events[4].done().run().cpu_model(), "fake CPU");  // the worker's machine
  expect_ending(*log, v1::DoneReport::SUCCEEDED, v1::SUCCEEDED);
}

TEST(JobManagerRemoteTest, LostWorkersJobMovesToAnotherWithANewAttempt) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 0.3}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(builtin_spec(), "", nullptr);
  ASSERT_TRUE(created.ok());
  FakeWorker first(registry, "w1");
  const v1::JobAssignment lost = first.next_job();
  ASSERT_TRUE(first.report(lost, {FakeWorker::started(3), FakeWorker::step(1)}).ok());
  // w1 goes quiet; w2 joins and keeps heartbeating until the job comes to it.
  FakeWorker second(registry, "w2");
  const v1::JobAssignment moved = second.next_job();
  EXPECT_EQ(moved.job_id(), lost.job_id());
  EXPECT_EQ(moved.attempt(), 2U);
  // The first attempt is fenced off: its worker is unknown now.
  const engine::Status late = first.report(lost, {FakeWorker::step(2)});
  EXPECT_EQ(late.code(), StatusCode::kNotFound);
  ASSERT_TRUE(second
                  .report(moved, {FakeWorker::started(3), FakeWorker::step(1), FakeWorker::step(2),
                                  FakeWorker::finished(v1::DoneReport::SUCCEEDED, "m")})
                  .ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, moved.job_id()) == v1::SUCCEEDED; }));
  auto done = manager.get_job(moved.job_id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->worker(), "w2");
  EXPECT_EQ(done->resumes(), 1U);
  EXPECT_EQ(done->resumed_from_step(), 0U);  // no store, no checkpoint: from the start
  // The moved run's events continue the numbering after the RUNNING event.
  const auto events = all_events(*manager.event_log(moved.job_id()));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence(), i + 1);
  EXPECT_EQ(events.size(), 6U);
}

TEST(JobManagerRemoteTest, CancelReachesTheWorkerAtItsNextHeartbeat) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(builtin_spec(), "", nullptr);
  ASSERT_TRUE(created.ok());
  FakeWorker worker(registry, "w1");
  const v1::JobAssignment job = worker.next_job();
  ASSERT_TRUE(worker.report(job, {FakeWorker::started(3)}).ok());
  ASSERT_TRUE(manager.cancel_job(job.job_id()).ok());
  const v1::HeartbeatResponse answer = worker.heartbeat();
  ASSERT_EQ(answer.cancel_size(), 1);
  EXPECT_EQ(answer.cancel(0).job_id(), job.job_id());
  ASSERT_TRUE(worker.report(job, {FakeWorker::finished(v1::DoneReport::CANCELLED)}).ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, job.job_id()) == v1::CANCELLED; }));
}

TEST(JobManagerRemoteTest, DataParallelJobWaitsForItsRanksAndTakesRankZerosReports) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(two_worker_spec(), "", nullptr);
  ASSERT_TRUE(created.ok()) << created.status().message();
  const auto waiting = [&] {
    auto job = manager.get_job(created->id());
    EXPECT_TRUE(job.ok());
    return job.ok() ? job->waiting() : std::string("?");
  };
  EXPECT_EQ(waiting(),
            "2 workers with a free slot, one rank on each; 0 joined, 0 with a free slot");
  FakeWorker first(registry, "w1");
  // One worker is not enough, and the job says so.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(first.heartbeat().start_size(), 0);
  EXPECT_EQ(state_of(manager, created->id()), v1::QUEUED);
  EXPECT_EQ(waiting(),
            "2 workers with a free slot, one rank on each; 1 joined, 1 with a free slot");
  ASSERT_EQ(manager.list_jobs().size(), 1U);
  EXPECT_EQ(manager.list_jobs()[0].waiting(), waiting());
  FakeWorker second(registry, "w2");
  const v1::JobAssignment a = first.next_job();
  const v1::JobAssignment b = second.next_job();
  EXPECT_EQ(waiting(), "") << "a job that started waits for nothing";
  EXPECT_EQ(a.world_size(), 2U);
  EXPECT_EQ(b.world_size(), 2U);
  EXPECT_EQ(a.rank() + b.rank(), 1U);
  EXPECT_EQ(a.attempt(), b.attempt());
  FakeWorker& rank0 = a.rank() == 0 ? first : second;
  FakeWorker& rank1 = a.rank() == 0 ? second : first;
  const v1::JobAssignment& job0 = a.rank() == 0 ? a : b;
  const v1::JobAssignment& job1 = a.rank() == 0 ? b : a;
  ASSERT_TRUE(rank1.report(job1, {FakeWorker::started(5)}).ok());
  ASSERT_TRUE(rank0.report(job0, {FakeWorker::started(5), FakeWorker::step(1)}).ok());
  ASSERT_TRUE(rank1.report(job1, {FakeWorker::finished(v1::DoneReport::SUCCEEDED)}).ok());
  ASSERT_TRUE(rank0
                  .report(job0, {FakeWorker::step(2),
                                 FakeWorker::finished(v1::DoneReport::SUCCEEDED, "rank 0")})
                  .ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, created->id()) == v1::SUCCEEDED; }));
  EXPECT_EQ(**manager.model_bytes(created->id()), "rank 0");
  // Both slots are free again.
  EXPECT_TRUE(registry.has_room(2));
}

// Two fake workers holding the ranks of one 2-worker job.
struct TwoRanks {
  FakeWorker first;
  FakeWorker second;
  v1::JobAssignment a;
  v1::JobAssignment b;
  TwoRanks(WorkerRegistry& registry)
      : first(registry, "w1"), second(registry, "w2"), a(first.next_job()), b(second.next_job()) {}
  FakeWorker& worker(uint32_t rank) { return a.rank() == rank ? first : second; }
  const v1::JobAssignment& job(uint32_t rank) const { return a.rank() == rank ? a : b; }
};

v1::WorkerReport failure(const std::string& reason) {
  v1::WorkerReport failed = FakeWorker::finished(v1::DoneReport::FAILED);
  failed.mutable_finished()->mutable_done()->set_reason(reason);
  return failed;
}

TEST(JobManagerRemoteTest, FirstFailureOfARankIsTheJobsOnceEveryRankEnded) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(two_worker_spec(), "", nullptr);
  ASSERT_TRUE(created.ok());
  TwoRanks ranks(registry);
  ASSERT_TRUE(ranks.worker(1).report(ranks.job(1), {failure("cannot read the data")}).ok());
  // Rank 0 has not ended: its worker may be the one that is gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(state_of(manager, created->id()), v1::RUNNING);
  ASSERT_TRUE(ranks.worker(0).report(ranks.job(0), {failure("connection closed by peer")}).ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, created->id()) == v1::FAILED; }));
  const std::string reason = manager.get_job(created->id())->reason();
  EXPECT_NE(reason.find("rank 1 (worker"), std::string::npos) << reason;
  EXPECT_NE(reason.find("cannot read the data"), std::string::npos) << reason;
}

TEST(JobManagerRemoteTest, RankFailingBecauseItsPeerDiedIsMovedWhenThePeerIsLost) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 0.3}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(two_worker_spec(), "", nullptr);
  ASSERT_TRUE(created.ok());
  TwoRanks ranks(registry);
  // Rank 0's worker dies; rank 1 fails on the closed connection and keeps
  // heartbeating: the attempt is lost with rank 0's worker, not failed, and
  // goes to the two workers alive as attempt 2.
  ASSERT_TRUE(ranks.worker(1).report(ranks.job(1), {failure("connection closed by peer")}).ok());
  FakeWorker& survivor = ranks.worker(1);
  std::atomic<bool> beating{true};
  std::thread keep_alive([&] {
    while (beating) {
      survivor.heartbeat();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  FakeWorker third(registry, "w3");
  const v1::JobAssignment again = third.next_job();
  beating = false;
  keep_alive.join();
  EXPECT_EQ(again.job_id(), created->id());
  EXPECT_EQ(again.attempt(), 2U);
  EXPECT_EQ(again.world_size(), 2U);
  auto job = manager.get_job(created->id());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::RUNNING);
  EXPECT_EQ(job->reason(), "");
}

TEST(JobManagerRemoteTest, UploadedDatasetJobsTrainOnWorkersWhichMayFetchTheirDataset) {
  WorkerRegistry registry{WorkerRegistryOptions{0.05, 10.0}};
  JobManager manager(coordinator_options(registry));
  auto created = manager.create_job(spec(2), "", loader());  // data.dataset_id "in-memory"
  ASSERT_TRUE(created.ok()) << created.status().message();
  FakeWorker worker(registry, "w1");
  const v1::JobAssignment job = worker.next_job();
  EXPECT_EQ(job.job_id(), created->id());
  EXPECT_EQ(job.spec().data().dataset_id(), "in-memory");
  v1::FetchDatasetRequest fetch;
  fetch.set_worker_id(worker.id());
  fetch.set_job_id(job.job_id());
  fetch.set_attempt(job.attempt());
  auto dataset = registry.dataset_of(fetch);
  ASSERT_TRUE(dataset.ok()) << dataset.status().message();
  EXPECT_EQ(*dataset, "in-memory");
  ASSERT_TRUE(worker
                  .report(job, {FakeWorker::started(3),
                                FakeWorker::finished(v1::DoneReport::SUCCEEDED, "model")})
                  .ok());
  ASSERT_TRUE(eventually([&] { return state_of(manager, created->id()) == v1::SUCCEEDED; }));
  EXPECT_EQ(manager.get_job(created->id())->worker(), "w1");
  // The attempt is over: its dataset is nobody's to read any more.
  EXPECT_EQ(registry.dataset_of(fetch).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gradstream::server

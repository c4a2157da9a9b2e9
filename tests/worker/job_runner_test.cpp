// The worker's job budget: threads lowered to its share, prefetching only on
// a spare core of the job's own. A job on an uploaded dataset: the fetched
// copy trains to the end; a fetch that fails ends the job FAILED with its
// reason, one stopped by a cancel or interrupt CANCELLED or INTERRUPTED.
#include "worker/job_runner.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"

namespace gradstream::worker {
namespace {

constexpr char kDatasetId[] =
    "sha256:abababababababababababababababababababababababababababababababab";

// The reports a job sends, as a coordinator that takes everything would.
struct TakenReports {
  std::mutex mutex;
  std::vector<v1::WorkerReport> reports;

  ReportOutbox::Send send() {
    return [this](const v1::ReportJobRequest& request, v1::ReportJobResponse*) {
      std::lock_guard lock(mutex);
      for (const v1::WorkerReport& report : request.reports()) reports.push_back(report);
      return grpc::Status::OK;
    };
  }
};

v1::JobAssignment uploaded_assignment() {
  auto spec = engine::parse_spec_json(R"({
      "model": {"inputShape": [2], "layers": [
        {"dense": {"units": 8, "activation": {"name": "tanh"}}}, {"dense": {"units": 3}}]},
      "optimizer": {"adam": {}, "learningRate": 0.05},
      "data": {"datasetId": "sha256:abababababababababababababababababababababababababababababababab"},
      "epochs": 2, "batchSize": 8, "seed": 3, "threads": 1})",
                                      "test spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  v1::JobAssignment assignment;
  assignment.set_job_id("job-1");
  assignment.set_attempt(1);
  *assignment.mutable_spec() = engine::with_defaults(*spec);
  return assignment;
}

// 40 samples of 2 values, labels 0 and 1 of a header's 3 classes.
FetchedDataset fetched_rows() {
  FetchedDataset fetched;
  fetched.num_classes = 3;
  fetched.data.sample_shape = {2};
  fetched.data.count = 40;
  for (int i = 0; i < 40; ++i) {
    fetched.data.features.push_back(static_cast<float>(i % 2) + 0.01F * static_cast<float>(i));
    fetched.data.features.push_back(static_cast<float>(i % 2) - 0.5F);
    fetched.data.labels.push_back(i % 2);
  }
  return fetched;
}

// Runs `assignment` with `fetch`; the reports it sent.
std::vector<v1::WorkerReport> run(const v1::JobAssignment& assignment, const DatasetFetch& fetch,
                                  JobFlags& flags) {
  TakenReports taken;
  {
    ReportOutbox outbox(taken.send(), "w-1", assignment.job_id(), assignment.attempt(), flags);
    const CollectiveFactory no_peers =
        [](const v1::JobAssignment&) -> engine::Result<std::shared_ptr<engine::Collective>> {
      return engine::internal_error("no peers here");
    };
    run_assignment(assignment, JobBudget{1, 1}, outbox, flags, no_peers, fetch);
  }
  return taken.reports;
}

TEST(RunAssignmentTest, AFetchedDatasetTrainsToTheEnd) {
  int calls = 0;
  const DatasetFetch fetch = [&](const v1::JobAssignment& assignment, const JobFlags&) {
    ++calls;
    EXPECT_EQ(assignment.spec().data().dataset_id(), kDatasetId);
    return engine::Result<FetchedDataset>(fetched_rows());
  };
  JobFlags flags;
  const std::vector<v1::WorkerReport> reports = run(uploaded_assignment(), fetch, flags);
  EXPECT_EQ(calls, 1);
  ASSERT_GE(reports.size(), 2U);
  ASSERT_TRUE(reports.front().has_started());
  EXPECT_GT(reports.front().started().train_samples(), 0);
  EXPECT_LE(reports.front().started().train_samples(), 40);
  ASSERT_TRUE(reports.back().has_finished());
  EXPECT_EQ(reports.back().finished().done().outcome(), v1::DoneReport::SUCCEEDED)
      << reports.back().finished().done().reason();
  EXPECT_FALSE(reports.back().finished().model().empty());
}

TEST(RunAssignmentTest, AFailedFetchFailsTheJobWithItsReason) {
  const std::string reason = std::string("data.dataset_id: \"") + kDatasetId +
                             "\": the fetched copy hashes to \"sha256:00\", not to its id";
  const DatasetFetch fetch = [&](const v1::JobAssignment&, const JobFlags&) {
    return engine::Result<FetchedDataset>(engine::data_loss(reason));
  };
  JobFlags flags;
  const std::vector<v1::WorkerReport> reports = run(uploaded_assignment(), fetch, flags);
  ASSERT_EQ(reports.size(), 1U);  // no JobStarted: it never trained
  ASSERT_TRUE(reports[0].has_finished());
  EXPECT_EQ(reports[0].finished().done().outcome(), v1::DoneReport::FAILED);
  EXPECT_EQ(reports[0].finished().done().reason(), reason);
}

TEST(RunAssignmentTest, AFetchStoppedByACancelOrAnInterruptEndsAsTheySay) {
  const DatasetFetch stopped = [](const v1::JobAssignment&, const JobFlags&) {
    return engine::Result<FetchedDataset>(engine::cancelled("stopped while fetching"));
  };
  JobFlags cancel;
  cancel.cancel.store(true);
  const std::vector<v1::WorkerReport> cancelled = run(uploaded_assignment(), stopped, cancel);
  ASSERT_EQ(cancelled.size(), 1U);
  EXPECT_EQ(cancelled[0].finished().done().outcome(), v1::DoneReport::CANCELLED);
  JobFlags interrupt;
  interrupt.interrupt.store(true);
  const std::vector<v1::WorkerReport> interrupted = run(uploaded_assignment(), stopped, interrupt);
  ASSERT_EQ(interrupted.size(), 1U);
  EXPECT_EQ(interrupted[0].finished().done().outcome(), v1::DoneReport::INTERRUPTED);
}

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

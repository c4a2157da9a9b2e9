// job_format: `gradstream get`'s lines with and without a run record, the run
// line itself, and the run in a job's JSON.
#include "client/job_format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gradstream::client {
namespace {

gradstream::v1::RunRecord epyc_run() {
  gradstream::v1::RunRecord run;
  run.set_cpu_model("AMD EPYC");
  run.set_onednn_version("2.6.3");
  run.set_isa("avx512_core_bf16");
  run.set_threads(2);
  run.set_seed(42);
  return run;
}

// 2026-01-01T00:00:00Z
constexpr int64_t kNewYear2026 = 1767225600;

gradstream::v1::Job finished_job() {
  gradstream::v1::Job job;
  job.set_id("job-0123456789ab");
  job.mutable_spec()->set_name("mlp");
  job.mutable_spec()->set_epochs(3);
  job.set_state(gradstream::v1::SUCCEEDED);
  job.set_reason("completed 3 epochs (12 steps)");
  job.mutable_created()->set_seconds(kNewYear2026);
  job.mutable_started()->set_seconds(kNewYear2026 + 1);
  job.mutable_finished()->set_seconds(kNewYear2026 + 5);
  *job.mutable_run() = epyc_run();
  job.set_epochs(3);
  job.set_steps(12);
  job.set_has_test(true);
  job.set_final_test_accuracy(0.9125F);
  job.set_last_sequence(30);
  return job;
}

TEST(JobFormatTest, RunTextNamesCpuOneDnnIsaThreadsAndSeed) {
  EXPECT_EQ(run_text(epyc_run()), "AMD EPYC, oneDNN 2.6.3 avx512_core_bf16, 2 threads, seed 42");
  gradstream::v1::RunRecord one = epyc_run();
  one.set_isa("avx2");
  one.set_threads(1);
  one.set_seed(18446744073709551615ULL);
  EXPECT_EQ(run_text(one), "AMD EPYC, oneDNN 2.6.3 avx2, 1 thread, seed 18446744073709551615");
}

TEST(JobFormatTest, DetailsOfAFinishedJobIncludeItsRun) {
  EXPECT_EQ(job_details(finished_job()),
            "id: job-0123456789ab\n"
            "name: mlp\n"
            "state: SUCCEEDED\n"
            "reason: completed 3 epochs (12 steps)\n"
            "created: 2026-01-01T00:00:00Z\n"
            "started: 2026-01-01T00:00:01Z\n"
            "finished: 2026-01-01T00:00:05Z\n"
            "run: AMD EPYC, oneDNN 2.6.3 avx512_core_bf16, 2 threads, seed 42\n"
            "epochs: 3/3\n"
            "steps: 12\n"
            "test accuracy: 0.9125\n"
            "last sequence: 30\n");
}

TEST(JobFormatTest, DetailsOfAJobMovedBetweenWorkersNameTheWorkerAndTheResume) {
  gradstream::v1::Job job = finished_job();
  job.set_worker("w2");
  job.set_resumes(1);
  job.set_resumed_from_step(7);
  const std::string details = job_details(job);
  EXPECT_NE(details.find("run: AMD EPYC, oneDNN 2.6.3 avx512_core_bf16, 2 threads, seed 42\n"
                         "worker: w2\n"
                         "resumed: 1 time, last from step 7\n"
                         "epochs: 3/3\n"),
            std::string::npos)
      << details;
  job.set_resumes(3);
  EXPECT_NE(job_details(job).find("resumed: 3 times, last from step 7\n"), std::string::npos);
}

TEST(JobFormatTest, DetailsOfAQueuedJobHaveNoRunLine) {
  gradstream::v1::Job job;
  job.set_id("job-0123456789ab");
  job.mutable_spec()->set_epochs(3);
  job.set_state(gradstream::v1::QUEUED);
  job.mutable_created()->set_seconds(kNewYear2026);
  job.set_last_sequence(1);
  EXPECT_EQ(job_details(job),
            "id: job-0123456789ab\n"
            "name: -\n"
            "state: QUEUED\n"
            "created: 2026-01-01T00:00:00Z\n"
            "started: -\n"
            "finished: -\n"
            "epochs: 0/3\n"
            "steps: 0\n"
            "last sequence: 1\n");
}

TEST(JobFormatTest, AQueuedJobSaysWhatItWaitsFor) {
  gradstream::v1::Job job;
  job.set_state(gradstream::v1::QUEUED);
  job.set_waiting("2 workers with a free slot, one rank on each; 1 joined, 1 with a free slot");
  EXPECT_NE(job_details(job).find("state: QUEUED\n"
                                  "waiting for: 2 workers with a free slot, one rank on each; "
                                  "1 joined, 1 with a free slot\n"),
            std::string::npos)
      << job_details(job);
}

TEST(JobFormatTest, JsonCarriesTheRunInProtobufsJsonNames) {
  const std::string json = to_json_line(finished_job());
  EXPECT_NE(json.find(R"("run":{"cpuModel":"AMD EPYC","onednnVersion":"2.6.3",)"
                      R"("isa":"avx512_core_bf16","threads":2,"seed":"42"})"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace gradstream::client

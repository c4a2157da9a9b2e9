// JobMetrics and JobSeries: reports set the series docs/metrics.md names,
// series go after the retention, and no more than max_jobs jobs are exported.
// Values are read back by parsing the registry's text exposition.
#include "server/job_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/job_series.hpp"
#include "tests/server/prometheus_text.hpp"

namespace gradstream::server {
namespace {

using namespace std::chrono_literals;
using testing::find_value;
using testing::label_values;
using testing::parse_exposition;
using testing::Sample;

// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  JobMetrics::Clock function() {
    return [this] { return now; };
  }
};

std::vector<Sample> scrape(prometheus::Registry& registry) {
  return parse_exposition(prometheus::TextSerializer().Serialize(registry.Collect()));
}

// 1000 training samples in batches of 300: 4 steps per epoch (300, 300, 300, 100).
constexpr JobShape kShape{1000, 300};

v1::StepReport step_report(uint64_t step, float loss, float lr, double samples_per_second) {
  v1::StepReport r;
  r.set_step(step);
  r.set_loss(loss);
  r.set_learning_rate(lr);
  r.set_samples_per_second(samples_per_second);
  return r;
}

class JobMetricsTest : public ::testing::Test {
 protected:
  JobMetrics make(size_t max_jobs, std::chrono::seconds retention) {
    return JobMetrics(registry_, {retention, max_jobs}, clock_.function());
  }

  prometheus::Registry registry_;
  FakeClock clock_;
};

TEST(SamplesAfterTest, CountsFullEpochsAndThePartialLastBatch) {
  EXPECT_EQ(samples_after(kShape, 0), 0U);
  EXPECT_EQ(samples_after(kShape, 3), 900U);
  EXPECT_EQ(samples_after(kShape, 4), 1000U);  // the epoch's last batch holds 100
  EXPECT_EQ(samples_after(kShape, 5), 1300U);
  EXPECT_EQ(samples_after({100, 500}, 3), 300U);  // batch larger than the data: one step per epoch
}

TEST_F(JobMetricsTest, StepReportsSetLossRateStepsSamplesAndStepDurations) {
  JobMetrics metrics(registry_, {300s, 10}, clock_.function());
  auto job = metrics.start_job("job-a", kShape);
  ASSERT_NE(job, nullptr);
  // Steps 1-2: 600 samples at 600/s = 1 s, 0.5 s per step.
  job->on_step(step_report(2, 1.5F, 0.25F, 600.0));
  // Steps 3-5: 300 + 100 + 300 = 700 samples at 7000/s = 0.1 s.
  job->on_step(step_report(5, 0.75F, 0.125F, 7000.0));
  const auto s = scrape(registry_);
  const std::map<std::string, std::string> a{{"job_id", "job-a"}};
  EXPECT_EQ(find_value(s, "gradstream_job_running", a), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_job_loss", a), 0.75);
  EXPECT_EQ(find_value(s, "gradstream_job_learning_rate", a), 0.125);
  EXPECT_EQ(find_value(s, "gradstream_job_steps_total", a), 5.0);
  EXPECT_EQ(find_value(s, "gradstream_job_samples_total", a), 1300.0);
  EXPECT_EQ(find_value(s, "gradstream_job_step_duration_seconds_count", a), 5.0);
  EXPECT_NEAR(*find_value(s, "gradstream_job_step_duration_seconds_sum", a), 1.1, 1e-9);
  // Two steps of 0.5 s, three of 0.0333 s.
  EXPECT_EQ(find_value(s, "gradstream_job_step_duration_seconds_bucket",
                       {{"job_id", "job-a"}, {"le", "0.025"}}),
            0.0);
  EXPECT_EQ(find_value(s, "gradstream_job_step_duration_seconds_bucket",
                       {{"job_id", "job-a"}, {"le", "0.05"}}),
            3.0);
  EXPECT_EQ(find_value(s, "gradstream_job_step_duration_seconds_bucket",
                       {{"job_id", "job-a"}, {"le", "0.5"}}),
            5.0);
}

TEST_F(JobMetricsTest, DoneReportCatchesUpThinnedStepsAndClearsRunning) {
  JobMetrics metrics = make(10, 300s);
  auto job = metrics.start_job("job-a", kShape);
  job->on_step(step_report(4, 1.0F, 0.1F, 1000.0));
  v1::DoneReport done;
  done.set_outcome(v1::DoneReport::SUCCEEDED);
  done.set_steps(8);
  job->on_done(done);
  const auto s = scrape(registry_);
  EXPECT_EQ(find_value(s, "gradstream_job_steps_total", {{"job_id", "job-a"}}), 8.0);
  EXPECT_EQ(find_value(s, "gradstream_job_samples_total", {{"job_id", "job-a"}}), 2000.0);
  EXPECT_EQ(find_value(s, "gradstream_job_running", {{"job_id", "job-a"}}), 0.0);
}

TEST_F(JobMetricsTest, EpochReportsSetAccuraciesAndValidationOnlyWhenThereIsSome) {
  JobMetrics metrics = make(10, 300s);
  auto job = metrics.start_job("job-a", kShape);
  v1::EpochReport epoch;
  epoch.set_epoch(1);
  epoch.set_train_accuracy(0.5F);
  epoch.set_has_test(true);
  epoch.set_test_accuracy(0.25F);
  job->on_epoch(epoch);
  auto s = scrape(registry_);
  const std::map<std::string, std::string> a{{"job_id", "job-a"}};
  EXPECT_EQ(find_value(s, "gradstream_job_train_accuracy", a), 0.5);
  EXPECT_EQ(find_value(s, "gradstream_job_test_accuracy", a), 0.25);
  EXPECT_EQ(find_value(s, "gradstream_job_validation_loss", a), std::nullopt);

  epoch.set_has_validation(true);
  epoch.set_validation_loss(0.875F);
  epoch.set_validation_accuracy(0.625F);
  job->on_epoch(epoch);
  s = scrape(registry_);
  EXPECT_EQ(find_value(s, "gradstream_job_validation_loss", a), 0.875);
  EXPECT_EQ(find_value(s, "gradstream_job_validation_accuracy", a), 0.625);
}

TEST_F(JobMetricsTest, GradientAndActivationReportsSetPerLayerSeries) {
  JobMetrics metrics = make(10, 300s);
  auto job = metrics.start_job("job-a", kShape);
  v1::GradientReport gradients;
  for (const char* parameter : {"weights", "bias"}) {
    v1::ParameterReport* p = gradients.add_parameters();
    p->set_layer("dense_0");
    p->set_parameter(parameter);
    p->set_gradient_norm(parameter[0] == 'w' ? 2.0F : 0.5F);
    p->set_weight_norm(4.0F);
    p->set_update_ratio(0.001953125F);  // 2^-9, exact in float
  }
  job->on_gradients(gradients);
  gradients.mutable_parameters(0)->set_gradient_norm(3.0F);  // the newest value wins
  job->on_gradients(gradients);

  v1::ActivationReport activations;
  v1::ActivationLayerReport* relu = activations.add_layers();
  relu->set_layer("relu_1");
  relu->set_activation("relu");
  relu->set_dead_fraction(0.25F);
  v1::ActivationLayerReport* sigmoid = activations.add_layers();
  sigmoid->set_layer("sigmoid_3");
  sigmoid->set_activation("sigmoid");
  sigmoid->set_saturated_fraction(0.75F);
  v1::ActivationLayerReport* softmax = activations.add_layers();
  softmax->set_layer("softmax_4");
  softmax->set_activation("softmax");
  v1::ActivationLayerReport* formula = activations.add_layers();
  formula->set_layer("dense_5/formula");
  formula->set_activation("x*sigmoid(b*x)");
  formula->set_expression("x * sigmoid(b * x)");
  formula->set_saturated_fraction(0.5F);
  formula->set_dead_fraction(0.125F);
  job->on_activations(activations);

  const auto s = scrape(registry_);
  EXPECT_EQ(find_value(s, "gradstream_layer_gradient_norm",
                       {{"job_id", "job-a"}, {"layer", "dense_0"}, {"parameter", "weights"}}),
            3.0);
  EXPECT_EQ(find_value(s, "gradstream_layer_gradient_norm",
                       {{"job_id", "job-a"}, {"layer", "dense_0"}, {"parameter", "bias"}}),
            0.5);
  EXPECT_EQ(find_value(s, "gradstream_layer_weight_norm",
                       {{"job_id", "job-a"}, {"layer", "dense_0"}, {"parameter", "bias"}}),
            4.0);
  EXPECT_EQ(find_value(s, "gradstream_layer_update_ratio",
                       {{"job_id", "job-a"}, {"layer", "dense_0"}, {"parameter", "weights"}}),
            0.001953125);
  EXPECT_EQ(
      find_value(s, "gradstream_layer_dead_fraction", {{"job_id", "job-a"}, {"layer", "relu_1"}}),
      0.25);
  EXPECT_EQ(find_value(s, "gradstream_layer_saturated_fraction",
                       {{"job_id", "job-a"}, {"layer", "sigmoid_3"}}),
            0.75);
  // A formula has both, through its derivative.
  EXPECT_EQ(find_value(s, "gradstream_layer_saturated_fraction",
                       {{"job_id", "job-a"}, {"layer", "dense_5/formula"}}),
            0.5);
  EXPECT_EQ(find_value(s, "gradstream_layer_dead_fraction",
                       {{"job_id", "job-a"}, {"layer", "dense_5/formula"}}),
            0.125);
  // Neither fraction means anything for softmax, and relu has no saturation.
  EXPECT_EQ(find_value(s, "gradstream_layer_dead_fraction", {{"layer", "softmax_4"}}),
            std::nullopt);
  EXPECT_EQ(find_value(s, "gradstream_layer_saturated_fraction", {{"layer", "relu_1"}}),
            std::nullopt);
}

TEST_F(JobMetricsTest, WarningsAreCountedByKind) {
  JobMetrics metrics = make(10, 300s);
  auto job = metrics.start_job("job-a", kShape);
  v1::Warning warning;
  warning.set_kind("dead_relu");
  job->on_warning(warning);
  job->on_warning(warning);
  warning.set_kind("saturation");
  job->on_warning(warning);
  const auto s = scrape(registry_);
  EXPECT_EQ(
      find_value(s, "gradstream_job_warnings_total", {{"job_id", "job-a"}, {"kind", "dead_relu"}}),
      2.0);
  EXPECT_EQ(
      find_value(s, "gradstream_job_warnings_total", {{"job_id", "job-a"}, {"kind", "saturation"}}),
      1.0);
}

TEST_F(JobMetricsTest, SeriesStayForTheRetentionAfterTheJobEndsThenGo) {
  JobMetrics metrics = make(10, 60s);
  auto job = metrics.start_job("job-a", kShape);
  v1::GradientReport gradients;
  v1::ParameterReport* p = gradients.add_parameters();
  p->set_layer("dense_0");
  p->set_parameter("weights");
  job->on_gradients(gradients);
  job->on_step(step_report(1, 1.0F, 0.1F, 100.0));
  job.reset();
  metrics.end_job("job-a");

  clock_.now += 59s;
  metrics.remove_expired();
  auto s = scrape(registry_);
  EXPECT_EQ(find_value(s, "gradstream_job_running", {{"job_id", "job-a"}}), 0.0);
  EXPECT_EQ(find_value(s, "gradstream_job_loss", {{"job_id", "job-a"}}), 1.0);
  EXPECT_EQ(find_value(s, "gradstream_metrics_exported_jobs"), 1.0);

  clock_.now += 1s;
  metrics.remove_expired();
  s = scrape(registry_);
  EXPECT_TRUE(label_values(s, "job_id").empty()) << "every series of job-a is gone";
  EXPECT_EQ(find_value(s, "gradstream_metrics_exported_jobs"), 0.0);
  EXPECT_EQ(metrics.exported_jobs(), 0U);
}

TEST_F(JobMetricsTest, ZeroRetentionRemovesAJobWhenItEnds) {
  JobMetrics metrics = make(10, 0s);
  metrics.start_job("job-a", kShape);
  EXPECT_EQ(label_values(scrape(registry_), "job_id"), std::set<std::string>{"job-a"});
  metrics.end_job("job-a");
  EXPECT_TRUE(label_values(scrape(registry_), "job_id").empty());
}

TEST_F(JobMetricsTest, AtMostMaxJobsAreExportedAndTheRestAreCountedAsDropped) {
  JobMetrics metrics = make(3, 300s);
  std::vector<std::shared_ptr<JobSeries>> running;
  for (int i = 0; i < 7; ++i) {
    auto job = metrics.start_job("job-" + std::to_string(i), kShape);
    if (job != nullptr) {
      job->on_step(step_report(1, 1.0F, 0.1F, 100.0));
      running.push_back(job);
    }
  }
  auto s = scrape(registry_);
  EXPECT_EQ(label_values(s, "job_id"), (std::set<std::string>{"job-0", "job-1", "job-2"}));
  EXPECT_EQ(find_value(s, "gradstream_metrics_dropped_jobs_total"), 4.0);
  EXPECT_EQ(find_value(s, "gradstream_metrics_exported_jobs"), 3.0);

  // Once a job has ended, the next one takes its place before the retention.
  clock_.now += 1s;
  metrics.end_job("job-1");
  clock_.now += 1s;
  metrics.end_job("job-0");
  ASSERT_NE(metrics.start_job("job-7", kShape), nullptr);
  s = scrape(registry_);
  EXPECT_EQ(label_values(s, "job_id"), (std::set<std::string>{"job-0", "job-2", "job-7"}))
      << "job-1 ended first, so it went first";
  EXPECT_EQ(find_value(s, "gradstream_metrics_dropped_jobs_total"), 4.0);
}

}  // namespace
}  // namespace gradstream::server

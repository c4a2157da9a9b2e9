// comparison_verdict: the best run and its ties, the runs that lag with the
// diagnostics that explain them, the fallback rankings, failed runs left out.
#include "client/comparison_verdict.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradstream::client {
namespace {

using gradstream::v1::FAILED;
using gradstream::v1::SUCCEEDED;

ComparisonRow row(const std::string& activation, std::optional<double> test_accuracy,
                  std::optional<double> gradient_norm = std::nullopt,
                  gradstream::v1::JobState state = SUCCEEDED) {
  ComparisonRow r;
  r.activation = activation;
  r.job_id = "job-" + activation;
  r.state = state;
  r.test_accuracy = test_accuracy;
  r.train_accuracy = 0.5;
  r.final_train_loss = 1.0;
  r.first_layer_gradient_norm = gradient_norm;
  return r;
}

TEST(ComparisonVerdictTest, DeepSigmoidNamesTheBestItsTiesAndWhySigmoidIsStuck) {
  ComparisonRow sigmoid = row("sigmoid", 0.1000, 1.295e-4);
  sigmoid.warnings = {{"vanishing_gradient", 8}};
  const std::vector<ComparisonRow> rows = {sigmoid, row("relu", 0.8550, 1.185),
                                           row("leaky_relu", 0.8591, 1.319),
                                           row("tanh", 0.8604, 1.001)};
  // 0.8604 - 0.1000 = 0.7604; 1.001 / 1.295e-4 = 7729.7 -> "7730" (4 significant digits).
  EXPECT_EQ(comparison_verdict(rows),
            (std::vector<std::string>{
                "best: tanh, test accuracy 0.8604 (relu 0.8550, leaky_relu 0.8591 within 0.01)",
                "sigmoid: test accuracy 0.1000, 0.7604 behind tanh; vanishing gradients (8 "
                "warnings): first-layer gradient norm 0.0001295, 7730x smaller than tanh's"}));
  EXPECT_EQ(comparison_verdict_text(rows).rfind("\nverdict:\n  best: tanh,", 0), 0U);
}

TEST(ComparisonVerdictTest, ALaggingRunWithoutWarningsSaysHowFarBehind) {
  const std::vector<ComparisonRow> rows = {row("relu", 0.88), row("elu", 0.85)};
  EXPECT_EQ(comparison_verdict(rows),
            (std::vector<std::string>{"best: relu, test accuracy 0.8800",
                                      "elu: test accuracy 0.8500, 0.0300 behind relu"}));
}

TEST(ComparisonVerdictTest, DeadAndSaturatedRunsShowTheirFractions) {
  ComparisonRow dying = row("relu", 0.70);
  dying.warnings = {{"dead_relu", 1}};
  dying.mean_dead_fraction = 0.625;
  ComparisonRow flat = row("sigmoid", 0.80);
  flat.warnings = {{"saturation", 3}};
  flat.mean_saturated_fraction = 0.5;
  ComparisonRow best = row("gelu_erf", 0.86);
  best.warnings = {{"exploding_gradient", 2}, {"non_finite", 1}};  // the best is explained too
  EXPECT_EQ(comparison_verdict({dying, flat, best}),
            (std::vector<std::string>{
                "best: gelu_erf, test accuracy 0.8600",
                "relu: test accuracy 0.7000, 0.1600 behind gelu_erf; dying ReLU (1 warning): "
                "0.625 of units dead",
                "sigmoid: test accuracy 0.8000, 0.0600 behind gelu_erf; saturation (3 warnings): "
                "0.500 of outputs in the flat tails",
                "gelu_erf: test accuracy 0.8600; exploding gradients (2 warnings); non-finite "
                "values (1 warning)"}));
}

TEST(ComparisonVerdictTest, WithoutATestSplitRunsAreRankedOnTrainAccuracyThenLoss) {
  ComparisonRow a = row("relu", std::nullopt);
  a.train_accuracy = 0.925;
  ComparisonRow b = row("tanh", std::nullopt);
  b.train_accuracy = 0.93;
  EXPECT_EQ(
      comparison_verdict({a, b}),
      (std::vector<std::string>{"best: tanh, train accuracy 0.9300 (relu 0.9250 within 0.01)"}));

  a.train_accuracy.reset();
  a.final_train_loss = 0.40;
  b.final_train_loss = 0.25;  // lower is better; losses have no ties
  EXPECT_EQ(comparison_verdict({a, b}),
            (std::vector<std::string>{"best: tanh, train loss 0.2500",
                                      "relu: train loss 0.4000, 0.1500 behind tanh"}));
}

TEST(ComparisonVerdictTest, FailedRunsAreLeftToTheTableAndNoSuccessMeansNoVerdict) {
  ComparisonRow failed = row("selu", std::nullopt, std::nullopt, FAILED);
  failed.warnings = {{"non_finite", 1}};
  EXPECT_EQ(comparison_verdict({failed, row("relu", 0.8)}),
            (std::vector<std::string>{"best: relu, test accuracy 0.8000"}));
  EXPECT_TRUE(comparison_verdict({failed}).empty());
  EXPECT_EQ(comparison_verdict_text({failed}), "");
}

}  // namespace
}  // namespace gradstream::client

// Folding job events into comparison rows, and the text, CSV and JSON tables.
#include "client/comparison_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace gradstream::client {
namespace {

using gradstream::v1::DoneReport;
using gradstream::v1::TrainingEvent;

TrainingEvent state_event(gradstream::v1::JobState state) {
  TrainingEvent event;
  event.set_state(state);
  return event;
}

TrainingEvent epoch_event(uint32_t epoch, float loss, float accuracy, float test_accuracy,
                          double seconds, double samples_per_second) {
  TrainingEvent event;
  auto* report = event.mutable_epoch();
  report->set_epoch(epoch);
  report->set_train_loss(loss);
  report->set_train_accuracy(accuracy);
  report->set_test_accuracy(test_accuracy);
  report->set_has_test(true);
  report->set_seconds(seconds);
  report->set_samples_per_second(samples_per_second);
  return event;
}

TrainingEvent activation_event(std::vector<std::pair<float, float>> dead_and_saturated) {
  TrainingEvent event;
  for (const auto& [dead, saturated] : dead_and_saturated) {
    auto* layer = event.mutable_activations()->add_layers();
    layer->set_dead_fraction(dead);
    layer->set_saturated_fraction(saturated);
  }
  return event;
}

TrainingEvent gradient_event(std::vector<std::pair<std::string, float>> parameters) {
  TrainingEvent event;
  for (const auto& [name, norm] : parameters) {
    auto* parameter = event.mutable_gradients()->add_parameters();
    parameter->set_layer("dense_x");
    parameter->set_parameter(name);
    parameter->set_gradient_norm(norm);
  }
  return event;
}

TrainingEvent warning_event(const std::string& kind) {
  TrainingEvent event;
  event.mutable_warning()->set_kind(kind);
  event.mutable_warning()->set_layer("dense_0");
  return event;
}

TrainingEvent done_event(DoneReport::Outcome outcome, float loss, float test_accuracy,
                         double seconds, const std::string& reason = "") {
  TrainingEvent event;
  auto* done = event.mutable_done();
  done->set_outcome(outcome);
  done->set_final_train_loss(loss);
  done->set_final_test_accuracy(test_accuracy);
  done->set_has_test(outcome == DoneReport::SUCCEEDED);
  done->set_seconds(seconds);
  done->set_reason(reason);
  return event;
}

// A relu run of two epochs: the row takes the newest reports and the done report.
ComparisonRow succeeded_row() {
  ComparisonRowBuilder builder("relu", "job-1");
  builder.add(state_event(gradstream::v1::RUNNING));
  builder.add(activation_event({{0.5f, 0.0f}, {0.9f, 0.0f}}));
  builder.add(gradient_event({{"bias", 9.0f}, {"weights", 8.0f}}));
  builder.add(epoch_event(1, 0.9f, 0.7f, 0.68f, 1.0, 1000.0));
  builder.add(activation_event({{0.25f, 0.0f}, {0.75f, 0.5f}}));
  builder.add(gradient_event({{"bias", 3.0f}, {"weights", 2.5f}, {"weights", 7.0f}}));
  builder.add(warning_event("dead_relu"));
  builder.add(warning_event("vanishing_gradient"));
  builder.add(warning_event("dead_relu"));
  builder.add(epoch_event(2, 0.5f, 0.8f, 0.78f, 3.0, 2000.0));
  builder.add(done_event(DoneReport::SUCCEEDED, 0.5f, 0.75f, 4.5));
  builder.add(state_event(gradstream::v1::SUCCEEDED));
  EXPECT_TRUE(builder.saw_done());
  return builder.row();
}

ComparisonRow failed_row() {
  ComparisonRowBuilder builder("sigmoid", "job-2");
  builder.add(state_event(gradstream::v1::RUNNING));
  builder.add(done_event(DoneReport::FAILED, 0.0f, 0.0f, 0.25, "loss is NaN, at step 3"));
  builder.add(state_event(gradstream::v1::FAILED));
  return builder.row();
}

TEST(ComparisonRowBuilderTest, FoldsTheNewestReportsOfASucceededRun) {
  const ComparisonRow row = succeeded_row();

  EXPECT_EQ(row.activation, "relu");
  EXPECT_EQ(row.job_id, "job-1");
  EXPECT_EQ(row.state, gradstream::v1::SUCCEEDED);
  EXPECT_FLOAT_EQ(*row.final_train_loss, 0.5f);
  EXPECT_FLOAT_EQ(*row.train_accuracy, 0.8f);
  EXPECT_FLOAT_EQ(*row.test_accuracy, 0.75f);  // the done report's, not the epoch's
  EXPECT_DOUBLE_EQ(*row.seconds, 4.5);
  // (1 s * 1000 + 3 s * 2000) samples / 4 s.
  EXPECT_DOUBLE_EQ(*row.samples_per_second, 1750.0);
  EXPECT_DOUBLE_EQ(*row.mean_dead_fraction, 0.5);
  EXPECT_DOUBLE_EQ(*row.mean_saturated_fraction, 0.25);
  EXPECT_FLOAT_EQ(*row.first_layer_gradient_norm, 2.5f);  // first "weights", not "bias"
  EXPECT_TRUE(row.reason.empty());
}

TEST(ComparisonRowBuilderTest, LeavesUnreportedValuesEmptyForAFailedRun) {
  const ComparisonRow row = failed_row();

  EXPECT_EQ(row.state, gradstream::v1::FAILED);
  EXPECT_EQ(row.reason, "loss is NaN, at step 3");
  EXPECT_DOUBLE_EQ(*row.seconds, 0.25);
  EXPECT_FALSE(row.final_train_loss.has_value());
  EXPECT_FALSE(row.train_accuracy.has_value());
  EXPECT_FALSE(row.test_accuracy.has_value());
  EXPECT_FALSE(row.samples_per_second.has_value());
  EXPECT_FALSE(row.mean_dead_fraction.has_value());
  EXPECT_FALSE(row.first_layer_gradient_norm.has_value());
}

TEST(ComparisonRowBuilderTest, WithoutDoneTheStateIsTheLastStateEvent) {
  ComparisonRowBuilder builder("tanh", "job-3");
  builder.add(state_event(gradstream::v1::RUNNING));
  builder.add(epoch_event(1, 1.25f, 0.5f, 0.5f, 2.0, 100.0));

  EXPECT_FALSE(builder.saw_done());
  EXPECT_EQ(builder.row().state, gradstream::v1::RUNNING);
  EXPECT_FLOAT_EQ(*builder.row().final_train_loss, 1.25f);
  EXPECT_FALSE(builder.row().seconds.has_value());
}

TEST(ComparisonTableTest, CsvHasAHeaderAndOneLinePerRow) {
  EXPECT_EQ(
      comparison_csv({succeeded_row(), failed_row()}),
      "activation,job_id,state,final_train_loss,train_accuracy,test_accuracy,seconds,"
      "samples_per_second,mean_dead_fraction,mean_saturated_fraction,"
      "first_layer_gradient_norm,warnings,reason\n"
      "relu,job-1,SUCCEEDED,0.5,0.8,0.75,4.5,1750,0.5,0.25,2.5,dead_relu:2 vanishing_gradient:1,\n"
      "sigmoid,job-2,FAILED,,,,0.25,,,,,,\"loss is NaN, at step 3\"\n");
}

TEST(ComparisonTableTest, JsonIsOneArrayWithNullForMissingValues) {
  EXPECT_EQ(comparison_json({succeeded_row(), failed_row()}),
            "[{\"activation\":\"relu\",\"jobId\":\"job-1\",\"state\":\"SUCCEEDED\","
            "\"finalTrainLoss\":0.5,\"trainAccuracy\":0.800000012,\"testAccuracy\":0.75,"
            "\"seconds\":4.5,\"samplesPerSecond\":1750,\"meanDeadFraction\":0.5,"
            "\"meanSaturatedFraction\":0.25,\"firstLayerGradientNorm\":2.5,"
            "\"warnings\":\"dead_relu:2 vanishing_gradient:1\",\"reason\":\"\"},"
            "{\"activation\":\"sigmoid\",\"jobId\":\"job-2\",\"state\":\"FAILED\","
            "\"finalTrainLoss\":null,\"trainAccuracy\":null,\"testAccuracy\":null,"
            "\"seconds\":0.25,\"samplesPerSecond\":null,\"meanDeadFraction\":null,"
            "\"meanSaturatedFraction\":null,\"firstLayerGradientNorm\":null,"
            "\"warnings\":\"\",\"reason\":\"loss is NaN, at step 3\"}]");
  EXPECT_EQ(comparison_json({}), "[]");
}

TEST(ComparisonTableTest, JsonWritesNonFiniteNumbersAsProtobufDoesAndEscapesStrings) {
  ComparisonRow row;
  row.activation = "a\"b\\c";
  row.final_train_loss = std::numeric_limits<double>::quiet_NaN();
  row.seconds = std::numeric_limits<double>::infinity();
  const std::string json = comparison_json({row});

  EXPECT_NE(json.find("\"activation\":\"a\\\"b\\\\c\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"finalTrainLoss\":\"NaN\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"seconds\":\"Infinity\""), std::string::npos) << json;
}

TEST(ComparisonTableTest, TextAlignsColumnsAndGivesFailureReasons) {
  EXPECT_EQ(comparison_text({succeeded_row(), failed_row()}),
            "activation  job    state      train loss  train acc  test acc  time s  samples/s"
            "   dead  saturated  grad norm (1st)  warnings\n"
            "relu        job-1  SUCCEEDED      0.5000     0.8000    0.7500     4.5       1750"
            "  0.500      0.250              2.5  dead_relu:2 vanishing_gradient:1\n"
            "sigmoid     job-2  FAILED              -          -         -     0.2          -"
            "      -          -                -  -\n"
            "sigmoid: FAILED: loss is NaN, at step 3\n");
}

}  // namespace
}  // namespace gradstream::client

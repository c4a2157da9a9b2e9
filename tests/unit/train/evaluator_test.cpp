// Evaluator: every sample counts, including the last partial batch, and the loss
// is the mean over all samples.
#include "engine/train/evaluator.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/io/spec_io.hpp"

namespace gradstream::engine {
namespace {

// A 2 -> 2 dense layer with identity weights and no bias: the logits are the
// features themselves, so the prediction is known without running the model.
v1::TrainingSpec identity_spec() {
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [2], "layers": [
      {"dense": {"units": 2, "noBias": true, "initialWeights": [1, 0, 0, 1]}}]},
    "data": {"builtin": "in-memory"}, "epochs": 1, "batchSize": 1})",
                              "identity spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return *spec;
}

TEST(EvaluatorTest, CountsEverySampleIncludingThePartialBatch) {
  constexpr int64_t kCount = 2 * Evaluator::kBatch + 503;  // two full batches and 503 more
  Dataset data;
  data.sample_shape = {2};
  data.count = kCount;
  int64_t expected_correct = 0;
  double expected_loss = 0.0;
  for (int64_t i = 0; i < kCount; ++i) {
    const float a = static_cast<float>(i % 7) * 0.5F;
    const float b = static_cast<float>(i % 5) * 0.75F;
    data.features.push_back(a);
    data.features.push_back(b);
    // Every third sample is labelled against its larger logit; ties go to class 0.
    const int32_t predicted = b > a ? 1 : 0;
    const int32_t label = i % 3 == 0 ? 1 - predicted : predicted;
    data.labels.push_back(label);
    expected_correct += label == predicted ? 1 : 0;
    const double chosen = label == 0 ? a : b;
    expected_loss +=
        std::log(std::exp(static_cast<double>(a)) + std::exp(static_cast<double>(b))) - chosen;
  }
  expected_loss /= kCount;

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  auto model = Model::build(identity_spec(), eng);
  ASSERT_TRUE(model.ok()) << model.status().message();
  Evaluator evaluator(**model, v1::SOFTMAX_CROSS_ENTROPY, eng);
  const Evaluation result = evaluator.evaluate(data, stream);
  EXPECT_DOUBLE_EQ(result.accuracy, static_cast<double>(expected_correct) / kCount);
  EXPECT_NEAR(result.loss, expected_loss, 1e-6);

  // A second pass reuses the pipelines built for 1000 and 503 and agrees exactly.
  const Evaluation again = evaluator.evaluate(data, stream);
  EXPECT_EQ(again.accuracy, result.accuracy);
  EXPECT_EQ(again.loss, result.loss);
}

TEST(EvaluatorTest, EmptyDataSetGivesZeros) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  auto model = Model::build(identity_spec(), eng);
  ASSERT_TRUE(model.ok());
  Evaluator evaluator(**model, v1::SOFTMAX_CROSS_ENTROPY, eng);
  Dataset empty;
  empty.sample_shape = {2};
  const Evaluation result = evaluator.evaluate(empty, stream);
  EXPECT_EQ(result.accuracy, 0.0);
  EXPECT_EQ(result.loss, 0.0);
}

}  // namespace
}  // namespace gradstream::engine

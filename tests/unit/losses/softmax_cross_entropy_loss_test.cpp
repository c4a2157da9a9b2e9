// SoftmaxCrossEntropyLoss: the mean loss against a stable double reference
//   loss = 1/N sum_n (logsumexp(x_n) - x_n[y_n])
// including logits of +-1000 (finite and correct, no overflow), its gradient
// against central finite differences of that reference, and the accuracy count.
#include "engine/losses/softmax_cross_entropy_loss.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// The loss takes log p from oneDNN 2.6's JIT log-softmax, which evaluates the
// log of the row sum with a polynomial log: its absolute error is up to ~4e-6
// (measured over 20000 random rows of 2..100 units), about 35 ulp of 1, plus
// float rounding of log p itself (relative 6e-8, e.g. 1.2e-4 at -2000).
constexpr Tolerance kLossTolerance{1e-6, 5e-6};
// d/dx = (e^(log p) - onehot) / N: the log p error above becomes a relative
// error ~4e-6 on p, i.e. up to 4e-6 / N = 1e-6 absolute here.
constexpr Tolerance kGradTolerance{1e-5, 2e-6};

constexpr int64_t kBatch = 4;
constexpr int64_t kUnits = 3;

double reference_loss(const std::vector<double>& x, const std::vector<int32_t>& labels) {
  double total = 0;
  for (int64_t n = 0; n < kBatch; ++n) {
    const double* row = x.data() + n * kUnits;
    const double max = *std::max_element(row, row + kUnits);
    double sum = 0;
    for (int64_t c = 0; c < kUnits; ++c) sum += std::exp(row[c] - max);
    total += max + std::log(sum) - row[labels[n]];
  }
  return total / kBatch;
}

class SoftmaxCrossEntropyLossTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
  SoftmaxCrossEntropyLoss loss_{kBatch, kUnits};
};

TEST_F(SoftmaxCrossEntropyLossTest, LossAndGradientOnOrdinaryLogits) {
  const std::vector<float> x = {2.0F,  1.0F,  0.1F,  //
                                -0.5F, 0.3F,  0.8F,  //
                                0.0F,  0.0F,  0.0F,  //
                                1.5F,  -2.0F, 0.25F};
  const std::vector<int32_t> labels = {0, 2, 1, 1};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();
  std::vector<float> diff(x.size(), 123.0F);

  const double value = loss_.compute(output, labels.data(), diff.data(), stream_);

  const std::vector<double> xd = testing::to_double(x);
  EXPECT_TRUE(IsClose(value, reference_loss(xd, labels), kLossTolerance));
  const std::vector<double> numeric = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return reference_loss(v, labels); }, xd);
  for (size_t i = 0; i < diff.size(); ++i) {
    EXPECT_TRUE(IsClose(diff[i], numeric[i], kGradTolerance)) << "d loss / d x[" << i << "]";
  }
  // The uniform row by hand: p = 1/3 each, label 1 -> (1/3 - [0 1 0]) / N.
  EXPECT_NEAR(diff[2 * kUnits + 0], (1.0 / 3) / kBatch, 2e-6);
  EXPECT_NEAR(diff[2 * kUnits + 1], (1.0 / 3 - 1) / kBatch, 2e-6);
}

TEST_F(SoftmaxCrossEntropyLossTest, UniformLogitsGiveLogOfUnits) {
  const std::vector<float> x(kBatch * kUnits, 7.0F);
  const std::vector<int32_t> labels = {0, 1, 2, 0};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();

  const double value = loss_.compute(output, labels.data(), nullptr, stream_);

  EXPECT_NEAR(value, std::log(3.0), 5e-6);  // see kLossTolerance
}

TEST_F(SoftmaxCrossEntropyLossTest, HugeLogitsStayFiniteAndCorrect) {
  const std::vector<float> x = {1000.F,  -1000.F, 0.0F,      // confident and right: loss ~ 0
                                1000.F,  -1000.F, 0.0F,      // confident and wrong: loss 2000
                                -1000.F, -1000.F, -1000.F,   // uniform at -1000: log 3
                                1000.F,  1000.F,  -1000.F};  // two-way tie: log 2
  const std::vector<int32_t> labels = {0, 1, 2, 1};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();
  std::vector<float> diff(x.size());

  const double value = loss_.compute(output, labels.data(), diff.data(), stream_);

  ASSERT_TRUE(std::isfinite(value));
  const double by_hand = (0.0 + 2000.0 + std::log(3.0) + std::log(2.0)) / kBatch;
  const std::vector<double> xd = testing::to_double(x);
  EXPECT_NEAR(reference_loss(xd, labels), by_hand, 1e-9);  // the reference itself
  EXPECT_TRUE(IsClose(value, by_hand, kLossTolerance));
  const std::vector<double> numeric = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return reference_loss(v, labels); }, xd);
  for (size_t i = 0; i < diff.size(); ++i) {
    EXPECT_TRUE(std::isfinite(diff[i])) << i;
    EXPECT_TRUE(IsClose(diff[i], numeric[i], kGradTolerance)) << "d loss / d x[" << i << "]";
  }
  // Confident and wrong: p = [1, 0, 0], label 1 -> [1, -1, 0] / N.
  EXPECT_NEAR(diff[kUnits + 0], 1.0 / kBatch, 2e-6);
  EXPECT_NEAR(diff[kUnits + 1], -1.0 / kBatch, 2e-6);
}

TEST_F(SoftmaxCrossEntropyLossTest, GradientRowsSumToZero) {
  // sum_c (p_c - onehot_c) = 1 - 1: the loss is shift invariant per row. Up to
  // the log-softmax error (kGradTolerance): sum p = 1 +- ~4e-6, over N.
  const std::vector<float> x = testing::uniform_values(kBatch * kUnits, -4, 4, 17);
  const std::vector<int32_t> labels = {2, 0, 1, 2};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();
  std::vector<float> diff(x.size());

  loss_.compute(output, labels.data(), diff.data(), stream_);

  for (int64_t n = 0; n < kBatch; ++n) {
    double sum = 0;
    for (int64_t c = 0; c < kUnits; ++c) sum += diff[n * kUnits + c];
    EXPECT_NEAR(sum, 0.0, 2e-6) << "row " << n;
  }
}

TEST_F(SoftmaxCrossEntropyLossTest, ReadsTheOutputGivenAtEachCall) {
  // The loss reads whichever buffer it is handed, not one bound at construction.
  const std::vector<int32_t> labels = {0, 0, 0, 0};
  dnnl::memory confident = testing::plain_tensor(
      eng_, {kBatch, kUnits}, {9.F, 0.F, 0.F, 9.F, 0.F, 0.F, 9.F, 0.F, 0.F, 9.F, 0.F, 0.F}).memory();
  dnnl::memory uniform =
      testing::plain_tensor(eng_, {kBatch, kUnits}, std::vector<float>(kBatch * kUnits, 0.0F)).memory();

  const double first = loss_.compute(confident, labels.data(), nullptr, stream_);
  const double second = loss_.compute(uniform, labels.data(), nullptr, stream_);

  EXPECT_NEAR(first, std::log(1 + 2 * std::exp(-9.0)), 5e-6);  // see kLossTolerance
  EXPECT_NEAR(second, std::log(3.0), 5e-6);
}

TEST_F(SoftmaxCrossEntropyLossTest, ConfidentCorrectPredictionsHaveTinyNonNegativeLoss) {
  // Cross-entropy is -log p >= 0, and a well-trained model's loss is tiny, so
  // there its absolute accuracy is all users see. Every row puts its label's
  // logit 20..40 above the rest: loss = mean log(1 + sum_{c != y} e^(x_c - x_y))
  // ~ 1e-9, which float inputs allow to be computed within ~1e-7 (a few ulp of
  // the row sums near 1).
  const std::vector<float> x = {20.0F, 0.0F,  0.0F,   //
                                0.0F,  25.0F, 1.0F,   //
                                -3.0F, -4.0F, 30.0F,  //
                                40.0F, 0.5F,  -0.5F};
  const std::vector<int32_t> labels = {0, 1, 2, 0};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();

  const double value = loss_.compute(output, labels.data(), nullptr, stream_);

  const double expected = reference_loss(testing::to_double(x), labels);
  EXPECT_LT(expected, 1e-8);  // the reference itself
  EXPECT_GE(value, 0.0) << "a negative cross-entropy (expected " << expected << ")";
  EXPECT_NEAR(value, expected, 1e-7);
}

TEST_F(SoftmaxCrossEntropyLossTest, CountCorrectComparesArgmaxWithLabel) {
  const std::vector<float> x = {0.1F, 0.7F,  0.2F,   // argmax 1
                                3.0F, -1.0F, 2.9F,   // argmax 0
                                -5.F, -4.F,  -6.F,   // argmax 1
                                0.0F, 0.5F,  0.6F};  // argmax 2
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, x).memory();

  EXPECT_EQ(loss_.count_correct(output, std::vector<int32_t>{1, 0, 1, 2}.data()), 4);
  EXPECT_EQ(loss_.count_correct(output, std::vector<int32_t>{1, 2, 0, 2}.data()), 2);
  EXPECT_EQ(loss_.count_correct(output, std::vector<int32_t>{0, 1, 2, 0}.data()), 0);
}

}  // namespace
}  // namespace gradstream::engine

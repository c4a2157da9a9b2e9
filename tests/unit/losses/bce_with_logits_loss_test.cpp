// BceWithLogitsLoss: mean over every element of
//   l(x, t) = t softplus(-x) + (1 - t) softplus(x)   (= -t log s(x) - (1-t) log(1 - s(x)))
// with t the label (one unit) or one-hot (several units), written here in a
// different but equivalent form from the engine's; values include logits of
// +-1000 (finite, exact); the gradient against central finite differences;
// a single unit predicts by the sign of its logit.
#include "engine/losses/bce_with_logits_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// The loss needs no more than float-input accuracy; the gradient
// (sigmoid(x) - t) / (N K) is stored as float: relative error ~6e-8, and an
// absolute floor for the entries where sigmoid(x) - t is ~0 (e.g. x = 1000, t = 1).
constexpr Tolerance kTolerance{1e-6, 1e-9};

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

double reference_loss(const std::vector<double>& x, const std::vector<int32_t>& labels,
                      int64_t units) {
  const int64_t batch = static_cast<int64_t>(labels.size());
  double total = 0;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t k = 0; k < units; ++k) {
      const double t = units == 1 ? labels[n] : (labels[n] == k ? 1.0 : 0.0);
      const double v = x[n * units + k];
      total += t * softplus(-v) + (1 - t) * softplus(v);
    }
  }
  return total / static_cast<double>(batch * units);
}

class BceWithLogitsLossTest : public ::testing::Test {
 protected:
  void expect_matches_reference(const std::vector<float>& x, const std::vector<int32_t>& labels,
                                int64_t units) {
    const int64_t batch = static_cast<int64_t>(labels.size());
    dnnl::memory output = testing::plain_tensor(eng_, {batch, units}, x).memory();
    BceWithLogitsLoss loss(batch, units);
    std::vector<float> diff(x.size(), 66.0F);

    const double value = loss.compute(output, labels.data(), diff.data(), stream_);

    const std::vector<double> xd = testing::to_double(x);
    ASSERT_TRUE(std::isfinite(value));
    EXPECT_TRUE(IsClose(value, reference_loss(xd, labels, units), kTolerance));
    const std::vector<double> numeric = testing::numerical_gradient(
        [&](const std::vector<double>& v) { return reference_loss(v, labels, units); }, xd);
    for (size_t i = 0; i < diff.size(); ++i) {
      EXPECT_TRUE(IsClose(diff[i], numeric[i], kTolerance))
          << "d loss / d x[" << i << "] at x = " << x[i];
    }
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_F(BceWithLogitsLossTest, SeveralUnitsCompareWithOneHot) {
  std::vector<float> x = testing::uniform_values(3 * 4, -4, 4, 41);
  expect_matches_reference(x, {0, 3, 1}, 4);
}

TEST_F(BceWithLogitsLossTest, OneUnitComparesWithTheLabel) {
  expect_matches_reference({0.3F, -1.2F, 2.5F, -0.1F, 0.0F}, {1, 0, 0, 1, 1}, 1);
}

TEST_F(BceWithLogitsLossTest, HugeLogitsStayFiniteAndExact) {
  // Right and confident: 0. Wrong and confident: 1000 each.
  const std::vector<float> x = {1000.F, -1000.F, 1000.F, -1000.F};
  const std::vector<int32_t> labels = {1, 0, 0, 1};
  dnnl::memory output = testing::plain_tensor(eng_, {4, 1}, x).memory();
  BceWithLogitsLoss loss(4, 1);
  std::vector<float> diff(4);

  const double value = loss.compute(output, labels.data(), diff.data(), stream_);

  EXPECT_NEAR(value, (0.0 + 0.0 + 1000.0 + 1000.0) / 4, 1e-9);
  // sigmoid(x) - t over N: [0, 0, 1, -1] / 4.
  EXPECT_NEAR(diff[0], 0.0, 1e-9);
  EXPECT_NEAR(diff[1], 0.0, 1e-9);
  EXPECT_NEAR(diff[2], 0.25, 1e-9);
  EXPECT_NEAR(diff[3], -0.25, 1e-9);
  expect_matches_reference(x, labels, 1);
}

TEST_F(BceWithLogitsLossTest, ZeroLogitCostsLogTwo) {
  // sigmoid(0) = 1/2 whatever the label: loss log 2, gradient (1/2 - t) / N.
  dnnl::memory output = testing::plain_tensor(eng_, {2, 1}, {0.0F, 0.0F}).memory();
  BceWithLogitsLoss loss(2, 1);
  std::vector<float> diff(2);

  const double value =
      loss.compute(output, std::vector<int32_t>{0, 1}.data(), diff.data(), stream_);

  EXPECT_NEAR(value, std::log(2.0), 1e-12);
  EXPECT_FLOAT_EQ(diff[0], 0.25F);
  EXPECT_FLOAT_EQ(diff[1], -0.25F);
}

TEST_F(BceWithLogitsLossTest, CountCorrectUsesTheLogitSignForOneUnit) {
  // Logits, not probabilities: 2.0 means class 1 (rounding would say 2),
  // -3.0 means class 0 (rounding would say -3).
  dnnl::memory output = testing::plain_tensor(eng_, {5, 1}, {2.0F, -3.0F, 0.3F, -0.2F, 0.7F}).memory();
  BceWithLogitsLoss loss(5, 1);

  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{1, 0, 1, 0, 1}.data()), 5);
  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{0, 1, 0, 1, 1}.data()), 1);
}

TEST_F(BceWithLogitsLossTest, CountCorrectUsesArgmaxForSeveralUnits) {
  dnnl::memory output = testing::plain_tensor(eng_, {2, 3},
                                               {-1.F, 2.F, 0.F,    // argmax 1
                                                5.F, -2.F, 4.F}).memory();  // argmax 0
  BceWithLogitsLoss loss(2, 3);

  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{1, 0}.data()), 2);
  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{1, 2}.data()), 1);
}

}  // namespace
}  // namespace gradstream::engine

// MseLoss: mean over every element of (y - t)^2, with t one-hot (several
// units) or the label itself (one unit); the gradient against central finite
// differences of the double reference; accuracy by argmax or by rounding.
#include "engine/losses/mse_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// y - t is one float subtraction (exact or 1 ulp), squared and summed in
// double; the gradient 2 (y - t) / (N K) is two float roundings: relative
// error ~1e-7 for both, and values near 0 only where y - t is near 0 too.
constexpr Tolerance kTolerance{1e-6, 1e-9};

// loss = 1/(N K) sum_n sum_k (y[n, k] - t[n, k])^2
double reference_loss(const std::vector<double>& y, const std::vector<int32_t>& labels,
                      int64_t units) {
  const int64_t batch = static_cast<int64_t>(labels.size());
  double total = 0;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t k = 0; k < units; ++k) {
      const double t = units == 1 ? labels[n] : (labels[n] == k ? 1.0 : 0.0);
      const double e = y[n * units + k] - t;
      total += e * e;
    }
  }
  return total / static_cast<double>(batch * units);
}

class MseLossTest : public ::testing::Test {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_F(MseLossTest, SeveralUnitsCompareWithOneHot) {
  constexpr int64_t kBatch = 3;
  constexpr int64_t kUnits = 4;
  const std::vector<float> y = testing::uniform_values(kBatch * kUnits, -1.5F, 1.5F, 31);
  const std::vector<int32_t> labels = {0, 3, 1};
  dnnl::memory output = testing::plain_tensor(eng_, {kBatch, kUnits}, y).memory();
  MseLoss loss(kBatch, kUnits);
  std::vector<float> diff(y.size(), 55.0F);

  const double value = loss.compute(output, labels.data(), diff.data(), stream_);

  const std::vector<double> yd = testing::to_double(y);
  EXPECT_TRUE(IsClose(value, reference_loss(yd, labels, kUnits), kTolerance));
  const std::vector<double> numeric = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return reference_loss(v, labels, kUnits); }, yd);
  for (size_t i = 0; i < diff.size(); ++i) {
    EXPECT_TRUE(IsClose(diff[i], numeric[i], kTolerance)) << "d loss / d y[" << i << "]";
  }
}

TEST_F(MseLossTest, SmallExampleByHand) {
  // y = [[1, 0], [0.5, 0.5]], labels [0, 1]: errors [0, 0], [0.5, -0.5]
  // loss = (0 + 0 + 0.25 + 0.25) / 4 = 0.125;  grad = 2 e / 4 = [0, 0, 0.25, -0.25]
  dnnl::memory output = testing::plain_tensor(eng_, {2, 2}, {1.0F, 0.0F, 0.5F, 0.5F}).memory();
  const std::vector<int32_t> labels = {0, 1};
  MseLoss loss(2, 2);
  std::vector<float> diff(4);

  const double value = loss.compute(output, labels.data(), diff.data(), stream_);

  EXPECT_DOUBLE_EQ(value, 0.125);
  EXPECT_FLOAT_EQ(diff[0], 0.0F);
  EXPECT_FLOAT_EQ(diff[1], 0.0F);
  EXPECT_FLOAT_EQ(diff[2], 0.25F);
  EXPECT_FLOAT_EQ(diff[3], -0.25F);
}

TEST_F(MseLossTest, OneUnitComparesWithTheLabelValue) {
  const std::vector<float> y = {0.2F, 0.9F, 2.4F, -0.3F};
  const std::vector<int32_t> labels = {0, 1, 2, 1};
  dnnl::memory output = testing::plain_tensor(eng_, {4, 1}, y).memory();
  MseLoss loss(4, 1);
  std::vector<float> diff(y.size());

  const double value = loss.compute(output, labels.data(), diff.data(), stream_);

  // Errors 0.2, -0.1, 0.4, -1.3: mean of squares (0.04 + 0.01 + 0.16 + 1.69) / 4.
  EXPECT_NEAR(value, 1.9 / 4, 1e-6);
  const std::vector<double> yd = testing::to_double(y);
  EXPECT_TRUE(IsClose(value, reference_loss(yd, labels, 1), kTolerance));
  const std::vector<double> numeric = testing::numerical_gradient(
      [&](const std::vector<double>& v) { return reference_loss(v, labels, 1); }, yd);
  for (size_t i = 0; i < diff.size(); ++i) {
    EXPECT_TRUE(IsClose(diff[i], numeric[i], kTolerance)) << "d loss / d y[" << i << "]";
  }
  EXPECT_NEAR(diff[3], 2 * -1.3 / 4, 1e-6);
}

TEST_F(MseLossTest, NullDiffOnlyComputesTheLoss) {
  dnnl::memory output = testing::plain_tensor(eng_, {1, 2}, {0.0F, 0.0F}).memory();
  const std::vector<int32_t> labels = {1};
  MseLoss loss(1, 2);

  EXPECT_DOUBLE_EQ(loss.compute(output, labels.data(), nullptr, stream_), 0.5);
}

TEST_F(MseLossTest, CountCorrectUsesArgmaxForSeveralUnits) {
  dnnl::memory output = testing::plain_tensor(eng_, {3, 3},
                                               {0.9F, 0.1F, 0.0F,     // argmax 0
                                                0.2F, 0.3F, 0.5F,     // argmax 2
                                                -1.F, -0.5F, -2.F}).memory();  // argmax 1
  MseLoss loss(3, 3);

  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{0, 2, 1}.data()), 3);
  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{0, 1, 0}.data()), 1);
}

TEST_F(MseLossTest, CountCorrectRoundsASingleUnit) {
  // One unit regresses the label: the prediction is the nearest integer.
  dnnl::memory output = testing::plain_tensor(eng_, {5, 1}, {0.2F, 0.9F, 2.4F, -0.3F, 1.6F}).memory();
  MseLoss loss(5, 1);

  // Rounded: 0, 1, 2, 0, 2.
  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{0, 1, 2, 1, 1}.data()), 3);
  EXPECT_EQ(loss.count_correct(output, std::vector<int32_t>{0, 1, 2, 0, 2}.data()), 5);
}

}  // namespace
}  // namespace gradstream::engine

// DenseLayer: forward against a double matmul plus bias, and diff_src,
// diff_weights, diff_bias against central finite differences of
//   L = sum diff_dst * dst
// with respect to src, weights and bias; also the no-bias variant and a layer
// whose src needs no gradient (the first layer).
#include "engine/layers/dense_layer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "engine/core/parameter.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// Sums of 5 (forward), 4 (diff_src) or 3 (diff_weights, diff_bias) float
// products of magnitude <= 1: a few ulp of the terms, well under 1e-6.
constexpr Tolerance kTolerance{1e-5, 1e-6};

constexpr int64_t kBatch = 3;
constexpr int64_t kInputs = 5;
constexpr int64_t kUnits = 4;

struct Values {
  std::vector<double> src;      // [kBatch, kInputs]
  std::vector<double> weights;  // [kUnits, kInputs]
  std::vector<double> bias;     // [kUnits], empty for no bias
};

// dst[n, o] = sum_i src[n, i] weights[o, i] + bias[o]
std::vector<double> reference_forward(const Values& v) {
  std::vector<double> dst(kBatch * kUnits);
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t o = 0; o < kUnits; ++o) {
      double sum = v.bias.empty() ? 0.0 : v.bias[o];
      for (int64_t i = 0; i < kInputs; ++i) {
        sum += v.src[n * kInputs + i] * v.weights[o * kInputs + i];
      }
      dst[n * kUnits + o] = sum;
    }
  }
  return dst;
}

double weighted_output(const Values& v, const std::vector<float>& dd) {
  const std::vector<double> dst = reference_forward(v);
  double sum = 0;
  for (size_t k = 0; k < dst.size(); ++k) sum += dd[k] * dst[k];
  return sum;
}

class DenseLayerTest : public ::testing::Test {
 protected:
  DenseLayerTest()
      : weights_(make_parameter(eng_, "dense_0", "weights", {kUnits, kInputs}, true)),
        bias_(make_parameter(eng_, "dense_0", "bias", {kUnits}, false)) {
    testing::write(weights_.value, w_);
    testing::write(bias_.value, b_);
    // Gradients from an earlier step must be overwritten, not accumulated.
    testing::write(weights_.grad, std::vector<float>(kUnits * kInputs, 99.0F));
    testing::write(bias_.grad, std::vector<float>(kUnits, 99.0F));
  }

  Values values(bool with_bias) const {
    return {testing::to_double(x_), testing::to_double(w_),
            with_bias ? testing::to_double(b_) : std::vector<double>{}};
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
  const std::vector<float> x_ = testing::uniform_values(kBatch * kInputs, -1, 1, 1);
  const std::vector<float> w_ = testing::uniform_values(kUnits * kInputs, -1, 1, 2);
  const std::vector<float> b_ = testing::uniform_values(kUnits, -1, 1, 3);
  const std::vector<float> dd_ = testing::uniform_values(kBatch * kUnits, -1, 1, 4);
  Parameter weights_;
  Parameter bias_;
};

TEST_F(DenseLayerTest, ForwardIsMatmulPlusBias) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  DenseLayer layer("dense_0", src, weights_, &bias_, /*training=*/true, eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<double> expected = reference_forward(values(true));
  const std::vector<float> y = testing::read(layer.dst());
  ASSERT_EQ(y.size(), expected.size());
  for (size_t k = 0; k < y.size(); ++k) EXPECT_TRUE(IsClose(y[k], expected[k], kTolerance)) << k;
}

TEST_F(DenseLayerTest, ForwardByHandOnASmallExample) {
  // [1 2] . [[1 0] [0.5 -1]]^T + [0.25 -0.25] = [1.25, -1.75]
  Parameter w = make_parameter(eng_, "d", "weights", {2, 2}, true);
  Parameter b = make_parameter(eng_, "d", "bias", {2}, false);
  testing::write(w.value, {1.0F, 0.0F, 0.5F, -1.0F});
  testing::write(b.value, {0.25F, -0.25F});
  dnnl::memory src = testing::matrix_memory(eng_, 1, 2, {1.0F, 2.0F});
  DenseLayer layer("d", src, w, &b, /*training=*/false, eng_);

  layer.forward(stream_);
  stream_.wait();

  const std::vector<float> y = testing::read(layer.dst());
  EXPECT_FLOAT_EQ(y[0], 1.25F);
  EXPECT_FLOAT_EQ(y[1], -1.75F);
}

TEST_F(DenseLayerTest, BackwardMatchesFiniteDifferences) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  dnnl::memory diff_dst = testing::matrix_memory(eng_, kBatch, kUnits, dd_);
  DenseLayer layer("dense_0", src, weights_, &bias_, /*training=*/true, eng_);
  const dnnl::memory diff_src = layer.bind_backward(diff_dst, /*needs_diff_src=*/true);
  ASSERT_TRUE(diff_src);

  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  const Values v = values(true);
  const auto numeric_src = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({p, v.weights, v.bias}, dd_);
      },
      v.src);
  const auto numeric_weights = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({v.src, p, v.bias}, dd_);
      },
      v.weights);
  const auto numeric_bias = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({v.src, v.weights, p}, dd_);
      },
      v.bias);

  const std::vector<float> dx = testing::read(diff_src);
  for (size_t k = 0; k < dx.size(); ++k) {
    EXPECT_TRUE(IsClose(dx[k], numeric_src[k], kTolerance)) << "diff_src " << k;
  }
  const std::vector<float> dw = testing::read(weights_.grad);
  for (size_t k = 0; k < dw.size(); ++k) {
    EXPECT_TRUE(IsClose(dw[k], numeric_weights[k], kTolerance)) << "diff_weights " << k;
  }
  const std::vector<float> db = testing::read(bias_.grad);
  for (size_t k = 0; k < db.size(); ++k) {
    EXPECT_TRUE(IsClose(db[k], numeric_bias[k], kTolerance)) << "diff_bias " << k;
  }
}

TEST_F(DenseLayerTest, BackwardMatchesClosedFormGradients) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  dnnl::memory diff_dst = testing::matrix_memory(eng_, kBatch, kUnits, dd_);
  DenseLayer layer("dense_0", src, weights_, &bias_, /*training=*/true, eng_);
  const dnnl::memory diff_src = layer.bind_backward(diff_dst, true);

  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  const std::vector<float> dx = testing::read(diff_src);
  const std::vector<float> dw = testing::read(weights_.grad);
  const std::vector<float> db = testing::read(bias_.grad);
  for (int64_t n = 0; n < kBatch; ++n) {
    for (int64_t i = 0; i < kInputs; ++i) {
      double sum = 0;  // diff_src = diff_dst * weights
      for (int64_t o = 0; o < kUnits; ++o) sum += double(dd_[n * kUnits + o]) * w_[o * kInputs + i];
      EXPECT_TRUE(IsClose(dx[n * kInputs + i], sum, kTolerance));
    }
  }
  for (int64_t o = 0; o < kUnits; ++o) {
    double bias_sum = 0;  // diff_bias = sum_n diff_dst
    for (int64_t n = 0; n < kBatch; ++n) bias_sum += dd_[n * kUnits + o];
    EXPECT_TRUE(IsClose(db[o], bias_sum, kTolerance));
    for (int64_t i = 0; i < kInputs; ++i) {
      double sum = 0;  // diff_weights = diff_dst^T * src
      for (int64_t n = 0; n < kBatch; ++n) sum += double(dd_[n * kUnits + o]) * x_[n * kInputs + i];
      EXPECT_TRUE(IsClose(dw[o * kInputs + i], sum, kTolerance));
    }
  }
}

TEST_F(DenseLayerTest, NoBiasForwardAndBackward) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  dnnl::memory diff_dst = testing::matrix_memory(eng_, kBatch, kUnits, dd_);
  DenseLayer layer("dense_0", src, weights_, /*bias=*/nullptr, /*training=*/true, eng_);
  const dnnl::memory diff_src = layer.bind_backward(diff_dst, true);

  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  const Values v = values(false);
  const std::vector<double> expected = reference_forward(v);
  const std::vector<float> y = testing::read(layer.dst());
  for (size_t k = 0; k < y.size(); ++k) EXPECT_TRUE(IsClose(y[k], expected[k], kTolerance)) << k;

  const auto numeric_src = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({p, v.weights, {}}, dd_);
      },
      v.src);
  const auto numeric_weights = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({v.src, p, {}}, dd_);
      },
      v.weights);
  const std::vector<float> dx = testing::read(diff_src);
  for (size_t k = 0; k < dx.size(); ++k) EXPECT_TRUE(IsClose(dx[k], numeric_src[k], kTolerance));
  const std::vector<float> dw = testing::read(weights_.grad);
  for (size_t k = 0; k < dw.size(); ++k) {
    EXPECT_TRUE(IsClose(dw[k], numeric_weights[k], kTolerance));
  }
  // The bias parameter was not given to the layer: its gradient is untouched.
  for (float g : testing::read(bias_.grad)) EXPECT_EQ(g, 99.0F);
}

TEST_F(DenseLayerTest, FirstLayerReturnsNoDiffSrcButStillComputesWeightGradients) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  dnnl::memory diff_dst = testing::matrix_memory(eng_, kBatch, kUnits, dd_);
  DenseLayer layer("dense_0", src, weights_, &bias_, /*training=*/true, eng_);

  const dnnl::memory diff_src = layer.bind_backward(diff_dst, /*needs_diff_src=*/false);
  layer.forward(stream_);
  layer.backward(stream_);
  stream_.wait();

  EXPECT_FALSE(diff_src);
  const Values v = values(true);
  const auto numeric_weights = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({v.src, p, v.bias}, dd_);
      },
      v.weights);
  const auto numeric_bias = testing::numerical_gradient(
      [&](const std::vector<double>& p) {
        return weighted_output({v.src, v.weights, p}, dd_);
      },
      v.bias);
  const std::vector<float> dw = testing::read(weights_.grad);
  for (size_t k = 0; k < dw.size(); ++k) {
    EXPECT_TRUE(IsClose(dw[k], numeric_weights[k], kTolerance));
  }
  const std::vector<float> db = testing::read(bias_.grad);
  for (size_t k = 0; k < db.size(); ++k) EXPECT_TRUE(IsClose(db[k], numeric_bias[k], kTolerance));
}

TEST_F(DenseLayerTest, IsNotAnActivation) {
  dnnl::memory src = testing::matrix_memory(eng_, kBatch, kInputs, x_);
  DenseLayer layer("dense_0", src, weights_, &bias_, true, eng_);
  EXPECT_EQ(layer.activation(), nullptr);
  EXPECT_EQ(layer.dst().get_desc().dims(), (dnnl::memory::dims{kBatch, kUnits}));
}

}  // namespace
}  // namespace gradstream::engine

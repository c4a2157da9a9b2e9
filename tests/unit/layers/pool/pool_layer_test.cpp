// Pool2DLayer through the registry: max and average pooling (padding in the
// count or not, stride, padding) and global average pooling, against direct
// double-precision references and finite differences; shape errors.
#include "engine/layers/pool/pool_layer.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "engine/layers/pool/pool_kind.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::layer_spec;
using testing::LayerHarness;

constexpr testing::Tolerance kTolerance{1e-5, 1e-6};

struct Pool {
  int64_t channels, height, width;
  int64_t k, stride, pad;
  int64_t out_h, out_w;
  enum { kMax, kAvgExclude, kAvgInclude } kind;
};

std::vector<double> pool_reference(const Pool& p, const std::vector<double>& src, int64_t batch) {
  std::vector<double> dst(static_cast<size_t>(batch * p.channels * p.out_h * p.out_w));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < p.channels; ++c)
      for (int64_t y = 0; y < p.out_h; ++y)
        for (int64_t x = 0; x < p.out_w; ++x) {
          double best = -std::numeric_limits<double>::infinity();
          double sum = 0;
          int64_t inside = 0;
          for (int64_t i = 0; i < p.k; ++i)
            for (int64_t j = 0; j < p.k; ++j) {
              const int64_t iy = y * p.stride + i - p.pad;
              const int64_t ix = x * p.stride + j - p.pad;
              if (iy < 0 || iy >= p.height || ix < 0 || ix >= p.width) continue;
              const double v = src[((n * p.channels + c) * p.height + iy) * p.width + ix];
              best = std::max(best, v);
              sum += v;
              ++inside;
            }
          const double count = p.kind == Pool::kAvgInclude ? double(p.k * p.k) : double(inside);
          dst[((n * p.channels + c) * p.out_h + y) * p.out_w + x] =
              p.kind == Pool::kMax ? best : sum / count;
        }
  return dst;
}

void check(const std::string& spec, const Pool& p, int64_t batch, uint32_t seed) {
  SCOPED_TRACE(spec);
  LayerHarness h({layer_spec(spec), layer_spec(R"({"flatten": {}})")},
                 {p.channels, p.height, p.width}, batch);
  ASSERT_EQ(h.model().output_units(), p.channels * p.out_h * p.out_w);
  testing::check_layer_gradients(
      h,
      [p, batch](const std::vector<double>& x, const std::vector<std::vector<double>>&) {
        return pool_reference(p, x, batch);
      },
      // Random values: a tie within a window (where max has no derivative) is
      // vanishingly unlikely, and so is a near-tie within the 1e-4 step.
      testing::uniform_values(h.input_size(), -1, 1, seed),
      testing::uniform_values(h.output_size(), -1, 1, seed + 1), {kTolerance, kTolerance});
}

TEST(Pool2DLayerTest, MaxPoolingTwoByTwo) {
  check(R"({"maxPool2d": {"kernel": [2]}})", {3, 6, 6, 2, 2, 0, 3, 3, Pool::kMax}, 2, 1);
}

TEST(Pool2DLayerTest, MaxPoolingWithStrideAndPadding) {
  // kernel 3, stride 2, pad 1 on 7 x 7: out (7 + 2 - 3) / 2 + 1 = 4
  check(R"({"maxPool2d": {"kernel": [3], "stride": [2], "padding": [1]}})",
        {2, 7, 7, 3, 2, 1, 4, 4, Pool::kMax}, 2, 3);
}

TEST(Pool2DLayerTest, AveragePoolingCountsOnlyTheInsideByDefault) {
  check(R"({"avgPool2d": {"kernel": [3], "stride": [2], "padding": [1]}})",
        {2, 7, 7, 3, 2, 1, 4, 4, Pool::kAvgExclude}, 2, 5);
}

TEST(Pool2DLayerTest, AveragePoolingCanCountThePadding) {
  check(R"({"avgPool2d": {"kernel": [3], "stride": [2], "padding": [1], "countIncludePad": true}})",
        {2, 7, 7, 3, 2, 1, 4, 4, Pool::kAvgInclude}, 2, 7);
}

TEST(Pool2DLayerTest, GlobalAveragePoolingGivesOneValuePerChannel) {
  LayerHarness h({layer_spec(R"({"globalAvgPool": {}})")}, {16, 3, 3}, 2);
  EXPECT_EQ(h.model().output_units(), 16);
  testing::check_layer_gradients(
      h,
      [](const std::vector<double>& x, const std::vector<std::vector<double>>&) {
        std::vector<double> y(32, 0.0);
        for (size_t i = 0; i < x.size(); ++i) y[i / 9] += x[i] / 9;
        return y;
      },
      testing::uniform_values(h.input_size(), -1, 1, 9),
      testing::uniform_values(h.output_size(), -1, 1, 10), {kTolerance, kTolerance});
}

TEST(Pool2DLayerTest, ShapeErrorsNameTheFieldAndBothShapes) {
  const std::string path = "model.layers[1]";
  const Shape input{4, 3, 3};
  auto infer = [&](const LayerKind& kind, const std::string& json) {
    const v1::LayerSpec spec = layer_spec(json);
    return kind.validate({spec, path, input, false}).status().message();
  };
  EXPECT_EQ(infer(max_pool2d_layer_kind(), R"({"maxPool2d": {"kernel": [4]}})"),
            "model.layers[1].max_pool2d.kernel: [4, 4] spans 4 x 4, larger than the input "
            "[3, 3] padded by [0, 0]");
  EXPECT_EQ(infer(avg_pool2d_layer_kind(), R"({"avgPool2d": {"kernel": [2], "padding": [2]}})"),
            "model.layers[1].avg_pool2d.padding: [2, 2] must be smaller than the window it "
            "pads, which spans 2 x 2");
  EXPECT_EQ(
      infer(max_pool2d_layer_kind(), R"({"maxPool2d": {"kernel": [2], "countIncludePad": true}})"),
      "model.layers[1].max_pool2d.count_include_pad: only average pooling counts padding");
  EXPECT_EQ(infer(global_avg_pool_layer_kind(), R"({"globalAvgPool": {}})"), "");
  const v1::LayerSpec flat = layer_spec(R"({"maxPool2d": {"kernel": [2]}})");
  EXPECT_EQ(max_pool2d_layer_kind().validate({flat, path, Shape{784}, false}).status().message(),
            "model.layers[1].max_pool2d: needs samples of shape [C, H, W], got [784] (a "
            "reshape layer can make one)");
}

}  // namespace
}  // namespace gradstream::engine

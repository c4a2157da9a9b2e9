// Conv2DLayer, built through the registry (LayerHarness) with the layouts
// oneDNN picks: forward against a direct double-precision convolution,
// diff_src, diff_weights and diff_bias against finite differences of it, for
// stride, padding (numbers and SAME), dilation, groups, no bias, one-channel
// [H, W] images, a fused ReLU and a plain-image first layer.
#include "engine/layers/conv/conv_layer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/layers/conv/conv_kind.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::layer_spec;
using testing::LayerHarness;

// Sums of up to 4 x 3 x 3 = 36 float products of magnitude <= 1.
constexpr testing::Tolerance kTolerance{1e-5, 1e-5};

struct Conv {
  int64_t channels, height, width, filters;
  int64_t kh, kw;
  int64_t stride = 1;
  int64_t pad_top = 0, pad_left = 0;  // the begin side; out gives the rest
  int64_t dilation = 1;
  int64_t groups = 1;
  int64_t out_h = 0, out_w = 0;
};

// dst[n, f, y, x] = bias[f] + sum over the group's channels and the kernel of
// src[n, c, y*s + i*d - pad, x*s + j*d - pad] * weights[f, c % (C/G), i, j]
std::vector<double> conv_reference(const Conv& c, const std::vector<double>& src,
                                   const std::vector<double>& weights,
                                   const std::vector<double>& bias, int64_t batch) {
  const int64_t cg = c.channels / c.groups;
  const int64_t fg = c.filters / c.groups;
  std::vector<double> dst(static_cast<size_t>(batch * c.filters * c.out_h * c.out_w));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t f = 0; f < c.filters; ++f)
      for (int64_t y = 0; y < c.out_h; ++y)
        for (int64_t x = 0; x < c.out_w; ++x) {
          double sum = bias.empty() ? 0.0 : bias[f];
          const int64_t g = f / fg;
          for (int64_t k = 0; k < cg; ++k)
            for (int64_t i = 0; i < c.kh; ++i)
              for (int64_t j = 0; j < c.kw; ++j) {
                const int64_t iy = y * c.stride + i * c.dilation - c.pad_top;
                const int64_t ix = x * c.stride + j * c.dilation - c.pad_left;
                if (iy < 0 || iy >= c.height || ix < 0 || ix >= c.width) continue;
                const int64_t ch = g * cg + k;
                sum += src[((n * c.channels + ch) * c.height + iy) * c.width + ix] *
                       weights[((f * cg + k) * c.kh + i) * c.kw + j];
              }
          dst[((n * c.filters + f) * c.out_h + y) * c.out_w + x] = sum;
        }
  return dst;
}

testing::LayerReference reference(const Conv& c, int64_t batch, bool relu = false) {
  return
      [c, batch, relu](const std::vector<double>& src, const std::vector<std::vector<double>>& p) {
        std::vector<double> y =
            conv_reference(c, src, p[0], p.size() > 1 ? p[1] : std::vector<double>{}, batch);
        if (relu) {
          for (double& v : y) v = v > 0 ? v : 0;
        }
        return y;
      };
}

void check(const std::string& spec, const Conv& c, int64_t batch, uint32_t seed,
           const Shape& sample = {}) {
  SCOPED_TRACE(spec);
  const Shape input = sample.empty() ? Shape{c.channels, c.height, c.width} : sample;
  LayerHarness h({layer_spec(spec), layer_spec(R"({"flatten": {}})")}, input, batch);
  ASSERT_EQ(h.model().output_units(), c.filters * c.out_h * c.out_w);
  testing::check_layer_gradients(
      h, reference(c, batch), testing::uniform_values(h.input_size(), -1, 1, seed),
      testing::uniform_values(h.output_size(), -1, 1, seed + 1), {kTolerance, kTolerance});
}

TEST(Conv2DLayerTest, ThreeByThreeWithPadding) {
  check(R"({"conv2d": {"filters": 3, "kernel": [3], "padding": [1]}})",
        {2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 5, 5}, 2, 1);
}

TEST(Conv2DLayerTest, StrideTwoAndDilationTwo) {
  // extent (3 - 1) * 2 + 1 = 5; out = (7 + 2 - 5) / 2 + 1 = 3
  check(R"({"conv2d": {"filters": 4, "kernel": [3], "stride": [2], "padding": [1],
                       "dilation": [2]}})",
        {3, 7, 7, 4, 3, 3, 2, 1, 1, 2, 1, 3, 3}, 2, 3);
}

TEST(Conv2DLayerTest, GroupsConvolveTheirOwnChannels) {
  // 4 channels, 6 filters in 2 groups: filters 0-2 see channels 0-1, 3-5 see 2-3.
  LayerHarness h({layer_spec(R"({"conv2d": {"filters": 6, "kernel": [3], "groups": 2}})"),
                  layer_spec(R"({"flatten": {}})")},
                 {4, 5, 5}, 2);
  EXPECT_EQ(h.parameter(0).shape(), (Shape{2, 3, 2, 3, 3}));
  check(R"({"conv2d": {"filters": 6, "kernel": [3], "groups": 2}})",
        {4, 5, 5, 6, 3, 3, 1, 0, 0, 1, 2, 3, 3}, 2, 5);
}

TEST(Conv2DLayerTest, SamePaddingPutsTheOddPixelAtTheEnd) {
  // kernel [2, 4] stride 1 on 5 x 6: SAME pads 1 (0 before, 1 after) and 3 (1, 2).
  check(R"({"conv2d": {"filters": 2, "kernel": [2, 4], "paddingMode": "SAME"}})",
        {2, 5, 6, 2, 2, 4, 1, 0, 1, 1, 1, 5, 6}, 2, 7);
}

TEST(Conv2DLayerTest, NoBiasAndAOneChannelImage) {
  // [H, W] samples are one channel; with no_bias the weights are the only parameter.
  check(R"({"conv2d": {"filters": 3, "kernel": [2], "noBias": true}})",
        {1, 4, 5, 3, 2, 2, 1, 0, 0, 1, 1, 3, 4}, 3, 9, {4, 5});
}

TEST(Conv2DLayerTest, FirstLayerOnAPlainImageWithAFusedRelu) {
  // One input channel and 16 filters, as an image network's first layer.
  LayerHarness h({layer_spec(R"({"conv2d": {"filters": 16, "kernel": [3], "padding": [1],
                                            "activation": {"name": "relu"}}})"),
                  layer_spec(R"({"flatten": {}})")},
                 {1, 6, 6}, 2);
  const Conv c{1, 6, 6, 16, 3, 3, 1, 1, 1, 1, 1, 6, 6};
  const std::vector<float> x = testing::uniform_values(h.input_size(), -1, 1, 11);
  std::vector<std::vector<double>> p;
  for (Parameter* q : h.model().parameters()) p.push_back(testing::to_double(q->value_values()));
  for (double v : conv_reference(c, testing::to_double(x), p[0], p[1], 2)) {
    // A step of 1e-4 in any input or weight moves an output by at most 1e-4
    // (every |value| <= 1), so none may cross the kink.
    ASSERT_GT(std::abs(v), 2e-4) << "an output on relu's kink: pick other values";
  }
  testing::check_layer_gradients(h, reference(c, 2, /*relu=*/true), x,
                                 testing::uniform_values(h.output_size(), -1, 1, 12),
                                 {kTolerance, kTolerance});
}

TEST(Conv2DLayerTest, ForwardByHand) {
  // One 3 x 3 image, one 2 x 2 filter of ones: each output sums a 2 x 2 patch.
  LayerHarness h({layer_spec(R"({"conv2d": {"filters": 1, "kernel": [2],
                                            "initialWeights": [1, 1, 1, 1],
                                            "initialBias": [0.5]}})"),
                  layer_spec(R"({"flatten": {}})")},
                 {1, 3, 3}, 1, /*training=*/false);
  EXPECT_EQ(h.forward({1, 2, 3, 4, 5, 6, 7, 8, 9}),
            (std::vector<float>{12.5F, 16.5F, 24.5F, 28.5F}));  // 1+2+4+5+0.5, ...
}

TEST(Conv2DLayerTest, ShapeErrorsNameTheFieldAndBothShapes) {
  const std::string path = "model.layers[0]";
  auto infer = [&](const std::string& json, const Shape& input) {
    const v1::LayerSpec spec = layer_spec(json);
    return conv2d_layer_kind().validate({spec, path, input, false});
  };
  auto ok = infer(R"({"conv2d": {"filters": 8, "kernel": [3], "stride": [2], "padding": [1]}})",
                  {3, 28, 28});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, (Shape{8, 14, 14}));  // (28 + 2 - 3) / 2 + 1 = 14
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 8, "kernel": [5]}})", {1, 3, 3}).status().message(),
            "model.layers[0].conv2d.kernel: [5, 5] spans 5 x 5, larger than the input [3, 3] "
            "padded by [0, 0]");
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 8, "kernel": [3], "dilation": [2]}})", {1, 4, 9})
                .status()
                .message(),
            "model.layers[0].conv2d.kernel: [3, 3] spans 5 x 5, larger than the input [4, 9] "
            "padded by [0, 0]");
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 6, "kernel": [3], "groups": 4}})", {4, 5, 5})
                .status()
                .message(),
            "model.layers[0].conv2d.groups: 4 must divide both the input's 4 channels and the 6 "
            "filters");
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 6, "kernel": [3]}})", {784}).status().message(),
            "model.layers[0].conv2d: needs samples of shape [C, H, W] or [H, W], got [784] (a "
            "reshape layer can make one)");
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 6, "kernel": [3], "padding": [1],
                                 "paddingMode": "SAME"}})",
                  {1, 5, 5})
                .status()
                .message(),
            "model.layers[0].conv2d.padding: given together with padding_mode SAME; use one of "
            "them");
  EXPECT_EQ(infer(R"({"conv2d": {"filters": 0, "kernel": [3]}})", {1, 5, 5}).status().message(),
            "model.layers[0].conv2d.filters: 0 is out of range [1, 65536]");
  EXPECT_EQ(
      infer(R"({"conv2d": {"filters": 2, "kernel": [3, 3, 3]}})", {1, 5, 5}).status().message(),
      "model.layers[0].conv2d.kernel: must have 1 or 2 values ([both] or [height, width]), "
      "got 3");
}

}  // namespace
}  // namespace gradstream::engine

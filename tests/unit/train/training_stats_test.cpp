// Training statistics: norms and histograms by hand, the same report from
// plain and blocked storage of the same parameter, activation statistics per
// channel for image-shaped outputs, and non-finite detection.
#include "engine/train/training_stats.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

TEST(TrainingStatsTest, NormsByHand) {
  const std::vector<float> v = {3.0F, -4.0F, 0.0F, 12.0F, 0.0F};
  EXPECT_DOUBLE_EQ(l2_norm(v.data(), 5), 13.0);  // sqrt(9 + 16 + 144)
  const std::vector<float> w = {0.0F, 0.0F, 0.0F, 0.0F, 1.0F};
  EXPECT_DOUBLE_EQ(l2_distance(v.data(), w.data(), 5), std::sqrt(9.0 + 16 + 144 + 1));
}

TEST(TrainingStatsTest, ParameterReportByHand) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  Parameter p(eng, "dense_0", "weights", {2, 2}, true);
  const std::vector<float> value = {3.0F, 0.0F, 0.0F, 4.0F};     // norm 5
  const std::vector<float> previous = {3.0F, 0.0F, 0.0F, 3.0F};  // moved by 1
  const std::vector<float> grad = {-1.0F, 0.0F, 0.5F, 1.0F};
  p.write_value(value.data());
  testing::write_grad(p, grad);
  v1::ParameterReport r;
  fill_parameter_report(p, previous.data(), 4, true, 4, &r);
  EXPECT_EQ(r.layer(), "dense_0");
  EXPECT_EQ(r.parameter(), "weights");
  EXPECT_FLOAT_EQ(r.weight_norm(), 5.0F);
  EXPECT_FLOAT_EQ(r.gradient_norm(), 1.5F);  // sqrt(1 + 0.25 + 1)
  EXPECT_FLOAT_EQ(r.update_ratio(), 0.2F);   // 1 / 5
  // Bins of width 0.5 over [-1, 1]: [-1, -0.5) holds -1, [-0.5, 0) nothing,
  // [0, 0.5) holds 0, [0.5, 1] holds 0.5 and 1.
  EXPECT_EQ(std::vector<uint64_t>(r.gradient_histogram().counts().begin(),
                                  r.gradient_histogram().counts().end()),
            (std::vector<uint64_t>{1, 0, 1, 2}));
  EXPECT_EQ(std::vector<float>(r.gradient().begin(), r.gradient().end()), grad);
}

TEST(TrainingStatsTest, BlockedStorageReportsExactlyWhatPlainStorageDoes) {
  // [10, 19] in 16 x 16 blocks: 322 padded floats that must count nowhere.
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  const std::vector<float> value = testing::uniform_values(190, -1, 1, 1);
  const std::vector<float> grad = testing::uniform_values(190, -0.1F, 0.1F, 2);
  const std::vector<float> previous = testing::uniform_values(190, -1, 1, 3);
  Parameter plain(eng, "dense_0", "weights", {10, 19}, true);
  Parameter blocked(eng, "dense_0", "weights", {10, 19}, true);
  blocked.set_layout(dnnl::memory::desc({10, 19}, dnnl::memory::data_type::f32,
                                        dnnl::memory::format_tag::AB16b16a));
  ASSERT_FALSE(blocked.plain());
  for (Parameter* p : {&plain, &blocked}) {
    p->write_value(value.data());
    testing::write_grad(*p, grad);
  }
  v1::ParameterReport from_plain;
  v1::ParameterReport from_blocked;
  fill_parameter_report(plain, previous.data(), 16, true, 1000, &from_plain);
  fill_parameter_report(blocked, previous.data(), 16, true, 1000, &from_blocked);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_plain, from_blocked))
      << from_plain.ShortDebugString() << "\nvs\n"
      << from_blocked.ShortDebugString();
  uint64_t counted = 0;
  for (uint64_t c : from_blocked.gradient_histogram().counts()) counted += c;
  EXPECT_EQ(counted, 190U);  // not 512
  v1::GradientReport norms_plain;
  v1::GradientReport norms_blocked;
  fill_gradient_norms({&plain}, &norms_plain);
  fill_gradient_norms({&blocked}, &norms_blocked);
  EXPECT_EQ(norms_plain.parameters(0).gradient_norm(), norms_blocked.parameters(0).gradient_norm());
}

TEST(TrainingStatsTest, ActivationStatisticsCountChannelsOfImageOutputs) {
  // relu over [C=2, H=1, W=2] samples, batch 2: channel 0 is <= 0 everywhere
  // (dead), channel 1 positive at one position of one sample (alive).
  testing::LayerHarness h({testing::layer_spec(R"({"activation": {"name": "relu"}})")}, {2, 1, 2},
                          2, /*training=*/false);
  h.forward({-1.0F, -2.0F, 0.0F, -3.0F,   // sample 0: channel 0, channel 1
             -0.5F, 0.0F, -1.0F, 4.0F});  // sample 1
  dnnl::stream stream(h.engine());
  v1::ActivationLayerReport r;
  fill_activation_report(h.layer(), stream, &r);
  EXPECT_EQ(r.activation(), "relu");
  EXPECT_FLOAT_EQ(r.dead_fraction(), 0.5F);    // 1 of 2 channels
  EXPECT_FLOAT_EQ(r.zero_fraction(), 0.875F);  // 7 of 8 outputs
  EXPECT_FLOAT_EQ(r.mean(), 0.5F);             // 4 / 8
  EXPECT_FLOAT_EQ(r.std(), std::sqrt(16.0F / 8 - 0.25F));
}

TEST(TrainingStatsTest, SaturationCountsOutputsNearEitherBound) {
  // sigmoid: saturated below 0.01 or above 0.99: sigmoid(+-10) yes, (0, 2) no.
  testing::LayerHarness h({testing::layer_spec(R"({"activation": {"name": "sigmoid"}})")}, {4}, 1,
                          false);
  h.forward({10.0F, -10.0F, 0.0F, 2.0F});
  dnnl::stream stream(h.engine());
  EXPECT_FLOAT_EQ(saturated_fraction(h.layer(), stream), 0.5F);
}

TEST(TrainingStatsTest, FindsTheFirstNonFiniteParameter) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  Parameter a(eng, "dense_0", "weights", {2}, true);
  Parameter b(eng, "dense_1", "weights", {2}, true);
  const std::vector<float> bad = {1.0F, std::nanf("")};
  b.write_value(bad.data());
  EXPECT_EQ(first_non_finite_parameter({&a, &b}), &b);
  EXPECT_EQ(first_non_finite_parameter({&a}), nullptr);
}

}  // namespace
}  // namespace gradstream::engine

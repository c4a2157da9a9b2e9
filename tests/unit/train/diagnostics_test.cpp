// Diagnostics: the class fed with hand-made reports (thresholds, windows, the
// once-per-layer-per-epoch rule), then whole training runs on small synthetic
// data that must (deep sigmoid, dead ReLU, exploding) or must not (a healthy
// ReLU MLP) raise each warning.
#include "engine/train/diagnostics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/spec/spec_defaults.hpp"
#include "engine/spec/spec_validator.hpp"
#include "engine/train/trainer.hpp"

namespace gradstream::engine {
namespace {

// A report of weight-gradient norms, one per layer "dense_<i>" in order.
v1::GradientReport norms_report(uint64_t step, const std::vector<float>& norms) {
  v1::GradientReport r;
  r.set_step(step);
  for (size_t i = 0; i < norms.size(); ++i) {
    v1::ParameterReport* p = r.add_parameters();
    p->set_layer("dense_" + std::to_string(i));
    p->set_parameter("weights");
    p->set_gradient_norm(norms[i]);
    v1::ParameterReport* bias = r.add_parameters();  // ignored by the checks
    bias->set_layer(p->layer());
    bias->set_parameter("bias");
    bias->set_gradient_norm(1e9F);
  }
  return r;
}

v1::ActivationReport saturation_report(uint64_t step, float share) {
  v1::ActivationReport r;
  r.set_step(step);
  v1::ActivationLayerReport* l = r.add_layers();
  l->set_layer("dense_0/sigmoid");
  l->set_activation("sigmoid");
  l->set_saturated_fraction(share);
  return r;
}

std::vector<v1::Warning> feed(Diagnostics& d, uint64_t first_step, int count,
                              const std::vector<float>& norms) {
  std::vector<v1::Warning> all;
  for (int i = 0; i < count; ++i) {
    auto w = d.on_gradients(norms_report(first_step + i, norms));
    all.insert(all.end(), w.begin(), w.end());
  }
  return all;
}

// README.md's Diagnostics section states the thresholds these tests check,
// written here as it gives them: gradient checks average the last 5 checks,
// vanishing is below 1e-3 of the last layer, exploding is a norm of 1000 or
// growth of 100x to at least 1, dead_relu is 25% of units, saturation half
// of the outputs.
constexpr int kWindow = 5;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DiagnosticsTest, VanishingNeedsAFullWindowBelowTheRatio) {
  Diagnostics d;
  d.start_epoch();
  // dense_0 at 1e-4 of the last layer, dense_1 at 0.5: only dense_0 vanishes,
  // and only once the window is full.
  EXPECT_TRUE(feed(d, 1, kWindow - 1, {1e-4F, 0.5F, 1.0F}).empty());
  const auto w = feed(d, kWindow, 1, {1e-4F, 0.5F, 1.0F});
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].kind(), "vanishing_gradient");
  EXPECT_EQ(w[0].layer(), "dense_0");
  EXPECT_EQ(w[0].step(), 5U);
  EXPECT_NEAR(w[0].value(), 1e-4, 1e-9);
  EXPECT_TRUE(contains(w[0].message(), "dense_0: ")) << w[0].message();
  EXPECT_TRUE(contains(w[0].message(), "0.0001")) << w[0].message();
  EXPECT_TRUE(contains(w[0].message(), "(dense_2)")) << w[0].message();
  EXPECT_EQ(w[0].advice(), "try relu/leaky_relu/elu, He init, or fewer layers");
  EXPECT_TRUE(contains(w[0].message(), w[0].advice()));
}

TEST(DiagnosticsTest, VanishingThresholdEdgeIsStrict) {
  Diagnostics above;
  above.start_epoch();
  EXPECT_TRUE(feed(above, 1, 2 * kWindow, {1.01e-3F, 1.0F}).empty());
  Diagnostics below;
  below.start_epoch();
  EXPECT_EQ(feed(below, 1, kWindow, {0.99e-3F, 1.0F}).size(), 1U);
}

TEST(DiagnosticsTest, VanishingAveragesOverTheWindow) {
  Diagnostics d;
  d.start_epoch();
  // One healthy check among tiny ones lifts the mean above 1e-3: no warning.
  EXPECT_TRUE(feed(d, 1, 1, {0.1F, 1.0F}).empty());
  EXPECT_TRUE(feed(d, 2, kWindow - 1, {1e-5F, 1.0F}).empty());
  // Once the healthy check leaves the window, the mean is 1e-5.
  EXPECT_EQ(feed(d, kWindow + 1, 1, {1e-5F, 1.0F}).size(), 1U);
}

TEST(DiagnosticsTest, EachKindWarnsOncePerLayerPerEpoch) {
  Diagnostics d;
  d.start_epoch();
  const auto first = feed(d, 1, 3 * kWindow, {1e-6F, 1e-6F, 1.0F});
  ASSERT_EQ(first.size(), 2U);  // dense_0 and dense_1, once each
  EXPECT_EQ(first[0].layer(), "dense_0");
  EXPECT_EQ(first[1].layer(), "dense_1");
  d.start_epoch();
  // The window carries over epochs, so the first check of the next warns again.
  const auto second = feed(d, 100, 2, {1e-6F, 1e-6F, 1.0F});
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0].layer(), "dense_0");
  EXPECT_EQ(second[0].step(), 100U);
  EXPECT_EQ(second[1].layer(), "dense_1");
  EXPECT_EQ(second[1].step(), 100U);
}

TEST(DiagnosticsTest, ExplodingAtTheAbsoluteNorm) {
  Diagnostics below;
  below.start_epoch();
  EXPECT_TRUE(feed(below, 1, 1, {999.0F, 1.0F}).empty());
  Diagnostics at;
  at.start_epoch();
  const auto w = feed(at, 1, 3, {1000.0F, 1.0F});
  ASSERT_EQ(w.size(), 1U);  // three checks, one epoch: one warning
  EXPECT_EQ(w[0].kind(), "exploding_gradient");
  EXPECT_EQ(w[0].layer(), "dense_0");
  EXPECT_EQ(w[0].value(), 1000.0F);
  EXPECT_EQ(w[0].advice(), "lower the learning rate or clip gradients");
  EXPECT_TRUE(contains(w[0].message(), "1e+03")) << w[0].message();
}

TEST(DiagnosticsTest, NonFiniteNormCountsAsExploding) {
  Diagnostics d;
  d.start_epoch();
  const auto w = feed(d, 1, 1, {1.0F, std::numeric_limits<float>::infinity()});
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].kind(), "exploding_gradient");
  EXPECT_EQ(w[0].layer(), "dense_1");
}

TEST(DiagnosticsTest, ExplodingByGrowthOverTheWindow) {
  Diagnostics d;
  d.start_epoch();
  // 0.01 -> 1.0 over the window: a factor of 100 to a norm of 1.
  const float norms[kWindow] = {0.01F, 0.02F, 0.05F, 0.2F, 1.0F};
  std::vector<v1::Warning> w;
  for (int i = 0; i < kWindow; ++i) {
    auto out = d.on_gradients(norms_report(i + 1, {norms[i], 1.0F}));
    w.insert(w.end(), out.begin(), out.end());
  }
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].kind(), "exploding_gradient");
  EXPECT_NEAR(w[0].value(), 100.0F, 1e-3F);
  EXPECT_TRUE(contains(w[0].message(), "grew 100x")) << w[0].message();
  // The same factor ending at 0.5, below a norm of 1, is harmless.
  Diagnostics small;
  small.start_epoch();
  for (int i = 0; i < kWindow; ++i) {
    EXPECT_TRUE(small.on_gradients(norms_report(i + 1, {norms[i] * 0.5F, 1.0F})).empty());
  }
}

TEST(DiagnosticsTest, SaturationAtTheShareOncePerEpoch) {
  Diagnostics d;
  d.start_epoch();
  EXPECT_TRUE(d.on_activations(saturation_report(1, 0.49F)).empty());
  const auto w = d.on_activations(saturation_report(2, 0.5F));
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].kind(), "saturation");
  EXPECT_EQ(w[0].layer(), "dense_0/sigmoid");
  EXPECT_EQ(w[0].value(), 0.5F);
  EXPECT_TRUE(contains(w[0].message(), "50% of sigmoid outputs")) << w[0].message();
  EXPECT_EQ(w[0].advice(), "standardize inputs, use Glorot init, or relu");
  EXPECT_TRUE(d.on_activations(saturation_report(3, 0.9F)).empty());
  d.start_epoch();
  EXPECT_EQ(d.on_activations(saturation_report(4, 0.9F)).size(), 1U);
}

TEST(DiagnosticsTest, DeadReluCountsUnitsNeverPositiveInTheEpoch) {
  Diagnostics d;
  d.start_epoch();
  // [batch 2, units 4]: unit 0 positive in batch 1, unit 2 only in batch 2,
  // unit 1 only at -0.0 / 0, unit 3 never: 2 of 4 dead.
  const float batch1[] = {1.0F, 0.0F, -1.0F, -2.0F, -1.0F, -0.0F, 0.0F, -3.0F};
  const float batch2[] = {0.0F, 0.0F, 0.5F, 0.0F, 0.0F, 0.0F, 0.0F, -1.0F};
  d.observe_relu_output("dense_0/relu", batch1, 2, 4);
  d.observe_relu_output("dense_0/relu", batch2, 2, 4);
  // Another layer: 1 of 5 units dead, 20%, under the 25% threshold.
  const float healthy[] = {1.0F, 1.0F, 1.0F, 1.0F, 0.0F};
  d.observe_relu_output("dense_1/relu", healthy, 1, 5);
  const auto w = d.end_epoch(42);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].kind(), "dead_relu");
  EXPECT_EQ(w[0].layer(), "dense_0/relu");
  EXPECT_EQ(w[0].step(), 42U);
  EXPECT_EQ(w[0].value(), 0.5F);
  EXPECT_TRUE(contains(w[0].message(), "50% of units (2 of 4)")) << w[0].message();
  EXPECT_EQ(w[0].advice(), "try leaky_relu or elu, lower the learning rate, use He init");
  // The next epoch starts afresh: every unit positive once is enough.
  d.start_epoch();
  const float alive[] = {1.0F, 2.0F, 3.0F, 4.0F};
  d.observe_relu_output("dense_0/relu", alive, 1, 4);
  EXPECT_TRUE(d.end_epoch(84).empty());
}

TEST(DiagnosticsTest, DeadReluThresholdEdge) {
  Diagnostics d;
  d.start_epoch();
  const float one_of_four_dead[] = {1.0F, 1.0F, 1.0F, 0.0F};  // exactly 25%
  d.observe_relu_output("r", one_of_four_dead, 1, 4);
  const auto w = d.end_epoch(1);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].value(), 0.25F);
}

TEST(DiagnosticsTest, OnlyPlainReluCanDie) {
  EXPECT_TRUE(can_die(*find_activation("relu")));
  EXPECT_FALSE(can_die(*find_activation("leaky_relu")));
  EXPECT_FALSE(can_die(*find_activation("elu")));
  EXPECT_FALSE(can_die(*find_activation("sigmoid")));
}

TEST(DiagnosticsTest, NonFiniteWarningNamesStepLayerAndAdvice) {
  const v1::Warning w = non_finite_warning(7, std::numeric_limits<double>::quiet_NaN(), "dense_3",
                                           "the dense_3 weights are not finite");
  EXPECT_EQ(w.kind(), "non_finite");
  EXPECT_EQ(w.layer(), "dense_3");
  EXPECT_EQ(w.step(), 7U);
  EXPECT_TRUE(contains(w.message(), "step 7: loss is NaN; the dense_3 weights")) << w.message();
  EXPECT_TRUE(contains(w.message(), "lower the learning rate")) << w.message();
}

TEST(DiagnosticsTest, DefaultCadenceIsFilledAndValidated) {
  v1::TrainingSpec spec;
  EXPECT_EQ(with_defaults(spec).reporting().diagnostics_every(), 20U);
  EXPECT_FALSE(with_defaults(spec).reporting().no_diagnostics());
  spec.mutable_reporting()->set_diagnostics_every(7);
  EXPECT_EQ(with_defaults(spec).reporting().diagnostics_every(), 7U);
}

// ---- Whole runs on small synthetic data ----

// Two interleaved spirals (as in trainer_test): 2 features, 2 classes.
Dataset two_spirals(int64_t per_class, uint64_t seed) {
  Dataset d;
  d.sample_shape = {2};
  d.count = 2 * per_class;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> noise(-0.01, 0.01);
  for (int64_t i = 0; i < per_class; ++i) {
    const double r = 0.1 + 0.9 * static_cast<double>(i) / per_class;
    const double t = 3.0 * std::numbers::pi * static_cast<double>(i) / per_class;
    for (int label = 0; label < 2; ++label) {
      const double angle = t + label * std::numbers::pi;
      d.features.push_back(static_cast<float>(r * std::cos(angle) + noise(rng)));
      d.features.push_back(static_cast<float>(r * std::sin(angle) + noise(rng)));
      d.labels.push_back(label);
    }
  }
  return d;
}

DataSplits spirals() {
  DataSplits splits;
  splits.train = two_spirals(200, 1);
  splits.num_classes = 2;
  return splits;
}

// `hidden` Dense layers of `units` with `activation`, then 2 logits.
v1::TrainingSpec mlp(int hidden, uint32_t units, const std::string& activation,
                     const std::string& optimizer_json) {
  std::string layers;
  for (int i = 0; i < hidden; ++i) {
    layers += R"({"dense": {"units": )" + std::to_string(units) + R"(, "activation": {"name": ")" +
              activation + R"("}}},)";
  }
  auto spec = parse_spec_json(R"({
    "model": {"inputShape": [2], "layers": [)" +
                                  layers + R"({"dense": {"units": 2}}]},
    "optimizer": )" + optimizer_json +
                                  R"(,
    "data": {"builtin": "in-memory"},
    "epochs": 3, "batchSize": 32, "seed": 3, "threads": 1,
    "reporting": {"stepEvery": 100, "diagnosticsEvery": 1}})",
                              "diagnostics spec");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_TRUE(validate_spec(*spec).ok()) << validate_spec(*spec).message();
  return *spec;
}

class WarningLog : public TrainingObserver {
 public:
  void on_warning(const v1::Warning& w) override { warnings.push_back(w); }
  std::vector<v1::Warning> of_kind(const std::string& kind) const {
    std::vector<v1::Warning> out;
    std::copy_if(warnings.begin(), warnings.end(), std::back_inserter(out),
                 [&](const v1::Warning& w) { return w.kind() == kind; });
    return out;
  }
  std::vector<v1::Warning> warnings;
};

v1::DoneReport train(const v1::TrainingSpec& spec, WarningLog& log) {
  auto trainer = Trainer::create(spec, spirals());
  EXPECT_TRUE(trainer.ok()) << trainer.status().message();
  std::atomic<bool> cancel{false};
  return (*trainer)->run(log, cancel);
}

std::string describe(const std::vector<v1::Warning>& warnings) {
  std::string out;
  for (const auto& w : warnings) out += "\n  [" + w.kind() + "] " + w.message();
  return out;
}

TEST(DiagnosticsTrainingTest, DeepSigmoidNetworkHasVanishingGradients) {
  WarningLog log;
  const v1::DoneReport done =
      train(mlp(9, 32, "sigmoid", R"({"sgd": {}, "learningRate": 0.1})"), log);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  const auto vanishing = log.of_kind("vanishing_gradient");
  ASSERT_FALSE(vanishing.empty()) << describe(log.warnings);
  EXPECT_EQ(vanishing[0].layer(), "dense_0");  // the earliest layer, first
  EXPECT_LT(vanishing[0].value(), 1e-3F);
  EXPECT_GT(vanishing[0].value(), 0.0F);
  EXPECT_TRUE(contains(vanishing[0].message(), "dense_0: weight-gradient norm is "))
      << vanishing[0].message();
  EXPECT_TRUE(contains(vanishing[0].message(), "(dense_9)")) << vanishing[0].message();
  // 3 epochs, at most once per layer per epoch; the output layer never.
  EXPECT_LE(vanishing.size(), 3U * 9U);
  for (const auto& w : vanishing) EXPECT_NE(w.layer(), "dense_9");
}

TEST(DiagnosticsTrainingTest, SameNetworkWithReluHasNoVanishingGradients) {
  WarningLog log;
  const v1::DoneReport done = train(mlp(9, 32, "relu", R"({"sgd": {}, "learningRate": 0.1})"), log);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  EXPECT_TRUE(log.of_kind("vanishing_gradient").empty()) << describe(log.warnings);
}

TEST(DiagnosticsTrainingTest, NegativeBiasKillsReluUnits) {
  v1::TrainingSpec spec = mlp(1, 64, "relu", R"({"adam": {}, "learningRate": 0.001})");
  spec.set_epochs(2);
  // A bias of -100 keeps every unit of the first layer at zero for every input.
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(-100.0F);
  WarningLog log;
  train(spec, log);
  const auto dead = log.of_kind("dead_relu");
  ASSERT_EQ(dead.size(), 2U) << describe(log.warnings);  // once per epoch
  EXPECT_EQ(dead[0].layer(), "dense_0/relu");
  EXPECT_EQ(dead[0].value(), 1.0F);
  EXPECT_EQ(dead[0].step(), 13U);  // the epoch's last step: 400 / 32 = 13 batches
  EXPECT_TRUE(contains(dead[0].message(), "100% of units (64 of 64)")) << dead[0].message();
  EXPECT_EQ(dead[1].layer(), "dense_0/relu");
  EXPECT_EQ(dead[1].step(), 26U);
}

TEST(DiagnosticsTrainingTest, NoDiagnosticsMeansNoWarnings) {
  v1::TrainingSpec spec = mlp(2, 64, "relu", R"({"adam": {}, "learningRate": 0.001})");
  spec.set_epochs(1);
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(-100.0F);
  spec.mutable_reporting()->set_no_diagnostics(true);
  WarningLog log;
  train(spec, log);
  EXPECT_TRUE(log.warnings.empty()) << describe(log.warnings);
}

TEST(DiagnosticsTrainingTest, HugeLearningRateExplodes) {
  v1::TrainingSpec spec = mlp(6, 64, "relu", R"({"sgd": {}, "learningRate": 10})");
  WarningLog log;
  const v1::DoneReport done = train(spec, log);
  auto exploding = log.of_kind("exploding_gradient");
  const auto non_finite = log.of_kind("non_finite");
  ASSERT_FALSE(exploding.empty()) << describe(log.warnings);
  EXPECT_TRUE(contains(exploding[0].message(), "exploding gradients")) << exploding[0].message();
  EXPECT_TRUE(contains(exploding[0].message(), "lower the learning rate"))
      << exploding[0].message();
  EXPECT_FALSE(exploding[0].layer().empty()) << exploding[0].message();
  EXPECT_GE(exploding[0].value(), 100.0F);  // grew at least 100x, or a norm of 1000 and more
  if (done.outcome() == v1::DoneReport::FAILED) {
    ASSERT_EQ(non_finite.size(), 1U) << done.reason();
    EXPECT_EQ(done.reason(), non_finite[0].message());
  }
}

TEST(DiagnosticsTrainingTest, NonFiniteLossWarnsNamingStepAndLayer) {
  v1::TrainingSpec spec = mlp(1, 64, "relu", R"({"adam": {}, "learningRate": 0.001})");
  auto* dense = spec.mutable_model()->mutable_layers(0)->mutable_dense();
  for (int i = 0; i < 2 * 64; ++i) dense->add_initial_weights(3e38F);  // overflows the output
  for (int i = 0; i < 64; ++i) dense->add_initial_bias(3e38F);
  WarningLog log;
  const v1::DoneReport done = train(spec, log);
  ASSERT_EQ(done.outcome(), v1::DoneReport::FAILED);
  const auto non_finite = log.of_kind("non_finite");
  ASSERT_EQ(non_finite.size(), 1U) << describe(log.warnings);
  EXPECT_EQ(non_finite[0].step(), 1U);
  EXPECT_EQ(non_finite[0].layer(), "dense_0");
  EXPECT_TRUE(contains(non_finite[0].message(), "step 1: ")) << non_finite[0].message();
  EXPECT_TRUE(contains(non_finite[0].message(), "lower the learning rate"));
  EXPECT_EQ(done.reason(), non_finite[0].message());
}

TEST(DiagnosticsTrainingTest, HealthyReluMlpRaisesNoWarnings) {
  v1::TrainingSpec spec = mlp(2, 64, "relu", R"({"adam": {}, "learningRate": 0.001})");
  spec.mutable_model()->set_init(v1::HE_NORMAL);
  spec.set_epochs(20);
  WarningLog log;
  const v1::DoneReport done = train(spec, log);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  EXPECT_TRUE(log.warnings.empty()) << describe(log.warnings);
}

}  // namespace
}  // namespace gradstream::engine

// The trainer with formula activations: the same losses as the catalog entry
// the formula writes out, a learned parameter that moves, and diagnostics
// through the derivative (saturation and dead_units warnings).
#include <gtest/gtest.h>

#include "engine/model/model_file.hpp"
#include "engine/train/trainer.hpp"
#include "tests/unit/train/trainer_test_support.hpp"

namespace gradstream::engine {
namespace {

using testing::Recorder;
using testing::spiral_spec;
using testing::spiral_splits;
using testing::train;

v1::TrainingSpec with_hidden(const v1::ActivationSpec& activation, uint32_t epochs) {
  v1::TrainingSpec spec = spiral_spec();
  spec.set_epochs(epochs);
  for (int i = 0; i < 2; ++i) {
    *spec.mutable_model()->mutable_layers(i)->mutable_dense()->mutable_activation() = activation;
  }
  return spec;
}

v1::ActivationSpec formula(const std::string& text) {
  v1::ActivationSpec a;
  a.set_expression(text);
  return a;
}

TEST(TrainerFormulaTest, TanhAsAFormulaTrainsLikeTheCatalogTanh) {
  v1::ActivationSpec catalog;
  catalog.set_name("tanh");
  Recorder want;
  Recorder got;
  train(with_hidden(catalog, 20), spiral_splits(), want);
  const v1::DoneReport done = train(with_hidden(formula("tanh(x)"), 20), spiral_splits(), got);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  ASSERT_EQ(got.losses.size(), want.losses.size());
  // Two float tanh implementations (oneDNN's, libmvec's) a few ulp apart:
  // the losses drift apart slowly, never far over 20 epochs.
  for (size_t i = 0; i < got.losses.size(); ++i) {
    EXPECT_NEAR(got.losses[i], want.losses[i], 1e-3 + 1e-2 * want.losses[i]) << "step " << i;
  }
  EXPECT_LT(got.losses.back(), 0.8F * got.losses.front());
}

TEST(TrainerFormulaTest, LearnedParametersTrainAndAreReported) {
  v1::ActivationSpec swish = formula("x * sigmoid(b * x)");
  (*swish.mutable_parameters())["b"] = 1.0F;
  v1::TrainingSpec spec = with_hidden(swish, 30);
  auto trainer = Trainer::create(spec, spiral_splits());
  ASSERT_TRUE(trainer.ok()) << trainer.status().message();
  Recorder recorder;
  std::atomic<bool> cancel{false};
  const v1::DoneReport done = (*trainer)->run(recorder, cancel);
  ASSERT_EQ(done.outcome(), v1::DoneReport::SUCCEEDED) << done.reason();
  EXPECT_GT(done.final_test_accuracy(), 0.6F);
  // b shows in the gradient reports under its layer, and moved from 1.
  ASSERT_FALSE(recorder.gradients.empty());
  bool reported = false;
  for (const v1::ParameterReport& p : recorder.gradients.back().parameters()) {
    if (p.layer() == "dense_0/formula" && p.parameter() == "b") {
      reported = true;
      EXPECT_GT(p.gradient_norm(), 0.0F);
    }
  }
  EXPECT_TRUE(reported);
  float b = 0.0F;
  for (const Parameter* p : (*trainer)->model().parameters()) {
    if (p->layer() == "dense_1/formula" && p->name() == "b") b = p->value_values()[0];
  }
  EXPECT_NE(b, 1.0F);
  // The model file keeps b, and the formula with it.
  auto bytes = serialize_model((*trainer)->spec(), (*trainer)->model());
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("x * sigmoid(b * x)"), std::string::npos);
}

TEST(TrainerFormulaTest, AFlatFormulaRaisesSaturationAndDeadUnitWarnings) {
  // f(x) = 0.001 x: |f'| = 0.001 < 0.01 everywhere, so every output and every
  // unit counts as flat.
  Recorder recorder;
  train(with_hidden(formula("0.001 * x"), 1), spiral_splits(), recorder);
  ASSERT_FALSE(recorder.activations.empty());
  const v1::ActivationLayerReport& layer = recorder.activations[0].layers(0);
  EXPECT_EQ(layer.layer(), "dense_0/formula");
  EXPECT_EQ(layer.activation(), "0.001*x");
  EXPECT_EQ(layer.expression(), "0.001 * x");
  EXPECT_EQ(layer.saturated_fraction(), 1.0F);
  EXPECT_EQ(layer.dead_fraction(), 1.0F);
  bool saturation = false;
  bool dead = false;
  for (const v1::Warning& w : recorder.warnings) {
    saturation |= w.kind() == "saturation" && w.layer() == "dense_0/formula";
    dead |= w.kind() == "dead_units" && w.layer() == "dense_0/formula";
  }
  EXPECT_TRUE(saturation);
  EXPECT_TRUE(dead);
}

}  // namespace
}  // namespace gradstream::engine

// Diagnostics' state for checkpoints: a Diagnostics restored from another's
// state warns exactly as that one does from then on (gradient windows, the
// epoch's ReLU maxima, the warnings already given), where a fresh one would
// not; states that cannot be restored are refused naming the entry.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/train/diagnostics.hpp"

namespace gradstream::engine {
namespace {

// Weight-gradient norms of "dense_0" (then "dense_1") at `step`.
v1::GradientReport norms(uint64_t step, float first, float last) {
  v1::GradientReport r;
  r.set_step(step);
  for (const auto& [layer, norm] : {std::pair{"dense_0", first}, std::pair{"dense_1", last}}) {
    v1::ParameterReport* p = r.add_parameters();
    p->set_layer(layer);
    p->set_parameter("weights");
    p->set_gradient_norm(norm);
  }
  return r;
}

v1::ActivationReport saturated(uint64_t step) {
  v1::ActivationReport r;
  r.set_step(step);
  v1::ActivationLayerReport* l = r.add_layers();
  l->set_layer("dense_0/tanh");
  l->set_activation("tanh");
  l->set_saturated_fraction(0.9F);
  return r;
}

std::vector<std::string> kinds(const std::vector<v1::Warning>& warnings) {
  std::vector<std::string> out;
  for (const v1::Warning& w : warnings) out.push_back(w.kind() + " " + w.layer());
  return out;
}

Diagnostics restored(const Diagnostics& from) {
  Diagnostics to;
  to.restore_state(from.state());
  return to;
}

TEST(DiagnosticsStateTest, AGradientWindowCarriesOverToTheRestoredDiagnostics) {
  // dense_0's norm grows 10x a check: 0.01, 0.1, 1 before the checkpoint ...
  const float norm[] = {0.01F, 0.1F, 1.0F, 10.0F, 100.0F};
  Diagnostics running;
  running.start_epoch();
  for (uint64_t i = 0; i < 3; ++i) running.on_gradients(norms(i + 1, norm[i], 1));
  Diagnostics resumed = restored(running);
  Diagnostics fresh;
  fresh.start_epoch();
  // ... 10 and 100 after: over the full window (from 0.01) that is 1e4x.
  std::vector<std::string> warned;
  for (uint64_t i = 3; i < 5; ++i) {
    const v1::GradientReport r = norms(i + 1, norm[i], 1);
    const auto want = kinds(running.on_gradients(r));
    EXPECT_EQ(kinds(resumed.on_gradients(r)), want);
    EXPECT_TRUE(fresh.on_gradients(r).empty());  // two norms: no window yet
    warned.insert(warned.end(), want.begin(), want.end());
  }
  EXPECT_EQ(warned, (std::vector<std::string>{"exploding_gradient dense_0"}));
  EXPECT_EQ(resumed.state().SerializeAsString(), running.state().SerializeAsString());
}

TEST(DiagnosticsStateTest, AWarningGivenThisEpochIsNotGivenAgainAfterARestore) {
  Diagnostics running;
  running.start_epoch();
  ASSERT_EQ(kinds(running.on_activations(saturated(3))),
            (std::vector<std::string>{"saturation dense_0/tanh"}));
  EXPECT_TRUE(restored(running).on_activations(saturated(4)).empty());
  Diagnostics fresh;
  fresh.start_epoch();
  EXPECT_EQ(fresh.on_activations(saturated(4)).size(), 1U);
}

TEST(DiagnosticsStateTest, TheEpochsReluMaximaCarryOver) {
  const std::vector<float> alive = {0.5F, 2.0F, 0.1F, 1.0F};
  const std::vector<float> dead = {0.0F, -1.0F, 0.0F, -3.0F};
  Diagnostics running;
  running.start_epoch();
  running.observe_channel_maxima("dense_0/relu", alive.data(), 4);
  Diagnostics resumed = restored(running);
  // Dead for the rest of the epoch, but alive in its first part: no warning.
  resumed.observe_channel_maxima("dense_0/relu", dead.data(), 4);
  EXPECT_TRUE(resumed.end_epoch(20).empty());
  Diagnostics fresh;
  fresh.start_epoch();
  fresh.observe_channel_maxima("dense_0/relu", dead.data(), 4);
  EXPECT_EQ(kinds(fresh.end_epoch(20)), (std::vector<std::string>{"dead_relu dense_0/relu"}));
}

TEST(DiagnosticsStateTest, StatesThatCannotBeRestoredAreRefused) {
  Diagnostics d;
  d.start_epoch();
  for (uint64_t i = 0; i < 7; ++i) d.on_gradients(norms(i + 1, 0.5F, 1.0F));
  const std::vector<float> maxima = {1.0F, 2.0F};
  d.observe_channel_maxima("dense_0/relu", maxima.data(), 2);
  const v1::DiagnosticsState state = d.state();
  ASSERT_EQ(state.gradients(0).norms_size(), 5);  // a full window, no more
  const std::map<std::string, int64_t> relu = {{"dense_0/relu", 2}};
  EXPECT_TRUE(Diagnostics::check_state(state, relu).ok());
  const auto refusal = [&](auto damage) {
    v1::DiagnosticsState s = state;
    damage(s);
    const Status status = Diagnostics::check_state(s, relu);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    return status.message();
  };
  using S = v1::DiagnosticsState;
  EXPECT_EQ(refusal([](S& s) { s.mutable_gradients(0)->add_norms(1.0); }),
            "diagnostics.gradients[0].norms: 6 values, a window holds at most 5");
  EXPECT_EQ(refusal([](S& s) { *s.add_gradients() = s.gradients(1); }),
            "diagnostics.gradients[2].layer: \"dense_1\" appears twice");
  EXPECT_EQ(refusal([](S& s) { s.mutable_relu_maxima(0)->set_layer("dense_1/relu"); }),
            "diagnostics.relu_maxima[0].layer: \"dense_1/relu\" is not a ReLU layer of this "
            "model");
  EXPECT_EQ(refusal([](S& s) { s.mutable_relu_maxima(0)->add_maxima(0.0F); }),
            "diagnostics.relu_maxima[0].maxima: 3 values, layer \"dense_0/relu\" has 2 units");
}

}  // namespace
}  // namespace gradstream::engine

// The Optimizer base: every optimizer's state (update count and slots,
// row-major) taken from parameters in a blocked layout and restored into a
// new optimizer over plain parameters (as on a machine whose oneDNN picks
// other layouts) continues bit for bit; states that do not fit are refused
// naming the field.
#include "engine/optim/optimizer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/core/tensor.hpp"
#include "tests/unit/support/gradient_check.hpp"

namespace gradstream::engine {
namespace {

// [10, 19] weights in 16 x 16 blocks (512 stored floats for 190), and a bias.
const Shape kShape{10, 19};
const dnnl::memory::desc kBlocked(kShape, dnnl::memory::data_type::f32,
                                  dnnl::memory::format_tag::AB16b16a);

v1::OptimizerSpec optimizer_spec(const std::string& json_kind) {
  v1::OptimizerSpec spec;
  spec.set_weight_decay(0.05F);
  if (json_kind == "sgd") spec.mutable_sgd();
  if (json_kind == "sgd_momentum") spec.mutable_sgd()->set_momentum(0.9F);
  if (json_kind == "sgd_nesterov") {
    spec.mutable_sgd()->set_momentum(0.8F);
    spec.mutable_sgd()->set_nesterov(true);
  }
  if (json_kind == "adam") spec.mutable_adam();
  if (json_kind == "adamw") spec.mutable_adamw();
  if (json_kind == "rmsprop") spec.mutable_rmsprop();
  if (json_kind == "rmsprop_momentum") spec.mutable_rmsprop()->set_momentum(0.5F);
  return spec;
}

// A weight and a bias parameter, in the blocked layout or plain.
struct Parameters {
  Parameters(const dnnl::engine& eng, bool blocked)
      : weights(eng, "dense_0", "weights", kShape, true),
        bias(eng, "dense_0", "bias", {10}, false) {
    weights.write_value(testing::uniform_values(190, -1.0F, 1.0F, 1).data());
    bias.write_value(testing::uniform_values(10, -1.0F, 1.0F, 2).data());
    if (blocked) weights.set_layout(kBlocked);
  }
  std::vector<Parameter*> all() { return {&weights, &bias}; }

  Parameter weights;
  Parameter bias;
};

std::unique_ptr<Optimizer> build(const v1::OptimizerSpec& spec, std::vector<Parameter*> params) {
  auto built = make_optimizer(spec, std::move(params));
  EXPECT_TRUE(built.ok()) << built.status().message();
  return built.ok() ? std::move(built).value() : nullptr;
}

// `steps` steps with gradients drawn from `seed` onwards.
void train(Optimizer& optimizer, Parameters& p, int steps, uint32_t seed) {
  for (int i = 0; i < steps; ++i) {
    testing::write_grad(p.weights, testing::uniform_values(190, -1.0F, 1.0F, seed + 2 * i));
    testing::write_grad(p.bias, testing::uniform_values(10, -1.0F, 1.0F, seed + 2 * i + 1));
    optimizer.step(0.01F);
  }
}

class OptimizerStateTest : public ::testing::TestWithParam<std::string> {
 protected:
  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
};

TEST_P(OptimizerStateTest, AStateRestoredInAnotherLayoutContinuesBitForBit) {
  const v1::OptimizerSpec spec = optimizer_spec(GetParam());
  Parameters blocked(eng_, true);
  std::unique_ptr<Optimizer> running = build(spec, blocked.all());
  train(*running, blocked, 3, 100);
  const v1::OptimizerState state = running->state();
  EXPECT_EQ(state.steps(), 3U);

  Parameters plain(eng_, false);  // another machine: plain storage
  plain.weights.write_value(blocked.weights.value_values().data());
  plain.bias.write_value(blocked.bias.value_values().data());
  std::unique_ptr<Optimizer> resumed = build(spec, plain.all());
  ASSERT_TRUE(resumed->check_state(state).ok()) << resumed->check_state(state).message();
  resumed->restore_state(state);
  EXPECT_EQ(resumed->steps(), 3U);
  EXPECT_EQ(resumed->state().SerializeAsString(), state.SerializeAsString());

  train(*running, blocked, 4, 200);
  train(*resumed, plain, 4, 200);
  EXPECT_EQ(plain.weights.value_values(), blocked.weights.value_values());
  EXPECT_EQ(plain.bias.value_values(), blocked.bias.value_values());

  // Without the state the same steps end elsewhere (when there is state).
  Parameters fresh(eng_, false);
  fresh.weights.write_value(plain.weights.value_values().data());
  std::unique_ptr<Optimizer> forgetful = build(spec, fresh.all());
  if (GetParam() != "sgd") {
    Parameters again(eng_, false);
    again.weights.write_value(blocked.weights.value_values().data());
    std::unique_ptr<Optimizer> with_state = build(spec, again.all());
    with_state->restore_state(running->state());
    train(*with_state, again, 1, 300);
    train(*forgetful, fresh, 1, 300);
    EXPECT_NE(fresh.weights.value_values(), again.weights.value_values());
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, OptimizerStateTest,
                         ::testing::Values("sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw",
                                           "rmsprop", "rmsprop_momentum"));

TEST(OptimizerSlotsTest, SlotsAreNamedAndRowMajor) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  Parameters p(eng, true);
  v1::OptimizerSpec spec = optimizer_spec("sgd_momentum");
  spec.set_weight_decay(0.0F);
  std::unique_ptr<Optimizer> sgd = build(spec, p.all());
  const std::vector<float> grad = testing::uniform_values(190, -1.0F, 1.0F, 7);
  testing::write_grad(p.weights, grad);
  sgd->step(0.1F);
  // After the first step the velocity is the gradient, in row-major order
  // although it is stored blocked.
  const v1::OptimizerState state = sgd->state();
  EXPECT_EQ(state.kind(), "sgd");
  ASSERT_EQ(state.slots_size(), 1);
  EXPECT_EQ(state.slots(0).name(), "velocity");
  ASSERT_EQ(state.slots(0).tensors_size(), 2);
  EXPECT_EQ(state.slots(0).tensors(0).name(), "weights");
  const auto& velocity = state.slots(0).tensors(0).values();
  EXPECT_EQ(std::vector<float>(velocity.begin(), velocity.end()), grad);

  const auto names = [&](const std::string& kind) {
    const v1::OptimizerState built = build(optimizer_spec(kind), p.all())->state();
    std::vector<std::string> out;
    for (const v1::OptimizerSlot& slot : built.slots()) out.push_back(slot.name());
    return out;
  };
  EXPECT_EQ(names("adamw"), (std::vector<std::string>{"m", "v"}));
  EXPECT_EQ(names("rmsprop"), (std::vector<std::string>{"square_avg"}));
  EXPECT_EQ(names("rmsprop_momentum"), (std::vector<std::string>{"square_avg", "momentum_buffer"}));
  EXPECT_TRUE(names("sgd").empty());
}

TEST(OptimizerSlotsTest, StatesThatDoNotFitAreRefusedNamingTheField) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  Parameters p(eng, true);
  std::unique_ptr<Optimizer> adam = build(optimizer_spec("adam"), p.all());
  const v1::OptimizerState state = adam->state();
  const auto refusal = [&](auto damage) {
    v1::OptimizerState s = state;
    damage(s);
    const Status status = adam->check_state(s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    return status.message();
  };
  using S = v1::OptimizerState;
  EXPECT_EQ(refusal([](S& s) { s.set_kind("adamw"); }),
            "optimizer.kind: \"adamw\", this trainer's is \"adam\"");
  EXPECT_EQ(refusal([](S& s) { s.mutable_slots()->RemoveLast(); }),
            "optimizer.slots: 1 slots, adam here keeps 2");
  EXPECT_EQ(refusal([](S& s) { s.mutable_slots()->SwapElements(0, 1); }),
            "optimizer.slots[0].name: \"v\", expected \"m\"");
  EXPECT_EQ(refusal([](S& s) { s.mutable_slots(1)->mutable_tensors()->RemoveLast(); }),
            "optimizer.slots[1].tensors: 1 tensors, the model trains 2 parameters");
  EXPECT_EQ(refusal([](S& s) { s.mutable_slots(0)->mutable_tensors(0)->set_shape(0, 19); }),
            "optimizer.slots[0]: tensor \"dense_0/weights\": shape [19, 19] does not match the "
            "model's [10, 19]");
  EXPECT_EQ(refusal([](S& s) { s.mutable_slots(0)->mutable_tensors(1)->add_values(0.0F); }),
            "optimizer.slots[0]: tensor \"dense_0/bias\": has 11 values, its shape [10] needs 10");
}

}  // namespace
}  // namespace gradstream::engine

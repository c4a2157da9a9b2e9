// EltwiseActivationLayer over every eltwise entry of the activation catalog:
// forward against closed-form double references, backward against central
// finite differences of those references and against their analytic
// derivatives (Caffe-style gradient check), with default and non-default
// parameters.
#include "engine/layers/activation/eltwise_activation_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "engine/layers/activation/activation_catalog.hpp"
#include "tests/unit/support/gradient_check.hpp"
#include "tests/unit/support/layer_harness.hpp"

namespace gradstream::engine {
namespace {

using testing::IsClose;
using testing::Tolerance;

// Tolerances. The result is a float (relative rounding 6e-8) computed by
// oneDNN's JIT kernels, whose exp/log/tanh/erf are polynomial approximations
// accurate to a few ulp; 1e-5 relative leaves a wide margin over that. The
// absolute part covers results that are tiny only because of cancellation
// (elu(-1e-6) = alpha (e^x - 1), softplus(-20) = 2e-9, ...), where a float
// kernel cannot be relatively accurate but is within ~1e-7 of the true value.
constexpr Tolerance kForward{1e-5, 1e-6};
// softplus and mish evaluate log(1 + e^x) with a polynomial log around 1, so
// in the left tail, where the true value is below the float resolution of 1,
// the error is a few ulp of 1 in absolute terms (measured <= 3.8e-6 for
// softplus, <= 1e-6 for mish, over x in [-50, 50]; softplus(-20) even comes
// out slightly negative). That is oneDNN 2.6's kernel, harmless for training.
constexpr Tolerance kLogTailForward{1e-5, 5e-6};
// Backward multiplies a random diff_dst in [-1, 1] by f'(x); f' is a sum of
// O(1) float terms (e.g. gelu' = Phi(x) + x phi(x) crosses zero near x = -0.75),
// so its error scales with the terms, not with the result: an absolute part
// (measured <= 7e-7 over [-50, 50] for every entry).
constexpr Tolerance kBackward{1e-5, 2e-6};

Tolerance forward_tolerance(const std::string& name) {
  return name == "softplus" || name == "mish" ? kLogTailForward : kForward;
}

double sigmoid(double x) {
  // Stable on both sides: never forms e^(+large).
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluLambda = 1.0507009873554805;
const double kGeluK = std::sqrt(2.0 / std::numbers::pi);
constexpr double kGeluC = 0.044715;

// A closed-form reference: f, f' and where f' is discontinuous.
struct Reference {
  std::function<double(double)> f;
  std::function<double(double)> df;
  std::vector<double> kinks = {};
};

// `p` is the activation's parameter as the user means it (leaky/elu alpha,
// swish beta); ignored by the others.
std::optional<Reference> reference_for(const std::string& name, double p) {
  if (name == "identity") return Reference{[](double x) { return x; }, [](double) { return 1.0; }};
  if (name == "sigmoid") {
    return Reference{sigmoid, [](double x) { return sigmoid(x) * (1 - sigmoid(x)); }};
  }
  if (name == "tanh") {
    return Reference{[](double x) { return std::tanh(x); },
                     [](double x) { return 1 - std::tanh(x) * std::tanh(x); }};
  }
  if (name == "relu") {
    return Reference{[](double x) { return std::max(x, 0.0); },
                     [](double x) { return x > 0 ? 1.0 : 0.0; },
                     {0.0}};
  }
  if (name == "leaky_relu") {
    return Reference{[p](double x) { return x > 0 ? x : p * x; },
                     [p](double x) { return x > 0 ? 1.0 : p; },
                     {0.0}};
  }
  if (name == "elu") {
    return Reference{[p](double x) { return x > 0 ? x : p * std::expm1(x); },
                     [p](double x) { return x > 0 ? 1.0 : p * std::exp(x); },
                     {0.0}};
  }
  if (name == "selu") {
    // Continuous derivative only if lambda alpha = 1, which it is not: a kink at 0.
    return Reference{
        [](double x) { return kSeluLambda * (x > 0 ? x : kSeluAlpha * std::expm1(x)); },
        [](double x) { return kSeluLambda * (x > 0 ? 1.0 : kSeluAlpha * std::exp(x)); },
        {0.0}};
  }
  if (name == "swish" || name == "silu") {
    const double beta = name == "silu" ? 1.0 : p;
    return Reference{[beta](double x) { return x * sigmoid(beta * x); },
                     [beta](double x) {
                       const double s = sigmoid(beta * x);
                       return s + beta * x * s * (1 - s);
                     }};
  }
  if (name == "mish") {
    return Reference{[](double x) { return x * std::tanh(softplus(x)); },
                     [](double x) {
                       const double t = std::tanh(softplus(x));
                       return t + x * (1 - t * t) * sigmoid(x);
                     }};
  }
  if (name == "gelu_erf") {
    return Reference{[](double x) { return 0.5 * x * (1 + std::erf(x / std::numbers::sqrt2)); },
                     [](double x) {
                       return 0.5 * (1 + std::erf(x / std::numbers::sqrt2)) +
                              x * std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
                     }};
  }
  if (name == "gelu_tanh") {
    return Reference{
        [](double x) { return 0.5 * x * (1 + std::tanh(kGeluK * (x + kGeluC * x * x * x))); },
        [](double x) {
          const double t = std::tanh(kGeluK * (x + kGeluC * x * x * x));
          return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * kGeluK * (1 + 3 * kGeluC * x * x);
        }};
  }
  if (name == "softplus") return Reference{softplus, sigmoid};
  if (name == "hardswish") {
    return Reference{[](double x) { return x * std::min(std::max(x + 3, 0.0), 6.0) / 6; },
                     [](double x) { return x < -3  ? 0.0
                                           : x > 3 ? 1.0
                                                   : (2 * x + 3) / 6; },
                     {-3.0, 3.0}};
  }
  return std::nullopt;
}

// One configured activation: the spec the user writes and the parameter value
// the reference should use (written out here, not read from the catalog).
struct Case {
  std::string label;  // test name suffix
  std::string name;
  std::optional<float> alpha;
  std::optional<float> beta;
  double reference_parameter;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

std::vector<Case> cases() {
  return {
      {"identity", "identity", {}, {}, 0},
      {"sigmoid", "sigmoid", {}, {}, 0},
      {"tanh", "tanh", {}, {}, 0},
      {"relu", "relu", {}, {}, 0},
      {"leaky_relu_default", "leaky_relu", {}, {}, 0.01},
      {"leaky_relu_alpha_0_2", "leaky_relu", 0.2F, {}, 0.2F},
      {"leaky_relu_alpha_1", "leaky_relu", 1.0F, {}, 1.0},  // range ends: identity
      {"leaky_relu_alpha_0", "leaky_relu", 0.0F, {}, 0.0},  // and relu
      {"elu_default", "elu", {}, {}, 1.0},
      {"elu_alpha_0_5", "elu", 0.5F, {}, 0.5},
      {"elu_alpha_0", "elu", 0.0F, {}, 0.0},
      {"elu_alpha_10", "elu", 10.0F, {}, 10.0},
      {"selu", "selu", {}, {}, 0},
      {"swish_default", "swish", {}, {}, 1.0},
      {"swish_beta_2", "swish", {}, 2.0F, 2.0},
      {"swish_beta_0_01", "swish", {}, 0.01F, 0.01F},
      {"swish_beta_10", "swish", {}, 10.0F, 10.0},
      {"silu", "silu", {}, {}, 0},
      {"mish", "mish", {}, {}, 0},
      {"gelu_erf", "gelu_erf", {}, {}, 0},
      {"gelu_tanh", "gelu_tanh", {}, {}, 0},
      {"softplus", "softplus", {}, {}, 0},
      {"hardswish", "hardswish", {}, {}, 0},
  };
}

// The grid the task fixes (0, tiny, moderate, kink, saturating and huge values
// on both sides) plus random values, as 3 rows of 17: not a multiple of any
// vector width, so the kernels' tails run too.
constexpr int64_t kRows = 3;
constexpr int64_t kCols = 17;
std::vector<float> input_values() {
  std::vector<float> x = {0.0F, 1e-6F, -1e-6F, 0.5F,   -0.5F, 1.0F, -1.0F,
                          3.0F, -3.0F, 20.0F,  -20.0F, 1e4F,  -1e4F};
  const std::vector<float> random = testing::uniform_values(kRows * kCols - x.size(), -6, 6, 7);
  x.insert(x.end(), random.begin(), random.end());
  return x;
}

bool near_kink(const Reference& ref, double x, double distance) {
  for (double k : ref.kinks) {
    if (std::abs(x - k) <= distance) return true;
  }
  return false;
}

class EltwiseActivationLayerTest : public ::testing::TestWithParam<Case> {
 protected:
  const ActivationInfo& info() const { return *find_activation(GetParam().name); }
  EltwiseArgs args() const {
    v1::ActivationSpec spec;
    spec.set_name(GetParam().name);
    if (GetParam().alpha) spec.set_alpha(*GetParam().alpha);
    if (GetParam().beta) spec.set_beta(*GetParam().beta);
    EXPECT_TRUE(validate_activation(spec, "model.layers[0].activation").ok());
    return resolve_eltwise_args(info(), spec);
  }
  Reference reference() const {
    auto ref = reference_for(GetParam().name, GetParam().reference_parameter);
    EXPECT_TRUE(ref.has_value());
    return ref.value_or(Reference{});
  }

  dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{eng_};
};

TEST_P(EltwiseActivationLayerTest, ForwardMatchesClosedForm) {
  const std::vector<float> x = input_values();
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x);
  EltwiseActivationLayer layer("act", src, info(), args(), testing::layer_options(true), eng_);
  const Reference ref = reference();

  layer.forward(stream_);
  stream_.wait();

  const std::vector<float> y = testing::read(layer.dst());
  ASSERT_EQ(y.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double expected = ref.f(x[i]);
    EXPECT_TRUE(std::isfinite(y[i])) << "f(" << x[i] << ") = " << y[i];
    EXPECT_TRUE(IsClose(y[i], expected, forward_tolerance(GetParam().name))) << "at x = " << x[i];
  }
}

TEST_P(EltwiseActivationLayerTest, InferenceForwardMatchesClosedForm) {
  const std::vector<float> x = input_values();
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x);
  EltwiseActivationLayer layer("act", src, info(), args(), testing::layer_options(false), eng_);
  const Reference ref = reference();

  layer.forward(stream_);
  stream_.wait();

  const std::vector<float> y = testing::read(layer.dst());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_TRUE(IsClose(y[i], ref.f(x[i]), forward_tolerance(GetParam().name)))
        << "at x = " << x[i];
  }
}

TEST_P(EltwiseActivationLayerTest, BackwardMatchesFiniteDifferencesAndDerivative) {
  // Built through the registry as a network's layer (LayerHarness), checked by
  // the common gradient check, then against the analytic derivative.
  v1::LayerSpec spec;
  spec.mutable_activation()->set_name(GetParam().name);
  if (GetParam().alpha) spec.mutable_activation()->set_alpha(*GetParam().alpha);
  if (GetParam().beta) spec.mutable_activation()->set_beta(*GetParam().beta);
  testing::LayerHarness h({spec}, {kCols}, kRows);
  const Reference ref = reference();
  const std::vector<float> x = input_values();
  const std::vector<float> dd = testing::uniform_values(x.size(), -1, 1, 11);
  testing::GradientCheck check{forward_tolerance(GetParam().name), kBackward};
  // At a kink the derivative is a convention (oneDNN's relu takes the left
  // side at 0), not a fact to check; finite differences are only meaningful
  // when the step does not straddle one (e.g. relu at x = 1e-6 with h = 1e-4).
  check.skip_src = [&](size_t, double xi) { return near_kink(ref, xi, 2 * check.step); };

  const std::vector<float> dx = testing::check_layer_gradients(
      h,
      [&](const std::vector<double>& src, const std::vector<std::vector<double>>&) {
        std::vector<double> y(src.size());
        for (size_t i = 0; i < src.size(); ++i) y[i] = ref.f(src[i]);
        return y;
      },
      x, dd, check);

  ASSERT_EQ(dx.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (near_kink(ref, x[i], 0.0)) continue;
    EXPECT_TRUE(IsClose(dx[i], dd[i] * ref.df(x[i]), kBackward)) << "vs f' at x = " << x[i];
  }
}

// The entries whose backward reads dst (relu, leaky_relu, elu, selu, tanh,
// sigmoid; ActivationCatalogTest pins down which those are).
class EltwiseDstBackwardTest : public EltwiseActivationLayerTest {};

std::vector<Case> dst_based_cases() {
  std::vector<Case> selected;
  for (const Case& c : cases()) {
    if (find_activation(c.name)->backward_uses_dst()) selected.push_back(c);
  }
  return selected;
}

TEST_P(EltwiseDstBackwardTest, BackwardIsCorrectEvenAfterSrcIsOverwritten) {
  // The point of the *_use_dst_for_bwd forms: after forward the gradient needs
  // dst only, so src may be reused. Scribble over src between the passes.
  const std::vector<float> x = input_values();
  const std::vector<float> dd = testing::uniform_values(x.size(), -1, 1, 13);
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, x);
  const Tensor diff_dst = testing::plain_tensor(eng_, {kRows, kCols}, dd);
  EltwiseActivationLayer layer("act", src, info(), args(), testing::layer_options(true), eng_);
  const Tensor diff_src = layer.bind_backward(diff_dst, true);
  const Reference ref = reference();

  layer.forward(stream_);
  stream_.wait();
  testing::write(src, std::vector<float>(x.size(), -123.0F));
  layer.backward(stream_);
  stream_.wait();

  const std::vector<float> dx = testing::read(diff_src);
  for (size_t i = 0; i < x.size(); ++i) {
    if (near_kink(ref, x[i], 0.0)) continue;
    EXPECT_TRUE(IsClose(dx[i], dd[i] * ref.df(x[i]), kBackward)) << "at x = " << x[i];
  }
}

TEST_P(EltwiseActivationLayerTest, NoDiffSrcNeededReturnsEmptyMemory) {
  const Tensor src = testing::plain_tensor(eng_, {kRows, kCols}, input_values());
  const Tensor diff_dst = testing::plain_tensor(eng_, {kRows, kCols}, input_values());
  EltwiseActivationLayer layer("act", src, info(), args(), testing::layer_options(true), eng_);

  const Tensor diff_src = layer.bind_backward(diff_dst, /*needs_diff_src=*/false);

  EXPECT_FALSE(diff_src);
  layer.forward(stream_);
  layer.backward(stream_);  // a no-op, must not throw
  stream_.wait();
}

std::string case_label(const ::testing::TestParamInfo<Case>& p) { return p.param.label; }

INSTANTIATE_TEST_SUITE_P(EltwiseCatalog, EltwiseActivationLayerTest, ::testing::ValuesIn(cases()),
                         case_label);
INSTANTIATE_TEST_SUITE_P(EltwiseCatalog, EltwiseDstBackwardTest,
                         ::testing::ValuesIn(dst_based_cases()), case_label);

TEST(EltwiseActivationLayerCatalogTest, EveryEltwiseEntryIsCoveredWithAReference) {
  // A new eltwise entry fails here until it has a reference and a case above.
  for (const ActivationInfo& info : activation_catalog()) {
    if (info.primitive != ActivationPrimitive::kEltwise) continue;
    SCOPED_TRACE(std::string(info.name));
    EXPECT_TRUE(reference_for(std::string(info.name), 1.0).has_value());
    bool has_case = false;
    for (const Case& c : cases()) has_case = has_case || c.name == info.name;
    EXPECT_TRUE(has_case);
  }
}

TEST(EltwiseActivationLayerCatalogTest, ReferencesAgreeWithTheirFiniteDifferences) {
  // Guards the test itself: each analytic f' matches central differences of f.
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.label);
    const Reference ref = *reference_for(c.name, c.reference_parameter);
    for (double x : {-7.3, -2.9, -1.1, -0.4, 0.3, 0.9, 2.2, 3.1, 8.0}) {
      if (near_kink(ref, x, 2 * testing::fd_step(x))) continue;
      EXPECT_NEAR(ref.df(x), testing::central_difference(ref.f, x), 1e-7) << "x = " << x;
    }
  }
}

TEST(EltwiseActivationLayerCatalogTest, ReportsItsCatalogEntry) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  const Tensor src = testing::plain_tensor(eng, {1, 2}, {1.0F, -1.0F});
  const ActivationInfo& tanh = *find_activation("tanh");
  EltwiseActivationLayer layer("dense_0_act", src, tanh, {}, testing::layer_options(true), eng);
  EXPECT_EQ(layer.activation(), &tanh);
  EXPECT_EQ(layer.name(), "dense_0_act");
}

}  // namespace
}  // namespace gradstream::engine

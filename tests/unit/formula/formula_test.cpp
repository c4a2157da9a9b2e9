// Formula: the compiled kernels of every ISA this CPU has against a
// double-precision reference written out by hand, derivatives against central
// finite differences, learnable parameters' gradients, the probe grid's
// errors, and sums that do not depend on the thread count.
#include "engine/formula/formula.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "engine/formula/program_runner.hpp"

namespace gradstream::engine::formula {
namespace {

std::vector<KernelIsa> isas_on_this_cpu() {
  std::vector<KernelIsa> isas = {KernelIsa::kSse2};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    isas.push_back(KernelIsa::kAvx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
    isas.push_back(KernelIsa::kAvx512);
  }
  return isas;
}

std::shared_ptr<const Formula> compile(const std::string& text, KernelIsa isa,
                                       const FormulaNames& names = {},
                                       std::vector<float> params = {}) {
  Result<std::shared_ptr<const Formula>> f = Formula::compile(text, names, params, isa);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().message();
  return f.ok() ? *f : nullptr;
}

// Runs `program` over xs with the parameters as scalars; returns each output.
std::vector<std::vector<float>> run(const Formula& f, const Program& program,
                                    const std::vector<float>& xs, std::vector<float> params = {},
                                    const std::vector<float>* diff_dst = nullptr,
                                    std::vector<double>* sums = nullptr, int threads = 1) {
  std::vector<InputBinding> inputs(static_cast<size_t>(program.inputs));
  inputs[0].values = xs.data();
  for (size_t k = 0; k < params.size(); ++k) inputs[k + 1].scalar = params[k];
  if (diff_dst != nullptr) inputs.back().values = diff_dst->data();
  std::vector<std::vector<float>> out(program.outputs.size(), std::vector<float>(xs.size()));
  std::vector<float*> pointers;
  for (auto& o : out) pointers.push_back(o.data());
  std::vector<double> summed(program.outputs.size());
  if (sums != nullptr) {
    for (size_t o = 1; o < pointers.size(); ++o) pointers[o] = nullptr;  // parameters: summed
  }
  const int64_t n = static_cast<int64_t>(xs.size());
  ProgramRunner(program, f.kernel(), n, threads).run(n, inputs, pointers, summed.data());
  if (sums != nullptr) *sums = summed;
  return out;
}

std::vector<float> test_points() {
  std::vector<float> xs(probe_grid().begin(), probe_grid().end());
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-30.0F, 30.0F);
  for (int i = 0; i < 300; ++i) xs.push_back(wide(rng));  // 446 points: a tail block too
  return xs;
}

bool close(double got, double want, double rel, double abs) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= abs + rel * std::fabs(want);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Case {
  std::string text;
  std::function<double(double)> f;
  std::function<double(double)> df;
};

// Each operation of the language, with f and f' written out independently.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"x", [](double x) { return x; }, [](double) { return 1.0; }},
      {"-x + 2 * x - x / 4", [](double x) { return 0.75 * x; }, [](double) { return 0.75; }},
      {"relu(x) + 0.1 * cos(x)", [](double x) { return std::max(x, 0.0) + 0.1 * std::cos(x); },
       [](double x) { return (x > 0 ? 1.0 : 0.0) - 0.1 * std::sin(x); }},
      {"x * sigmoid(x)", [](double x) { return x * sigmoid(x); },
       [](double x) { return sigmoid(x) * (1 + x * (1 - sigmoid(x))); }},
      {"tanh(x) * 0.5 + sin(x)", [](double x) { return 0.5 * std::tanh(x) + std::sin(x); },
       [](double x) { return 0.5 * (1 - std::tanh(x) * std::tanh(x)) + std::cos(x); }},
      {"softplus(x)",
       [](double x) { return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0); },
       [](double x) { return sigmoid(x); }},
      {"x * erf(x)", [](double x) { return x * std::erf(x); },
       [](double x) { return std::erf(x) + x * 2 / std::sqrt(M_PI) * std::exp(-x * x); }},
      {"log1p(abs(x))", [](double x) { return std::log1p(std::fabs(x)); },
       [](double x) {
         return (x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0) / (1 + std::fabs(x));
       }},
      {"sqrt(x * x + 1)", [](double x) { return std::sqrt(x * x + 1); },
       [](double x) { return x / std::sqrt(x * x + 1); }},
      {"log(1 + x^2)", [](double x) { return std::log(1 + x * x); },
       [](double x) { return 2 * x / (1 + x * x); }},
      {"exp(-x^2 / 2)", [](double x) { return std::exp(-x * x / 2); },
       [](double x) { return -x * std::exp(-x * x / 2); }},
      {"x^3 / 1000 - x^-2 * 0 + (x*x+1)^0.5",
       [](double x) { return x * x * x / 1000 + std::sqrt(x * x + 1); },
       [](double x) { return 3 * x * x / 1000 + x / std::sqrt(x * x + 1); }},
      {"where(x > 0, x, 0.01 * x)", [](double x) { return x > 0 ? x : 0.01 * x; },
       [](double x) { return x > 0 ? 1.0 : 0.01; }},
      {"where(x >= 1, 1, where(x <= -1, -1, x))", [](double x) { return std::clamp(x, -1.0, 1.0); },
       [](double x) { return x >= 1 || x <= -1 ? 0.0 : 1.0; }},
      {"clip(x, -2, 3)", [](double x) { return std::clamp(x, -2.0, 3.0); },
       [](double x) { return x < -2 || x > 3 ? 0.0 : 1.0; }},
      {"max(x, 0.2 * x) + min(x, 0)",
       [](double x) { return std::max(x, 0.2 * x) + std::min(x, 0.0); },
       [](double x) { return x > 0   ? 1.0
                             : x < 0 ? 1.2
                                     : 0.5 * (1 + 0.2) + 0.5 * (1 + 0); }},
      {"where(x == 0, 1, 0) + where(x != 0, x, 0) + where(x < 0, 0, 0)",
       [](double x) { return x == 0 ? 1.0 : x; }, [](double x) { return x == 0 ? 0.0 : 1.0; }},
  };
  return all;
}

TEST(Formula, KernelsMatchTheDoubleReferenceOnEveryIsa) {
  const std::vector<float> xs = test_points();
  for (KernelIsa isa : isas_on_this_cpu()) {
    for (const Case& c : cases()) {
      auto f = compile(c.text, isa);
      ASSERT_NE(f, nullptr);
      const auto values = run(*f, f->forward(), xs);
      const auto slopes = run(*f, f->slopes(), xs);
      for (size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i];
        ASSERT_TRUE(close(values[0][i], c.f(x), 2e-6, 1e-6))
            << kernel_isa_name(isa) << " " << c.text << " at x = " << x << ": " << values[0][i]
            << " vs " << c.f(x);
        ASSERT_TRUE(close(slopes[0][i], c.df(x), 2e-5, 1e-6))
            << kernel_isa_name(isa) << " " << c.text << "' at x = " << x << ": " << slopes[0][i]
            << " vs " << c.df(x);
      }
    }
  }
}

TEST(Formula, SymbolicDerivativesMatchCentralDifferences) {
  for (const Case& c : cases()) {
    auto f = compile(c.text, kernel_isa_for_cpu());
    ASSERT_NE(f, nullptr);
    for (double x = -7.95; x < 8; x += 0.1) {
      const double h = 1e-6;
      const double left[] = {x - h};
      const double right[] = {x + h};
      const double at[] = {x};
      const double numeric =
          (f->graph().evaluate(f->value(), right) - f->graph().evaluate(f->value(), left)) /
          (2 * h);
      const double symbolic = f->graph().evaluate(f->derivative(0), at);
      EXPECT_NEAR(symbolic, numeric, 1e-6 * std::max(1.0, std::fabs(numeric)))
          << c.text << " at x = " << x;
    }
  }
}

TEST(Formula, LearnableParameterGradientsMatchFiniteDifferences) {
  const FormulaNames names{{{"k", 0.1}}, {"b", "a"}};
  // a = 5/16 is no point of the grid, so relu(x - a) has no kink at a test point.
  const std::vector<float> params = {1.5F, 0.3125F};
  auto f = compile("x * sigmoid(b * x) + a * cos(k * x) + relu(x - a)", kernel_isa_for_cpu(), names,
                   params);
  ASSERT_NE(f, nullptr);
  std::vector<float> xs = test_points();
  std::vector<float> dd(xs.size());
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (float& v : dd) v = normal(rng);
  // sum_i dd_i * f(x_i; b, a) in double, differentiated numerically in b and a.
  const auto loss = [&](double b, double a) {
    double sum = 0.0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double x = xs[i];
      sum += dd[i] * (x * sigmoid(b * x) + a * std::cos(0.1 * x) + std::max(x - a, 0.0));
    }
    return sum;
  };
  const double h = 1e-6;
  const double db = (loss(1.5 + h, 0.3125) - loss(1.5 - h, 0.3125)) / (2 * h);
  const double da = (loss(1.5, 0.3125 + h) - loss(1.5, 0.3125 - h)) / (2 * h);
  std::vector<double> sums;
  const auto out = run(*f, f->backward(), xs, params, &dd, &sums);
  EXPECT_NEAR(sums[1], db, 1e-4 * std::fabs(db) + 1e-3);
  EXPECT_NEAR(sums[2], da, 1e-4 * std::fabs(da) + 1e-3);
  // diff_src = dd * df/dx, one pass.
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    const double s = sigmoid(1.5 * x);
    const double df =
        s + x * 1.5 * s * (1 - s) - 0.3125 * 0.1 * std::sin(0.1 * x) + (x > 0.3125 ? 1 : 0);
    ASSERT_TRUE(close(out[0][i], dd[i] * df, 2e-5, 1e-5)) << "x = " << x;
  }
}

TEST(Formula, SumsDoNotDependOnTheThreadCount) {
  const FormulaNames names{{}, {"b"}};
  auto f = compile("x * sigmoid(b * x)", kernel_isa_for_cpu(), names, {1.0F});
  ASSERT_NE(f, nullptr);
  std::vector<float> xs(100003);
  std::vector<float> dd(xs.size());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = 3 * normal(rng);
    dd[i] = normal(rng);
  }
  std::vector<double> one;
  std::vector<double> two;
  const auto a = run(*f, f->backward(), xs, {1.0F}, &dd, &one, 1);
  const auto b = run(*f, f->backward(), xs, {1.0F}, &dd, &two, 2);
  EXPECT_EQ(one[1], two[1]);
  EXPECT_EQ(a[0], b[0]);
  double reference = 0.0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double s = sigmoid(xs[i]);
    reference += dd[i] * xs[i] * xs[i] * s * (1 - s);
  }
  EXPECT_NEAR(one[1], reference, 1e-4 * std::fabs(reference) + 1e-2);
}

TEST(Formula, ShortAndRaggedArrays) {
  auto f = compile("x * 2 + 1", kernel_isa_for_cpu());
  for (size_t n : {1, 15, 16, 17, 255, 256, 257, 1000}) {
    std::vector<float> xs(n);
    for (size_t i = 0; i < n; ++i) xs[i] = static_cast<float>(i);
    const auto out = run(*f, f->forward(), xs);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[0][i], 2.0F * i + 1) << n << " " << i;
  }
}

// An exponent past int's range goes through exp(e log a): converting it to int
// first was undefined behaviour (found by fuzz/formula_fuzzer under UBSan).
TEST(Formula, ExponentsPastIntRangeTakeExpLog) {
  const std::vector<float> xs = test_points();
  for (KernelIsa isa : isas_on_this_cpu()) {
    auto f = compile("clip(abs(x), 0, 0.5) ^ 3000000000", isa);
    ASSERT_NE(f, nullptr);
    const auto values = run(*f, f->forward(), xs);
    for (size_t i = 0; i < xs.size(); ++i) {
      ASSERT_EQ(values[0][i], 0.0F) << kernel_isa_name(isa) << " at x = " << xs[i];
    }
    Result<std::shared_ptr<const Formula>> huge =
        Formula::compile("abs(x) ^ -3000000000", {}, {}, isa);
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.status().message().find("is +infinite at x = 0"), std::string::npos)
        << huge.status().message();
  }
}

TEST(Formula, ProbeGridErrorsNameThePoint) {
  const FormulaNames names{{}, {"b"}};
  const std::pair<std::string, std::string> cases[] = {
      {"1 / x", "is +infinite at x = 0"},
      {"log(x)", "is -infinite at x = 0"},
      {"sqrt(x)", "is NaN at x = -1e-06"},
      {"sqrt(abs(x))", "has a derivative that is NaN at x = 0"},
      {"exp(x)", "is +infinite at x = 100"},
      {"x / (1 + exp(-x))", "has a derivative that is NaN at x = -100"},
      {"x ^ 0.5", "is NaN at x = -1e-06"},
      {"x ^ -2", "is +infinite at x = 0"},
      {"b * log(1 + x^2) + sqrt(b - 2)", "is NaN at x = 0"},
      {"x * sigmoid(b * x) + 1 / (b - 1)", "is +infinite"},
  };
  for (const auto& [text, expected] : cases) {
    Result<std::shared_ptr<const Formula>> f = Formula::compile(text, names, std::vector{1.0F});
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(expected), std::string::npos)
        << text << " gave: " << f.status().message();
  }
  Result<std::shared_ptr<const Formula>> in_b =
      Formula::compile("x * sqrt(b)", names, std::vector{0.0F});
  ASSERT_FALSE(in_b.ok());
  EXPECT_NE(in_b.status().message().find("has a derivative in 'b' that is NaN at x = 0"),
            std::string::npos)
      << in_b.status().message();
}

}  // namespace
}  // namespace gradstream::engine::formula

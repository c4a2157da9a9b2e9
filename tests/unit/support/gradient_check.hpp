// Shared helpers for the layer and loss tests, in the spirit of Caffe's
// GradientChecker: central finite differences of a double-precision reference,
// a closeness check with an absolute and a relative part, and plain f32
// tensor <-> std::vector copies for arranging inputs and reading results.
// (layer_harness.hpp builds layers through the registry and checks them.)
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "engine/core/layer.hpp"
#include "engine/core/parameter.hpp"
#include "engine/core/tensor.hpp"

namespace gradstream::engine::testing {

// Default finite-difference step: relative to |x| so that the step is not lost
// in the rounding of large x, never smaller than 1e-4 so that near 0 the
// truncation error O(h^2) stays far below the tolerances (~1e-9 for unit-scale
// curvature) while the rounding error O(eps / h) stays ~1e-12.
inline double fd_step(double x) { return 1e-4 * std::max(1.0, std::abs(x)); }

// d f / d x at x by central differences: (f(x + h) - f(x - h)) / 2h.
template <class F>
double central_difference(F&& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2.0 * h);
}

template <class F>
double central_difference(F&& f, double x) {
  return central_difference(f, x, fd_step(x));
}

// Gradient of a scalar function of a vector, one coordinate at a time;
// `h` is the absolute step (functions such as softmax are shift invariant, so a
// step relative to |x| would only add truncation error).
inline std::vector<double> numerical_gradient(
    const std::function<double(const std::vector<double>&)>& f, std::vector<double> x,
    double h = 1e-4) {
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double plus = f(x);
    x[i] = saved - h;
    const double minus = f(x);
    x[i] = saved;
    grad[i] = (plus - minus) / (2.0 * h);
  }
  return grad;
}

// How close a float result must be to its double reference:
// |actual - expected| <= abs + rel * |expected|.
struct Tolerance {
  double rel;
  double abs;
};

// For EXPECT_TRUE: explains the miss (values, error, allowed) when it fails.
inline ::testing::AssertionResult IsClose(double actual, double expected, Tolerance tol) {
  const double error = std::abs(actual - expected);
  const double allowed = tol.abs + tol.rel * std::abs(expected);
  if (std::isfinite(actual) && error <= allowed) return ::testing::AssertionSuccess();
  std::ostringstream out;
  out.precision(10);
  out << "actual " << actual << " vs expected " << expected << ": error " << error << " > allowed "
      << allowed << " (rel " << tol.rel << ", abs " << tol.abs << ")";
  return ::testing::AssertionFailure() << out.str();
}

// Caffe's relative error: |a - b| / max(|a|, |b|, floor).
inline double relative_error(double a, double b, double floor = 1.0) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), floor});
}

// How a test builds a layer on its own: training or inference, nothing fused.
inline LayerOptions layer_options(bool training) {
  LayerOptions options;
  options.training = training;
  return options;
}

// ---- plain f32 tensors in and out ------------------------------------------

// A plain (row-major) tensor of `dims` holding `values`.
inline Tensor plain_tensor(const dnnl::engine& eng, const Shape& dims,
                           const std::vector<float>& values) {
  Tensor t = Tensor::allocate(plain_desc(dims), eng);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.elements());
  std::memcpy(t.data(), values.data(), sizeof(float) * values.size());
  return t;
}

inline void write(const Tensor& t, const std::vector<float>& values) {
  ASSERT_TRUE(t.plain());
  std::memcpy(t.data(), values.data(), sizeof(float) * values.size());
}

// The tensor's values in row-major order, whatever its layout.
inline std::vector<float> read(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.elements()));
  if (t.plain()) {
    std::memcpy(out.data(), t.data(), sizeof(float) * out.size());
    return out;
  }
  const dnnl::engine eng = t.memory().get_engine();
  dnnl::memory plain(plain_desc(t.shape()), eng, out.data());
  dnnl::stream stream(eng);
  dnnl::reorder(t.memory(), plain).execute(stream, const_cast<dnnl::memory&>(t.memory()), plain);
  stream.wait();
  return out;
}

inline std::vector<float> read(const dnnl::memory& mem) { return read(Tensor(mem)); }

// Writes row-major values into a parameter's gradient, whatever its layout
// (as a backward pass would leave them).
inline void write_grad(Parameter& p, const std::vector<float>& values) {
  dnnl::memory plain(plain_desc(p.shape()), p.value().get_engine(),
                     const_cast<float*>(values.data()));
  dnnl::stream stream(p.value().get_engine());
  dnnl::reorder(plain, p.grad()).execute(stream, plain, const_cast<dnnl::memory&>(p.grad()));
  stream.wait();
}

inline std::vector<float> uniform_values(size_t count, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(count);
  for (float& v : values) v = dist(gen);
  return values;
}

inline std::vector<double> to_double(const std::vector<float>& values) {
  return {values.begin(), values.end()};
}

}  // namespace gradstream::engine::testing

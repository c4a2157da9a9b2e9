// Shared helpers for the layer and loss tests, in the spirit of Caffe's
// GradientChecker: central finite differences of a double-precision reference,
// a closeness check with an absolute and a relative part, and plain f32
// dnnl::memory <-> std::vector copies for arranging inputs and reading results.
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

#include "engine/core/primitive_call.hpp"

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

// ---- plain f32 memory in and out -------------------------------------------

inline dnnl::memory matrix_memory(const dnnl::engine& eng, int64_t rows, int64_t cols,
                                  const std::vector<float>& values) {
  dnnl::memory mem(matrix_desc(rows, cols), eng);
  EXPECT_EQ(values.size(), static_cast<size_t>(rows * cols));
  std::memcpy(mem.get_data_handle(), values.data(), sizeof(float) * values.size());
  return mem;
}

inline void write(const dnnl::memory& mem, const std::vector<float>& values) {
  std::memcpy(mem.get_data_handle(), values.data(), sizeof(float) * values.size());
}

inline std::vector<float> read(const dnnl::memory& mem) {
  const size_t count = mem.get_desc().get_size() / sizeof(float);
  const float* data = static_cast<const float*>(mem.get_data_handle());
  return {data, data + count};
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

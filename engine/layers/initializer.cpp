// Weight initializers: one table of (kind -> distribution, fan, numerator) and
// two samplers that read the raw engine output. Formulas in initializer.hpp.
#include "engine/layers/initializer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

namespace {

enum class Distribution { kUniform, kNormal };
enum class Fan { kIn, kInPlusOut };

// Scale = sqrt(numerator / fan): the uniform limit or the normal std.
struct InitializerEntry {
  v1::Initializer kind;
  Distribution distribution;
  Fan fan;
  double numerator;
};

constexpr InitializerEntry kInitializers[] = {
    {v1::GLOROT_UNIFORM, Distribution::kUniform, Fan::kInPlusOut, 6.0},
    {v1::GLOROT_NORMAL, Distribution::kNormal, Fan::kInPlusOut, 2.0},
    {v1::HE_UNIFORM, Distribution::kUniform, Fan::kIn, 6.0},
    {v1::HE_NORMAL, Distribution::kNormal, Fan::kIn, 2.0},
    {v1::LECUN_UNIFORM, Distribution::kUniform, Fan::kIn, 3.0},
    {v1::LECUN_NORMAL, Distribution::kNormal, Fan::kIn, 1.0},
};

// What INITIALIZER_UNSPECIFIED (or an unknown value) falls back to.
constexpr const InitializerEntry& kFallback = kInitializers[0];

// 2^-53: the top 53 bits of a draw, scaled, fill a double's mantissa exactly.
constexpr double kInv2Pow53 = 0x1p-53;
constexpr int kDroppedBits = 64 - 53;

// u in [0, 1) with 53 random bits.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> kDroppedBits) * kInv2Pow53;
}

const InitializerEntry& lookup(v1::Initializer kind) {
  for (const InitializerEntry& e : kInitializers) {
    if (e.kind == kind) return e;
  }
  return kFallback;
}

// x = limit * (2u - 1), in [-limit, limit).
void fill_uniform(double limit, std::mt19937_64& rng, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    dst[i] = static_cast<float>(limit * (2.0 * uniform01(rng) - 1.0));
  }
}

// Box-Muller: from u1 in (0, 1] and u2 in [0, 1),
//   r = sqrt(-2 ln u1),  z0 = r cos(2 pi u2),  z1 = r sin(2 pi u2)
// are two independent N(0, 1). Both are used; an odd count drops the last z1.
void fill_normal(double stddev, std::mt19937_64& rng, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; i += 2) {
    // Two statements, not two calls in one expression, so the draw order is fixed.
    const double u1 = 1.0 - uniform01(rng);  // never 0, so the log is finite
    const double u2 = uniform01(rng);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    dst[i] = static_cast<float>(stddev * r * std::cos(angle));
    if (i + 1 < count) dst[i + 1] = static_cast<float>(stddev * r * std::sin(angle));
  }
}

}  // namespace

void initialize_weights(v1::Initializer kind, int64_t fan_in, int64_t fan_out, std::mt19937_64& rng,
                        float* dst, int64_t count) {
  const InitializerEntry& entry = lookup(kind);
  const int64_t in = std::max<int64_t>(fan_in, 1);
  const int64_t out = std::max<int64_t>(fan_out, 1);
  const int64_t fan = entry.fan == Fan::kIn ? in : in + out;
  const double scale = std::sqrt(entry.numerator / static_cast<double>(fan));
  if (entry.distribution == Distribution::kUniform) {
    fill_uniform(scale, rng, dst, count);
  } else {
    fill_normal(scale, rng, dst, count);
  }
}

v1::Initializer default_initializer(const v1::ActivationSpec* next_activation) {
  if (next_activation != nullptr) {
    const ActivationInfo* info = find_activation(next_activation->name());
    if (info != nullptr && info->family == ActivationFamily::kReluFamily) return v1::HE_NORMAL;
  }
  return v1::GLOROT_UNIFORM;
}

v1::Initializer resolve_initializer(v1::Initializer layer, v1::Initializer model,
                                    const v1::ActivationSpec* own, const v1::LayerSpec* next) {
  if (layer != v1::INITIALIZER_UNSPECIFIED) return layer;
  if (model != v1::INITIALIZER_UNSPECIFIED) return model;
  if (own == nullptr && next != nullptr && next->has_activation()) own = &next->activation();
  return default_initializer(own);
}

}  // namespace gradstream::engine

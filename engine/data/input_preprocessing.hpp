// InputPreprocessing: what data.preprocess did to the training inputs, with
// the exact constants it used (SCALE's divisor, STANDARDIZE's per-feature
// mean and inverse std of the training split), so raw rows given to Predict,
// or to an exported ONNX graph, are prepared exactly as training's were.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/base/status.hpp"
#include "gradstream/v1/model_file.pb.h"

namespace gradstream::engine {

// STANDARDIZE divides by max(std, kMinStandardDeviation): constant features
// become 0 instead of NaN.
inline constexpr double kMinStandardDeviation = 1e-6;
// SCALE maps uint8 pixel values 0..255 to 0..1.
inline constexpr float kScaleDivisor = 255.0f;

struct InputPreprocessing {
  v1::Preprocess kind = v1::NONE;       // NONE, SCALE or STANDARDIZE, never UNSPECIFIED
  float scale_divisor = kScaleDivisor;  // SCALE: x / scale_divisor, in float
  std::vector<double> mean;             // STANDARDIZE: per feature
  std::vector<double> inv_std;          // STANDARDIZE: 1 / max(std, kMinStandardDeviation)

  // SCALE with kScaleDivisor.
  static InputPreprocessing scale();
  // STANDARDIZE with the mean and (population) std of `rows` (count x
  // features, row-major), computed in double.
  static InputPreprocessing standardize(const std::vector<float>& rows, int64_t count,
                                        int64_t features);

  // Prepares `values` floats in place: whole rows of this preprocessing's
  // features (for STANDARDIZE, values % mean.size() == 0).
  void apply(float* values, size_t size) const;
};

v1::InputPreprocessing to_message(const InputPreprocessing& preprocessing);

// The message's preprocessing for a model taking `features` inputs; an unset
// message (kind UNSPECIFIED) is NONE. invalid_argument naming the field
// (`preprocessing.mean: has 3 values, the model takes 784 features`) for a
// divisor or std that is not finite and positive, a non-finite mean, or a
// count that does not match.
Result<InputPreprocessing> from_message(const v1::InputPreprocessing& message, int64_t features);

}  // namespace gradstream::engine

// InputPreprocessing: computing SCALE and STANDARDIZE constants, applying
// them, and their model-file message.
#include "engine/data/input_preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace gradstream::engine {

InputPreprocessing InputPreprocessing::scale() {
  InputPreprocessing out;
  out.kind = v1::SCALE;
  return out;
}

InputPreprocessing InputPreprocessing::standardize(const std::vector<float>& rows, int64_t count,
                                                   int64_t features) {
  InputPreprocessing out;
  out.kind = v1::STANDARDIZE;
  const auto n = static_cast<size_t>(features);
  out.mean.assign(n, 0.0);
  out.inv_std.assign(n, 0.0);
  for (int64_t r = 0; r < count; ++r)
    for (size_t j = 0; j < n; ++j) out.mean[j] += rows[r * n + j];
  for (double& m : out.mean) m /= static_cast<double>(count);
  for (int64_t r = 0; r < count; ++r)
    for (size_t j = 0; j < n; ++j) {
      const double d = rows[r * n + j] - out.mean[j];
      out.inv_std[j] += d * d;
    }
  for (double& s : out.inv_std)
    s = 1.0 / std::max(std::sqrt(s / static_cast<double>(count)), kMinStandardDeviation);
  return out;
}

void InputPreprocessing::apply(float* values, size_t size) const {
  if (kind == v1::SCALE) {
    for (size_t i = 0; i < size; ++i) values[i] /= scale_divisor;
  } else if (kind == v1::STANDARDIZE) {
    const size_t n = mean.size();
    for (size_t row = 0; row + n <= size; row += n)
      for (size_t j = 0; j < n; ++j) {
        float& x = values[row + j];
        x = static_cast<float>((x - mean[j]) * inv_std[j]);
      }
  }
}

v1::InputPreprocessing to_message(const InputPreprocessing& preprocessing) {
  v1::InputPreprocessing out;
  out.set_kind(preprocessing.kind);
  if (preprocessing.kind == v1::SCALE) out.set_scale_divisor(preprocessing.scale_divisor);
  out.mutable_mean()->Add(preprocessing.mean.begin(), preprocessing.mean.end());
  out.mutable_inv_std()->Add(preprocessing.inv_std.begin(), preprocessing.inv_std.end());
  return out;
}

namespace {

Status check_per_feature(const google::protobuf::RepeatedField<double>& values, const char* field,
                         int64_t features, bool positive) {
  const std::string name = std::string("preprocessing.") + field;
  if (values.size() != features)
    return invalid_argument(name + ": has " + std::to_string(values.size()) +
                            " values, the model takes " + std::to_string(features) + " features");
  for (int j = 0; j < values.size(); ++j) {
    if (!std::isfinite(values[j]) || (positive && values[j] <= 0.0))
      return invalid_argument(name + "[" + std::to_string(j) + "]: " + std::to_string(values[j]) +
                              (positive ? " is not finite and positive" : " is not finite"));
  }
  return ok_status();
}

}  // namespace

Result<InputPreprocessing> from_message(const v1::InputPreprocessing& message, int64_t features) {
  InputPreprocessing out;
  switch (message.kind()) {
    case v1::PREPROCESS_UNSPECIFIED:
    case v1::NONE:
      return out;
    case v1::SCALE:
      if (!std::isfinite(message.scale_divisor()) || message.scale_divisor() <= 0.0f)
        return invalid_argument(
            "preprocessing.scale_divisor: " + std::to_string(message.scale_divisor()) +
            " is not finite and positive");
      out.kind = v1::SCALE;
      out.scale_divisor = message.scale_divisor();
      return out;
    case v1::STANDARDIZE:
      if (Status s = check_per_feature(message.mean(), "mean", features, false); !s.ok()) return s;
      if (Status s = check_per_feature(message.inv_std(), "inv_std", features, true); !s.ok())
        return s;
      out.kind = v1::STANDARDIZE;
      out.mean.assign(message.mean().begin(), message.mean().end());
      out.inv_std.assign(message.inv_std().begin(), message.inv_std().end());
      return out;
    default:
      break;
  }
  return invalid_argument("preprocessing.kind: unknown value " + std::to_string(message.kind()));
}

}  // namespace gradstream::engine

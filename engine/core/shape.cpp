// Shape helpers.
#include "engine/core/shape.hpp"

#include "engine/base/saturating.hpp"

namespace gradstream::engine {

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count = saturating_mul(count, d);
  return count;
}

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

Shape with_batch(int64_t batch, const Shape& sample) {
  Shape out{batch};
  out.insert(out.end(), sample.begin(), sample.end());
  return out;
}

}  // namespace gradstream::engine

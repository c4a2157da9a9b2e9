// Shape: the dims of a tensor, batch first (or of one sample, without it), in
// oneDNN's logical order (N, C, spatial...). The same type as dnnl::memory::dims.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradstream::engine {

using Shape = std::vector<int64_t>;

// The product of the dims (1 for a scalar), saturating at INT64_MAX.
int64_t element_count(const Shape& shape);

// "[1, 28, 28]", as error messages show shapes.
std::string shape_text(const Shape& shape);

// {batch, sample...}
Shape with_batch(int64_t batch, const Shape& sample);

}  // namespace gradstream::engine

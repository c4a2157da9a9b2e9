// A labelled data set held in memory: features row-major as float32, one int32
// label per sample. Readers fill it whole or not at all. DatasetShape is what
// a file's header (or, for CSV, a scan) tells without reading the data.
#pragma once

#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

namespace gradstream::engine {

enum class SourceType { kFloat32, kUint8 };

struct Dataset {
  std::vector<int64_t> sample_shape;  // one sample, without the batch dimension
  int64_t count = 0;
  std::vector<float> features;  // count * sample_size()
  std::vector<int32_t> labels;  // count
  SourceType source_type = SourceType::kFloat32;

  int64_t sample_size() const {
    return std::accumulate(sample_shape.begin(), sample_shape.end(), int64_t{1},
                           std::multiplies<>());
  }
};

struct DatasetShape {
  int64_t count = 0;
  std::vector<int64_t> sample_shape;

  int64_t sample_size() const {
    return std::accumulate(sample_shape.begin(), sample_shape.end(), int64_t{1},
                           std::multiplies<>());
  }
};

}  // namespace gradstream::engine

// A trainable tensor and its gradient, both plain row-major f32 oneDNN memory
// so optimizers, reports and exports read them without reorders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace gradstream::engine {

struct Parameter {
  std::string layer;             // owning layer's name
  std::string name;              // "weights", "bias" or "slope"
  std::vector<int64_t> shape;
  dnnl::memory value;
  dnnl::memory grad;
  bool decay = true;             // weight decay applies (weights yes, biases and slopes no)

  int64_t size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  float* data() const { return static_cast<float*>(value.get_data_handle()); }
  float* grad_data() const { return static_cast<float*>(grad.get_data_handle()); }
};

// Allocates value and grad (zeroed) for a parameter of the given shape.
Parameter make_parameter(const dnnl::engine& eng, std::string layer, std::string name,
                         std::vector<int64_t> shape, bool decay);

}  // namespace gradstream::engine

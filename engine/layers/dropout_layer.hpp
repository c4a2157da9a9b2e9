// Inverted dropout: in training each output is kept with probability 1 - rate
// and scaled by 1 / (1 - rate); in evaluation the layer passes src through.
//   dst = src * mask;  diff_src = diff_dst * mask   (both on oneDNN's binary_mul)
// The mask comes from a counter-based hash of (seed, call, index), so it is the
// same whatever the thread count.
#pragma once

#include <cstdint>

#include "engine/core/layer.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

class DropoutLayer : public Layer {
 public:
  DropoutLayer(std::string name, const dnnl::memory& src, float rate, uint64_t seed,
               bool training, const dnnl::engine& eng);

  dnnl::memory bind_backward(const dnnl::memory& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;

 private:
  void fill_mask();

  dnnl::engine eng_;
  float rate_;
  uint64_t seed_;
  uint64_t calls_ = 0;
  bool training_;
  dnnl::memory mask_;
  PrimitiveCall forward_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

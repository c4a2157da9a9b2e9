// Inverted dropout: in training each value is kept with probability 1 - rate
// and scaled by 1 / (1 - rate); in evaluation the layer passes src through.
//   dst = src * mask;  diff_src = diff_dst * mask   (both on oneDNN's binary_mul)
// The mask comes from a counter-based hash of (seed, call, index) over the
// stored values, so it is the same whatever the thread count. It works on a
// tensor of any rank in its src's layout. The index is the global one: a
// data-parallel rank's rows start at LayerOptions::first_row, and with the
// batch dimension outermost in the layout (every activation layout oneDNN
// picks here) its masks are the rows' masks in the one-process run.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"

namespace gradstream::engine {

inline constexpr float kMaxDropoutRate = 1.0F;  // excluded: 1 drops everything

class DropoutLayer : public Layer {
 public:
  DropoutLayer(std::string name, const Tensor& src, float rate, const LayerOptions& options,
               const dnnl::engine& eng);

  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override;
  void backward(const dnnl::stream& stream) override;
  // {masks drawn}: the next mask is hashed from (seed, that count + 1).
  std::vector<uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<uint64_t>& counters) override { calls_ = counters.at(0); }

  // The mask of the last forward step (training only), for tests.
  const Tensor& mask() const { return mask_; }

 private:
  void fill_mask();

  dnnl::engine eng_;
  float rate_;
  uint64_t seed_;
  uint64_t calls_ = 0;
  uint64_t first_index_ = 0;  // the hash index of the first stored value
  bool training_;
  Tensor mask_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine

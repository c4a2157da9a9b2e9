// ChannelMaxima: each channel's largest value in a layer's output this step,
// over the batch and every position: what the dead-unit diagnostics keep on
// every step. An image output ([N, C, H, W], in whatever layout its producer
// wrote) goes through a global max pooling (oneDNN's, reading the layout as it
// is: no reorder of the whole output), then the N per-sample maxima are
// folded; a [N, units] output is folded row by row; anything else is read in
// plain order. Built once per layer and pipeline; observe() allocates nothing.
#pragma once

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "engine/core/layer.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/train/diagnostics.hpp"

namespace gradstream::engine {

class ChannelMaxima {
 public:
  ChannelMaxima(const Layer& layer, const dnnl::engine& eng);

  // Hands this step's per-channel maxima to `diagnostics`.
  void observe(Diagnostics& diagnostics, const dnnl::stream& stream);

  // The layer watched, as it names itself to the diagnostics, and its channels.
  const std::string& layer_name() const { return layer_.name(); }
  int64_t channels() const { return channels_; }

 private:
  const Layer& layer_;
  int64_t batch_;
  int64_t channels_;
  PrimitiveCall pool_;  // images: [N, C, H, W] -> [N, C, 1, 1]
  dnnl::memory pooled_;
  int64_t sample_stride_ = 0;            // floats between samples in pooled_
  std::vector<int64_t> channel_offset_;  // where channel c sits within a sample
  std::vector<float> maxima_;            // [C]
};

}  // namespace gradstream::engine

// Softmax and log-softmax over the channels (units) of each sample, at every
// position, on oneDNN's softmax_v2. Used as an output activation when the loss
// does not fuse it (MSE, BCE).
//   softmax: dst_i = e^src_i / sum_j e^src_j;  log_softmax: dst_i = src_i - log sum_j e^src_j
#pragma once

#include "engine/core/layer.hpp"
#include "engine/core/layout_conversion.hpp"
#include "engine/core/primitive_call.hpp"
#include "engine/layers/activation/activation_catalog.hpp"

namespace gradstream::engine {

class SoftmaxLayer : public Layer {
 public:
  SoftmaxLayer(std::string name, const Tensor& src, const ActivationInfo& info,
               const LayerOptions& options, const dnnl::engine& eng);

  const ActivationInfo* activation() const override { return &info_; }
  Tensor bind_backward(const Tensor& diff_dst, bool needs_diff_src) override;
  void forward(const dnnl::stream& stream) override { forward_.execute(stream); }
  void backward(const dnnl::stream& stream) override;

 private:
  static constexpr int kChannelAxis = 1;

  dnnl::engine eng_;
  const ActivationInfo& info_;
  dnnl::softmax_v2_forward::primitive_desc forward_pd_;
  PrimitiveCall forward_;
  LayoutConversion diff_dst_;
  PrimitiveCall backward_;
};

}  // namespace gradstream::engine
